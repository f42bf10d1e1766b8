"""Trusted-side comparison rules, with hand-computed cases."""

import math

import pytest

from recode_rl.execution.compare import stdio_equal, values_equal
from recode_rl.execution.harness import NonPlainValue, from_wire, to_plain, to_wire


@pytest.mark.parametrize("actual, expected, equal", [
    ("3\n", "3", True),                      # trailing newline stripped
    ("  1 2 \n3\n\n", "1 2\n3", True),       # per-line strip, outer strip
    ("1.0\n", "1.00", True),                 # Decimal("1.0") == Decimal("1.00")
    ("0.3333", "0.33333", False),            # no tolerance: Decimals differ
    ("1 2", "1  2", True),                   # whitespace-separated decimals: [1, 2] == [1, 2]
    ("1\n2", "1 2", False),                  # line counts differ (2 vs 1)
    ("YES", "yes", False),                   # case matters
    ("", "", True),
    ("abc 1.0", "abc 1", False),             # non-numeric token: text must be exact
])
def test_stdio_equal(actual, expected, equal):
    assert stdio_equal(actual, expected) is equal


@pytest.mark.parametrize("actual, expected, atol, equal", [
    ([1, 2], [1, 2], None, True),
    ((1, 2), [1, 2], None, True),            # a tuple matches a JSON list
    ([1, 2], (1, 2), None, False),           # ... but an expected tuple needs a tuple
    ({"a": (1,)}, {"a": [1]}, None, True),
    (0.1 + 0.2, 0.3, None, False),           # exact by default
    (0.1 + 0.2, 0.3, 0.0, True),             # EvalPlus: atol 0 + float expected -> 1e-6
    (1.00001, 1.0, 0.0, False),              # |diff| = 1e-5 > 1e-6 + 1e-7
    (1.00001, 1.0, 1e-4, True),
    ([1.0, 2.0000001], [1.0, 2.0], 0.0, True),
    (float("nan"), float("nan"), 0.0, False),  # np.allclose: equal_nan=False, as in EvalPlus
    (7.526291655427411e+20, 7.526291655427412e+20, 0.0, True),  # atol 0: 1e-6 + rtol 1e-7 (EvalPlus)
    (7.526291655427411e+20, 7.526291655427412e+20, None, False),  # JSON source, no atol: exact
    ((1, 2), [1, 2], 0.0, False),            # EvalPlus keeps types: a tuple is not a list
    ((1.0, 2.0), [1.0, 2.0], 0.0, False),    # ... also under tolerance (type(out) == type(exp))
    ((1.0, 2.0000001), (1.0, 2.0), 0.0, True),
    (1, 1.0, 0.0, True),                     # out == exp first
    (2, 1.9999999, 0.0, False),              # an int is not a float under tolerance
    ([[1.0, 2.0]], [[1.0, 2.0000001]], 0.0, False),  # is_floats: a list of lists is not floats
    ([[1.0, 2.0]], [[1.0, 2.0000001]], 1e-6, True),
    (float("inf"), float("inf"), 0.0, True),
    ({"a": float("nan")}, {"a": 1.0}, 0.0, False),
    (True, 1, None, True),                    # Python ==
    ("1", 1, None, False),
])
def test_values_equal(actual, expected, atol, equal):
    assert values_equal(actual, expected, atol) is equal


def test_wire_round_trip_keeps_types():
    value = {"t": (1, 2.5, None), "s": {1, 2}, "f": frozenset({"x"}), "b": b"\x00\xff", "c": 1 + 2j,
             "n": [float("inf"), -float("inf")], 3: [True, "é"]}
    back = from_wire(to_wire(value))
    assert back == value and type(back["t"]) is tuple and type(back["s"]) is set
    assert math.isnan(from_wire(to_wire(float("nan"))))


def test_wire_refuses_builtin_subclasses_naming_the_type():
    class Sneaky(int):
        def __eq__(self, other):
            return True
        __hash__ = int.__hash__

    with pytest.raises(NonPlainValue, match="unserializable return value: .*Sneaky"):
        to_wire([Sneaky(3)])


def test_wire_refuses_user_objects():
    class Box:
        pass

    with pytest.raises(NonPlainValue):
        to_wire([Box()])


def test_to_plain_materialises_iterators_and_passes_c_objects():
    assert to_plain(x * 2 for x in range(3)) == [0, 2, 4]
    r = range(3)
    assert to_plain(r) is r


def test_values_equal_is_total():
    huge = 10 ** 5000
    assert values_equal(huge, 1.0, 1e-6) is False  # float(huge) overflows: a mismatch, not an error
    assert values_equal([huge], [1.0], 0.0) is False
    assert values_equal(huge, huge, 0.0) is True
    deep = []
    for _ in range(100_000):
        deep = [deep]
    assert values_equal(deep, [[]], None) is False  # RecursionError -> mismatch
    assert values_equal({1: 2}, [1, 2], 0.5) is False


@pytest.mark.parametrize("printed", ["sNaN", "-sNaN", "NaN", "1e999999999", "1" * 100_000])
def test_stdio_equal_is_total(printed):
    assert stdio_equal(printed, "1") is False
    assert stdio_equal(f"2 {printed}", "2 1.0") is False


