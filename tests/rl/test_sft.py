"""SFT targets are verified in the sandbox (dropped ones counted); a few real SFTTrainer steps."""

from __future__ import annotations

import dataclasses
import json

import pytest

from recode_rl.rewards.parsing import parse_response
from recode_rl.rl.config import LimitsSection
from recode_rl.rl.config import SFTConfig, TargetsSection
from recode_rl.rl.sft import build_targets, format_target
from tests.rl.tiny import ADD, GOOD, WRONG, chat_tokenizer, tiny_policy_folder, write_problems


def test_format_target_is_a_valid_policy_response():
    parsed = parse_response(format_target("plan", "print(1)"))
    assert parsed.format_ok and parsed.think.strip() == "plan" and parsed.code.strip() == "print(1)"


def test_reference_targets_are_verified_and_drops_counted():
    broken = dataclasses.replace(ADD, task_id="broken", reference_solution="print(max(map(int, input().split())))")
    missing = dataclasses.replace(ADD, task_id="missing", reference_solution=None)
    kept, stats = build_targets([ADD, broken, missing], TargetsSection(), LimitsSection(max_workers=2))
    assert [p.task_id for p, _ in kept] == ["add"]
    # ADD passes; broken prints max (1 2 -> 2, not 3): wrong answer; missing has no reference
    assert stats["candidates"] == 2 and stats["kept"] == 1
    assert stats["dropped_failed_wrong_answer"] == 1 and stats["dropped_no_reference_solution"] == 1
    assert "Your program must read from standard input" in kept[0][1]  # the io hint in the think text


def test_response_targets_from_jsonl(tmp_path):
    path = tmp_path / "responses.jsonl"
    lines = [{"task_id": "add", "response": GOOD}, {"task_id": "add", "response": GOOD},
             {"task_id": "add", "response": WRONG}, {"task_id": "add", "response": "no tags"},
             {"task_id": "other", "response": GOOD}]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    kept, stats = build_targets([ADD], TargetsSection(source="responses", responses=str(path)),
                                LimitsSection(max_workers=2))
    assert len(kept) == 1 and kept[0][1] == GOOD
    assert (stats["dropped_over_max_per_problem"], stats["dropped_failed_wrong_answer"],
            stats["dropped_bad_format"], stats["dropped_unknown_task_id"]) == (1, 1, 1, 1)


@pytest.mark.slow
def test_sft_steps_change_parameters(tmp_path, capfd):
    import torch
    from safetensors.torch import load_file

    from recode_rl.rl.sft import train_sft

    torch.set_num_threads(1)
    policy = tiny_policy_folder(tmp_path / "policy", steps=0)  # a random tiny policy
    problems = write_problems(tmp_path / "problems.jsonl", [ADD])
    cfg = SFTConfig.model_validate({
        "run_dir": str(tmp_path / "run"), "model": {"path": str(policy)}, "data": {"train": [str(problems)]},
        "limits": {"max_workers": 2},
        "train": {"max_steps": 2, "per_device_batch_size": 1, "learning_rate": 1e-3, "max_length": 1024,
                  "save_steps": 2, "num_threads": 1, "use_cpu": True, "lr_scheduler": "constant"},
    })
    result = train_sft(cfg, tokenizer=chat_tokenizer())
    assert result.global_step == 2 and result.targets["kept"] == 1
    out, err = capfd.readouterr()
    assert "{" not in out and "train-sft: 100%" in err  # one bar, no log dicts on stdout
    before, after = load_file(str(policy / "model.safetensors")), load_file(str(result.final_model / "model.safetensors"))
    assert any(not torch.equal(before[k], after[k]) for k in before)
    records = [json.loads(x) for x in (result.run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [1, 2] and all("loss" in r for r in records)
    assert (result.run_dir / "data" / "sft_targets.jsonl").read_text().count("\n") == 1
    # a rerun of the finished run: no step 3, checkpoints/final untouched (old code trained a step 3)
    final = (result.final_model / "model.safetensors").read_bytes()
    again = train_sft(cfg, tokenizer=chat_tokenizer())
    assert again.already_finished and again.global_step == 2 and again.targets["kept"] == 1
    assert (result.final_model / "model.safetensors").read_bytes() == final
    assert not (result.run_dir / "checkpoints" / "checkpoint-3").exists()
    longer = train_sft(cfg.model_copy(update={"train": cfg.train.model_copy(update={"max_steps": 3})}),
                       tokenizer=chat_tokenizer())
    assert longer.global_step == 3 and longer.resumed_from.endswith("checkpoint-2")
    card = (result.final_model / "README.md").read_text()
    assert "recode train-sft" in card and str(policy) in card and "config.train-sft.yaml" in card
