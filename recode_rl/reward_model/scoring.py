"""Scoring with a reward model: the scoring card and a batched scalar-head scorer.

`scoring_card.json`, written next to every checkpoint `recode train-rm` produces, tells any
consumer how to build the model's input (the process scorer of `recode_rl.rewards` reads it):

    {"template": "...{problem}...{reasoning}...", "max_length": 1024,
     "truncation": "reasoning_middle", "mapping": "sigmoid",
     "backbone": "<model the head was trained on>", "trained_on": {...}}

`mapping: sigmoid` means the RL reward is sigmoid(raw head output), as in the paper.

`RewardModel` scores (problem, reasoning) pairs with any HF sequence-classification model with
one label: our checkpoints (input built from the card), or an off-the-shelf reward model
(`input_format="chat"`: the tokenizer's chat template with the problem as the user turn and the
response as the assistant turn, which is how RewardBench feeds classifier RMs). Inputs are
sorted by length before batching to cut padding; scores come back in input order.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Literal

from recode_rl.errors import DataError
from recode_rl.reward_model.encoding import DEFAULT_TEMPLATE, TRUNCATION_POLICIES, check_template, encode

__all__ = ["CARD_FILE", "CARD_KEYS", "write_card", "read_card", "RewardModel", "sigmoid"]

CARD_FILE = "scoring_card.json"
CARD_KEYS = ("template", "max_length", "truncation", "mapping", "backbone", "trained_on")
InputFormat = Literal["auto", "card", "chat", "template"]
_PLACEHOLDER_P = "\x00PROBLEM\x00"
_PLACEHOLDER_R = "\x00REASONING\x00"


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def write_card(folder: str | Path, *, template: str, max_length: int, truncation: str, backbone: str,
               trained_on: Any) -> Path:
    """Write `scoring_card.json` into a checkpoint folder."""
    check_template(template)
    if truncation not in TRUNCATION_POLICIES:
        raise ValueError(f"unknown truncation {truncation!r}")
    card = {"template": template, "max_length": int(max_length), "truncation": truncation,
            "mapping": "sigmoid", "backbone": backbone, "trained_on": trained_on}
    path = Path(folder) / CARD_FILE
    path.write_text(json.dumps(card, indent=2) + "\n")
    return path


def read_card(folder: str | Path) -> dict[str, Any]:
    """Read and validate a checkpoint's scoring card."""
    path = Path(folder)
    path = path / CARD_FILE if path.is_dir() else path
    try:
        card = json.loads(path.read_text())
    except FileNotFoundError:
        raise DataError.at(path, "scoring card not found") from None
    except json.JSONDecodeError as exc:
        raise DataError.at(path, f"not valid JSON: {exc}") from None
    if not isinstance(card, dict):
        raise DataError.at(path, "must be a JSON object")
    for key in ("template", "max_length", "truncation"):
        if key not in card:
            raise DataError.at(path, "missing", field=key)
    try:
        check_template(card["template"])
    except (ValueError, AttributeError, TypeError) as exc:
        raise DataError.at(path, str(exc), field="template") from None
    if isinstance(card["max_length"], bool) or not isinstance(card["max_length"], int) or card["max_length"] <= 0:
        raise DataError.at(path, f"must be a positive integer, got {card['max_length']!r}", field="max_length")
    if card["truncation"] not in TRUNCATION_POLICIES:
        raise DataError.at(path, f"must be one of {TRUNCATION_POLICIES}, got {card['truncation']!r}", field="truncation")
    if card.get("mapping", "sigmoid") != "sigmoid":
        raise DataError.at(path, f"only 'sigmoid' is supported, got {card['mapping']!r}", field="mapping")
    return card


def chat_template_as_template(tokenizer: Any) -> str:
    """The tokenizer's chat template rendered around `{problem}` (user) and `{reasoning}` (assistant)."""
    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": _PLACEHOLDER_P}, {"role": "assistant", "content": _PLACEHOLDER_R}],
        tokenize=False,
    )
    if text.count(_PLACEHOLDER_P) != 1 or text.count(_PLACEHOLDER_R) != 1:
        raise ValueError("the tokenizer's chat template does not keep the message contents verbatim")
    return text.replace(_PLACEHOLDER_P, "{problem}").replace(_PLACEHOLDER_R, "{reasoning}")


