"""`benchmarks/agreement.py`: its mutants and its command line (the run itself is manual: minutes)."""

from __future__ import annotations

import importlib.util
import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from recode_rl.data.schema import TestSuite

ROOT = Path(__file__).resolve().parents[2]


def _module():
    spec = importlib.util.spec_from_file_location("agreement", ROOT / "benchmarks" / "agreement.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _call(program: str, *args):
    ns: dict = {}
    exec(program, ns)
    return ns["f"](*args)


def test_mutants_change_what_they_say():
    mod = _module()
    program = "def f(xs):\n    return [x for x in xs if x < 3]\n"
    kinds = dict(mod.mutants(program, "f"))
    assert set(kinds) == set(mod.KINDS)
    assert _call(kinds["canonical"], [1, 2, 3]) == [1, 2]
    assert _call(kinds["tuple_list"], [1, 2, 3]) == (1, 2)
    assert _call(kinds["set_order"], [1, 2, 3]) == [2, 1]
    assert _call(kinds["drop_last"], [1, 2, 3]) == [1]
    assert _call(kinds["return_none"], [1, 2, 3]) is None
    assert _call(kinds["boundary"], [1, 2, 3]) == [1, 2, 3]          # `<` became `<=`
    assert _call(mod.wrapped("def f():\n    return 41\n", "f", mod.WRAPPED["off_by_one"])) == 42
    assert mod.boundary("def f():\n    return 'x'\n", "f") is None   # nothing to flip


def test_help_runs_without_the_side_environment():
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "agreement.py"), "--help"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "--limit" in out.stdout and "--dry-run" in out.stdout


def _counting(path, body: str) -> str:
    """A program whose every call of f leaves a mark in `path`, then runs `body`."""
    return f"def f(x):\n    open({str(path)!r}, 'a').write('.')\n{textwrap.indent(body, '    ')}\n"


def test_compute_floor_runs_each_sample_up_to_its_first_failure(tmp_path):
    mod = _module()
    tests = TestSuite(kind="functional", inputs=([1], [2], [3], [4], [5]), outputs=(1, 2, 3, 4, 5), fn_name="f")
    cases = {
        "passes": ("return x", 5),
        "wrong at the third test": ("return x if x < 3 else -1", 3),
        "raises at the second test": ("if x == 2: raise ValueError\nreturn x", 2),
    }
    for name, (body, calls) in cases.items():
        marks = tmp_path / name.replace(" ", "_")
        mod._sample_compute(_counting(marks, body), tests, "f", [1.0])
        assert len(marks.read_text()) == calls, name
    # the executor's own comparison decides: under EvalPlus's rules (an atol) a tuple where a list
    # is expected fails
    lists = TestSuite(kind="functional", inputs=([1], [2]), outputs=([1], [2]), fn_name="f", atol=0.0)
    marks = tmp_path / "tuple"
    mod._sample_compute(_counting(marks, "return (x,) if x == 1 else [x]"), lists, "f", [1.0])
    assert marks.read_text() == "."
    # a program that does not load makes no call, and its loading is what it costs
    assert mod._sample_compute("def f(:\n", tests, "f", [1.0]) >= 0.0


def test_compute_floor_counts_cpu_time_and_ends_a_call_past_its_limit(tmp_path):
    mod = _module()
    tests = TestSuite(kind="functional", inputs=([1], [2]), outputs=(1, 2), fn_name="f")
    busy = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.05:\n    pass\nreturn x"
    assert mod._sample_compute(_counting(tmp_path / "busy", busy), tests, "f", [1.0]) >= 0.1  # two calls
    old = signal.signal(signal.SIGALRM, mod._late)
    try:
        marks = tmp_path / "hang"
        secs = mod._sample_compute(_counting(marks, "import time\ntime.sleep(30)\nreturn x"), tests, "f", [0.01])
    finally:
        signal.signal(signal.SIGALRM, old)
    assert marks.read_text() == "." and secs < 1.0  # ended after 3 x 0.01 s; sleeping costs no CPU


def test_compute_part_covers_every_sample_but_the_skipped(tmp_path):
    skip = tmp_path / "skip.json"
    skip.write_text(json.dumps([["HumanEval/0", "slow_one"], ["HumanEval/1", "slow_one"]]))
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "agreement.py"), "--compute-part", "humaneval",
                          "--limit", "2", "--workers", "1", "--part", "0", "--skip", str(skip)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    part = json.loads(out.stdout.strip().splitlines()[-1])
    mod = _module()
    from recode_rl.data import load_problems

    expected = sum(len(mod.mutants(p.reference_solution, p.tests.fn_name or p.metadata["entry_point"])) - 1
                   for p in load_problems("humaneval")[:2])
    assert part["samples"] == expected and part["cpu_seconds"] > 0
