"""EvalPlus: tuple restoration from contracts, expected outputs via the sandbox, on-disk cache."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from recode_rl.data import load_problems
from recode_rl.data.evalplus import evalplus_cache_path, load_evalplus, restore_tuples, tuple_args_from_contract
from recode_rl.errors import DataError


def test_tuple_args_from_contract() -> None:
    contract = ('\n  assert isinstance(test_tup1, tuple), "invalid inputs"\n'
                '  assert isinstance(K, int), "invalid inputs"\n'
                '  assert all(isinstance(item, tuple) and len(item) == 2 for item in pairs), "invalid inputs"\n'
                '  assert all(isinstance(v, tuple) for v in marks.values())\n')
    params = ["test_tup1", "pairs", "K", "marks"]
    assert tuple_args_from_contract(contract, params) == {0: {"tuple"}, 1: {"items"}, 3: {"values"}}
    assert tuple_args_from_contract("assert isinstance(x, list)", ["x"]) == {}
    args = [[1, [2]], [[3, 4], [5, 6], 7], 9, {"a": [1, 2]}]
    assert restore_tuples(args, {0: {"tuple"}, 1: {"items"}, 3: {"values"}}) == \
        [(1, [2]), [(3, 4), (5, 6), 7], 9, {"a": (1, 2)}]
    assert args == [[1, [2]], [[3, 4], [5, 6], 7], 9, {"a": [1, 2]}]  # input untouched
    # a tuple of tuples (Mbpp/259-style), and nested tuples when the solution checks for them
    assert restore_tuples([[[1, 2], [3, 4]]], {0: {"tuple", "items"}}) == [((1, 2), (3, 4))]
    program = "def f(t):\n    return [e for e in t if isinstance(e, tuple)]\n"
    spec = tuple_args_from_contract("assert isinstance(t, tuple)", ["t"], program)
    assert spec == {0: {"tuple", "deep"}}
    assert restore_tuples([[1, [2, [3]]]], spec) == [(1, (2, (3,)))]
    # numbers JSON can only hold as strings (Mbpp/124: angle_complex(a, b))
    num = tuple_args_from_contract("assert isinstance(a, (int, float))\nassert isinstance(b, complex)", ["a", "b"])
    assert num == {0: {"number"}, 1: {"number"}}
    assert restore_tuples(["0", "1j"], num) == [0.0, 1j] and restore_tuples([2, "(1+2j)"], num) == [2, 1 + 2j]
    # ... but not where strings are valid arguments (HumanEval/137: compare_one(1, "2,3"))
    assert tuple_args_from_contract("assert isinstance(a, (int, float, str))", ["a"]) == {}


def _write(tmp_path: Path, records: list[dict]) -> Path:
    f = tmp_path / "HumanEvalPlus-test.jsonl.gz"
    with gzip.open(f, "wt") as fh:
        for r in records:
            fh.write(json.dumps(r) + "\n")
    return f


def _he(task_id: str, body: str, base: list, plus: list, atol: float = 0) -> dict:
    return {"task_id": task_id, "prompt": "def f(x):\n", "entry_point": "f", "canonical_solution": body,
            "test": "", "contract": "", "base_input": base, "plus_input": plus, "atol": atol}


class FakeCompute:
    """Stands in for the sandbox: evaluates the canonical program in-process (trusted test data)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, program: str, fn_name: str, inputs: list[Any], limits: Any) -> list[tuple[bool, Any]]:
        self.calls.append(fn_name)
        ns: dict[str, Any] = {}
        exec(program, ns)
        out = []
        for args in inputs:
            try:
                out.append((True, ns[fn_name](*args)))
            except Exception as exc:  # noqa: BLE001
                out.append((False, f"{type(exc).__name__}: {exc}"))
        return out


