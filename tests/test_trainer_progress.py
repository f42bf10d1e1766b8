"""A training run shows one progress bar and prints no log dict to stdout; the dicts land in metrics.jsonl."""

from __future__ import annotations

import pytest

from recode_rl.rundir import RunDir


def _trainer(tmp_path):
    import torch
    from datasets import Dataset
    from transformers import Trainer, TrainingArguments

    from recode_rl.rl.callbacks import RunDirMetrics

    class Line(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = torch.nn.Linear(2, 1)

        def forward(self, x, labels):
            return {"loss": ((self.w(x).squeeze(-1) - labels) ** 2).mean()}

    torch.manual_seed(0)
    data = Dataset.from_list([{"x": [float(i), 1.0], "labels": 2.0 * i} for i in range(8)])
    args = TrainingArguments(output_dir=str(tmp_path / "out"), max_steps=3, per_device_train_batch_size=2,
                             logging_steps=1, save_strategy="no", report_to="none", use_cpu=True,
                             learning_rate=1e-2, disable_tqdm=False)
    run = RunDir.create(tmp_path / "run", stage="t")
    return Trainer(model=Line(), args=args, train_dataset=data, callbacks=[RunDirMetrics(run)]), run


def test_transformers_alone_prints_every_log_dict(tmp_path, capfd):
    trainer, _ = _trainer(tmp_path)  # the behaviour show_progress removes
    trainer.train()
    assert "{'loss'" in capfd.readouterr().out


def test_show_progress_keeps_stdout_clean_and_logs_to_the_run_dir(tmp_path, capfd):
    from transformers import PrinterCallback, ProgressCallback

    from recode_rl.trainer_progress import ProgressBar, show_progress

    trainer, run = _trainer(tmp_path)
    bar = show_progress(trainer, "t", {"loss": "loss", "absent": "no/such/key"})
    bars = [cb for cb in trainer.callback_handler.callbacks if isinstance(cb, (ProgressCallback, PrinterCallback))]
    assert bars == [bar] and isinstance(bar, ProgressBar)
    trainer.train()
    out, err = capfd.readouterr()
    assert "{" not in out and "loss" not in out
    assert "t: 100%" in err and "3/3" in err and "loss=" in err and "absent" not in err
    records = run.read_metrics()
    assert [r["step"] for r in records] == [1, 2, 3] and all("loss" in r for r in records)
    assert (run.report / "train_summary.json").is_file()


def test_show_progress_also_replaces_the_printer(tmp_path):
    from transformers import PrinterCallback

    from recode_rl.trainer_progress import show_progress

    trainer, _ = _trainer(tmp_path)
    trainer.add_callback(PrinterCallback)  # what transformers installs when tqdm is disabled
    show_progress(trainer, "t", {})
    assert not any(isinstance(cb, PrinterCallback) for cb in trainer.callback_handler.callbacks)


@pytest.mark.parametrize("value", [None, "text", True])
def test_non_numbers_are_not_shown(value):
    from types import SimpleNamespace

    from recode_rl.trainer_progress import ProgressBar

    bar = ProgressBar("t", {"x": "x"})
    bar.training_bar = SimpleNamespace(set_postfix=lambda *a, **k: pytest.fail("nothing to show"))
    bar.on_log(None, None, None, logs={"x": value})
    assert bar.shown == {}
