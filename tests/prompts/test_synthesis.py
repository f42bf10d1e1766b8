"""CRPL synthesis templates: shipped files, user overrides, rendering, the problem text."""

from __future__ import annotations

import pytest

from recode_rl.config import ConfigError
from recode_rl.data.schema import Problem
from recode_rl.execution.types import TestSuite
from recode_rl.prompts import load_templates, problem_text


def test_shipped_templates_and_rendering():
    t = load_templates()
    assert set(t) == {"base_cot", "optimize", "degrade", "score"}
    assert "[Optimized CoT]" in t["optimize"].text and "[Explanation]" in t["optimize"].text
    assert "[Degraded CoT]" in t["degrade"].text
    for name in ("Factual Error", "Irrelevant Steps", "Incomplete Reasoning", "Logical Gap", "Chaotic Order"):
        assert name in t["degrade"].text and name in t["score"].text
    # braces in problems need no escaping, and substituted text is not re-scanned
    out = t["optimize"].render(problem="sum {a, b} {{reasoning}}", reasoning="R")
    assert "sum {a, b} {{reasoning}}" in out and out.count("\nR") == 1


def test_user_template_override_and_errors(tmp_path):
    (tmp_path / "optimize.txt").write_text("Improve: {{ reasoning }} for {{problem}}")
    t = load_templates(tmp_path)
    assert t["optimize"].render(problem="P", reasoning="R") == "Improve: R for P"
    assert t["optimize"].source == str(tmp_path / "optimize.txt")
    assert t["degrade"].source == "recode_rl/prompts/templates/degrade.txt"  # the rest stay shipped
    (tmp_path / "degrade.txt").write_text("Worsen {{problem}}")
    with pytest.raises(ConfigError, match=r"degrade.txt: template must contain \{\{reasoning\}\}"):
        load_templates(tmp_path)
    (tmp_path / "degrade.txt").write_text("Worsen {{problem}} {{reasoning}} {{answer}}")
    with pytest.raises(ConfigError, match=r"unknown placeholder\(s\) \['answer'\]"):
        load_templates(tmp_path)
    with pytest.raises(ConfigError, match="not a directory"):
        load_templates(tmp_path / "missing")


def test_problem_text_includes_starter_code():
    p = Problem("x", "Add two numbers.", TestSuite(kind="functional", inputs=([1, 2],), outputs=(3,), fn_name="add"),
                starter_code="def add(a, b):\n")
    assert problem_text(p) == "Add two numbers.\n\nStarter code:\n```python\ndef add(a, b):\n```"
