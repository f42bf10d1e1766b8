"""Reading the LCB-RB judge's reply: is a response's reasoning flawed, sound, or not what the code implements?

The paper (MISSION Part 3, Appendix A.6 Fig. 9) asks GPT-4o, per sampled response, for line 1 exactly `Yes`
(reasoning flawed AND code consistent with it), `No` (reasoning sound AND code consistent) or
`None` (the code does not implement the reasoning), line 2 a justification. The prompt is
`recode_rl.prompts.judge.lcbrb_judge_prompt` (our wording of Fig. 9, with its structure).

`parse_judgement(text)` is forgiving about form and strict about meaning. It accepts case,
punctuation, markdown (`**Yes**`, `# No`, backticks, quotes), a label prefix (`Answer: Yes`,
`Label - None`) and extra words after the label (`No, the reasoning is sound.`). It looks at
the first non-empty line first; when that line carries no label (a preamble such as "Here is
my assessment:"), it takes the first later line that *starts* with a label, so a justification
that merely contains "no" is never read as a label. Anything else is unparseable: the
judgement's `label` is None and the caller counts and drops it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["LABELS", "Judgement", "parse_judgement", "parse_label"]

# judge word -> our label
LABELS = {"yes": "flawed", "no": "sound", "none": "inconsistent"}
# also accepted (annotation sheets): our own label names
_SYNONYMS = {"flawed": "flawed", "sound": "sound", "inconsistent": "inconsistent", "flawless": "sound"}


@dataclass(frozen=True)
class Judgement:
    label: str | None          # "flawed" / "sound" / "inconsistent"; None = unparseable
    reason: str                # the justification line ("" when absent)
    raw: str                   # the judge's whole reply


_MARKUP = re.compile(r"[*_`#>\"'“”‘’\[\]()]")
_PREFIX = re.compile(r"^\s*(?:final\s+)?(?:answer|label|verdict|judgement|judgment|line\s*1|response|output)\s*[:=\-–—]\s*",
                     re.I)
_WORD = re.compile(r"^\s*([a-z]+)\b")


def parse_label(line: str) -> str | None:
    """The label a line starts with (after markup and an `Answer:`-style prefix), else None."""
    text = _MARKUP.sub(" ", line).strip()
    text = _PREFIX.sub("", text).strip().lower()
    m = _WORD.match(text)
    if not m:
        return None
    word = m.group(1)
    return LABELS.get(word) or _SYNONYMS.get(word)


def parse_judgement(text: str) -> Judgement:
    lines = [ln for ln in text.replace("\r\n", "\n").split("\n") if ln.strip()]
    for idx, line in enumerate(lines):
        label = parse_label(line)
        if label is not None:
            rest = _PREFIX.sub("", _MARKUP.sub(" ", line).strip()).strip()
            tail = re.sub(r"^[A-Za-z]+\W*", "", rest).strip()
            reason = tail or (lines[idx + 1].strip() if idx + 1 < len(lines) else "")
            return Judgement(label, _PREFIX.sub("", reason).strip(), text)
    return Judgement(None, "", text)

