"""Scoring with a reward model: the scoring card, `sigmoid`, and the one reward-model loader.

`scoring_card.json`, written next to every checkpoint `recode train-rm` produces, tells any
consumer how to build the model's input (`ScoringCard`; the process scorer of `recode_rl.rewards`
and `recode eval-rm` both read it through `read_card`):

    {"template": "...{problem}...{reasoning}...", "max_length": 1024,
     "truncation": "reasoning_middle", "mapping": "sigmoid",
     "backbone": "<model the head was trained on>", "trained_on": {...}}

`mapping: sigmoid` means the RL reward is sigmoid(raw head output): the paper's R_proc lies in
[0, 1] (it saturates near 1.0, Fig. 3d) but the paper does not state the mapping; sigmoid is ours.

`RewardModel` scores (problem, reasoning) pairs with any HF sequence-classification model with
one label, and is itself a process scorer (`score` -> sigmoid in [0, 1]). `RewardModel.load` is
the only way a reward-model folder is loaded (RL scorer, `recode score`, `recode serve-scorer`,
`recode eval-rm`): input from our checkpoints' card, or for an off-the-shelf reward model
(`input_format="chat"`) the tokenizer's chat template with the problem as the user turn and the
response as the assistant turn, which is how RewardBench feeds classifier RMs. Inputs are
sorted by length before batching to cut padding; scores come back in input order.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from recode_rl.errors import DataError
from recode_rl.reward_model.encoding import DEFAULT_TEMPLATE, TRUNCATION_POLICIES, check_template, encode, render

__all__ = ["CARD_FILE", "CARD_KEYS", "DEFAULT_CARD", "InputFormat", "ScoringCard", "write_card", "read_card",
           "RewardModel", "sigmoid"]

CARD_FILE = "scoring_card.json"
CARD_KEYS = ("template", "max_length", "truncation", "mapping", "backbone", "trained_on")
InputFormat = Literal["auto", "card", "chat", "template"]
_PLACEHOLDER_P = "\x00PROBLEM\x00"
_PLACEHOLDER_R = "\x00REASONING\x00"


def sigmoid(x: float) -> float:
    """1 / (1 + e^-x), numerically stable in both tails (no OverflowError at |x| = 1000)."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _card_problem(key: str, value: Any) -> str | None:
    """Why `value` is not a valid card `key`, or None."""
    if key == "template":
        try:
            check_template(value)
        except (ValueError, AttributeError, TypeError) as exc:
            return str(exc)
    elif key == "max_length" and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
        return f"must be a positive integer, got {value!r}"
    elif key == "truncation" and value not in TRUNCATION_POLICIES:
        return f"must be one of {TRUNCATION_POLICIES}, got {value!r}"
    elif key == "mapping" and value != "sigmoid":
        return f"only 'sigmoid' is supported, got {value!r}"
    return None


