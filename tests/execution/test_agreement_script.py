"""`benchmarks/agreement.py`: its mutants and its command line (the run itself is manual: minutes)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

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
