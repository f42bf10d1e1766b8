"""Compiled assertion units judge as the original assertions do: the canonical solution passes
every unit, a constant answer fails, and on the mutants of `benchmarks/agreement.py` (off by one,
tuple<->list, a dropped or rotated item, float re-association, `return None`, a flipped
comparison) the compiled suite and the original `check(candidate)` / asserts run beside the
program give the same verdict. A fast sample in the default tier; every problem behind `slow`."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from recode_rl.data import load_problems
from recode_rl.execution import Limits

ROOT = Path(__file__).resolve().parents[2]
LIMITS = Limits(timeout=10)
FAST_HUMANEVAL = ["HumanEval/0", "HumanEval/2", "HumanEval/4", "HumanEval/32", "HumanEval/33", "HumanEval/38",
                  "HumanEval/50", "HumanEval/72", "HumanEval/129", "HumanEval/151"]
FAST_MBPP = ["mbpp/2", "mbpp/17", "mbpp/590"]


def _mutants(program: str, entry: str) -> list[tuple[str, str]]:
    spec = importlib.util.spec_from_file_location("agreement", ROOT / "benchmarks" / "agreement.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return [(kind, code) for kind, code in mod.mutants(program, entry) if kind != "slow_one"]


def _pairs(name: str, task_ids: list[str] | None, **opts) -> list[tuple]:
    """(compiled problem, original problem) of every compiled problem of `name`."""
    compiled = {p.task_id: p for p in load_problems(name, **opts)}
    original = {p.task_id: p for p in load_problems(name, compile_tests=False, **opts)}
    ids = task_ids or [t for t, p in compiled.items() if p.tests.trust == "strong"]
    assert all(compiled[t].tests.kind == "functional" for t in ids)
    return [(compiled[t], original[t]) for t in ids]


def _agree(executor, pairs: list[tuple], every_mutant: int = 1) -> None:
    jobs, labels = [], []
    for i, (comp, orig) in enumerate(pairs):
        entry = comp.tests.fn_name
        constant = comp.reference_solution + f"\n\ndef {entry}(*args, **kwargs):\n    return 0\n"
        samples = [("canonical", comp.reference_solution), ("constant", constant)]
        if i % every_mutant == 0:
            samples += [(k, c) for k, c in _mutants(comp.reference_solution, entry) if k != "canonical"]
        for kind, program in samples:
            jobs += [(program, comp.tests, LIMITS), (program, orig.tests, LIMITS)]
            labels.append((comp.task_id, kind))
    results = executor.map(jobs)
    ours = {label: (results[2 * k].all_passed, results[2 * k + 1].all_passed) for k, label in enumerate(labels)}
    canonical_fails = [t for (t, kind), (c, _) in ours.items() if kind == "canonical" and not c]
    constant_passes = [t for (t, kind), (c, _) in ours.items() if kind == "constant" and c]
    disagree = {label: v for label, v in ours.items() if v[0] != v[1]}
    assert not canonical_fails, f"canonical solutions failing their compiled units: {canonical_fails}"
    assert not constant_passes, f"`return 0` passing compiled units: {constant_passes}"
    assert not disagree, f"(compiled, original) verdicts differ: {disagree}"
    # the mutants are not all harmless: a good share of them fail (else the agreement proves little)
    failing = sum(1 for (t, kind), (c, _) in ours.items() if kind not in ("canonical", "constant") and not c)
    assert failing >= len(pairs) // every_mutant


def test_humaneval_sample_agrees(executor):
    _agree(executor, _pairs("humaneval", FAST_HUMANEVAL))


def test_mbpp_sample_agrees(executor, shared_data):
    _agree(executor, _pairs("mbpp", FAST_MBPP))


@pytest.mark.slow   # 164 problems x 10 samples x 2 suites (46 s on a shared 2-core machine)
def test_every_humaneval_problem_agrees(executor):
    _agree(executor, _pairs("humaneval", None))


@pytest.mark.slow   # 969 problems: canonical and constant for all, mutants for every 4th (90 s, shared 2 cores)
def test_every_compiled_mbpp_problem_agrees(executor, shared_data):
    _agree(executor, _pairs("mbpp", None, include_challenge=True), every_mutant=4)