@dataclass(frozen=True)
class ScoringCard:
    """How (problem, reasoning) becomes the reward model's input, and how its output becomes a score."""

    template: str = DEFAULT_TEMPLATE
    max_length: int = 1024
    truncation: str = "reasoning_middle"   # a policy of recode_rl.reward_model.encoding
    mapping: str = "sigmoid"               # raw head output -> [0, 1]
    backbone: str | None = None
    trained_on: Any = None
    source: str = field(default="default", compare=False)   # where it was read from (messages only)

    def __post_init__(self) -> None:
        for key in ("template", "max_length", "truncation", "mapping"):
            problem = _card_problem(key, getattr(self, key))
            if problem:
                raise ValueError(f"scoring card {key}: {problem}")

    def render(self, problem: str, reasoning: str) -> str:
        # one pass, so a problem that itself contains "{reasoning}" is not substituted into
        return render(self.template, problem, reasoning)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (`scoring_card.json`): exactly CARD_KEYS."""
        return {key: getattr(self, key) for key in CARD_KEYS}

    @classmethod
    def from_dict(cls, card: Any, source: str | Path = "<dict>") -> "ScoringCard":
        """Validate a JSON object; DataError names the source and the key."""
        if not isinstance(card, dict):
            raise DataError.at(source, "must be a JSON object")
        for key in ("template", "max_length", "truncation"):
            if key not in card:
                raise DataError.at(source, "missing", field=key)
        for key in CARD_KEYS:
            if key in card:
                problem = _card_problem(key, card[key])
                if problem:
                    raise DataError.at(source, problem, field=key)
        return cls(**{key: card[key] for key in CARD_KEYS if key in card}, source=str(source))


DEFAULT_CARD = ScoringCard()


def write_card(folder: str | Path, card: ScoringCard) -> Path:
    """Write `scoring_card.json` into a checkpoint folder."""
    path = Path(folder) / CARD_FILE
    path.write_text(json.dumps(card.to_dict(), indent=2) + "\n")
    return path


def read_card(path: str | Path) -> ScoringCard:
    """Read and validate a scoring card: a `scoring_card.json` file, or a folder containing one."""
    path = Path(path)
    path = path / CARD_FILE if path.is_dir() else path
    try:
        card = json.loads(path.read_text())
    except FileNotFoundError:
        raise DataError.at(path, "scoring card not found") from None
    except json.JSONDecodeError as exc:
        raise DataError.at(path, f"not valid JSON: {exc}") from None
    return ScoringCard.from_dict(card, path)


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
    """A scalar-head reward model with its scoring card; a process scorer (`score` in [0, 1]).

    `raw_scores` -> head outputs (what `recode eval-rm` compares); `score` -> sigmoid of them,
    validated, with a lock so one instance can be shared by server threads.
    """

    enabled = True

    def __init__(self, model: Any, tokenizer: Any, card: ScoringCard = DEFAULT_CARD, *, name: str = "reward-model",
                 batch_size: int = 8) -> None:
        from recode_rl.models import ensure_pad_token

        if getattr(model.config, "num_labels", 1) != 1:
            raise ValueError(f"{name}: a reward model needs num_labels=1, got {model.config.num_labels}")
        ensure_pad_token(tokenizer, model)
        self.model, self.tokenizer, self.card, self.name = model.eval(), tokenizer, card, name
        self.batch_size = batch_size
        self.truncated = 0            # inputs cut to max_length by `score` so far (per the card's policy)
        self._lock = threading.Lock()  # one forward at a time when shared by server threads

    @property
    def template(self) -> str:
        return self.card.template

    @property
    def max_length(self) -> int:
        return self.card.max_length

    @property
    def truncation(self) -> str:
        return self.card.truncation

    @classmethod
    def load(cls, path: str | Path, *, input_format: InputFormat = "auto", card: str | Path | None = None,
             template: str | None = None, max_length: int | None = None, truncation: str | None = None,
             device: str | None = None, dtype: str = "float32", batch_size: int = 8) -> "RewardModel":
        """Load a reward-model folder (or hub id when online) with its input recipe.

        input_format: `card` = the folder's scoring card (or the file `card`), an error when there
        is none; `chat` = the tokenizer's chat template; `template` = DEFAULT_TEMPLATE;
        `auto` = the card if there is one, else chat. `template` / `max_length` / `truncation`
        override the chosen recipe. `device` None = cuda when available, else cpu; `dtype` a
        torch dtype name or "auto" (the checkpoint's). max_length is clamped to the backbone's
        positions and the tokenizer's limit.
        """
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        from recode_rl.models import resolve_model

        local = resolve_model(str(path))
        found = read_card(card) if card is not None else (
            read_card(local) if (Path(local) / CARD_FILE).is_file() else None)
        if input_format == "auto":
            input_format = "card" if found else "chat"
        if input_format == "card" and found is None:
            raise DataError.at(local, f"no {CARD_FILE}; use input_format=chat or template")
        tokenizer = AutoTokenizer.from_pretrained(local)
        model = AutoModelForSequenceClassification.from_pretrained(
            local, num_labels=1, dtype=dtype if dtype == "auto" else getattr(torch, dtype))
        model.to(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        if input_format == "card":
            recipe = found
        elif input_format == "chat":
            if not getattr(tokenizer, "chat_template", None):
                raise DataError.at(local, "tokenizer has no chat template; use input_format=template")
            recipe = ScoringCard(template=chat_template_as_template(tokenizer), max_length=2048, source="chat template")
        else:
            recipe = DEFAULT_CARD
        overrides = {k: v for k, v in (("template", template), ("max_length", max_length), ("truncation", truncation))
                     if v is not None}
        recipe = replace(recipe, **overrides)
        # never feed more tokens than the backbone has positions (e.g. 512 for BERT-like encoders)
        limits = [recipe.max_length, getattr(model.config, "max_position_embeddings", None),
                  tokenizer.model_max_length if tokenizer.model_max_length < 1_000_000 else None]
        recipe = replace(recipe, max_length=min(x for x in limits if x))
        return cls(model, tokenizer, recipe, name=str(path), batch_size=batch_size)

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
        # pad with the id the model's head uses to find each row's last real token (ensure_pad_token
        # made it the tokenizer's)
        pad = self.model.config.pad_token_id
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
        from recode_rl.rewards.scorer import check_scores

        if len(problems) != len(reasonings):
            raise ValueError(f"score(): {len(problems)} problems but {len(reasonings)} reasonings")
        if not problems:
            return []
        with self._lock:
            raw, truncated = self.raw_scores(list(problems), list(reasonings), batch_size=self.batch_size)
            self.truncated += truncated
        return check_scores([sigmoid(x) for x in raw], len(problems), self.name)
