"""Layers switched off (RECODE_SANDBOX_DISABLE) are reported loudly and grading stays correct."""

import secrets
import textwrap
from concurrent.futures import ThreadPoolExecutor

import pytest

from recode_rl.execution.types import TestSuite
from recode_rl.execution import Executor, Limits, Verdict
from tests.execution.conftest import NAME_PROCESS, processes_named

STDIO = TestSuite(kind="stdio", inputs=("2 3\n",), outputs=("5",))
QUICK = Limits(timeout=1.5)


@pytest.mark.parametrize("disabled", ["uid", "filesystem", "network,uid", "pid,ipc,tmpfs,cgroup,keyring",
                                      "pid,uid,cgroup"])
def test_disabled_layers_warn_and_still_grade(monkeypatch, capfd, disabled):
    monkeypatch.setenv("RECODE_SANDBOX_DISABLE", disabled)
    import recode_rl.execution.executor as ex_mod
    monkeypatch.setattr(ex_mod, "_warned", set())
    with pytest.warns(RuntimeWarning, match="isolation layer"):
        ex = Executor(max_workers=1)
    with ex:
        for layer in disabled.split(","):
            assert ex.isolation[layer].startswith("off"), ex.isolation
        assert "WARNING: recode-rl sandbox" in capfd.readouterr().err
        good = "print(sum(map(int, input().split())))\n"
        assert ex.run(good, STDIO, QUICK).verdict is Verdict.PASSED
        assert ex.run("print(4)\n", STDIO, QUICK).verdict is Verdict.WRONG_ANSWER
        assert ex.run("while True: pass\n", STDIO, QUICK).verdict is Verdict.TIMEOUT
        assert_daemon_is_killed(ex)


DAEMON = NAME_PROCESS + textwrap.dedent("""
    import os, signal, time
    def spawn(comm):
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                name_process(comm)
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
                time.sleep(600)
            os._exit(0)
        time.sleep(1.0)  # long enough for the test to see the daemon
        return 1
    """)


def assert_daemon_is_killed(ex):
    """A double-forked, setsid'd daemon names itself; the test sees it while the job runs, and
    after the job no process has that name."""
    comm = f"rc-{secrets.token_hex(4)}"
    tests = TestSuite(kind="functional", inputs=([comm],), outputs=(1,), fn_name="spawn")
    with ThreadPoolExecutor(1) as pool:
        job = pool.submit(ex.raw, DAEMON, tests, Limits(timeout=5))
        seen = []
        while not seen and not job.done():
            seen = processes_named(comm)
        raw = job.result()
    assert seen, "the daemon never showed up: the test proves nothing"
    assert raw["units"]["0"]["status"] == "ok", raw
    assert raw["clean"] is True
    assert processes_named(comm) == []


def test_daemon_is_killed_with_all_layers(executor):
    assert_daemon_is_killed(executor)


def test_unknown_layer_name_fails_loudly(monkeypatch):
    monkeypatch.setenv("RECODE_SANDBOX_DISABLE", "networking")
    with pytest.raises(RuntimeError, match="failed to start"):
        Executor(max_workers=1)


DEEP = textwrap.dedent("""
    import os
    def build(depth):
        here = os.getcwd()
        fd = os.open(".", os.O_RDONLY)
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            nxt = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nxt
        return here
    def exists(path):
        return os.path.exists(path)
    """)


def test_without_a_job_tmpfs_a_deep_tree_is_still_removed(monkeypatch):
    """The working directory then lives in the shared /tmp: it is removed iteratively, however
    deep (2,500 levels: beyond PATH_MAX), before the next job."""
    monkeypatch.setenv("RECODE_SANDBOX_DISABLE", "tmpfs")
    with pytest.warns(RuntimeWarning, match="isolation layer"):
        ex = Executor(max_workers=1)
    with ex:
        suite = TestSuite(kind="functional", inputs=([2500],), outputs=(None,), fn_name="build")
        raw = ex.raw(DEEP, suite, QUICK)
        assert "units" in raw, raw
        workdir = raw["units"]["0"]["value"]
        assert raw["clean"] is True and workdir.startswith("/tmp/recode-jobs/")
        raw = ex.raw(DEEP, TestSuite(kind="functional", inputs=([workdir],), outputs=(None,), fn_name="exists"), QUICK)
        assert raw["units"]["0"]["value"] is False