class RewardModel:
    """A scalar-head reward model with its input recipe. `raw_scores` -> head outputs."""

    def __init__(self, model: Any, tokenizer: Any, *, template: str = DEFAULT_TEMPLATE, max_length: int = 1024,
                 truncation: str = "reasoning_middle", name: str = "reward-model") -> None:
        check_template(template)
        if getattr(model.config, "num_labels", 1) != 1:
            raise ValueError(f"{name}: a reward model needs num_labels=1, got {model.config.num_labels}")
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        if getattr(model.config, "pad_token_id", None) is None:
            model.config.pad_token_id = tokenizer.pad_token_id
        self.model, self.tokenizer = model.eval(), tokenizer
        self.template, self.max_length, self.truncation, self.name = template, max_length, truncation, name

    @classmethod
    def load(cls, path: str, *, input_format: InputFormat = "auto", template: str | None = None,
             max_length: int | None = None, truncation: str | None = None, device: str = "cpu",
             dtype: str = "float32") -> "RewardModel":
        """Load a checkpoint folder (or hub id when online). `auto` = the card if present, else chat."""
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        from recode_rl.models import resolve_model

        local = resolve_model(path)
        card = read_card(local) if (Path(local) / CARD_FILE).is_file() else None
        if input_format == "auto":
            input_format = "card" if card else "chat"
        if input_format == "card" and card is None:
            raise DataError.at(local, f"no {CARD_FILE}; use input_format=chat or template")
        tokenizer = AutoTokenizer.from_pretrained(local)
        model = AutoModelForSequenceClassification.from_pretrained(local, num_labels=1, dtype=getattr(torch, dtype))
        model.to(device)
        if input_format == "card":
            tpl, ml, tr = card["template"], card["max_length"], card["truncation"]
        elif input_format == "chat":
            if not getattr(tokenizer, "chat_template", None):
                raise DataError.at(local, "tokenizer has no chat template; use input_format=template")
            tpl, ml, tr = chat_template_as_template(tokenizer), 2048, "reasoning_middle"
        else:
            tpl, ml, tr = DEFAULT_TEMPLATE, 1024, "reasoning_middle"
        positions = getattr(model.config, "max_position_embeddings", None)
        ml = min(ml, positions) if positions else ml  # never more tokens than the backbone has positions
        return cls(model, tokenizer, template=template or tpl, max_length=max_length or ml,
                   truncation=truncation or tr, name=str(path))

    @property
    def device(self) -> Any:
        return next(self.model.parameters()).device

    def raw_scores(self, problems: list[str], reasonings: list[str], *, batch_size: int = 8,
                   progress: bool | str = False) -> tuple[list[float], int]:
        """Head outputs in input order, and how many inputs were truncated."""
        import torch
        from tqdm.auto import tqdm

        encoded = [encode(self.tokenizer, p, r, template=self.template, max_length=self.max_length,
                          truncation=self.truncation) for p, r in zip(problems, reasonings, strict=True)]
        order = sorted(range(len(encoded)), key=lambda i: -len(encoded[i].ids))
        scores: list[float] = [math.nan] * len(encoded)
        # pad with the id the model's head uses to find each row's last real token
        pad = self.model.config.pad_token_id if self.model.config.pad_token_id is not None else self.tokenizer.pad_token_id
        bar = tqdm(total=len(order), desc=progress if isinstance(progress, str) else "scoring",
                   disable=not progress, unit="seq")
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                idx = order[start:start + batch_size]
                width = max(len(encoded[i].ids) for i in idx)
                ids = torch.full((len(idx), width), pad, dtype=torch.long)
                mask = torch.zeros((len(idx), width), dtype=torch.long)
                for row, i in enumerate(idx):
                    seq = encoded[i].ids
                    ids[row, :len(seq)] = torch.tensor(seq)
                    mask[row, :len(seq)] = 1
                logits = self.model(input_ids=ids.to(self.device), attention_mask=mask.to(self.device)).logits
                for row, i in enumerate(idx):
                    scores[i] = float(logits[row, 0].float())
                bar.update(len(idx))
        bar.close()
        return scores, sum(e.truncated for e in encoded)

    def score(self, problems: list[str], reasonings: list[str]) -> list[float]:
        """Scores in [0, 1] (sigmoid of the head) — the process-scorer protocol."""
        return [sigmoid(s) for s in self.raw_scores(problems, reasonings)[0]]
