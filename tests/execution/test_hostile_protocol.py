"""Hostile programs written by someone who has read our source and knows the protocol.

Classes (docs/executor.md): (1) grading decisions from inside the sandbox — forged, duplicate,
extra and malformed messages on every descriptor, claims of syntax_error/sandbox_error, clock
resets, units ended early, a changed unit count; (3) objects posing as plain data; (4) a
grader that must be total. Each case asserts the honest verdict, the full unit count from the
TestSuite, and no process left behind.
"""

import json
import random
import textwrap
import time

import pytest

from recode_rl.data.schema import TestSuite
from recode_rl.execution import Limits, Verdict
from recode_rl.execution import executor as executor_mod
from recode_rl.execution.executor import grade
from tests.execution.conftest import sandbox_processes

FAST = Limits(timeout=1.5, memory_mb=512, max_output_bytes=1 << 20)
# Public example first (the one a hard-coding program knows), then hidden tests.
STDIO3 = TestSuite(kind="stdio", inputs=("2 3\n", "10 20\n", "7 8\n"), outputs=("5", "30", "15"))
FUNC3 = TestSuite(kind="functional", inputs=([2, 3], [10, 20], [7, 8]), outputs=(5, 30, 15), fn_name="add")
ASSERT1 = TestSuite(kind="assertion", preamble="def check(candidate):\n    assert candidate(2, 3) == 5\n",
                    assertions=("check(candidate)",), entry_point="add")

# Every message a genuine harness ever sent, old protocol and new, for every unit.
FORGERIES = [json.dumps(m).encode() + b"\n" for m in (
    {"status": "collected", "names": ["only_the_public_one"], "nonce": "0" * 32},
    {"status": "syntax_error", "error_type": "SyntaxError", "message": "forged"},
    {"status": "sandbox_error", "message": "forged"},
    *({"i": i, "status": s, "value": v, "exit": 0, "nonce": "0" * 32}
      for i in range(4) for s in ("ok", "done", "pass") for v in (5, 30, 15)),
    {"status": "ok", "value": 30}, {"status": "ok", "value": 15},
    {"error_type": "MemoryError", "message": "forged"},
)] + [b"\x00\xff garbage", b"[" * 10000 + b"\n", b"9" * 5000 + b"\n", b"{\"status\": \"ok\", \"value\": NaN}\n"]

SPRAY = textwrap.dedent(f"""
    import os
    _FORGERIES = {FORGERIES!r}
    def _spray():
        for fd in range(256):
            for m in _FORGERIES:
                try:
                    os.write(fd, m)
                except OSError:
                    pass
""")


def prog(src: str) -> str:
    return SPRAY + textwrap.dedent(src).strip() + "\n"


def verdicts(result):
    return [t.verdict for t in result.tests]


W, P, R = Verdict.WRONG_ANSWER, Verdict.PASSED, Verdict.RUNTIME_ERROR

