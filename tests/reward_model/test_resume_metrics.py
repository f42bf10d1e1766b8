"""train-rm's metrics.jsonl across a resume: each line once (`start_metrics`, reusing train-rl's truncation)."""

from __future__ import annotations

import json

from recode_rl.reward_model.train import start_metrics
from recode_rl.rundir import RunDir


def _logged_run(tmp_path):
    run = RunDir.create(tmp_path / "run", stage="train-rm")
    run.log_metrics(0, {"eval_rm/accuracy": 0.5})                  # another stage sharing the run dir
    run.log_metrics(0, {"data/train_pairs": 6})
    for step in (1, 2, 3):
        run.log_metrics(step, {"train/loss": 1.0 / step})
    run.log_metrics(3, {"final/validation_accuracy": 0.5})
    return run


def test_resume_keeps_lines_up_to_the_checkpoint_and_drops_what_this_start_logs_again(tmp_path):
    run = _logged_run(tmp_path)
    ckpt = run.checkpoints / "trainer" / "checkpoint-2"
    ckpt.mkdir(parents=True)
    (ckpt / "trainer_state.json").write_text(json.dumps({"global_step": 2}))
    assert start_metrics(run) == str(ckpt)
    # old code appended to every line: data/ and final/ twice, train/loss at step 3 twice
    assert run.read_metrics() == [{"step": 0, "eval_rm/accuracy": 0.5}, {"step": 1, "train/loss": 1.0},
                                  {"step": 2, "train/loss": 0.5}]


def test_fresh_start_drops_every_train_rm_line_and_keeps_other_stages(tmp_path):
    run = _logged_run(tmp_path)
    assert start_metrics(run) is None
    assert run.read_metrics() == [{"step": 0, "eval_rm/accuracy": 0.5}]
