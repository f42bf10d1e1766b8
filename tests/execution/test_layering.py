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
    code = ("import sys, recode_rl.execution.bootstrap, recode_rl.execution.server; "
            "print(' '.join(sorted(sys.modules)))")
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout.split())
    heavy = {"recode_rl.execution.executor", "recode_rl.execution.types", "dataclasses", "inspect",
             "unittest", "hashlib", "secrets", "tempfile", "threading", "subprocess", "recode_rl.data"}
    assert loaded & heavy == set()


def test_the_tmpfs_default_is_the_memory_limit_default():
    from recode_rl.execution import world
    from recode_rl.execution.types import Limits

    assert world.TMPFS_DEFAULT_MB == Limits().memory_mb


def test_the_fork_server_imports_this_package_from_bytecode():
    """From source, the compiler's garbage stays in the server's heap (9.8 MB of anonymous memory
    instead of 7.3 MB, copied into every child's page tables): the parent compiles the package's
    modules once into a private cache, and only they are read from there."""
    import os

    from recode_rl.execution import executor

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(executor.__file__))))
    prefix = executor._server_bytecode(root)
    assert prefix is not None and executor._server_bytecode(root) == prefix  # once per process
    code = ("import builtins, sys; from recode_rl.execution import bootstrap; bootstrap.install(sys.argv[1]); "
            "real = builtins.compile; compiled = []; "
            "builtins.compile = lambda src, name, *a, **k: (compiled.append(name), real(src, name, *a, **k))[1]; "
            "import json, recode_rl.execution.harness as h; "
            "print(h.__cached__, json.__cached__, sys.pycache_prefix, any(n.endswith('harness.py') for n in compiled))")
    for given, ours in ((prefix, True), (os.path.join(prefix, "empty"), False)):  # none there: from source
        out = subprocess.run([sys.executable, "-c", code, given], capture_output=True, text=True, check=True,
                             cwd="/", env={"PYTHONPATH": root, "PYTHONDONTWRITEBYTECODE": "1"}).stdout.split()
        assert out[0].startswith(given) and out[3] == str(not ours)  # read from the cache, not compiled
        assert not out[1].startswith(prefix) and out[2] == "None"  # the standard library's own bytecode


def test_the_bytecode_cache_outlives_a_forked_copy_of_its_process():
    """Removed at this process's exit, not when a forked copy of it exits first (a trainer's
    forked workers): the server could then restart only from source."""
    import os

    from recode_rl.execution import executor

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(executor.__file__))))
    prefix = executor._server_bytecode(root)
    pid = os.fork()
    if pid == 0:
        executor._remove_if_mine(prefix, os.getppid())  # what the inherited atexit hook runs
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.path.isdir(prefix)
