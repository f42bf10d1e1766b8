"""Parse generator output into base reasoning, rewritten reasoning and quality scores.

Every parser returns a `Parsed` with either the kept text or a drop `reason` from a
fixed vocabulary (counted in stats.json), plus non-fatal `notes`. Nothing malformed is
kept silently: a sample is either kept (possibly with notes saying what was tolerated)
or dropped with its reason.

Drop reasons: generation_error, empty, truncated, no_header, wrong_section, contains_code,
code_only, too_short, unchanged (rewrites), missing_scores / out_of_range (scores).

Rules (documented in docs/synthesis.md):
- An outer code fence around the whole answer (```markdown ... ```) is unwrapped.
- Section headers are recognised in the forms models actually emit: `[Optimized CoT]`,
  `**[Degraded CoT]**`, `## Optimized Reasoning`, `**Explanation:**`, `Explanation: ...`
  (text after the colon belongs to the section), case-insensitive, "optimised"/
  "chain of thought" variants. A bare line like "Degraded reasoning is ..." is prose,
  not a header: a header needs brackets, `#`, bold, a colon, or a line of its own.
- Reasoning must contain no code (the base CoT is reasoning only, and rewrites are held to
  the same rule so that "has code" cannot become the learned signal). Code = a fenced
  block whose language tag is not markdown/md/text, an unclosed fence, or an unfenced
  line starting with `def `/`class `/`import `/`from x import` up to the next blank line.
  `code_policy="strip"` removes such code (note `code_stripped`; if what remains is too
  short the sample is dropped as `code_only`); `code_policy="drop"` drops the sample
  (`contains_code`).
- A rewrite whose answer has no CoT header is dropped (`no_header`) unless
  `require_header=False`, in which case everything before an `[Explanation]` header (or
  the whole answer) is taken as the rewrite and noted `no_header_lenient`. The embedded
  SmolLM2-135M default uses this lenient rule; the paper config does not.
- `finish_reason == "length"` drops the sample (`truncated`) when `drop_truncated`,
  except for a rewrite whose `[Explanation]` had already started (its CoT is complete).
- A rewrite equal to the original after normalising case, whitespace and Markdown marks
  is dropped (`unchanged`): it carries no preference signal.
- Scores (score-based baseline, paper Fig. 10): one number in [0, 1] (or `x/10`), the first in
  the reply; values off the 0.1 grid are rounded (note `off_grid`). A reply in the per-flaw
  format (`<flaw>: <number>` for each of five flaws) gives overall = the mean of the five.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field

from recode_rl.config import StageConfig
from recode_rl.generation.types import Completion

__all__ = [
    "ParseRules", "Parsed", "ScoresParsed", "parse_base", "parse_rewrite", "parse_scores", "find_methods",
    "strip_code", "normalise_text", "FLAWS", "DEGRADATION_METHODS", "OPTIMIZATION_METHODS",
]


class ParseRules(StageConfig):
    require_header: bool = True
    code_policy: Literal["strip", "drop"] = "strip"
    min_chars: int = Field(40, ge=1)
    drop_truncated: bool = True


@dataclass(frozen=True)
class Parsed:
    text: str | None                  # kept reasoning, None when dropped
    reason: str | None = None         # drop reason, None when kept
    explanation: str = ""
    notes: tuple[str, ...] = ()

    @property
    def kept(self) -> bool:
        return self.text is not None


def _drop(reason: str, notes: list[str] | tuple[str, ...] = (), explanation: str = "") -> Parsed:
    return Parsed(None, reason, explanation, tuple(notes))


# ---------------------------------------------------------------- fences and code
_FENCE = re.compile(r"^[ \t]*(```+|~~~+)[ \t]*([\w+#.-]*)[^\n]*$", re.M)
_PROSE_LANGS = {"", "markdown", "md", "text", "txt", "plain", "plaintext"}
_CODE_LINE = re.compile(r"^(def |class |import \w|from [\w.]+ import )")


def _unwrap_outer_fence(text: str) -> tuple[str, bool]:
    """`text` without a prose fence that wraps the whole answer."""
    m = re.fullmatch(r"\s*(```+|~~~+)[ \t]*(\w*)[ \t]*\n(.*?)\n[ \t]*\1[ \t]*\s*", text, re.S)
    if not m:
        return text, False
    lang = m.group(2).lower()
    if lang in _PROSE_LANGS and (lang != "" or not _looks_like_code(m.group(3))):
        return m.group(3), True
    return text, False


def _looks_like_code(text: str) -> bool:
    return any(_CODE_LINE.match(line) for line in text.splitlines())


def strip_code(text: str) -> tuple[str, int]:
    """Remove code from reasoning (see module rules). Returns (prose, number of code pieces removed).

    Fenced blocks tagged markdown/md/text keep their content (only the fence lines go).
    An untagged fence counts as code only if its content looks like code.
    """
    out: list[str] = []
    removed = 0
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        m = _FENCE.match(line)
        if m:
            marker, lang = m.group(1), m.group(2).lower()
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith(marker[:3]):
                j += 1
            body = lines[i + 1:j]
            if lang in _PROSE_LANGS and (lang != "" or not _looks_like_code("\n".join(body))):
                out.extend(body)
            else:
                removed += 1  # code block (or an unclosed fence: the rest is code)
            i = j + 1
            continue
        if _CODE_LINE.match(line):
            removed += 1
            while i < len(lines) and lines[i].strip():
                i += 1
            continue
        out.append(line)
        i += 1
    prose = re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()
    return prose, removed


def _apply_code_policy(text: str, rules: ParseRules, notes: list[str]) -> tuple[str | None, str | None]:
    prose, removed = strip_code(text)
    if not removed:
        return text, None
    if rules.code_policy == "drop":
        return None, "contains_code"
    notes.append("code_stripped")
    if len(prose) < rules.min_chars:
        return None, "code_only"
    return prose, None


# ---------------------------------------------------------------- headers
_HEADER = re.compile(
    r"""^[ \t]*(?P<hash>\#{1,6}[ \t]*)?(?P<open>[*_]{1,3})?[ \t]*(?P<br>\[)?[ \t]*
    (?P<label>(?:optimi[sz]ed|improved|degraded|original)[ \t]+(?:cot|chain[ -]of[ -]thoughts?|reasoning)
             |explanations?)
    [ \t]*(?(br)\])[ \t]*(?P<colon1>:)?[ \t]*(?P<close>[*_]{1,3})?[ \t]*(?P<colon2>:)?[ \t]*(?P<rest>.*)$""",
    re.I | re.X,
)


def _kind(label: str) -> str:
    label = label.lower()
    if label.startswith("explanation"):
        return "explanation"
    if label.startswith(("optimi", "improved")):
        return "optimized"
    return "degraded" if label.startswith("degraded") else "original"


def _headers(text: str) -> list[tuple[int, str, str]]:
    """(line index, kind, inline rest) of each header line."""
    found = []
    for idx, line in enumerate(text.splitlines()):
        m = _HEADER.match(line)
        if not m:
            continue
        styled = m.group("hash") or m.group("open") or m.group("br") or m.group("colon1") or m.group("colon2")
        rest = m.group("rest").strip().strip("*_").strip()
        if styled or not rest:
            found.append((idx, _kind(m.group("label")), rest))
    return found


def _section(lines: list[str], headers: list[tuple[int, str, str]], k: int) -> str:
    start, _, rest = headers[k]
    end = headers[k + 1][0] if k + 1 < len(headers) else len(lines)
    body = ([rest] if rest else []) + lines[start + 1:end]
    return "\n".join(body).strip()


def normalise_text(text: str) -> str:
    return " ".join(re.sub(r"[#*_`>]", " ", text).lower().split())


# ---------------------------------------------------------------- parsers
def parse_base(completion: Completion, rules: ParseRules) -> Parsed:
    """The base reasoning t: the whole answer, reasoning only."""
    if completion.finish_reason == "error":
        return _drop("generation_error")
    notes: list[str] = []
    text, unwrapped = _unwrap_outer_fence(completion.text.strip())
    if unwrapped:
        notes.append("outer_fence")
    text = text.strip()
    if not text:
        return _drop("empty", notes)
    if completion.finish_reason == "length" and rules.drop_truncated:
        return _drop("truncated", notes)  # an unfinished base CoT is itself "incomplete reasoning"
    kept, reason = _apply_code_policy(text, rules, notes)
    if reason:
        return _drop(reason, notes)
    if len(kept) < rules.min_chars:
        return _drop("too_short", notes)
    return Parsed(kept, None, "", tuple(notes))


def parse_rewrite(completion: Completion, kind: Literal["optimized", "degraded"], original: str,
                  rules: ParseRules) -> Parsed:
    """An optimized (t+) or degraded (t-) rewrite of `original` and its explanation."""
    if completion.finish_reason == "error":
        return _drop("generation_error")
    notes: list[str] = []
    if not completion.text.strip():
        return _drop("empty")
    text, unwrapped = _unwrap_outer_fence(completion.text.strip())
    if unwrapped:
        notes.append("outer_fence")
    lines = text.splitlines()
    headers = _headers(text)
    targets = [k for k, h in enumerate(headers) if h[1] == kind]
    explanations = [k for k, h in enumerate(headers) if h[1] == "explanation"]
    explanation = _section(lines, headers, explanations[0]) if explanations else ""
    if not explanations:
        notes.append("no_explanation")
    if targets:
        if len(targets) > 1:
            notes.append("multiple_sections")
        # the first non-empty section of the requested kind (models sometimes repeat the header)
        first = next((k for k in targets if _section(lines, headers, k)), targets[0])
        body = _section(lines, headers, first)
        if "\n".join(lines[:headers[first][0]]).strip():
            notes.append("extra_prose")  # chatter before the section, e.g. "Sure! Here is ..."
        explanation_after_body = any(k > first for k in explanations)
    else:
        other = "degraded" if kind == "optimized" else "optimized"
        if any(h[1] == other for h in headers):
            return _drop("wrong_section", notes, explanation)
        if rules.require_header:
            return _drop("no_header", notes, explanation)
        notes.append("no_header_lenient")
        cut = headers[explanations[0]][0] if explanations else len(lines)
        body_lines = [ln for i, ln in enumerate(lines[:cut]) if not any(h[0] == i for h in headers)]
        body = "\n".join(body_lines).strip()
        explanation_after_body = bool(explanations)
    body, _ = _unwrap_outer_fence(body)
    body = body.strip()
    if not body:
        return _drop("empty", notes, explanation)
    if completion.finish_reason == "length" and rules.drop_truncated:
        if not explanation_after_body:
            return _drop("truncated", notes, explanation)
        notes.append("truncated_in_explanation")
    kept, reason = _apply_code_policy(body, rules, notes)
    if reason:
        return _drop(reason, notes, explanation)
    if len(kept) < rules.min_chars:
        return _drop("too_short", notes, explanation)
    if normalise_text(kept) == normalise_text(original):
        return _drop("unchanged", notes, explanation)
    return Parsed(kept, None, explanation, tuple(notes))


# ---------------------------------------------------------------- methods named in explanations
# Keyword patterns per method (matched case-insensitively in the explanation). The prompt
# asks for the method names verbatim, so the first pattern of each is the name itself.
DEGRADATION_METHODS: dict[str, tuple[str, ...]] = {  # the paper's five (Appendix A.6, Fig. 7)
    "factually_incorrect_reasoning": (r"factual", r"wrong formula", r"misstat",
                                      r"(wrong|incorrect) (complexity|constraint|formula)"),
    "irrelevant_or_misleading_path": (r"irrelevant", r"misleading", r"unnecessary step", r"distract"),
    "incomplete_reasoning": (r"incomplete", r"stops? (before|early)", r"cut (it )?(off|short)", r"unfinished"),
    "logical_gap_jump": (r"logical gap", r"\bgaps?\b", r"\bjump",
                         r"(removed|omitted|skipp?ed|missing) (a |the )?(key )?step"),
    "chaotic_or_acausal_reasoning": (r"chaotic", r"acausal", r"non-causal", r"out of order", r"confusing order",
                                     r"(shuffl|scrambl)"),
}
OPTIMIZATION_METHODS: dict[str, tuple[str, ...]] = {  # the paper's five (Appendix A.6, Fig. 8)
    "factual_verification_correction": (r"factual verification", r"factual", r"correct(ed|ing)? .*(error|mistake)",
                                        r"fix(ed)? .*(error|mistake|formula|complexity)"),
    "focusing_logic": (r"focusing logic", r"redundan", r"irrelevant", r"remov(e|ed|ing) .*(step|repetit)", r"concise"),
    "comprehensive_reasoning": (r"comprehensive", r"complete reasoning", r"complet(ed|ing) the", r"finish", r"incomplete"),
    "bridging_logical_gaps": (r"bridg", r"logical gap", r"\bgaps?\b", r"missing (key )?step"),
    "enhancing_logical_flow": (r"logical flow", r"reorder", r"re-order", r"(clear|logical|causal) (flow|order)",
                               r"restructur", r"reorganiz"),
}


def find_methods(explanation: str, methods: dict[str, tuple[str, ...]]) -> list[str]:
    """Names of the methods an explanation mentions (keyword match, in table order)."""
    low = explanation.lower()
    return [name for name, patterns in methods.items() if any(re.search(p, low) for p in patterns)]


# ---------------------------------------------------------------- scores
# Per-flaw labels (a user template may ask for one score per flaw, the format we used before
# following Fig. 10): flaw -> pattern matched against the label before the number.
FLAWS: dict[str, str] = {
    "factual_error": r"factual",
    "irrelevant_steps": r"irrelevant|redundan",
    "incomplete_reasoning": r"incomplete",
    "logical_gap": r"logic|gap",
    "chaotic_order": r"chaotic|order",
}
_SCORE_LINE = re.compile(
    r"^[ \t>*_#\-\d.)]*?(?P<label>[A-Za-z][A-Za-z /&-]*?)[ \t*_]*[:=][ \t*_]*"
    r"(?P<num>\d+(?:\.\d+)?|\.\d+)(?:[ \t]*/[ \t]*(?P<den>10|1(?:\.0)?)\b)?", re.M)
_NUMBER = re.compile(r"(?<![\w.])(?P<num>\d+(?:\.\d+)?|\.\d+)(?:[ \t]*/[ \t]*(?P<den>10|1(?:\.0)?)\b)?")


@dataclass(frozen=True)
class ScoresParsed:
    scores: dict[str, float] | None   # {"score": x} (one overall score), or the five per-flaw scores
    overall: float | None = None
    reason: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


def _value(m: re.Match[str]) -> float:
    value = float(m.group("num"))
    return value / 10.0 if m.group("den") == "10" else value


def _snap(value: float, notes: list[str]) -> float:
    snapped = round(value * 10) / 10
    if abs(snapped - value) > 1e-9:
        notes.append("off_grid")
    return snapped


def parse_scores(completion: Completion) -> ScoresParsed:
    """The score-based baseline's label: ONE quality score in [0, 1] on the 0.1 grid (paper Fig. 10).

    The reply should be the score alone ("0.7"); `Score: 0.7`, `**0.7**` and `7/10` are read too,
    and the first number counts (note `extra_text` when more text follows). A reply with per-flaw
    lines (`Factual ...: 0.8`, one per flaw of FLAWS, the format of a per-flaw template) gives
    five scores and overall = their mean; some but not all five is `missing_scores`.
    """
    if completion.finish_reason == "error":
        return ScoresParsed(None, reason="generation_error")
    notes: list[str] = []
    scores: dict[str, float] = {}
    for m in _SCORE_LINE.finditer(completion.text):
        label = m.group("label").lower()
        flaw = next((f for f, pat in FLAWS.items() if re.search(pat, label)), None)
        if flaw is None:
            continue
        if flaw in scores:
            notes.append("duplicate_score")
            continue
        value = _value(m)
        if not 0.0 <= value <= 1.0:
            return ScoresParsed(None, reason="out_of_range", notes=tuple(notes))
        scores[flaw] = _snap(value, notes)
    if scores:
        if len(scores) < len(FLAWS):
            return ScoresParsed(None, reason="missing_scores", notes=tuple(notes))
        ordered = {f: scores[f] for f in FLAWS}
        return ScoresParsed(ordered, round(sum(ordered.values()) / len(ordered), 4), None, tuple(notes + ["per_flaw"]))
    numbers = list(_NUMBER.finditer(completion.text))
    if not numbers:
        return ScoresParsed(None, reason="missing_scores")
    value = _value(numbers[0])
    if not 0.0 <= value <= 1.0:
        return ScoresParsed(None, reason="out_of_range")
    if len(numbers) > 1 or completion.text[numbers[0].end():].strip(" \t\n*_`.)]"):
        notes.append("extra_text")
    score = _snap(value, notes)
    return ScoresParsed({"score": score}, score, None, tuple(notes))
