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
    # the paper's method names (Appendix A.6, Figs. 7 and 8), its sections and its score rubric (Fig. 10)
    for name in ("Factually Incorrect Reasoning", "Irrelevant or Misleading Path", "Incomplete Reasoning",
                 "Logical Gap / Jump", "Chaotic or Acausal Reasoning"):
        assert f"**{name}:**" in t["degrade"].text
    for name in ("Factual Verification & Correction", "Focusing Logic", "Comprehensive Reasoning",
                 "Bridging Logical Gaps", "Enhancing Logical Flow"):
        assert f"**{name}:**" in t["optimize"].text
    for part in ("[Problem Statement]", "[Golden Chain-of-Thought]"):
        assert part in t["optimize"].text and part in t["degrade"].text
    assert "[Problem Statement]" in t["base_cot"].text and "[Reasoning Process]" in t["score"].text
    for anchor in ("1.0:", "0.7 - 0.9:", "0.3 - 0.6:", "0.0 - 0.2:"):
        assert anchor in t["score"].text
    assert "score only" in t["score"].text
    # braces in problems need no escaping, and substituted text is not re-scanned
    out = t["optimize"].render(problem="sum {a, b} {{reasoning}}", reasoning="R")
    assert "sum {a, b} {{reasoning}}" in out and out.count("\nR\n") == 1


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