def test_outputs_computed_once_cached_and_failures_counted(tmp_path: Path) -> None:
    f = _write(tmp_path, [
        _he("HumanEval/0", "    return 10 // x\n", base=[[1], [0]], plus=[[2], [5], [0]]),
        _he("HumanEval/1", "    return (x, x)\n", base=[[3]], plus=[], atol=1e-6),
    ])
    fake = FakeCompute()
    p0, p1 = load_evalplus("humaneval+", f, compute=fake, progress=False)
    assert len(fake.calls) == 2
    # 10//x on inputs 1, 0, 2, 5, 0: the two zeros raise and are dropped (one base, one plus)
    assert p0.tests.inputs == ([1], [2], [5]) and p0.tests.outputs == (10, 5, 2)
    assert p0.metadata["n_base"] == 1 and p0.metadata["dropped_base"] == 1 and p0.metadata["dropped_plus"] == 1
    assert "ZeroDivisionError" in next(iter(p0.metadata["errors"].values()))
    assert p0.tests.kind == "functional" and p0.tests.fn_name == "f" and p0.tests.atol == 0.0  # EvalPlus rules, even at atol 0
    assert p1.tests.outputs == ((3, 3),) and p1.tests.atol == 1e-6  # tuples survive the cache
    assert p0.reference_solution == "def f(x):\n    return 10 // x\n"
    # second load: everything from the cache, identical problems
    again = load_evalplus("humaneval+", f, compute=fake, progress=False)
    assert len(fake.calls) == 2 and again == [p0, p1]
    cache = evalplus_cache_path(f)
    assert cache.parent.name == "evalplus" and cache.exists()


def test_cache_resumes_after_a_cut_line(tmp_path: Path) -> None:
    f = _write(tmp_path, [_he("HumanEval/0", "    return x + 1\n", [[1]], []),
                          _he("HumanEval/1", "    return x * 2\n", [[4]], [])])
    fake = FakeCompute()
    load_evalplus("humaneval+", f, compute=fake, progress=False)
    cache = evalplus_cache_path(f)
    first_line = cache.read_text().splitlines()[0]
    cache.write_text(first_line + "\n" + '{"task_id": "HumanEval/1", "outp')  # crash mid-write
    problems = load_evalplus("humaneval+", f, compute=fake, progress=False)
    assert len(fake.calls) == 3  # only the cut task was recomputed
    assert [p.tests.outputs for p in problems] == [(2,), (8,)]


def test_malformed_evalplus_records(tmp_path: Path) -> None:
    bad = _he("HumanEval/0", "    return x\n", base=[1, 2], plus=[])
    with pytest.raises(DataError, match=r"line 1, field 'base_input': expected a list of argument lists"):
        load_evalplus("humaneval+", _write(tmp_path, [bad]), compute=FakeCompute(), progress=False)
    neg = _he("HumanEval/0", "    return x\n", base=[[1]], plus=[], atol=-1)
    with pytest.raises(DataError, match=r"field 'atol'"):
        load_evalplus("humaneval+", _write(tmp_path, [neg]), compute=FakeCompute(), progress=False)


def test_raw_record_counts(shared_data: Path) -> None:
    from recode_rl.data.records import read_records

    he = list(read_records(shared_data / "humanevalplus/HumanEvalPlus-v0.1.10.jsonl.gz"))
    mb = list(read_records(shared_data / "mbppplus/MbppPlus-v0.2.0.jsonl.gz"))
    assert (len(he), len(mb)) == (164, 378)


def test_real_sandbox_outputs_and_reference_passes(shared_data: Path) -> None:
    from recode_rl.execution import execute_many

    he = load_problems("humaneval+", task_ids=["HumanEval/0", "HumanEval/2"], progress=False)
    mb = load_problems("mbpp+", task_ids=["Mbpp/2"], progress=False)
    assert [p.task_id for p in he + mb] == ["HumanEval/0", "HumanEval/2", "Mbpp/2"]
    # HumanEval/0: 7 base + 999 plus inputs (counted from the release file)
    assert he[0].metadata["n_base"] == 7 and len(he[0].tests) == 1006
    assert he[1].tests.atol == 1e-6
    # Mbpp/2's contract makes both arguments tuples; the canonical solution returns a tuple
    assert mb[0].tests.inputs[0] == [(3, 4, 5, 6), (5, 7, 4, 10)] and isinstance(mb[0].tests.outputs[0], tuple)
    results = execute_many([(p.reference_solution, p.tests) for p in he + mb])
    assert all(r.all_passed for r in results), [r.summary() for r in results]
    wrong = execute_many([(p.reference_solution + f"\n{p.tests.fn_name} = lambda *a: None\n", p.tests)
                          for p in he + mb])
    assert not any(r.all_passed for r in wrong)


