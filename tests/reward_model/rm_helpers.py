"""Helpers for reward-model tests: tiny in-process backbones and synthetic preference data (no hub)."""

from __future__ import annotations

import json
import random
from pathlib import Path

WORDS = [f"w{i}" for i in range(40)] + ["step", "then", "so", "the", "answer", "is", "therefore", "done",
                                         "problem", "read", "n", "numbers", "print", "sum", "###", "Problem",
                                         "Reasoning", "check", "edge", "case"]


def tiny_tokenizer():
    """A fast word-level tokenizer (with character offsets) built in memory."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {tok: i for i, tok in enumerate(["<pad>", "<unk>", "<eos>"] + WORDS)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", unk_token="<unk>", eos_token="<eos>")


def tiny_llama(vocab_size: int, seed: int = 0):
    """A 2-layer, 32-wide Llama with a scalar head, randomly initialised."""
    import torch
    from transformers import LlamaConfig, LlamaForSequenceClassification

    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                         num_labels=1, pad_token_id=0, tie_word_embeddings=False)
    return LlamaForSequenceClassification(config)


def tiny_base_folder(folder: Path) -> Path:
    """A 1-layer base causal LM (no reward head) with the tiny tokenizer, saved to `folder`."""
    from transformers import LlamaConfig, LlamaForCausalLM

    tok = tiny_tokenizer()
    LlamaForCausalLM(LlamaConfig(vocab_size=len(tok), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                 num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=64,
                                 pad_token_id=0)).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def make_pairs(n_problems: int, per_problem: int, seed: int) -> list[dict]:
    """Chosen = a full reasoning ending in a conclusion; rejected = the same cut off halfway."""
    rng = random.Random(seed)
    rows = []
    for p in range(n_problems):
        prompt = "read n numbers print the sum " + " ".join(rng.choice(WORDS[:40]) for _ in range(4))
        for k in range(per_problem):
            steps = [" ".join(["step"] + [rng.choice(WORDS[:40]) for _ in range(rng.randint(2, 4))])
                     for _ in range(rng.randint(3, 5))]
            full = " then ".join(steps) + " therefore the answer is done"
            words = full.split()
            cut = " ".join(words[: len(words) // 2])
            rows.append({"prompt": prompt, "chosen": full, "rejected": cut, "problem_id": f"p{p}",
                         "pair_type": "opt>deg", "generator": "synthetic"})
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def restrict_cli(monkeypatch, *names: str) -> None:
    """Build the real `recode` parser with only these commands (other stages may be mid-edit)."""
    from recode_rl import cli

    monkeypatch.setattr(cli, "COMMANDS", {n: cli.COMMANDS[n] for n in names})
