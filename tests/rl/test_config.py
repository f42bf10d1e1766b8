"""Config -> trl.GRPOConfig mapping (the paper's settings), batch arithmetic, variant configs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from recode_rl.config import ConfigError, load_config
from recode_rl.rl.config import Config, grpo_kwargs, needs_scorer
from recode_rl.trainer_args import finish_trainer_kwargs

ROOT = Path(__file__).resolve().parents[2]
RL = ROOT / "configs" / "train-rl"


def test_paper_config_maps_to_the_paper_settings():
    cfg = load_config(Config, RL / "paper.yaml")
    kw = grpo_kwargs(cfg, "out", world_size=8)
    assert kw["beta"] == 0.0                      # no KL term
    assert kw["loss_type"] == "dapo"              # token-level loss
    assert (kw["epsilon"], kw["epsilon_high"]) == (0.2, 0.28)
    assert kw["learning_rate"] == 1e-6 and kw["lr_scheduler_type"] == "constant" and kw["optim"] == "adamw_torch"
    assert kw["max_completion_length"] == 4096 and kw["max_steps"] == 1600
    assert kw["bf16"] is True and kw["model_init_kwargs"]["dtype"] == "bfloat16"
    assert kw["use_vllm"] is True and kw["vllm_mode"] == "colocate"
    assert kw["vllm_gpu_memory_utilization"] == 0.35
    # 32 prompts x 8 generations = 256 completions = 8 per device x 8 GPUs x 4 accumulation steps
    assert kw["num_generations"] == 8
    assert kw["per_device_train_batch_size"] * 8 * kw["gradient_accumulation_steps"] == 32 * 8
    assert kw["gradient_accumulation_steps"] == kw["steps_per_generation"] == 4
    assert cfg.reward.kind == "recode" and needs_scorer(cfg)


def test_grpoconfig_accepts_every_key_and_keeps_constant_schedule(tmp_path):
    from trl import GRPOConfig

    cfg = load_config(Config, RL / "default.yaml")
    args = GRPOConfig(**finish_trainer_kwargs(grpo_kwargs(cfg, str(tmp_path))))
    assert args.lr_scheduler_type.value == "constant"  # GRPOConfig's own default would be linear
    assert args.beta == 0.0 and args.loss_type == "dapo" and args.epsilon_high == 0.28
    # default: 2 prompts x 4 generations = 8 completions in one micro-batch of 8
    assert args.generation_batch_size == 8 and args.gradient_accumulation_steps == 1
    assert args.use_vllm is False and args.bf16 is False and args.gradient_checkpointing is False


def test_vllm_server_mode_switches():
    cfg = load_config(Config, RL / "paper.yaml", ["vllm.mode=server", "vllm.server_base_url=http://gen:8000"])
    kw = grpo_kwargs(cfg, "out", world_size=8)
    assert kw["vllm_mode"] == "server" and kw["vllm_server_base_url"] == "http://gen:8000"
    assert "vllm_gpu_memory_utilization" not in kw  # a colocate-only knob
    cfg = load_config(Config, RL / "paper.yaml", ["vllm.mode=server"])
    kw = grpo_kwargs(cfg, "out", world_size=8)
    assert (kw["vllm_server_host"], kw["vllm_server_port"]) == ("0.0.0.0", 8000)


def test_each_vllm_mode_gets_only_its_own_flags_and_no_importance_sampling():
    """Issue 10, defect 8: engine flags only in colocate, address flags only in server mode; TRL's vLLM
    importance-sampling correction (on by default in TRL) is off like the paper, and visible."""
    cfg = load_config(Config, RL / "paper.yaml")
    kw = grpo_kwargs(cfg, "out", world_size=8)
    assert kw["vllm_importance_sampling_correction"] is False
    assert not any(k.startswith("vllm_server") for k in kw)
    assert kw["vllm_enable_sleep_mode"] is True and kw["vllm_max_model_length"] == 6144
    kw = grpo_kwargs(load_config(Config, RL / "paper.yaml", ["vllm.mode=server"]), "out", world_size=8)
    assert not {"vllm_enable_sleep_mode", "vllm_max_model_length", "vllm_gpu_memory_utilization",
                "vllm_tensor_parallel_size"} & set(kw)
    kw = grpo_kwargs(load_config(Config, RL / "paper.yaml", ["vllm.importance_sampling_correction=true"]), "out", 8)
    assert kw["vllm_importance_sampling_correction"] is True


def test_trust_remote_code_reaches_grpoconfig():
    kw = grpo_kwargs(load_config(Config, None, ["model.trust_remote_code=true"]), "out")
    assert kw["trust_remote_code"] is True and kw["model_init_kwargs"]["trust_remote_code"] is True


def test_pyproject_offers_every_gpu_feature_and_the_transformers_floor():
    import tomllib

    project = tomllib.loads((RL.parents[1] / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    assert {"vllm", "deepspeed", "flash-attn", "tensorboard", "wandb"} <= set(extras)
    transformers = next(r for r in extras["train"] if r.startswith("transformers"))
    assert ">=5" in transformers   # warmup_steps as a ratio (grpo_kwargs) needs transformers 5


def test_batch_that_does_not_divide_is_an_error():
    cfg = load_config(Config, None, ["train.prompts_per_step=3", "train.num_generations=4",
                                     "train.per_device_batch_size=8"])
    with pytest.raises(ConfigError, match="12 completions per step must be a multiple of"):
        grpo_kwargs(cfg, "out")
    # 3 x 4 = 12 = 2 per device x 3 processes x 2 accumulation steps
    cfg = load_config(Config, None, ["train.prompts_per_step=3", "train.num_generations=4",
                                     "train.per_device_batch_size=2"])
    assert grpo_kwargs(cfg, "out", world_size=3)["gradient_accumulation_steps"] == 2


def test_invalid_combinations_are_rejected():
    with pytest.raises(ConfigError, match="epsilon_high"):
        load_config(Config, None, ["train.epsilon=0.3", "train.epsilon_high=0.2"])
    with pytest.raises(ConfigError, match="data.prompt: math"):
        load_config(Config, None, ["reward.kind=math"])
    with pytest.raises(ConfigError, match="unknown key"):
        load_config(Config, None, ["train.lr=1e-6"])
    with pytest.raises(ConfigError, match="needs a GPU"):
        load_config(Config, None, ["vllm.enabled=true", "train.use_cpu=true"])


def test_scorer_required_for_process_kinds():
    from recode_rl.rl.train import rl_scorer

    cfg = load_config(Config, None, ["reward.kind=recode"])
    with pytest.raises(ConfigError, match="needs a process scorer"):
        rl_scorer(cfg)
    assert getattr(rl_scorer(load_config(Config, None, ["reward.kind=outcome"])), "enabled", True) is False
    # an outcome run never calls the scorer, so a configured one is not even built
    unused = load_config(Config, None, ["reward.kind=outcome", "scorer.kind=hf", "scorer.path=/nowhere"])
    assert getattr(rl_scorer(unused), "enabled", True) is False


VARIANTS = {"paper-direct": "direct", "paper-soft": "soft", "paper-outcome": "outcome", "paper-compiler": "compiler",
            "paper-compiler-recode": "compiler+recode", "paper-other-rm": "recode"}


@pytest.mark.parametrize("name,kind", sorted(VARIANTS.items()))
def test_variant_configs_differ_from_paper_only_in_reward_and_scorer(name, kind):
    paper = load_config(Config, RL / "paper.yaml").model_dump()
    variant = load_config(Config, RL / f"{name}.yaml").model_dump()
    assert variant["reward"]["kind"] == kind
    for key in paper:
        if key not in ("reward", "scorer"):
            assert variant[key] == paper[key], f"{name}.yaml differs from paper.yaml in {key}"
    if kind in ("outcome", "compiler"):
        assert variant["scorer"]["kind"] == "none"
    if name == "paper-other-rm":
        assert variant["scorer"]["kind"] == "http" and variant["scorer"]["url"].startswith("http")


def test_math_config_uses_the_math_prompt_and_900_steps():
    cfg = load_config(Config, RL / "paper-math.yaml")
    assert (cfg.reward.kind, cfg.data.prompt, cfg.train.max_steps) == ("math", "math", 900)
    assert cfg.model.path == "Qwen/Qwen2.5-Math-7B"


def test_math_grpo_config_is_paper_math_with_the_outcome_only_reward():
    """Table 3's +GRPO row: the math run without a process reward, nothing else changed."""
    from recode_rl.rl.config import needs_scorer

    recode = load_config(Config, RL / "paper-math.yaml")
    grpo = load_config(Config, RL / "paper-math-grpo.yaml")
    assert (grpo.reward.kind, grpo.scorer.kind) == ("math-outcome", "none") and not needs_scorer(grpo)
    assert needs_scorer(recode)
    a, b = recode.model_dump(), grpo.model_dump()
    for key in a:
        if key not in ("reward", "scorer"):
            assert a[key] == b[key], f"paper-math-grpo.yaml differs from paper-math.yaml in {key}"
    with pytest.raises(Exception, match="needs data.prompt: math"):
        load_config(Config, None, ["reward.kind=math-outcome"])