class TimedCompute(FakeCompute):
    """FakeCompute that also reports a reference time per input (x / 10 s) and times out on x == 99."""

    def __call__(self, program: str, fn_name: str, inputs: list[Any], limits: Any) -> list[tuple]:
        out = super().__call__(program, fn_name, inputs, limits)
        return [(False, "timeout: exceeded the time limit", None) if args == [99] else (*row, args[0] / 10)
                for row, args in zip(out, inputs)]


def test_reference_times_give_evalplus_time_limits_and_drops_are_named(tmp_path: Path, caplog) -> None:
    import logging

    from recode_rl.data.evalplus import time_limit

    assert time_limit(None) is None and time_limit(0.001) == 1.0 and time_limit(2.5) == 10.0
    f = _write(tmp_path, [_he("HumanEval/0", "    return 10 // x\n", base=[[1], [0]], plus=[[50], [99], [2]])])
    with caplog.at_level(logging.WARNING, logger="recode_rl.data.evalplus"):
        (p,) = load_evalplus("humaneval+", f, compute=TimedCompute(), progress=False)
    assert p.tests.inputs == ([1], [50], [2])
    assert p.metadata["time_limits"] == [1.0, 20.0, 1.0]          # max(1 s, 4 x x/10 s)
    assert set(p.metadata["dropped"]) == {"1", "3"} and "ZeroDivisionError" in p.metadata["dropped"]["1"]
    assert p.metadata["dropped_load_dependent"] == [3]
    text = caplog.text
    assert "HumanEval/0: 1, 3" in text                             # every dropped input named
    assert "depends on machine load" in text and "HumanEval/0: 3" in text
    # the cache keeps the times: a second load gives the same limits without computing
    again = load_evalplus("humaneval+", f, compute=FakeCompute(), progress=False)
    assert again[0].metadata["time_limits"] == [1.0, 20.0, 1.0]


def test_a_cache_without_times_has_no_limits(tmp_path: Path) -> None:
    f = _write(tmp_path, [_he("HumanEval/0", "    return x\n", base=[[1]], plus=[])])
    (p,) = load_evalplus("humaneval+", f, compute=FakeCompute(), progress=False)  # (ok, value) pairs only
    assert p.metadata["time_limits"] == [None]


def test_mbpp_plus_set_equality_tasks_are_marked(shared_data):
    # EvalPlus compares these tasks' outputs as sets; the loader says so on the suite (the executor
    # knows no task names), and only for them
    problems = {p.task_id: p for p in load_evalplus("mbpp+", task_ids=["Mbpp/2", "Mbpp/3"])}
    assert problems["Mbpp/2"].tests.oracle == "set" and problems["Mbpp/3"].tests.oracle == "equal"


class ProjectingCompute(FakeCompute):
    """FakeCompute that projects as the sandbox does under EvalPlus's not-None oracle."""

    def __init__(self) -> None:
        super().__init__()
        self.oracles: list[str] = []

    def __call__(self, program: str, fn_name: str, inputs: list[Any], limits: Any,
                 oracle: str = "equal") -> list[tuple]:
        self.oracles.append(oracle)
        out = super().__call__(program, fn_name, inputs, limits)
        if oracle == "not_none":
            out = [(ok, (v if isinstance(v, bool) else v is not None) if ok else v) for ok, v in out]
        return out


