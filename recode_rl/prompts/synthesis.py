"""Prompt templates for CRPL synthesis: shipped as files, overridable from a user directory.

Templates (`recode_rl/prompts/templates/<name>.txt`, package data):
  base_cot   {{problem}}                 -> base reasoning t (reasoning only, Markdown)
  optimize   {{problem}} {{reasoning}}   -> `[Optimized CoT]` ... `[Explanation]` ...
  degrade    {{problem}} {{reasoning}}   -> `[Degraded CoT]` ... `[Explanation]` ...
  score      {{problem}} {{reasoning}}   -> one score in {0, 0.1, ..., 1.0} (score-based baseline)

Each is our own wording of the paper's prompt (Appendix A.6: base Fig. 6, degrade Fig. 7,
optimize Fig. 8, score Fig. 10) with its structure: the same parts in the same order, the
paper's five degradation and five optimization methods by name, its anchored 0-1 rubric and
its output sections (docs/synthesis.md has the correspondence). A user directory
(`prompts_dir` in the synth config) may hold any subset of these files; each one found
replaces the shipped one.
Placeholders are `{{name}}` so that braces in problem statements and in the templates'
own Markdown need no escaping; a template that lacks a required placeholder, or uses an
unknown one, is a ConfigError naming the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from recode_rl.config import ConfigError
from recode_rl.data.schema import Problem

__all__ = ["TEMPLATE_FIELDS", "Template", "load_templates", "problem_text"]

TEMPLATE_FIELDS: dict[str, frozenset[str]] = {
    "base_cot": frozenset({"problem"}),
    "optimize": frozenset({"problem", "reasoning"}),
    "degrade": frozenset({"problem", "reasoning"}),
    "score": frozenset({"problem", "reasoning"}),
}
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


@dataclass(frozen=True)
class Template:
    name: str
    text: str
    source: str  # file it came from, for error messages and stats

    def render(self, **values: str) -> str:
        missing = TEMPLATE_FIELDS[self.name] - values.keys()
        if missing:
            raise KeyError(f"template {self.name}: missing values for {sorted(missing)}")
        # One pass over the template: substituted text is never re-scanned for placeholders.
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], self.text)


def _check(name: str, text: str, source: str) -> Template:
    used = set(_PLACEHOLDER.findall(text))
    unknown = used - TEMPLATE_FIELDS[name]
    missing = TEMPLATE_FIELDS[name] - used
    if unknown:
        raise ConfigError(f"{source}: unknown placeholder(s) {sorted(unknown)}; allowed: {sorted(TEMPLATE_FIELDS[name])}")
    if missing:
        raise ConfigError(f"{source}: template must contain {', '.join('{{' + m + '}}' for m in sorted(missing))}")
    return Template(name, text, source)


def load_templates(user_dir: str | Path | None = None) -> dict[str, Template]:
    """All templates: the shipped ones, each replaced by `<user_dir>/<name>.txt` when that exists."""
    if user_dir is not None and not Path(user_dir).is_dir():
        raise ConfigError(f"prompts_dir: {user_dir} is not a directory")
    shipped = resources.files("recode_rl.prompts") / "templates"
    templates = {}
    for name in TEMPLATE_FIELDS:
        override = Path(user_dir) / f"{name}.txt" if user_dir is not None else None
        if override is not None and override.is_file():
            templates[name] = _check(name, override.read_text(encoding="utf-8"), str(override))
        else:
            res = shipped / f"{name}.txt"
            templates[name] = _check(name, res.read_text(encoding="utf-8"), f"recode_rl/prompts/templates/{name}.txt")
    return templates


def problem_text(problem: Problem) -> str:
    """The problem text of the reward model: statement + starter code.

    One text everywhere the RM sees a problem: the synthesis prompts and the CRPL pairs' `prompt`
    (what the RM is trained on), LCB-RB pairs, and every scoring path (`rewards.pipeline`, TRL
    and veRL dataset rows). Idempotent on a problem without starter code.
    """
    text = problem.prompt.strip()
    if problem.starter_code.strip():
        text += f"\n\nStarter code:\n```python\n{problem.starter_code.rstrip()}\n```"
    return text