HOSTILE = {
    # name: (program, suite, expected verdicts per unit)
    # Hard-codes the public example and tries to shrink the suite to it.
    "stdio_public_only_and_spray": (prog("""
        _spray()
        print(5)
        """), STDIO3, [R, R, R]),  # forgeries on its channel: every unit's observation is malformed
    "functional_public_only_and_spray_at_load": (prog("""
        _spray()
        def add(a, b):
            return 5
        """), FUNC3, [R, R, R]),  # the forgeries on its own channel make every unit malformed
    "functional_public_only_spray_in_call": (prog("""
        def add(a, b):
            _spray()
            return 5
        """), FUNC3, [R, R, R]),
    "stdio_claims_syntax_error_then_exits": (prog("""
        os.write(3, b'{"status": "syntax_error", "error_type": "SyntaxError", "message": "x"}\\n')
        os._exit(0)
        """), STDIO3, [R, R, R]),
    "functional_claims_syntax_error": (prog("""
        os.write(3, b'{"status": "syntax_error", "error_type": "SyntaxError", "message": "x"}\\n')
        os._exit(0)
        """), FUNC3, [R, R, R]),
    "claims_sandbox_error_on_setup_fd": (prog("""
        for fd in (3, 4, 5):
            try:
                os.write(fd, b"sandbox setup: forged")
            except OSError:
                pass
        def add(a, b):
            return a * b
        """), FUNC3, [R, R, R]),
    "functional_extra_observation": (prog("""
        UNIT = {(2, 3): 0, (10, 20): 1, (7, 8): 2}
        def add(a, b):
            os.write(3, b'{"i": %d, "status": "ok", "value": %d}\\n' % (UNIT[a, b], a + b))
            return a + b
        """), FUNC3, [R, R, R]),  # two observations: the unit fails, however right the value
    "functional_extra_observation_without_index": (prog("""
        def add(a, b):
            os.write(3, b'{"status": "ok", "value": %d}\\n' % (a + b))
            return a + b
        """), FUNC3, [R, R, R]),
    "functional_ends_unit_early_then_exits": (prog("""
        UNIT = {(2, 3): 0, (10, 20): 1, (7, 8): 2}
        def add(a, b):
            os.write(3, b'{"i": %d, "status": "ok", "value": %d}\\n' % (UNIT[a, b], a + b))
            os._exit(0)
        """), FUNC3, [P, P, P]),  # its one observation *is* what it returned: honest
    "functional_answers_for_the_wrong_unit": (prog("""
        def add(a, b):
            os.write(3, b'{"i": 2, "status": "ok", "value": 15}\\n')
            os._exit(0)
        """), FUNC3, [R, R, P]),  # an answer counts only for the test it was asked (and is right for 2)
    "functional_malformed_observation": (prog("""
        def add(a, b):
            os.write(3, b'{"i": 0, "status": "ok", "value": {"$i": "zz"}}\\n')
            os._exit(0)
        """), FUNC3, [W, R, R]),  # unit 0: undecodable value; 1, 2: an answer for test 0
    "functional_deep_observation": (prog("""
        def add(a, b):
            os.write(3, b'{"status": "ok", "value": ' + b'[' * 5000 + b']' * 5000 + b'}\\n')
            os._exit(0)
        """), FUNC3, [R, R, R]),
    "assertion_claims_syntax_and_sandbox_error": (prog("""
        _spray()
        def add(a, b):
            return a * b
        """), ASSERT1, [W]),
    "stdio_error_report_with_exit_0": (prog("""
        print(5)
        os.write(3, b'{"error_type": "X", "message": "y"}\\n')
        """), STDIO3, [R, R, R]),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_forged_messages_change_nothing(executor, name):
    program, suite, expected = HOSTILE[name]
    result = executor.run(program, suite, FAST)
    assert result.total == len(suite)
    assert verdicts(result) == expected, (name, result.to_dict())
    assert result.verdict not in (Verdict.SYNTAX_ERROR, Verdict.SANDBOX_ERROR)
    assert sandbox_processes(executor) == []


@pytest.mark.parametrize("suite", [STDIO3, FUNC3], ids=["stdio", "functional"])
def test_clock_reset_messages_do_not_extend_a_unit(executor, suite):
    # Slow (2.4 s > 1.5 s) but sends every "unit finished" message of the old protocol while it works.
    body = """
        for _ in range(8):
            for m in (b'{"i": 0, "status": "done", "exit": 0}\\n', b'{"i": 0, "status": "ok", "value": 5}\\n',
                      b'{"status": "ok", "value": 5}\\n'):
                try:
                    os.write(3, m)
                except OSError:
                    pass
            time.sleep(0.3)
    """
    if suite.kind == "stdio":
        program = prog("import time\n" + textwrap.dedent(body) + "a, b = map(int, input().split())\nprint(a + b)\n")
    else:
        program = prog("import time\ndef add(a, b):\n" + textwrap.indent(textwrap.dedent(body), "    ")
                       + "    return a + b\n")
    t = time.monotonic()
    result = executor.run(program, suite, FAST)
    if suite.kind == "stdio":  # the messages mean nothing: 2 timeouts, and the job ends
        assert verdicts(result) == [Verdict.TIMEOUT, Verdict.TIMEOUT, Verdict.NOT_RUN]
    else:  # the first line it writes is its one observation for the unit: malformed, a failure
        assert verdicts(result) == [R, R, R]
        assert all(t.error_type == "ProtocolViolation" for t in result.tests)
    assert time.monotonic() - t < 2 * 1.5 + 2
    assert sandbox_processes(executor) == []


def test_hanging_on_every_input_costs_two_timeouts(executor):
    n = 200
    suite = TestSuite(kind="functional", inputs=tuple([i] for i in range(n)), outputs=tuple(range(n)), fn_name="f")
    t = time.monotonic()
    result = executor.run("def f(x):\n    while True:\n        pass\n", suite, Limits(timeout=0.5))
    assert time.monotonic() - t < 4
    assert result.total == n and result.verdict is Verdict.TIMEOUT
    assert verdicts(result)[:2] == [Verdict.TIMEOUT] * 2
    assert set(verdicts(result)[2:]) == {Verdict.NOT_RUN}
    assert sandbox_processes(executor) == []


def test_a_unit_cannot_grade_another_unit(executor):
    # Unit 0 knows its input; it tries to pre-answer the later units on every descriptor.
    program = prog("""
        def add(a, b):
            if (a, b) == (2, 3):
                for i in (1, 2):
                    for v in (30, 15):
                        for fd in range(3, 64):
                            try:
                                os.write(fd, b'{"i": %d, "status": "ok", "value": %d}\\n' % (i, v))
                            except OSError:
                                pass
                return 5
            return 0
        """)
    result = executor.run(program, FUNC3, FAST)
    assert verdicts(result)[1:] == [W, W]


# ------------------------------------------------------------------ objects posing as data

POSERS = {
    "metaclass_fakes_flags": """
        class Meta(type):
            __flags__ = 0  # "not a heap type": the old to_plain then passed it through unchanged
        class Always(metaclass=Meta):
            def __eq__(self, other): return True
            def __ne__(self, other): return False
        def add(a, b): return Always()
    """,
    "mappingproxy_over_dict_subclass": """
        import types
        class D(dict):
            def __eq__(self, other): return True
            def __ne__(self, other): return False
        def add(a, b): return types.MappingProxyType(D())
    """,
    "int_subclass": """
        class I(int):
            def __eq__(self, other): return True
            def __ne__(self, other): return False
            __hash__ = int.__hash__
        def add(a, b): return I(0)
    """,
    "str_subclass": """
        class S(str):
            def __eq__(self, other): return True
            def __ne__(self, other): return False
            __hash__ = str.__hash__
        def add(a, b): return S("x")
    """,
    "list_subclass": """
        class L(list):
            def __eq__(self, other): return True
        def add(a, b): return L()
    """,
    "numpy_object_array": """
        import numpy as np
        class Always:
            def __eq__(self, other): return True
            def __ne__(self, other): return False
            def __bool__(self): return True
        def add(a, b):
            arr = np.empty(1, dtype=object)
            arr[0] = Always()
            return arr
    """,
}


@pytest.mark.parametrize("kind", ["functional", "assertion"])
@pytest.mark.parametrize("name", sorted(POSERS))
def test_objects_posing_as_plain_data_are_refused(executor, name, kind):
    if name == "numpy_object_array":
        pytest.importorskip("numpy")
    program = textwrap.dedent(POSERS[name])
    suite = FUNC3 if kind == "functional" else ASSERT1
    result = executor.run(program, suite, FAST)
    assert result.passed == 0 and result.total == len(suite), result.to_dict()
    assert all(t.verdict is Verdict.RUNTIME_ERROR for t in result.tests), result.to_dict()
    assert "unserializable return value" in (result.tests[0].message or ""), result.to_dict()
    assert sandbox_processes(executor) == []


# ------------------------------------------------------------------- per-source equality

def test_tuple_vs_list_per_source(executor):
    program = "def f(x):\n    return (x, x)\n"
    json_sourced = TestSuite(kind="functional", inputs=([1],), outputs=([1, 1],), fn_name="f")  # LCB/TACO: atol None
    evalplus = TestSuite(kind="functional", inputs=([1],), outputs=([1, 1],), fn_name="f", atol=0.0)
    evalplus_tuple = TestSuite(kind="functional", inputs=([1],), outputs=((1, 1),), fn_name="f", atol=0.0)
    assert executor.run(program, json_sourced, FAST).verdict is Verdict.PASSED
    assert executor.run(program, evalplus, FAST).verdict is Verdict.WRONG_ANSWER
    assert executor.run(program, evalplus_tuple, FAST).verdict is Verdict.PASSED
    listy = "def f(x):\n    return [x, x]\n"
    assert executor.run(listy, evalplus_tuple, FAST).verdict is Verdict.WRONG_ANSWER


def test_atol_zero_gets_evalplus_float_tolerance(executor):
    suite = TestSuite(kind="functional", inputs=([],), outputs=(7.526291655427412e+20,), fn_name="f", atol=0.0)
    assert executor.run("def f():\n    return 7.526291655427411e+20\n", suite, FAST).verdict is Verdict.PASSED
    assert executor.run("def f():\n    return 7.53e+20\n", suite, FAST).verdict is Verdict.WRONG_ANSWER


# --------------------------------------------------------------------- a total grader

def _adversarial_values(rng: random.Random):
    deep: object = []
    for _ in range(rng.choice([10, 3000])):
        deep = [deep]
    return [None, True, 0, -1, 10 ** 5000, 1e308, float("nan"), float("inf"), "sNaN", "NaN", "x" * 100_000,
            [], {}, deep, {"$i": "zz"}, {"$f": "sNaN"}, {"$f": "1.5"}, {"$d": [[[], 1]]}, {"$c": ["a", 1]},
            {"$t": 5}, {"$b": "zz"}, {"$x": []}, {"a": 1, "b": 2}, [[1, 2], {"$s": [[1]]}], 3.5, "5", b"x"]


def _random_record(rng: random.Random, vals):
    keys = ["status", "value", "stdout", "exit", "seconds", "error_type", "message", "i", "nonce"]
    statuses = ["ok", "done", "pass", "fail", "error", "timeout", "crashed", "exited", "output_limit",
                "sandbox_error", "not_run", "bad_observation", "collected", "syntax_error", None, 5, []]
    rec = {k: rng.choice(vals) for k in rng.sample(keys, rng.randint(0, len(keys)))}
    if rng.random() < 0.8:
        rec["status"] = rng.choice(statuses)
    if rng.random() < 0.3:
        rec["stdout"] = rng.choice(["5", "30", "sNaN", "1e999999999", "-sNaN 1", "1" * 50_000, "\x00"])
    return rec if rng.random() < 0.9 else rng.choice(vals)


SUITES = [STDIO3, FUNC3, ASSERT1,
          TestSuite(kind="functional", inputs=([1],) * 3, outputs=(1.5, [1.0, 2.0], (1,)), fn_name="f", atol=0.0),
          TestSuite(kind="functional", inputs=([1],) * 2, outputs=(10 ** 30, 2.5), fn_name="f", atol=1e-3),
          TestSuite(kind="unittest", preamble="import unittest\n")]


def test_grader_is_total_under_fuzzing():
    rng = random.Random(0)
    vals = _adversarial_values(rng)
    for _ in range(3000):
        suite = rng.choice(SUITES)
        raw = {"units": {str(rng.randint(-2, 5)): _random_record(rng, vals) for _ in range(rng.randint(0, 6))},
               "n_units": rng.choice([None, -1, 0, 3, 10 ** 9, "3", 2.5, 3]),
               "syntax_error": rng.choice([None, None, None, {}, {"message": 5}, "x"]),
               "stderr_tail": rng.choice(["", 5, None])}
        if rng.random() < 0.05:
            raw = rng.choice([None, [], "x", {"error": 5}, {"units": []}, {"units": 5}])
        result = grade(raw, suite, stop_on_first_failure=rng.random() < 0.2)
        n = len(suite) if suite.kind != "unittest" else result.total
        assert result.total == n >= 1 and all(isinstance(t.verdict, Verdict) for t in result.tests)
        if suite.kind != "unittest":
            assert result.total == len(suite)


def test_a_batch_of_hostile_records_completes(executor, monkeypatch):
    rng = random.Random(1)
    vals = _adversarial_values(rng)

    def fake_raw(program, tests, limits=None):
        if rng.random() < 0.1:
            raise RecursionError("hostile record")
        return {"units": {str(i): _random_record(rng, vals) for i in range(len(tests) + 1)}, "n_units": 10 ** 12}

    monkeypatch.setattr(executor, "raw", fake_raw)
    jobs = [("pass\n", rng.choice(SUITES)) for _ in range(200)]
    results = executor.map(jobs, FAST)
    assert len(results) == 200
    for (_, suite), r in zip(jobs, results):
        assert r.total >= 1 and (suite.kind == "unittest" or r.total == len(suite))


def test_a_crash_is_charged_to_its_own_unit_only(executor):
    program = "import os\ndef add(a, b):\n    if a == 10:\n        os._exit(0)\n    return a + b\n"
    result = executor.run(program, FUNC3, FAST)
    assert verdicts(result) == [P, R, P]
    assert result.tests[1].error_type == "EarlyExit"


def test_supervisor_observation_parsing_is_total():
    """What a child writes is parsed in the supervisor: random and adversarial lines never raise."""
    from recode_rl.execution import units

    rng = random.Random(2)
    lines = [b"", b"{", b"[]", b"null", b"NaN", b'{"i": 0}', b'{"i": 0, "status": "ok"}', b"9" * 5000,
             b'{"i": 0, "status": "ok", "value": ' + b"[" * 3000 + b"]" * 3000 + b"}",
             b'{"i": ' + b"9" * 5000 + b', "status": "ok", "value": 1}', b'{"i": 0.0, "status": "ok", "value": 1}',
             b'{"i": 0, "status": "error", "error_type": [], "message": {}}', b"\xff\xfe", b'"x"' * 1000]
    lines += [bytes(rng.randrange(256) for _ in range(rng.randint(0, 64))) for _ in range(500)]
    for line in lines:
        rec = units._functional_record(line, 0.1, 0)
        assert rec["status"] in ("ok", "error", "bad_observation")
        assert units._peek_index(line) is None or type(units._peek_index(line)) is int
        run = units._Run()
        run.setup, run.status, run.channel = bytearray(b"\0"), rng.choice([0, 256, 9]), bytearray(line + b"\n")
        assert units._unit_record({"kind": "stdio"}, run)["status"] in (
            "done", "error", "bad_observation", "crashed", "exited", "timeout")


def test_a_daemon_does_not_outlive_its_unit(executor):
    # Unit 0 leaves a daemon behind that would answer later units through a file; it is
    # killed when unit 0 ends, before unit 1 starts.
    program = textwrap.dedent("""
        import os, time
        a, b = map(int, input().split())
        if (a, b) == (2, 3) and os.fork() == 0:
            os.setsid()
            time.sleep(0.5)
            open("daemon-was-here", "w").write("x")
            os._exit(0)
        if (a, b) != (2, 3):
            time.sleep(1.0)
        print(0 if os.path.exists("daemon-was-here") else a + b)
        """)
    result = executor.run(program, STDIO3, FAST)
    assert verdicts(result) == [P, P, P]
    assert sandbox_processes(executor) == []


# A marker only the last, hidden input carries. A program that can see it during the first
# unit can precompute every answer there and answer the later units at once, so that per-input
# time limits (EvalPlus's protocol) measure nothing. The input of a unit crosses with its request.
_MARKER = 918273645
_LOOK_AHEAD = """
import gc, sys

def _sees_marker():
    m = str(int("{m_minus_1}") + 1)  # built at run time: the program's own constants do not hold it
    frame = sys._getframe(1)
    while frame is not None:     # the harness's frames and their locals
        for v in list(frame.f_locals.values()):
            if m in repr(v):
                return "frame " + frame.f_code.co_name
        frame = frame.f_back
    for o in gc.get_objects():   # every container the process holds
        try:
            if type(o) in (list, tuple, dict) and m in repr(o):
                return "object"
        except Exception:
            pass
    try:                         # every byte of its own memory, freed or not (one copy is m's own)
        needle = m.encode()
        with open('/proc/self/maps') as maps, open('/proc/self/mem', 'rb', 0) as mem:
            found = 0
            for line in maps:
                addr, perms = line.split()[:2]
                if perms.startswith('rw'):
                    lo, hi = (int(x, 16) for x in addr.split('-'))
                    try:
                        mem.seek(lo)
                        found += mem.read(hi - lo).count(needle)
                    except OSError:
                        pass
            if found > 2:        # m and needle
                return "memory"
    except OSError:
        pass
    return None

_calls = 0

def f(x):
    global _calls
    _calls += 1
    if _calls == 1:
        seen = _sees_marker()
        if seen:
            raise RuntimeError("saw a later unit's input: " + seen)
    return x
""".replace("{m_minus_1}", str(_MARKER - 1))


def test_a_unit_cannot_see_the_inputs_of_later_units(executor):
    suite = TestSuite(kind="functional", fn_name="f", inputs=([1], [2], [_MARKER]), outputs=(1, 2, _MARKER))
    result = executor.run(_LOOK_AHEAD, suite, FAST)
    assert verdicts(result) == [Verdict.PASSED] * 3, result.tests[0]
    assert sandbox_processes(executor) == []


def test_answers_precomputed_in_the_first_unit_do_not_dodge_a_later_units_limit(executor):
    # Slow on the last input (sleeps 1.2 s; its limit is 0.5 s), fast on the others. It tries
    # to do the slow work during the first unit, whose limit is 5 s, by reading every input
    # out of the harness: with the input of a unit only crossing with its request, there is
    # nothing to read, and the slow unit is timed as it runs. (Sleep-based: load only makes
    # the slow unit slower.)
    from recode_rl.execution.check import apply_time_limits

    program = textwrap.dedent("""
        import gc, sys, time
        _done = {}
        def _slow(x):
            time.sleep(1.2)
            return x
        def f(x):
            if not _done:
                _done["ran"] = True
                for o in gc.get_objects():
                    if type(o) is dict and type(o.get("inputs")) is list:
                        for args in o["inputs"]:
                            if type(args) is str:
                                import json
                                args = json.loads(args)
                            if type(args) is list and args and args[0] == 3:
                                _done[3] = _slow(3)
            if x in _done:
                return _done[x]
            return _slow(x) if x == 3 else x
    """)
    suite = TestSuite(kind="functional", fn_name="f", inputs=([1], [2], [3]), outputs=(1, 2, 3))
    result = apply_time_limits(executor.run(program, suite, Limits(timeout=6.0, memory_mb=512)), [5.0, 0.5, 0.5])
    assert verdicts(result) == [Verdict.PASSED, Verdict.PASSED, Verdict.TIMEOUT]
    assert sandbox_processes(executor) == []


def test_a_large_input_crosses_with_its_request_and_a_program_that_never_reads_it_times_out(executor):
    big = "x" * (3 << 20)  # far more than a pipe holds: the request goes out as the child reads
    suite = TestSuite(kind="functional", fn_name="f", inputs=([big], ["ab"]), outputs=(len(big), 2))
    assert executor.run("def f(s):\n    return len(s)\n", suite, FAST).all_passed
    # This one stops reading its requests while the supervisor is still writing the first:
    # the supervisor never blocks on it, and the unit's clock runs out.
    stuck = "import os, time\nos.read(5, 100)\ntime.sleep(30)\ndef f(s):\n    return len(s)\n"
    t = time.monotonic()
    result = executor.run(stuck, suite, Limits(timeout=1.0, memory_mb=512, max_output_bytes=1 << 20))
    assert verdicts(result)[0] is Verdict.TIMEOUT
    assert time.monotonic() - t < 20  # (a supervisor blocked on the write would wait out the job's deadline)
    assert sandbox_processes(executor) == []


@pytest.mark.parametrize("text", [
    b'5,"seconds":0.0',            # a second key smuggled after the value
    b'5}{"i":1,"status":"ok","value":30',
    b'5 6', b'', b'[' * 300 + b']' * 300, b'9' * 5000, b'{"$t": [1]',
])
def test_a_value_passed_on_undecoded_is_exactly_one_json_value(text):
    """The supervisor passes the value of a harness-shaped line on without decoding it; the parent
    decodes it alone, so nothing in it can reach the record's other fields."""
    import socket as socket_mod

    from recode_rl.execution.protocol import send_msg

    a, b = socket_mod.socketpair()
    with a, b:
        send_msg(a, {"units": {"0": {"status": "ok", "segment": 0, "seconds": 0.25}}}, [text])
        resp = executor_mod._receive(b)
    rec = resp["units"]["0"]
    assert rec["status"] == "bad_observation" and rec["seconds"] == 0.25 and "value" not in rec


def test_segments_cross_whole_in_one_message():
    """Raw segments (a job's inputs, returned values) go out in one sendmsg however many there
    are (more than the kernel's 1,024 buffers per call, empty ones, one larger than the socket's
    buffer) and come back byte for byte, in order."""
    import socket as socket_mod
    import threading

    from recode_rl.execution.protocol import recv_msg, recv_segments, send_msg

    segments = [b"", *(str(i).encode() for i in range(1500)), b"x" * (3 << 20), b""]
    a, b = socket_mod.socketpair()
    with a, b:
        writer = threading.Thread(target=send_msg, args=(a, {"kind": "functional"}, segments))
        writer.start()
        msg = recv_msg(b)
        got = recv_segments(b, msg.pop("segments"), len(segments))
        writer.join()
    assert msg == {"kind": "functional"} and got == segments


@pytest.mark.parametrize("lengths", [[1, -1], [1.0], "3", [True], [0] * 3, None])
def test_a_malformed_segment_list_is_refused(lengths):
    """More segments than the message can have (here: 2), or lengths that are not counts."""
    from recode_rl.execution.protocol import recv_segments

    with pytest.raises(ValueError):
        recv_segments(None, lengths, 2)


def test_a_harness_shaped_line_with_a_smuggled_key_fails_its_unit(executor):
    # The right answer for unit 0 (2 + 3), in the harness's exact shape, with the supervisor's
    # own "seconds" key appended; then the program stops answering.
    program = textwrap.dedent("""
        import os, time
        def add(a, b):
            os.write(3, b'{"i":0,"status":"ok","value":5,"seconds":0.0}\\n')
            time.sleep(30)
    """)
    result = executor.run(program, FUNC3, FAST)
    assert result.tests[0].verdict is R and result.tests[0].error_type == "ProtocolViolation"
    assert sandbox_processes(executor) == []


def test_more_than_ten_thousand_functional_units_all_cross(executor):
    # One raw segment per answered unit follows the supervisor's answer; their count is bounded
    # by the job's units, not by the unittest collection cap (10,000).
    n = 10_050
    suite = TestSuite(kind="functional", fn_name="f", inputs=tuple([i] for i in range(n)), outputs=tuple(range(n)))
    result = executor.run("def f(x):\n    return x\n", suite, Limits(timeout=5.0, memory_mb=512))
    assert result.total == n and result.all_passed
