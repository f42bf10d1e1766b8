"""Layers switched off (RECODE_SANDBOX_DISABLE) are reported loudly and grading stays correct."""

import textwrap

import pytest

from recode_rl.execution.types import TestSuite
from recode_rl.execution import Executor, Limits, Verdict

STDIO = TestSuite(kind="stdio", inputs=("2 3\n",), outputs=("5",))
QUICK = Limits(timeout=1.5)


@pytest.mark.parametrize("disabled", ["uid", "filesystem", "network,uid"])
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


DAEMON = textwrap.dedent("""
    import os, time
    def spawn():
        r, w = os.pipe()
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.write(w, str(os.getpid()).encode())
                os.close(w)
                time.sleep(600)
            os._exit(0)
        os.close(w)
        return int(os.read(r, 64))
    """)


def assert_daemon_is_killed(ex):
    """A double-forked, setsid'd daemon reports its pid; after the job it must be gone."""
    tests = TestSuite(kind="functional", inputs=([],), outputs=(None,), fn_name="spawn")
    raw = ex.raw(DAEMON, tests, QUICK)
    pid = raw["units"]["0"]["value"]
    assert isinstance(pid, int) and pid > 1
    try:
        with open(f"/proc/{pid}/status") as f:
            state = next(line for line in f if line.startswith("State:"))
        assert "Z" in state, f"daemon {pid} survived the job: {state}"
    except FileNotFoundError:
        pass  # gone


def test_daemon_is_killed_with_all_layers(executor):
    assert_daemon_is_killed(executor)


def test_unknown_layer_name_fails_loudly(monkeypatch):
    monkeypatch.setenv("RECODE_SANDBOX_DISABLE", "networking")
    with pytest.raises(RuntimeError, match="failed to start"):
        Executor(max_workers=1)
