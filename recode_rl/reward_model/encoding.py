"""How (problem, reasoning) becomes reward-model input ids, including the truncation policy.

The input text is `template` with `{problem}` and `{reasoning}` filled in once each (one pass,
so braces inside the problem are never substituted). The text is tokenized as a whole with
the tokenizer's own special tokens, so an input that fits is exactly `tokenizer(text)` —
the same ids any other scorer computes from the same text. No EOS is appended: a
sequence-classification head reads the last non-pad token (decoder) or the CLS token
(encoder), and appending EOS would make the ids differ from plain tokenization.

Inputs longer than `max_length` are never dropped (TRL's RewardTrainer silently filters them
out; we truncate first so its filter has nothing to remove). Policies (`truncation`):

- `reasoning_middle` (default): the template text and special tokens are always kept; the
  problem keeps its head (the statement opens with the task) but gets at most
  `problem_share` of the content budget when the reasoning needs the room; the reasoning
  loses tokens from its *middle*, keeping its opening (problem dissection, plan) and its
  ending (conclusion). Both sides of a pair keep their endings, so the commonest
  degradation — a reasoning that stops early — survives truncation.
- `reasoning_left`: as above, but the reasoning keeps only its last tokens.
- `left` / `right`: the tokenizer's own behaviour on the whole text (keep the last / first
  `max_length` tokens, special tokens kept) — for scorers that only know plain tokenizers.

Each encoding reports whether it was truncated and how many tokens each part lost, so the
trainer can count the pairs truncation touched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "DEFAULT_TEMPLATE", "TRUNCATION_POLICIES", "Truncation", "Encoded", "render", "check_template",
    "encode", "encode_many",
]

DEFAULT_TEMPLATE = "### Problem\n{problem}\n\n### Reasoning\n{reasoning}"
Truncation = Literal["reasoning_middle", "reasoning_left", "left", "right"]
TRUNCATION_POLICIES: tuple[str, ...] = ("reasoning_middle", "reasoning_left", "left", "right")
_FIELD = re.compile(r"\{(problem|reasoning)\}")


@dataclass(frozen=True)
class Encoded:
    ids: list[int]
    truncated: bool = False
    problem_cut: int = 0      # problem tokens removed
    reasoning_cut: int = 0    # reasoning tokens removed
    other_cut: int = 0        # template tokens removed (only by the plain left/right policies)


def check_template(template: str) -> None:
    """A template must contain `{problem}` and `{reasoning}` exactly once each."""
    for name in ("problem", "reasoning"):
        count = template.count("{" + name + "}")
        if count != 1:
            raise ValueError(f"template must contain {{{name}}} exactly once, found {count}: {template!r}")


def _render_spans(template: str, problem: str, reasoning: str) -> tuple[str, dict[str, tuple[int, int]]]:
    values = {"problem": problem, "reasoning": reasoning}
    parts: list[str] = []
    spans: dict[str, tuple[int, int]] = {}
    pos = 0
    length = 0
    for m in _FIELD.finditer(template):
        literal = template[pos:m.start()]
        parts.append(literal)
        length += len(literal)
        value = values[m.group(1)]
        spans[m.group(1)] = (length, length + len(value))
        parts.append(value)
        length += len(value)
        pos = m.end()
    parts.append(template[pos:])
    return "".join(parts), spans


def render(template: str, problem: str, reasoning: str) -> str:
    """The model's input text for one (problem, reasoning)."""
    return _render_spans(template, problem, reasoning)[0]


def _keep_middle_out(n: int, keep: int) -> list[int]:
    """Indices 0..n-1 keeping the first floor(keep/2) and the last ceil(keep/2)."""
    if keep >= n:
        return list(range(n))
    head = keep // 2
    tail = keep - head
    return list(range(head)) + list(range(n - tail, n))


def encode(tokenizer: Any, problem: str, reasoning: str, *, template: str = DEFAULT_TEMPLATE,
           max_length: int = 1024, truncation: str = "reasoning_middle", problem_share: float = 0.5) -> Encoded:
    """Token ids for one input under a truncation policy (see the module docstring).

    Needs a fast tokenizer (character offsets). Raises ValueError when the template and the
    special tokens alone do not fit in `max_length`.
    """
    if truncation not in TRUNCATION_POLICIES:
        raise ValueError(f"unknown truncation policy {truncation!r}; known: {', '.join(TRUNCATION_POLICIES)}")
    if not 0.0 < problem_share < 1.0:
        raise ValueError(f"problem_share must be in (0, 1), got {problem_share}")
    text, spans = _render_spans(template, problem, reasoning)
    enc = tokenizer(text, add_special_tokens=True, return_offsets_mapping=True, truncation=False)
    ids: list[int] = list(enc["input_ids"])
    if len(ids) <= max_length:
        return Encoded(ids)

    # Assign each token to the part its first character belongs to; special tokens have
    # empty offsets and count as fixed (never removed).
    kind: list[str] = []
    for start, end in enc["offset_mapping"]:
        if end <= start:
            kind.append("special")
        elif "problem" in spans and spans["problem"][0] <= start < spans["problem"][1]:
            kind.append("problem")
        elif spans["reasoning"][0] <= start < spans["reasoning"][1]:
            kind.append("reasoning")
        else:
            kind.append("template")

    if truncation in ("left", "right"):
        removable = [i for i, k in enumerate(kind) if k != "special"]
        n_remove = len(ids) - max_length
        if n_remove > len(removable):
            raise ValueError(f"max_length {max_length} is smaller than the tokenizer's special tokens")
        drop = set(removable[:n_remove] if truncation == "left" else removable[len(removable) - n_remove:])
        kept = [i for i in range(len(ids)) if i not in drop]
        cut = {k: sum(1 for i in drop if kind[i] == k) for k in ("problem", "reasoning", "template")}
        return Encoded([ids[i] for i in kept], True, cut["problem"], cut["reasoning"], cut["template"])

    problem_idx = [i for i, k in enumerate(kind) if k == "problem"]
    reasoning_idx = [i for i, k in enumerate(kind) if k == "reasoning"]
    n_fixed = len(ids) - len(problem_idx) - len(reasoning_idx)
    budget = max_length - n_fixed
    if budget < 2:
        raise ValueError(
            f"max_length {max_length} leaves no room for content: the template and special tokens "
            f"take {n_fixed} tokens"
        )
    n_p, n_r = len(problem_idx), len(reasoning_idx)
    # The reasoning has priority; the problem keeps at least `problem_share` of the budget
    # (or less when it is shorter) and whatever the reasoning leaves unused.
    p_keep = min(n_p, max(budget - n_r, int(budget * problem_share)))
    r_keep = budget - p_keep
    if truncation == "reasoning_middle":
        r_kept = [reasoning_idx[j] for j in _keep_middle_out(n_r, r_keep)]
    else:  # reasoning_left
        r_kept = reasoning_idx[n_r - r_keep:] if r_keep > 0 else []
    keep = set(problem_idx[:p_keep]) | set(r_kept) | {i for i, k in enumerate(kind) if k in ("special", "template")}
    return Encoded([ids[i] for i in range(len(ids)) if i in keep], True, n_p - p_keep, n_r - len(r_kept), 0)


def encode_many(tokenizer: Any, problems: list[str], reasonings: list[str], **kwargs: Any) -> list[Encoded]:
    """`encode` over parallel lists."""
    if len(problems) != len(reasonings):
        raise ValueError(f"{len(problems)} problems but {len(reasonings)} reasonings")
    return [encode(tokenizer, p, r, **kwargs) for p, r in zip(problems, reasonings)]