@pytest.mark.parametrize("actual, expected, equal", [
    ((3, 1, 2), (1, 2, 3), True),          # order ignored (EvalPlus: set(out) == set(exp))
    ([1, 1, 2], [2, 1], True),             # duplicates ignored
    ([1, 2], [1, 2, 3], False),
    ([[1], [2]], [[1], [2]], False),       # unhashable items: set() raises -> a mismatch, as in EvalPlus
    (None, [1], False),
])
def test_set_oracle(actual, expected, equal):
    assert values_equal(actual, expected, 0.0, "set") is equal


def test_set_oracle_reaches_the_verdict(executor):
    from recode_rl.execution import TestSuite

    program = "def common(a, b):\n    return tuple(sorted(set(a) & set(b), reverse=True))\n"
    as_sets = TestSuite(kind="functional", inputs=([[1, 2, 3], [3, 2, 9]],), outputs=((2, 3),), fn_name="common",
                        atol=0.0, oracle="set")
    exact = TestSuite(kind="functional", inputs=as_sets.inputs, outputs=as_sets.outputs, fn_name="common", atol=0.0)
    assert executor.run(program, as_sets).all_passed and not executor.run(program, exact).all_passed
    with pytest.raises(ValueError, match="oracle must be"):
        TestSuite(kind="functional", inputs=((),), outputs=(1,), fn_name="f", oracle="close-enough")


def _slow_wire(x):
    """to_wire without its fast path for containers of scalars: the reference it must match."""
    from recode_rl.execution import harness

    saved = harness._scalars_ok
    harness._scalars_ok = lambda items: False
    try:
        return to_wire(x)
    finally:
        harness._scalars_ok = saved


SCALARS = [0, -1, 7, 2**62, 2**1023, -(2**1023), 2**1024, 2**20000, True, False, None, 0.5, -0.0, 1e308,
           float("inf"), -float("inf"), float("nan"), "", "a\"b\\\n\u00e9\ud800", 3.0]


@pytest.mark.parametrize("seed", range(40))
def test_wire_fast_path_matches_the_element_by_element_encoding(seed):
    import json
    import random

    from recode_rl.execution import harness

    rng = random.Random(seed)
    pool = rng.choice([SCALARS, SCALARS[:10], SCALARS[10:], [s for s in SCALARS if type(s) is not str]])
    items = [rng.choice(pool) for _ in range(rng.randrange(0, 12))]
    for make in (list, tuple, lambda xs: {x for x in xs if x == x}, lambda xs: frozenset(x for x in xs if x == x)):
        value = make(items)
        fast, slow = to_wire(value), _slow_wire(value)
        # (compared as JSON text: nan and -0.0 count, and huge ints have no repr)
        assert harness._dumps({"v": fast}) == harness._dumps({"v": slow})
        msg = {"i": 3, "status": "ok", "value": fast}
        text = harness._encode(msg)
        assert text == harness._dumps(msg)  # the C encoder writes what the Python one does
        back = from_wire(json.loads(text)["value"])
        assert type(back) is type(value)
        if isinstance(value, (set, frozenset)):  # a new set may iterate in another order
            key = next(iter(fast))
            assert (sorted(harness._dumps({"v": e}) for e in to_wire(back)[key])
                    == sorted(harness._dumps({"v": e}) for e in fast[key]))
        else:
            assert harness._dumps({"v": to_wire(back)}) == harness._dumps({"v": fast})


def test_wire_fast_path_keeps_refusing_what_is_not_plain():
    class Sneaky(float):
        pass

    with pytest.raises(NonPlainValue, match="Sneaky"):
        to_wire([1.0, Sneaky(2.0)])
    # a container inside: element by element, each checked
    assert from_wire(to_wire([[1, 2], (3,), "x"])) == [[1, 2], (3,), "x"]


@pytest.mark.parametrize("seed", range(20))
def test_from_wire_fast_path_matches_the_element_by_element_decoding(seed, monkeypatch):
    import json
    import random

    from recode_rl.execution import harness

    rng = random.Random(seed)
    scalars = [s for s in SCALARS if not (type(s) is float and s != s)]  # nan != nan: compared apart
    items = [rng.choice(scalars) for _ in range(rng.randrange(0, 12))]
    for value in (items, tuple(items), set(items), frozenset(items), [items, tuple(items)], {"k": tuple(items)}):
        wire = json.loads(harness._encode({"v": to_wire(value)}))["v"]
        fast = from_wire(wire)
        with monkeypatch.context() as m:
            m.setattr(harness, "_WIRE_SCALARS", frozenset())
            slow = from_wire(wire)
        assert type(fast) is type(slow) and fast == slow == value


def test_depth_check_finds_deep_nesting_inside_a_wide_value():
    from recode_rl.execution.protocol import MAX_DEPTH, depth_ok

    deep: list = [0]
    for _ in range(MAX_DEPTH + 1):
        deep = [deep]
    assert depth_ok([1] * 10_000 + [{"a": [2, 3]}] * 1000)
    assert not depth_ok([1] * 10_000 + [{"a": [2, 3]}] + [deep])
    assert not depth_ok({"x": [deep]})
    assert depth_ok(deep[0][0])  # MAX_DEPTH levels are fine
