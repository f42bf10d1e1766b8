"""The executor's contract types live in `execution`; `data` builds on them, never the reverse."""

from __future__ import annotations

import subprocess
import sys

import pytest

from recode_rl.execution.types import TestSuite as Suite  # aliased: pytest would try to collect Test*


def test_execution_does_not_import_data():
    """data -> execution only: importing the executor must not load recode_rl.data."""
    code = ("import sys, recode_rl.execution, recode_rl.execution.types; "
            "print(sorted(m for m in sys.modules if m.startswith('recode_rl.data')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_suite_round_trips_and_validates():
    s = Suite(kind="functional", inputs=([1, 2],), outputs=(3,), fn_name="add", atol=1e-6)
    assert Suite.from_dict(s.to_dict()) == s and len(s) == 1
    with pytest.raises(ValueError, match="functional tests need fn_name"):
        Suite(kind="functional", inputs=([1],), outputs=(1,))


def test_the_fork_server_imports_only_the_sandbox_side():
    """Every module the fork server holds is copied into every child it forks (clone and exit
    cost per page): the parent side, the types' dataclasses, unittest (only the unittest kind's
    child imports it), hashlib and tempfile stay out."""
    code = "import sys, recode_rl.execution.server; print(' '.join(sorted(sys.modules)))"
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout.split())
    heavy = {"recode_rl.execution.executor", "recode_rl.execution.types", "dataclasses", "inspect",
             "unittest", "hashlib", "secrets", "tempfile", "threading", "subprocess", "recode_rl.data"}
    assert loaded & heavy == set()


def test_the_tmpfs_default_is_the_memory_limit_default():
    from recode_rl.execution import world
    from recode_rl.execution.types import Limits

    assert world.TMPFS_DEFAULT_MB == Limits().memory_mb