def test_not_none_tasks_are_computed_as_the_grader_compares_them(tmp_path: Path) -> None:
    rec = {"task_id": "Mbpp/737", "prompt": "", "entry_point": "check_str", "test": "", "contract": "", "atol": 0,
           "canonical_solution": "import re\ndef check_str(s):\n    return re.search('^a', s)\n",
           "base_input": [["abc"], ["xbc"]], "plus_input": [["a"]]}
    f = _write(tmp_path, [rec])
    # a cache line from before the oracle existed: the Match objects could not be stored
    cache = evalplus_cache_path(f)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({"task_id": "Mbpp/737", "outputs": {"1": None}, "seconds": {},
                                 "errors": {"0": "NonPlainValue: unserializable return value: re.Match"}}) + "\n")
    fake = ProjectingCompute()
    (p,) = load_evalplus("mbpp+", f, compute=fake, progress=False)
    assert fake.oracles == ["not_none"]                        # recomputed once, projected
    assert p.tests.oracle == "not_none" and p.tests.outputs == (True, False, True) and not p.metadata["dropped"]
    again = ProjectingCompute()
    load_evalplus("mbpp+", f, compute=again, progress=False)
    assert again.calls == []                                   # now cached as projected


def test_evalplus_not_none_oracle_in_the_sandbox(shared_data: Path) -> None:
    from recode_rl.execution import execute_many

    (p,) = load_problems("mbpp+", task_ids=["Mbpp/737"], progress=False)
    # check_str matches '^[aeiouAEIOU][A-Za-z0-9_]*': base inputs 'annie', 'dawood', 'Else'
    assert p.tests.oracle == "not_none" and p.tests.outputs[:3] == (True, False, True)
    assert len(p.tests) == 3 + 107 and not p.metadata["dropped"]   # no input dropped any more
    as_bool = "import re\ndef check_str(s):\n    return bool(re.match('^[aeiouAEIOU][A-Za-z0-9_]*', s))\n"
    always = "def check_str(s):\n    return 'match'\n"     # never None: wrong on 'dawood'
    results = execute_many([(p.reference_solution, p.tests), (as_bool, p.tests), (always, p.tests),
                            (p.reference_solution + "\ncheck_str = lambda s: None\n", p.tests)])
    assert [r.all_passed for r in results] == [True, True, False, False]
    assert results[2].tests[1].verdict.value == "wrong_answer" and results[2].tests[0].verdict.value == "passed"


OTHER_ROOT = """
_reference = find_zero


def find_zero(xs):   # Newton's method from x = 5 instead of 0; the reference where it does not converge
    dxs = [xs[i] * i for i in range(1, len(xs))]
    x = 5.0
    for _ in range(1000):
        fx, dfx = poly(xs, x), poly(dxs, x)
        if abs(fx) < 1e-5:
            return x
        if dfx == 0:
            break
        x = x - fx / dfx
    return _reference(xs)
"""


def test_humaneval_plus_32_any_root_within_atol_passes(shared_data: Path) -> None:
    from recode_rl.execution import execute_many

    (p,) = load_problems("humaneval+", task_ids=["HumanEval/32"], progress=False)
    assert len(p.tests.checks) == len(p.tests) and p.tests.checks[0].op == "expr"
    assert "def poly(" in p.tests.checks[0].helpers and p.tests.checks[0].env["atol"] == 1e-4
    other = p.reference_solution + OTHER_ROOT
    # it finds other roots than the reference on some inputs, so `==` with a tolerance would fail it
    ns: dict[str, Any] = {}
    exec(other, ns)
    assert sum(abs(ns["find_zero"](*args) - out) > 1e-3 for args, out in zip(p.tests.inputs, p.tests.outputs)) > 10
    off = p.reference_solution + "\n_f = find_zero\ndef find_zero(xs):\n    return _f(xs) + 0.01\n"
    results = execute_many([(p.reference_solution, p.tests), (other, p.tests), (off, p.tests)])
    assert [r.all_passed for r in results] == [True, True, False]


def _mbpp(task_id: str, entry: str, program: str, base: list) -> dict:
    return {"task_id": task_id, "prompt": "", "entry_point": entry, "test": "", "contract": "", "atol": 0,
            "canonical_solution": program, "base_input": base, "plus_input": []}


