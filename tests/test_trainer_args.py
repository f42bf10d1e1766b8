"""TrainingArguments kwargs: no self-caused warnings, push_to_hub mapped from the config (no hub contacted)."""

from __future__ import annotations

import warnings

from recode_rl.config import load_config
from recode_rl.trainer_args import finish_trainer_kwargs, hub_kwargs


def test_checkpointing_uses_the_new_name_and_cpu_does_not_pin_memory(tmp_path):
    from transformers import TrainingArguments

    kw = finish_trainer_kwargs({"output_dir": str(tmp_path), "gradient_checkpointing": False, "use_cpu": True})
    assert "gradient_checkpointing" not in kw and kw["activation_checkpointing"] is False
    assert kw["dataloader_pin_memory"] is False
    with warnings.catch_warnings():
        warnings.simplefilter("error")            # the deprecation warning would fail here
        TrainingArguments(**kw)


def test_train_rl_sft_rm_map_push_to_hub_to_the_trainer_switches(tmp_path):
    from recode_rl.reward_model.config import Config as RMConfig
    from recode_rl.reward_model.train import trainer_kwargs
    from recode_rl.rl.config import Config, SFTConfig, grpo_kwargs
    from recode_rl.rl.sft import _sft_args

    assert hub_kwargs(False, "me/x") == {}
    off = grpo_kwargs(load_config(Config, None, []), "out")
    assert "push_to_hub" not in off
    on = grpo_kwargs(load_config(Config, None, ["train.push_to_hub=true", "train.hub_model_id=me/policy"]), "out")
    assert (on["push_to_hub"], on["hub_model_id"]) == (True, "me/policy")
    sft = _sft_args(load_config(SFTConfig, None, ["train.push_to_hub=true"]), "out")
    assert sft["push_to_hub"] is True and "hub_model_id" not in sft
    rm_cfg = load_config(RMConfig, None, ["train.push_to_hub=true", "train.hub_model_id=me/rm",
                                          "train.report_to=[tensorboard]"])
    rm = trainer_kwargs(rm_cfg, tmp_path, has_eval=False, metric="accuracy")
    assert (rm["push_to_hub"], rm["hub_model_id"], rm["report_to"]) == (True, "me/rm", ["tensorboard"])
    default = trainer_kwargs(load_config(RMConfig, None, []), tmp_path, has_eval=False, metric="loss")
    assert default["report_to"] == ["none"]
    # model.gradient_checkpointing=false is passed, not left to TRL RewardConfig's default (True)
    from trl import RewardConfig

    assert default["activation_checkpointing"] is False
    assert RewardConfig(**{**default, "use_cpu": True}).gradient_checkpointing is False
