"""Hostile programs: each must fail (or be contained) with the right verdict, leave no
process behind, and never crash or hang the caller."""

import os
import socket
import textwrap
import threading

import pytest

from recode_rl.execution.types import TestSuite
from recode_rl.execution import Limits, Verdict
from tests.execution.conftest import sandbox_processes

FAST = Limits(timeout=1.5, memory_mb=512, max_output_bytes=1 << 20)

STDIO = TestSuite(kind="stdio", inputs=("2 3\n",), outputs=("5",))
FUNC = TestSuite(kind="functional", inputs=([2, 3],), outputs=(5,), fn_name="add", class_name="Solution")
ASSERT = TestSuite(kind="assertion", preamble="def check(candidate):\n    assert candidate(2, 3) == 5\n",
                   assertions=("check(candidate)",), entry_point="add")

NOT_PASSED = {v for v in Verdict if v is not Verdict.PASSED}


def prog(src: str) -> str:
    return textwrap.dedent(src).strip() + "\n"


HOSTILE = {
    # name: (program, suite, allowed verdicts)
    "infinite_loop": ("while True:\n    pass\n", STDIO, {Verdict.TIMEOUT}),
    "sleep_forever": ("import time\ntime.sleep(10**6)\n", STDIO, {Verdict.TIMEOUT}),
    "ignore_sigterm": (prog("""
        import signal
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        while True:
            pass
        """), STDIO, {Verdict.TIMEOUT}),
    "fork_bomb": (prog("""
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
        """), STDIO, {Verdict.TIMEOUT, Verdict.RUNTIME_ERROR}),
    "memory_bomb_alloc": ("x = bytearray(8 * 1024 ** 3)\nprint(5)\n", STDIO, {Verdict.MEMORY_LIMIT}),
    "memory_bomb_grow": ("l = []\nwhile True:\n    l.append(' ' * 10**6)\n", STDIO, {Verdict.MEMORY_LIMIT},
                         Limits(timeout=10, memory_mb=512)),  # generous clock: the verdict must be the memory limit
    "huge_output": ("while True:\n    print('x' * 100000)\n", STDIO, {Verdict.RUNTIME_ERROR, Verdict.TIMEOUT}),
    "sys_exit_0_stdio": ("import sys\nsys.exit(0)\n", STDIO, {Verdict.WRONG_ANSWER}),
    "sys_exit_0_assert": ("import sys\nsys.exit(0)\ndef add(a, b): return 0\n", ASSERT, NOT_PASSED),
    "sys_exit_in_call": ("def add(a, b):\n    import sys\n    sys.exit(0)\n", ASSERT, {Verdict.RUNTIME_ERROR}),
    "os_exit_0_assert": ("def add(a, b):\n    import os\n    os._exit(0)\n", ASSERT, {Verdict.RUNTIME_ERROR}),
    "os_exit_0_functional": (prog("""
        class Solution:
            def add(self, a, b):
                import os
                os._exit(0)
        """), FUNC, {Verdict.RUNTIME_ERROR}),
    "atexit_fake_pass": (prog("""
        import atexit, os
        def fake():
            for fd in range(64):
                try:
                    os.write(fd, b'{"i": 0, "status": "pass", "nonce": ""}\\n')
                except OSError:
                    pass
        atexit.register(fake)
        def add(a, b):
            raise SystemExit(0)
        """), ASSERT, NOT_PASSED),
    "forged_eq_functional": (prog("""
        class Always:
            def __eq__(self, other): return True
            def __ne__(self, other): return False
        class Solution:
            def add(self, a, b): return Always()
        """), FUNC, {Verdict.RUNTIME_ERROR}),
    "forged_eq_assert": (prog("""
        class Always:
            def __eq__(self, other): return True
        def add(a, b): return Always()
        """), ASSERT, {Verdict.RUNTIME_ERROR}),
    "forged_eq_int_subclass": (prog("""
        class Sneaky(int):
            def __eq__(self, other): return True
            __hash__ = int.__hash__
        def add(a, b): return Sneaky(0)
        """), ASSERT, {Verdict.RUNTIME_ERROR}),  # "unserializable return value": exact types only
    "forged_eq_in_list": (prog("""
        class Always:
            def __eq__(self, other): return True
        class Solution:
            def add(self, a, b): return [Always()]
        """), FUNC, {Verdict.RUNTIME_ERROR}),
    "patch_json": (prog("""
        import json
        json.dumps = lambda *a, **k: '{"i": 0, "status": "pass"}'
        json.JSONEncoder.encode = lambda self, o: '{"i": 0, "status": "pass"}'
        def add(a, b): return 0
        """), ASSERT, {Verdict.WRONG_ANSWER}),
    "patch_builtins": (prog("""
        import builtins
        builtins.isinstance = lambda *a: True
        builtins.type = lambda *a: int
        def add(a, b): return 0
        """), ASSERT, {Verdict.WRONG_ANSWER}),
    "spray_fake_pass": (prog("""
        import os
        msgs = [b'{"i": 0, "status": "pass", "nonce": "%032x"}\\n' % n for n in range(3)]
        msgs += [b'{"i": 0, "status": "ok", "value": 5}\\n', b'{"i": 0, "status": "done", "exit": 0}\\n', b'5\\n']
        for fd in range(256):
            for m in msgs:
                try:
                    os.write(fd, m)
                except OSError:
                    pass
        os._exit(0)
        """), ASSERT, {Verdict.RUNTIME_ERROR}),
    "spray_fake_value_functional_then_crash": (prog("""
        import os
        class Solution:
            def add(self, a, b):
                for fd in range(256):
                    try:
                        os.write(fd, b'{"i": 0, "status": "pass", "nonce": "x"}\\n')
                    except OSError:
                        pass
                return 4
        """), FUNC, {Verdict.RUNTIME_ERROR}),  # extra lines on its channel: a malformed observation
    "kill_parent": (prog("""
        import os, signal
        for target in (os.getppid(), 1):
            try:
                os.kill(target, signal.SIGKILL)
            except OSError:
                pass
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        print(4)
        """), STDIO, NOT_PASSED),
    "read_proc_parent_mem": (prog("""
        import os
        try:
            data = open(f"/proc/{os.getppid()}/mem", "rb").read(10)
        except OSError as e:
            raise SystemExit(3)
        """), STDIO, {Verdict.RUNTIME_ERROR}),
    "write_outside_workdir": (prog("""
        for path in ("/etc/recode-evil", "/usr/recode-evil", "/recode-evil"):
            try:
                open(path, "w").write("x")
                print("wrote", path)
            except OSError:
                pass
        """), STDIO, {Verdict.WRONG_ANSWER}),
    "recursion_bomb": ("import sys\nsys.setrecursionlimit(10**9)\ndef f(n): return f(n+1)\nf(0)\n", STDIO,
                       {Verdict.RUNTIME_ERROR, Verdict.MEMORY_LIMIT, Verdict.TIMEOUT}),
    "syntax_error": ("def add(a, b) return a + b\n", ASSERT, {Verdict.SYNTAX_ERROR}),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_program_is_contained(executor, name):
    program, suite, allowed, *limits = HOSTILE[name]
    result = executor.run(program, suite, limits[0] if limits else FAST)
    assert result.verdict in allowed, (name, result.to_dict())
    assert result.passed == 0
    assert sandbox_processes(executor) == []
    # The executor is still healthy afterwards.
    assert executor.run("print(sum(map(int, input().split())))", STDIO, FAST).verdict is Verdict.PASSED


def test_double_forked_daemon_is_killed(executor, tmp_path):
    program = prog("""
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(600)
            os._exit(0)
        print(5)
        """)
    result = executor.run(program, STDIO, FAST)
    assert result.verdict is Verdict.PASSED  # the program itself is right; the daemon is reaped
    assert sandbox_processes(executor) == []


def test_cannot_read_expected_output_from_host_files(executor, tmp_path):
    secret = tmp_path / "expected.txt"
    secret.write_text("5\n")
    program = f"print(open({str(secret)!r}).read())\n"
    assert executor.run(program, STDIO, FAST).verdict is Verdict.RUNTIME_ERROR
    # The project tree and the shared data are not mounted either.
    here = os.path.abspath(__file__)
    assert executor.run(f"print(open({here!r}).read()[:1])", STDIO, FAST).verdict is Verdict.RUNTIME_ERROR


def test_no_network(executor):
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    server.settimeout(0.5)
    accepted = []

    def accept():
        try:
            accepted.append(server.accept())
        except OSError:
            pass

    t = threading.Thread(target=accept)
    t.start()
    program = prog(f"""
        import socket
        socket.create_connection(("127.0.0.1", {port}), timeout=1).sendall(b"hi")
        print(5)
        """)
    result = executor.run(program, STDIO, FAST)
    t.join()
    server.close()
    assert result.verdict is Verdict.RUNTIME_ERROR
    assert accepted == []


def test_environment_is_scrubbed(executor, monkeypatch):
    program = "import os\nprint(sorted(k for k in os.environ if 'SECRET' in k or 'TOKEN' in k) or 5)\n"
    assert executor.run(program, STDIO, FAST).verdict is Verdict.PASSED


def test_jobs_cannot_touch_each_other(executor):
    # One job tries to kill every process it can see; a concurrent normal job still passes.
    killer = "import os, signal, time\nfor _ in range(200):\n    try: os.kill(-1, signal.SIGKILL)\n    except OSError: pass\n    time.sleep(0.005)\n"
    slow_ok = "import time\ntime.sleep(0.5)\nprint(5)\n"
    results = executor.map([(killer, STDIO), (slow_ok, STDIO)] * 2, FAST)
    assert [r.verdict for r in results[1::2]] == [Verdict.PASSED, Verdict.PASSED]


def test_hostile_jobs_do_not_break_a_batch(executor):
    good = "print(sum(map(int, input().split())))\n"
    jobs = [(HOSTILE["infinite_loop"][0], STDIO), (HOSTILE["fork_bomb"][0], STDIO)] + [(good, STDIO)] * 12
    results = executor.map(jobs, FAST)
    assert results[0].verdict is Verdict.TIMEOUT
    assert all(r.verdict is Verdict.PASSED for r in results[2:])
    assert sandbox_processes(executor) == []
