"""Compiled assertion units judge as the original assertions do (HumanEval, MBPP, DeepCoder's
LeetCode checks): the canonical solution passes every unit, a constant answer fails, and on the
mutants of `benchmarks/agreement.py` (off by one,
tuple<->list, a dropped or rotated item, float re-association, `return None`, a flipped
comparison) the compiled suite and the original `check(candidate)` / asserts run beside the
program give the same verdict. A fast sample in the default tier; every problem behind `slow`."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from recode_rl.data import load_problems
from recode_rl.execution import Limits

ROOT = Path(__file__).resolve().parents[2]
LIMITS = Limits(timeout=10)
FAST_HUMANEVAL = ["HumanEval/0", "HumanEval/2", "HumanEval/4", "HumanEval/32", "HumanEval/33", "HumanEval/38",
                  "HumanEval/50", "HumanEval/72", "HumanEval/129", "HumanEval/151"]
FAST_MBPP = ["mbpp/2", "mbpp/17", "mbpp/590"]


def _agreement_module():
    spec = importlib.util.spec_from_file_location("agreement", ROOT / "benchmarks" / "agreement.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _function_samples(comp, orig, mutants: bool) -> list[tuple[str, str, str]]:
    """(kind, program for the compiled suite, program for the original): the entry point is a
    function of the program (HumanEval, MBPP)."""
    entry = comp.tests.fn_name
    samples = [("canonical", comp.reference_solution),
               ("constant", comp.reference_solution + f"\n\ndef {entry}(*args, **kwargs):\n    return 0\n")]
    if mutants:
        samples += [(k, c) for k, c in _agreement_module().mutants(comp.reference_solution, entry)
                    if k not in ("canonical", "slow_one")]
    return [(kind, program, program) for kind, program in samples]


def _method_samples(comp, orig, mutants: bool) -> list[tuple[str, str, str]]:
    """The same for LeetCode: the mutation wraps `Solution.<method>`; the compiled suite's program
    carries the `_solution_method` shim in its prefix, the original's test defines it."""
    method = re.search(r"return Solution\(\)\.(\w+)\(", orig.tests.preamble).group(1)
    bodies = {"canonical": "", "constant": "r = None"}   # 0 == False passes e.g. `== False` checks
    if mutants:
        bodies.update({k: b for k, b in _agreement_module().WRAPPED.items() if k not in ("canonical", "slow_one")})
    out = []
    for kind, body in bodies.items():
        tail = (f"\n\n_recode_calls = 0\n_recode_orig = Solution.{method}\n\ndef _recode_mutant(self, *args, **kwargs):\n"
                f"    r = _recode_orig(self, *args, **kwargs)\n    {body}\n    return r\n\nSolution.{method} = _recode_mutant\n"
                if body else "")
        out.append((kind, comp.reference_solution + tail, orig.reference_solution + tail))
    return out


def _pairs(name: str, task_ids: list[str] | None, **opts) -> list[tuple]:
    """(compiled problem, original problem) of every compiled problem of `name`."""
    compiled = {p.task_id: p for p in load_problems(name, **opts)}
    original = {p.task_id: p for p in load_problems(name, compile_tests=False, **opts)}
    ids = task_ids or [t for t, p in compiled.items() if p.tests.trust == "strong"]
    assert all(compiled[t].tests.kind == "functional" for t in ids)
    return [(compiled[t], original[t]) for t in ids]


def _agree(executor, pairs: list[tuple], every_mutant: int = 1, samples=_function_samples) -> None:
    jobs, labels = [], []
    for i, (comp, orig) in enumerate(pairs):
        for kind, for_compiled, for_original in samples(comp, orig, i % every_mutant == 0):
            jobs += [(for_compiled, comp.tests, LIMITS), (for_original, orig.tests, LIMITS)]
            labels.append((comp.task_id, kind))
    results = executor.map(jobs)
    ours = {label: (results[2 * k].all_passed, results[2 * k + 1].all_passed) for k, label in enumerate(labels)}
    canonical_fails = [t for (t, kind), (c, _) in ours.items() if kind == "canonical" and not c]
    constant_passes = [t for (t, kind), (c, _) in ours.items() if kind == "constant" and c]
    disagree = {label: v for label, v in ours.items() if v[0] != v[1]}
    assert not canonical_fails, f"canonical solutions failing their compiled units: {canonical_fails}"
    assert not constant_passes, f"a constant answer passing compiled units: {constant_passes}"
    assert not disagree, f"(compiled, original) verdicts differ: {disagree}"
    # the mutants are not all harmless: a good share of them fail (else the agreement proves little)
    failing = sum(1 for (t, kind), (c, _) in ours.items() if kind not in ("canonical", "constant") and not c)
    assert failing >= len(pairs) // every_mutant


def test_humaneval_sample_agrees(executor):
    _agree(executor, _pairs("humaneval", FAST_HUMANEVAL))


def test_mbpp_sample_agrees(executor, shared_data):
    _agree(executor, _pairs("mbpp", FAST_MBPP))


def test_leetcode_sample_agrees(executor, shared_data):
    _agree(executor, _pairs("leetcode-train", None, limit=10), samples=_method_samples)


@pytest.mark.slow   # 164 problems x 10 samples x 2 suites (46 s on a shared 2-core machine)
def test_every_humaneval_problem_agrees(executor):
    _agree(executor, _pairs("humaneval", None))


@pytest.mark.slow   # 969 problems: canonical and constant for all, mutants for every 4th (90 s, shared 2 cores)
def test_every_compiled_mbpp_problem_agrees(executor, shared_data):
    _agree(executor, _pairs("mbpp", None, include_challenge=True), every_mutant=4)


@pytest.mark.slow   # 1,768 problems: reference and constant for all, mutants for every 8th (137 s, shared 2 cores)
def test_every_compiled_leetcode_problem_agrees(executor, shared_data):
    _agree(executor, _pairs("leetcode-train", None), every_mutant=8, samples=_method_samples)
