"""The TRL reward callable: calling convention, and real GRPOTrainer steps on a tiny model."""

from __future__ import annotations

import json

import pytest

from recode_rl.data.schema import Problem
from recode_rl.execution.types import TestSuite as Suite  # aliased: pytest would try to collect Test*
from recode_rl.errors import DataError
from recode_rl.rewards.core import RewardConfig
from recode_rl.rewards.trl_reward import ReCodeReward, completion_text, trl_dataset_rows
from tests.rl.tiny import chat_tokenizer  # the one tiny offline chat tokenizer of the test suites

ADD = Problem(task_id="add", prompt="Read two integers and print their sum.",
              tests=Suite(kind="stdio", inputs=("1 2\n", "5 7\n", "-3 3\n"), outputs=("3\n", "12\n", "0\n")))
GOOD = "<think>sum</think><answer>\n```python\nprint(sum(map(int,input().split())))\n```\n</answer>"
WRONG = "<think>max</think><answer>\n```python\nprint(max(map(int,input().split())))\n```\n</answer>"


class ThinkLength:
    name = "think-length"

    def __init__(self):
        self.calls = 0

    def score(self, problems, reasonings):
        self.calls += 1
        assert all(p == ADD.prompt for p in problems)
        return [min(len(r) / 10, 1.0) for r in reasonings]


def test_completion_text_forms():
    assert completion_text("abc") == "abc"
    assert completion_text([{"role": "assistant", "content": "abc"}]) == "abc"
    assert completion_text([{"role": "assistant", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}]) == "ab"
    with pytest.raises(TypeError):
        completion_text(3)


def test_reward_called_like_trl():
    rows = trl_dataset_rows([ADD])
    assert rows[0]["prompt"][0]["role"] == "system" and ADD.prompt in rows[0]["prompt"][1]["content"]
    assert Suite.from_dict(json.loads(rows[0]["tests"])) == ADD.tests
    metrics: dict[str, float] = {}
    extra: dict[str, list] = {}
    scorer = ThinkLength()
    reward = ReCodeReward(RewardConfig(kind="recode"), scorer, max_workers=2)
    assert reward.__name__ == "recode_recode"
    cols = {k: [rows[0][k]] * 3 for k in ("problem", "tests", "program_prefix", "task_id")}
    out = reward(prompts=[rows[0]["prompt"]] * 3,
                 completions=[[{"role": "assistant", "content": c}] for c in (GOOD, WRONG, "no idea")],
                 completion_ids=[[1], [2], [3]], trainer_state=None,
                 log_metric=lambda k, v: metrics.__setitem__(k, v),
                 log_extra=lambda k, v: extra.__setitem__(k, v), **cols)
    # GOOD: 1 + 1 + len("sum")/10; WRONG: format only (max(1,2)=2 != 3); "no idea": 0
    assert out == pytest.approx([2.3, 1.0, 0.0])
    assert scorer.calls == 1
    assert metrics["recode/format_rate"] == pytest.approx(2 / 3)
    assert metrics["recode/outcome_rate"] == pytest.approx(1 / 3)
    assert metrics["recode/process_gated_mean"] == pytest.approx(0.3)
    assert metrics["recode/scorer_calls_saved"] == 2
    assert metrics["recode/no_code"] == 1 and metrics["recode/exec_wrong_answer"] == 1
    assert "recode/process_failing_mean" not in metrics  # undefined -> not logged
    assert extra["recode/verdict"] == ["passed", "wrong_answer", "no_code"]
    assert extra["recode/process"] == [pytest.approx(0.3), None, None]
    with pytest.raises(DataError, match="field 'tests'"):
        reward(prompts=["p"], completions=["x"], problem=["p"])
    with pytest.raises(DataError, match="task t1.*field 'tests'"):
        reward(prompts=["p"], completions=["x"], problem=["p"], tests=["{bad"], task_id=["t1"])


# ---------------------------------------------------------------- real GRPOTrainer steps

