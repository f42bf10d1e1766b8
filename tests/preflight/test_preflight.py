"""`recode preflight` over every shipped config, and a config with each issue-10 defect fails naming its key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recode_rl.cli import main

ROOT = Path(__file__).resolve().parents[2]
STAGES = ("train-rl", "train-rm", "train-sft", "synth", "eval")
SHIPPED = [p for stage in STAGES for p in sorted((ROOT / "configs" / stage).glob("*.yaml"))]


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch):
    monkeypatch.chdir(ROOT)   # configs name configs/deepspeed/*.json relative to the launch directory


def preflight(capsys, config: str, *args: str) -> tuple[int, dict]:
    code = main(["preflight", "--config", config, "--json", *args])
    out = capsys.readouterr().out.strip().splitlines()
    return code, json.loads(out[-1])


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_shipped_config_passes(path, capsys):
    """paper*.yaml at 8 x 80 GB; the others (CPU / small runs) on one device."""
    gpus = ["--gpus", "8", "--gpu-mem-gb", "80"] if path.name.startswith("paper") else ["--gpus", "1"]
    code, result = preflight(capsys, str(path.relative_to(ROOT)), *gpus)
    assert (code, result["problems"]) == (0, []), result
    assert result["ok"] and "target" in result["plan"]


def test_paper_plan_has_batch_precision_memory_scorer_and_saving(capsys):
    code, result = preflight(capsys, "configs/train-rl/paper.yaml", "--gpus", "8", "--gpu-mem-gb", "80")
    plan = result["plan"]
    assert code == 0
    assert plan["batch"]["completions_per_step"] == 256 and plan["batch"]["gradient_accumulation_steps"] == 4
    assert plan["precision"]["master_weights"].startswith("fp32")
    assert 0 < plan["memory"]["scorer_gpu_peak_gb"] <= 80 and plan["memory"]["optimizer_gb"] > 0
    assert plan["scorer"]["kind"] == "http" and "ZeRO-3" in plan["checkpoints"]
    assert plan["sandboxes"] == {"per_rank": 32, "per_node": 256}


BROKEN = {
    # defect 1: DeepCoder's codeforces subset has no train split (and is held out)
    "data.train[3]": ("train-rl", ["data.train+=[{name: 'hf:agentica-org/DeepCoder-Preview-Dataset', "
                                   "options: {config: codeforces, split: train}}]"]),
    # defect 2: without DeepSpeed a bf16 7B needs fp32 master weights: does not fit -> use DeepSpeed
    "train.deepspeed": ("train-rl", ["train.deepspeed=null"]),
    # defect 2: DeepSpeed would step bf16 weights without its fp32 copy
    "train.bf16": ("train-sft", ["train.bf16=false"]),
    # defect 4: a reward model per rank on one GPU
    "scorer.kind": ("train-rl", ["scorer={kind: hf, path: rm, device: 'cuda:7'}"]),
    # defect 8: prompt + completion over the vLLM context
    "vllm.max_model_length": ("train-rl", ["vllm.max_model_length=4096"]),
    # batch shape that does not divide over 8 ranks
    "train.per_device_batch_size": ("train-rl", ["train.per_device_batch_size=3"]),
    # defect 5 (RM): LoRA cannot be merged and gathered under DeepSpeed
    "lora.enabled": ("train-rm", ["lora.enabled=true"]),
}


@pytest.mark.parametrize("key", list(BROKEN))
def test_a_config_with_a_defect_fails_naming_the_key(key, capsys):
    stage, overrides = BROKEN[key]
    sets = [a for o in overrides for a in ("--set", o)]
    code, result = preflight(capsys, f"configs/{stage}/paper.yaml", "--gpus", "8", "--gpu-mem-gb", "80", *sets)
    assert code == 1 and not result["ok"]
    assert key in {p["key"] for p in result["problems"]}, result["problems"]


def test_scorer_device_must_exist_on_one_gpu(capsys):
    code, result = preflight(capsys, "configs/train-rl/paper.yaml", "--gpus", "1",
                             "--set", "scorer={kind: hf, path: rm, device: 'cuda:7'}")
    assert code == 1 and "scorer.device" in {p["key"] for p in result["problems"]}


def test_zero3_without_gathered_save_is_a_problem(tmp_path, capsys):
    ds = json.loads((ROOT / "configs/deepspeed/zero3.json").read_text())
    del ds["zero_optimization"]["stage3_gather_16bit_weights_on_model_save"]
    (tmp_path / "ds.json").write_text(json.dumps(ds))
    code, result = preflight(capsys, "configs/train-rm/paper.yaml", "--gpus", "8",
                             "--set", f"train.deepspeed={tmp_path / 'ds.json'}")
    assert code == 1
    assert any(p["key"] == "train.deepspeed" and "gather" in p["message"] for p in result["problems"])


def test_missing_packages_are_warnings_unless_check_installs(monkeypatch, capsys):
    """Defect 3: a logger that is not installed is named with its pip command; enforced on request."""
    from recode_rl.preflight import checks

    monkeypatch.setattr(checks, "_installed", lambda module: module != "tensorboard")
    code, result = preflight(capsys, "configs/train-sft/paper.yaml", "--gpus", "8")
    assert code == 0 and any(w["key"] == "train.report_to" for w in result["warnings"])
    code, result = preflight(capsys, "configs/train-sft/paper.yaml", "--gpus", "8", "--check-installs")
    problem = next(p for p in result["problems"] if p["key"] == "train.report_to")
    assert code == 1 and "recode-rl[tensorboard]" in problem["message"]


def test_text_output_is_one_line_per_problem(capsys):
    code = main(["preflight", "--config", "configs/train-rl/paper.yaml", "--gpus", "8", "--set", "train.deepspeed=null",
                 "--set", "scorer={kind: hf, path: rm, device: 'cuda:7'}", "gpu_mem_gb=80"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 1 and lines[-1] == "2 problem(s)"
    assert [line.split(":")[0] for line in lines[-3:-1]] == ["scorer.kind", "train.deepspeed"]


def test_two_nodes_and_an_unmanifested_dataset(capsys):
    code, result = preflight(capsys, "configs/train-rl/paper.yaml", "--gpus", "8", "--nodes", "2",
                             "--set", "data.train+=[{name: 'hf:me/my-problems', options: {config: x}}]")
    assert code == 0 and result["plan"]["batch"]["world_size"] == 16
    assert result["plan"]["batch"]["gradient_accumulation_steps"] == 2        # 256 = 8 x 16 x 2
    assert any(w["key"] == "data.train[3]" and "not checked" in w["message"] for w in result["warnings"])
