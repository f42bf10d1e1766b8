"""Parse policy responses: the strict ``<think>…</think><answer>…</answer>`` format and code extraction.

``parse_response(text)`` checks the policy format strictly (this is ``R_fmt``) and extracts the
think text, the answer text and the code; ``extract_code(text)`` finds code in a free-form
response (base models, other prompts). The full specification — what a tag and a fenced block
are, the nine numbered validity rules with their ``reason`` strings, extraction when the format
fails, and the linear-time span search of ``extract_code`` — lives once, in docs/rewards.md §1;
the tests in tests/rewards/test_parsing.py follow it rule by rule.

Tags are recognised only outside code (fenced blocks and inline code spans are opaque), line
endings are normalised to LF, and extraction is always attempted, so the outcome is computed
even when the format reward is 0.

Departure from the paper: the paper only says "well-formed think/answer structure"; rules 4-9
are our precise reading of its prompt.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

__all__ = ["ParsedResponse", "parse_response", "extract_code", "longest_parseable_span", "TagSplit", "split_tags",
           "normalize_newlines"]

THINK_OPEN, THINK_CLOSE, ANSWER_OPEN, ANSWER_CLOSE = "<think>", "</think>", "<answer>", "</answer>"
_TAGS = (THINK_OPEN, THINK_CLOSE, ANSWER_OPEN, ANSWER_CLOSE)
_PY_LANGS = frozenset({"python", "py", "python3", "py3"})

_OPEN_FENCE = re.compile(r"^(?:[ \t]*|.*<answer>[ \t]*)(`{3,})([^`\n]*)$")
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_TAG_RE = re.compile("|".join(re.escape(t) for t in _TAGS))
_CONTINUATION = re.compile(r"^(?:else|elif|except|finally)\b|^[)\]}]")


@dataclass(frozen=True)
class ParsedResponse:
    format_ok: bool
    think: str | None
    answer: str | None
    code: str | None
    reason: str | None   # why the format failed and/or why there is no code; None when all is fine


@dataclass(frozen=True)
class _Fence:
    start: int        # offset of the opening backticks
    end: int          # offset just past the closing backticks (len(text) if unclosed)
    body_start: int
    body_end: int
    lang: str         # first word of the info string, lower-cased ("" if none)
    closed: bool

    @property
    def is_python(self) -> bool:
        return self.lang in _PY_LANGS


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _find_fences(text: str) -> list[_Fence]:
    """All fenced code blocks, in order. One pass over the lines."""
    fences: list[_Fence] = []
    lines = text.split("\n")
    offsets, pos = [], 0
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    i = 0
    while i < len(lines):
        m = _OPEN_FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        ticks = m.group(1)
        info = m.group(2).strip()
        lang = info.split()[0].lower() if info else ""
        start = offsets[i] + m.start(1)
        body_start = offsets[i] + len(lines[i]) + 1
        close = re.compile(r"^[ \t]*(`{%d,})[ \t]*(?=$|<)" % len(ticks))
        j = i + 1
        while j < len(lines):
            cm = close.match(lines[j])
            if cm:
                break
            j += 1
        if j < len(lines):
            fences.append(_Fence(start, offsets[j] + cm.end(1), min(body_start, offsets[j]), offsets[j], lang, True))
            i = j + 1
        else:
            fences.append(_Fence(start, len(text), min(body_start, len(text)), len(text), lang, False))
            break
    return fences


def _mask(text: str, fences: list[_Fence]) -> str:
    """`text` with fenced blocks and inline code replaced by spaces (same length, newlines kept)."""
    chars = list(text)
    for f in fences:
        for k in range(f.start, f.end):
            if chars[k] != "\n":
                chars[k] = " "
    masked = "".join(chars)
    return _INLINE_CODE.sub(lambda m: " " * len(m.group(0)), masked)


@dataclass(frozen=True)
class TagSplit:
    """The think/answer structure of a response (shared by the code and the math parsers)."""

    text: str                  # newline-normalised response
    reason: str | None         # first structural rule (1-7) violated, None if the structure is valid
    think: str | None
    answer: str | None
    answer_span: tuple[int, int] | None   # offsets of the answer text inside `text`
    fences: tuple[_Fence, ...]


def split_tags(text: str) -> TagSplit:
    """Check rules 1-7 of the module docstring and extract think / answer leniently."""
    text = normalize_newlines(text)
    fences = _find_fences(text)
    masked = _mask(text, fences)
    found: dict[str, list[int]] = {t: [] for t in _TAGS}
    for m in _TAG_RE.finditer(masked):
        found[m.group(0)].append(m.start())

    think = None
    if found[THINK_OPEN]:
        t0 = found[THINK_OPEN][0] + len(THINK_OPEN)
        t1 = next((p for p in found[THINK_CLOSE] if p >= t0), None)
        if t1 is not None:
            think = text[t0:t1].strip()
    answer, answer_span = None, None
    if found[ANSWER_OPEN]:
        a0 = found[ANSWER_OPEN][0] + len(ANSWER_OPEN)
        a1 = next((p for p in found[ANSWER_CLOSE] if p >= a0), len(text))
        answer, answer_span = text[a0:a1].strip(), (a0, a1)

    reason = _structure_reason(text, masked, fences, found)
    if reason is None and not think:
        reason = "empty <think>"
    return TagSplit(text, reason, think, answer, answer_span, tuple(fences))


def _structure_reason(text: str, masked: str, fences: list[_Fence], found: dict[str, list[int]]) -> str | None:
    if any(not f.closed for f in fences):
        return "unclosed code fence"
    for tag in _TAGS:
        n = len(found[tag])
        if n == 0:
            return f"missing {tag}"
        if n > 1:
            return f"{n} {tag} tags"
    p_to, p_tc, p_ao, p_ac = (found[t][0] for t in _TAGS)
    if not p_to < p_tc < p_ao < p_ac:
        return "tags out of order"
    if text[:p_to].strip():
        return f"text before {THINK_OPEN}"
    if text[p_tc + len(THINK_CLOSE):p_ao].strip():
        return f"text between {THINK_CLOSE} and {ANSWER_OPEN}"
    if text[p_ac + len(ANSWER_CLOSE):].strip():
        return f"text after {ANSWER_CLOSE}"
    return None


def parse_response(text: str) -> ParsedResponse:
    """Strict policy-format check (rules 1-9) plus extraction. Never raises on any string."""
    split = split_tags(text)
    reason = split.reason
    code = None
    if reason is None:
        a0, a1 = split.answer_span  # type: ignore[misc]  # valid structure => answer present
        blocks = [f for f in split.fences if f.is_python and a0 <= f.start and f.end <= a1]
        if not blocks:
            reason = f"no python code block in {ANSWER_OPEN}"
        elif len(blocks) > 1:
            reason = f"{len(blocks)} python code blocks in {ANSWER_OPEN}"
        else:
            body = split.text[blocks[0].body_start:blocks[0].body_end].strip("\n")
            if not body.strip():
                reason = f"empty python code block in {ANSWER_OPEN}"
            else:
                code = body
    if reason is None:
        return ParsedResponse(True, split.think, split.answer, code, None)
    source = split.answer if split.answer is not None else split.text
    code = extract_code(source)
    if code is None:
        where = "the answer" if split.answer is not None else "the response"
        reason = f"{reason}; no python code found in {where}"
    return ParsedResponse(False, split.think, split.answer, code, reason)


def extract_code(text: str) -> str | None:
    """Code from a free-form response (see the module docstring for the order of preference)."""
    text = normalize_newlines(text)
    fences = _find_fences(text)
    closed = [f for f in fences if f.closed]
    for f in reversed(closed):
        if f.is_python:
            body = text[f.body_start:f.body_end].strip("\n")
            if body.strip():
                return body
    for f in reversed(closed):
        if not f.lang:
            body = text[f.body_start:f.body_end].strip("\n")
            if body.strip() and _parses(body):
                return body
    return longest_parseable_span(text)


# ----- the sanitizer fallback -------------------------------------------------------------------

def _parse(source: str) -> ast.Module | None:
    """The only place this module calls the Python parser (tests count calls through it)."""
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def _parses(source: str) -> bool:
    return _parse(source) is not None


def _is_code_like(tree: ast.Module) -> bool:
    for stmt in tree.body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, (ast.Name, ast.Constant, ast.Attribute)):
            continue
        if isinstance(stmt, ast.AnnAssign) and stmt.value is None:
            continue
        return True
    return False


def _chunks(lines: list[str]) -> list[tuple[int, int]]:
    """Split lines into [start, end) chunks, each starting at a column-0 statement line."""
    chunks: list[tuple[int, int]] = []
    start = 0
    prev_nonblank = ""
    for i, line in enumerate(lines):
        if i > start and line and not line[0].isspace():
            joins = _CONTINUATION.match(line) or prev_nonblank.startswith("@")
            if not joins:
                chunks.append((start, i))
                start = i
        if line.strip():
            prev_nonblank = line
    if start < len(lines):
        chunks.append((start, len(lines)))
    return chunks


def longest_parseable_span(text: str) -> str | None:
    """Longest run of consecutive, individually parseable, code-like chunks (linear time)."""
    lines = normalize_newlines(text).split("\n")
    chunks = _chunks(lines)
    ok: list[bool] = []
    weight: list[int] = []
    for a, b in chunks:
        source = "\n".join(lines[a:b])
        tree = _parse(source) if source.strip() else None
        ok.append(tree is not None and _is_code_like(tree))
        weight.append(sum(1 for line in lines[a:b] if line.strip()))
    best: tuple[int, int, int] | None = None   # (weight, first chunk, last chunk + 1)
    run_start, run_weight = 0, 0
    for k, good in enumerate(ok + [False]):
        if good:
            if run_weight == 0:
                run_start = k
            run_weight += weight[k]
            continue
        if run_weight and (best is None or run_weight >= best[0]):   # ties: the later run wins
            best = (run_weight, run_start, k)
        run_weight = 0
    if best is None:
        return None
    _, first, last = best
    source = "\n".join(lines[chunks[first][0]:chunks[last - 1][1]]).strip("\n")
    if _parses(source):
        return source
    # Chunks that parse alone should parse together; if not, keep the biggest single chunk.
    k = max(range(first, last), key=lambda c: weight[c])
    return "\n".join(lines[chunks[k][0]:chunks[k][1]]).strip("\n")