def _overfit_tiny_policy(tok, prompt_text: str, target: str):
    """A tiny Qwen2 trained for a few hundred steps to (mostly) emit `target` after the prompt."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    cfg = Qwen2Config(vocab_size=len(tok), hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                      pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id, bos_token_id=None,
                      tie_word_embeddings=True)
    model = Qwen2ForCausalLM(cfg)
    p_ids = tok(prompt_text, add_special_tokens=False)["input_ids"]
    t_ids = tok(target, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
    ids = torch.tensor([p_ids + t_ids])
    labels = torch.tensor([[-100] * len(p_ids) + t_ids])
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(150):
        loss = model(input_ids=ids, labels=labels).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.05, f"tiny policy did not fit the target (loss {loss.item():.3f})"
    return model


def test_grpo_trainer_runs_with_our_reward(tmp_path):
    import torch
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    torch.set_num_threads(1)
    tok = chat_tokenizer()
    prompt = [{"role": "user", "content": "add"}]
    prompt_text = tok.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
    model = _overfit_tiny_policy(tok, prompt_text, GOOD)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}

    rows = trl_dataset_rows([ADD])
    for r in rows:
        r["prompt"] = prompt
    dataset = Dataset.from_list(rows * 4)
    scorer = ThinkLength()
    reward = ReCodeReward(RewardConfig(kind="recode"), scorer, max_workers=2)
    args = GRPOConfig(
        output_dir=str(tmp_path / "grpo"), per_device_train_batch_size=4, num_generations=4,
        max_completion_length=len(GOOD) + 8, max_steps=2, learning_rate=1e-3, lr_scheduler_type="constant",
        beta=0.0, use_vllm=False, report_to="none", logging_steps=1, save_strategy="no", temperature=1.0,
        use_cpu=True, seed=0, disable_dropout=True,
    )
    trainer = GRPOTrainer(model=model, reward_funcs=[reward], args=args, train_dataset=dataset,
                          processing_class=tok)
    trainer.train()

    logs = [entry for entry in trainer.state.log_history if "recode/format_rate" in entry]
    assert len(logs) == 2, trainer.state.log_history
    for entry in logs:
        for key in ("recode/format_rate", "recode/outcome_rate", "recode/test_pass_rate", "recode/reward_mean",
                    "recode/exec_timeout", "recode/exec_runtime_error", "recode/exec_syntax_error",
                    "recode/scorer_calls", "recode/scorer_calls_saved", "recode/scorer_latency_s",
                    "recode/time_execution_s", "recode/time_scoring_s"):
            assert key in entry, key
        assert 0.0 <= entry["recode/format_rate"] <= 1.0
        assert entry["recode/scorer_calls"] + entry["recode/scorer_calls_saved"] == 4
        # TRL's own reward column is exactly our reward's batch mean
        assert entry["rewards/recode_recode/mean"] == pytest.approx(entry["recode/reward_mean"], abs=1e-5)
    # the overfit policy mostly writes the correct program, so tests really ran and passed
    assert max(e["recode/outcome_rate"] for e in logs) > 0
    assert any("recode/process_gated_mean" in e for e in logs) and scorer.calls >= 1
    changed = any(not torch.equal(before[n], p) for n, p in model.named_parameters())
    assert changed, "no parameter changed after GRPO steps"


def test_math_rows_carry_the_answer_not_tests():
    half = Problem(task_id="half", prompt="Half of 1?", answer="\\frac{1}{2}")
    row = trl_dataset_rows([half])[0]
    assert row["answer"] == "\\frac{1}{2}" and row["tests"] is None and "\\boxed{}" in row["prompt"][1]["content"]
    reward = ReCodeReward(RewardConfig(kind="math"))
    # a math-only dataset needs no tests column at all
    out = reward(prompts=[row["prompt"]] * 2, completions=["<answer>\\boxed{1/2}</answer>", "<answer>\\boxed{2}</answer>"],
                 problem=[row["problem"]] * 2, answer=[row["answer"]] * 2, task_id=["half"] * 2)
    assert out == pytest.approx([1.0, 0.0])  # no <think>: format 0; the answer alone scores R_out