def test_mbpp_special_oracles_accept_the_second_reading_by_hand(tmp_path: Path) -> None:
    from recode_rl.execution.compare import check_value

    zip_distance = "def digit_distance_nums(a, b):\n    return sum(abs(int(x) - int(y)) for x, y in zip(str(a), str(b)))\n"
    slant = "def surface_Area(b, s):\n    return 2 * b * s + pow(b, 2)\n"
    sum_div = "def sum_div(n):\n    return sum(d for d in range(1, n) if n % d == 0)\n"
    equivalent = "def are_equivalent(a, b):\n    return a == b\n"
    f = _write(tmp_path, [_mbpp("Mbpp/558", "digit_distance_nums", zip_distance, [[123, 256], [5, 123]]),
                          _mbpp("Mbpp/581", "surface_Area", slant, [[3, 4], [1.5, 2.0]]),
                          _mbpp("Mbpp/295", "sum_div", sum_div, [[8]]),
                          _mbpp("Mbpp/164", "are_equivalent", equivalent, [[1, 2]]),
                          _mbpp("Mbpp/3", "f", "def f(x):\n    return x\n", [[1]])])
    p = {q.task_id: q for q in load_evalplus("mbpp+", f, compute=FakeCompute(), progress=False)}

    def passes(task_id: str, unit: int, value: Any) -> bool:
        suite = p[task_id].tests
        return check_value(value, suite.outputs[unit], suite.checks[unit])

    # Mbpp/558: the reference zips (5 vs 123 -> |5-1| = 4); padding reads 005 vs 123 -> 1+2+2 = 5
    assert p["Mbpp/558"].tests.outputs == (1 + 3 + 3, 4)
    assert passes("Mbpp/558", 1, 4) and passes("Mbpp/558", 1, 5) and not passes("Mbpp/558", 1, 6)
    assert passes("Mbpp/558", 0, 7) and not passes("Mbpp/558", 0, 6)
    # Mbpp/581: s as slant height (24 + 9 = 33) or as the apex's height (9 + 2*3*sqrt(2.25 + 16) = 34.6.. -> 35)
    assert p["Mbpp/581"].tests.outputs[0] == 33
    assert passes("Mbpp/581", 0, 33) and passes("Mbpp/581", 0, 35) and passes("Mbpp/581", 0, 35.0)
    assert not passes("Mbpp/581", 0, 34) and not passes("Mbpp/581", 0, "33")
    exp = p["Mbpp/581"].tests.outputs[1]                              # 2*1.5*2 + 2.25 = 8.25, a float
    assert exp == 8.25 and passes("Mbpp/581", 1, 8.25 + 1e-7) and not passes("Mbpp/581", 1, 8.26)
    # Mbpp/295: 0 is accepted besides the sum of proper divisors; Mbpp/164: any value
    assert passes("Mbpp/295", 0, 7) and passes("Mbpp/295", 0, 0) and not passes("Mbpp/295", 0, 8)
    assert passes("Mbpp/164", 0, "anything") and passes("Mbpp/164", 0, None)
    assert p["Mbpp/3"].tests.checks == ()                             # every other task: the plain comparison


def test_mbpp_special_oracles_in_the_sandbox(shared_data: Path) -> None:
    from recode_rl.execution import execute_many

    p = {q.task_id: q for q in load_problems("mbpp+", task_ids=["Mbpp/558", "Mbpp/581"], progress=False)}
    padded = ("def digit_distance_nums(a, b):\n    x, y = str(a), str(b)\n    w = max(len(x), len(y))\n"
              "    return sum(abs(int(c) - int(d)) for c, d in zip(x.zfill(w), y.zfill(w)))\n")
    apex = ("import math\ndef surface_Area(b, h):\n"
            "    return round(b * b + 2 * b * math.sqrt((b / 2) ** 2 + h * h))\n")
    off = "def surface_Area(b, s):\n    return 2 * b * s + pow(b, 2) + 1\n"
    s558, s581 = p["Mbpp/558"].tests, p["Mbpp/581"].tests
    assert len(s558.checks) == len(s558) and len(s581.checks) == len(s581)
    results = execute_many([(p["Mbpp/558"].reference_solution, s558), (padded, s558),
                            (p["Mbpp/581"].reference_solution, s581), (apex, s581), (off, s581)])
    assert [r.all_passed for r in results] == [True, True, True, True, False]