def test_shipped_yaml_has_no_unknown_keys():
    # load_config forbids unknown keys; this also checks the files are plain mappings
    for path in sorted(RL.glob("*.yaml")):
        assert isinstance(yaml.safe_load(path.read_text()), dict), path
        load_config(Config, path)


def test_eval_during_training_needs_benchmarks():
    import pytest as _pytest

    from recode_rl.config import ConfigError, load_config
    from recode_rl.rl.config import Config

    with _pytest.raises(ConfigError, match="eval.every > 0 needs eval.benchmarks"):
        load_config(Config, None, ["eval.every=50"])
    cfg = load_config(Config, None, ["eval.every=50", "eval.benchmarks=[{name: livecodebench}, {name: aime24}]"])
    assert [b.name for b in cfg.eval.benchmarks] == ["livecodebench", "aime24"] and cfg.eval.keep_snapshots


def test_other_rm_config_documents_a_serve_scorer_command_that_resolves(capsys):
    # the comment's launch line for Skywork (chat template, its own length) is a valid command
    import shlex
    from pathlib import Path

    import yaml

    from recode_rl.cli import main

    text = (Path(__file__).resolve().parents[2] / "configs/train-rl/paper-other-rm.yaml").read_text()
    lines = [ln.lstrip("# ").rstrip("\\").strip() for ln in text.splitlines() if ln.startswith("#")]
    start = next(i for i, ln in enumerate(lines) if "recode serve-scorer" in ln)
    argv = shlex.split(lines[start].split("recode ", 1)[1] + " " + lines[start + 1])
    assert main([*argv, "--print-config"]) == 0
    scorer = yaml.safe_load(capsys.readouterr().out)["scorer"]
    assert (scorer["kind"], scorer["path"], scorer["input_format"], scorer["max_length"]) == \
        ("hf", "Skywork/Skywork-Reward-Llama-3.1-8B", "chat", 8192)
