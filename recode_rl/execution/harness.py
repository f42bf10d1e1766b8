"""Code that runs INSIDE the sandboxed child, after isolation is in place.

The fork server imports this module before any user code exists, so the references the
harness relies on (os.write, the JSON escaper, the built-in types it whitelists) are bound
here, early; a program that later patches `json`, `os`, `builtins` or `sys` does not change
what the harness sends. User code shares the process, so it can still write any bytes to any
descriptor: everything the harness sends is an *observation* that the trusted side validates,
never a decision (see docs/executor.md, "Observations out, judgement in").

stdio: one child per test ("unit"), started and timed by the supervisor.
    stdio       the program runs as __main__; on an uncaught exception the child writes one
                error report `{"error_type": ..., "message": ...}` to the channel and exits 1
                (SystemExit(n) exits n); a clean run writes nothing and exits 0.
    functional  loads the program once; then, per request the supervisor writes to fd 5 (the
                unit's index and its arguments: a unit's input enters the sandbox only with its
                request, so no unit can see a later one's), one call and exactly one line
                `{"i": 3, "status": "ok", "value": <wire>}` or `{"i": 3, "status": "error", ...}`
                (lockstep: the supervisor sends the next request only after it has this line, and
                times each unit itself). With `project: "not_none"`
                (EvalPlus's not-None oracle) the value sent is `v if type(v) is bool else v is not None`.
assertion/unittest (one child for all tests, restarted after a crash; see server.py):
    {"i": 3, "status": "pass", "nonce": "<nonce>"} / {"i": 3, "status": "fail" | "error", ...}
    {"status": "collected", "names": [...], "nonce": "..."}             unittest: test ids
The program is compiled by the supervisor (a syntax error is decided there, never reported by
the child). Returned values cross as a tagged JSON "wire" form built through an exact-type
whitelist (`to_wire`), so an object posing as plain data cannot reach a comparison.
"""

from __future__ import annotations

import builtins
import collections
import itertools
import json
import math
import os
import sys
import time
import types

__all__ = ["run_child", "compile_program", "to_wire", "from_wire", "to_plain", "NonPlainValue"]

# Bound at import time, before user code exists (module-level names would otherwise be looked
# up in `builtins` at call time, which user code can patch).
_write = os.write
_read = os.read
_close = os.close
_from_bytes = int.from_bytes
_escape = json.encoder.encode_basestring_ascii  # C function: immune to later patching
_loads = json.loads  # requests (a program that patches the decoder only garbles its own inputs)
_monotonic = time.monotonic
_exit = os._exit
_type = type
_exec = exec
_compile = compile
_repr = repr
_len = len
_getattr = getattr
_issubclass = issubclass
_range = range
_BaseException = BaseException
_NonPlain_base = TypeError
_int, _bool, _float, _str, _bytes, _complex = int, bool, float, str, bytes, complex
_list, _tuple, _dict, _set, _frozenset = list, tuple, dict, set, frozenset
_NoneType = type(None)
_map, _all, _isfinite = map, all, math.isfinite
# Containers of these exact types cross without a per-element call (`_scalars_ok`).
_TEXTUAL = frozenset({str, bool, _NoneType})
_NUMERIC = frozenset({int, bool, float})
_WIRE_SCALARS = frozenset({int, bool, float, str, _NoneType})  # their own wire form, and back
_WIRE_COLLECTIONS = {"$t": tuple, "$s": set, "$fs": frozenset}
_deque = collections.deque
_DICT_TYPES = (dict, collections.OrderedDict, collections.defaultdict, collections.Counter)
_bit_length, _int_format = int.bit_length, int.__format__
_tuple_iter, _list_iter, _dict_items = tuple.__iter__, list.__iter__, dict.items
_set_iter, _frozenset_iter, _deque_iter = set.__iter__, frozenset.__iter__, collections.deque.__iter__
_bytes_hex, _complex_real, _complex_imag = bytes.hex, complex.real.__get__, complex.imag.__get__
# Type internals read through `type`'s own descriptors: a metaclass cannot fake them.
_type_qualname = type.__dict__["__qualname__"].__get__
_type_module = type.__dict__["__module__"].__get__
# Iterators a function may return where a list is meant; materialised for assertion tests.
_ITERATOR_TYPES = frozenset({
    types.GeneratorType, map, filter, zip, enumerate, reversed,
    type(iter([])), type(iter(())), type(iter(range(0))), type(iter(range(1 << 70))), type(iter("")),
    type(iter(set())), type(iter({})), type(iter({}.values())), type(iter({}.items())),
    type(iter(collections.deque())), type(reversed([])),
    itertools.chain, itertools.islice, itertools.accumulate, itertools.starmap, itertools.compress,
    itertools.takewhile, itertools.dropwhile, itertools.product, itertools.permutations,
    itertools.combinations, itertools.combinations_with_replacement, itertools.zip_longest,
    itertools.filterfalse, itertools.pairwise,
})
_FINITE = float("inf")
_MAX_MSG = 300
_MAX_DEPTH = 200
REQUEST_FD = 5  # functional: unit requests from the supervisor


class NonPlainValue(TypeError):
    """A value that is not plain built-in data (e.g. a user-defined class instance)."""


def type_name(t: type) -> str:
    """`module.qualname` of a type, read through type internals (never the type's attributes)."""
    try:
        qual, mod = _type_qualname(t), _type_module(t)
    except _BaseException:  # noqa: BLE001 - a broken type: still name something
        return "?"
    qual = qual if _type(qual) is _str else "?"
    mod = mod if _type(mod) is _str else "?"
    return (qual if mod == "builtins" else mod + "." + qual)[:120]


def _unserializable(t: type) -> NonPlainValue:
    return NonPlainValue(f"unserializable return value: {type_name(t)}")


def _scalars_ok(items) -> bool:
    """The elements of a list/tuple/set are all exact str/bool/None, or all exact
    int/bool/float, finite and with ints below 2**1024: such a container's elements are
    their own wire form. Checked at C speed (`map`), so a list of a million numbers costs no
    Python call per element."""
    types = _set(_map(_type, items))
    if types <= _TEXTUAL:
        return True
    if types <= _NUMERIC:
        try:  # isfinite converts an int to a float: OverflowError from 2**1024 on (those are tagged)
            return _all(_map(_isfinite, items))
        except OverflowError:
            return False
    return False


def _elements(x, iterate, d: int) -> list:
    """The wire form of a list's, tuple's or set's elements (read through `iterate`, the exact
    type's own C iterator)."""
    return _list(x) if _scalars_ok(x) else [to_wire(v, d) for v in iterate(x)]


def to_wire(x: object, _depth: int = 0) -> object:
    """Encode a plain value as JSON-safe tagged data. Raises NonPlainValue otherwise.

    An exact-type whitelist (`type(x) is int`, ...): subclasses of built-ins (IntEnum,
    namedtuple, a str with a forged `__eq__`), numpy scalars and every other type are refused,
    naming the type. Contents are read through the built-in types' own C methods.
    deque -> list and OrderedDict/defaultdict/Counter -> dict, by exact type.
    """
    if _depth > _MAX_DEPTH:
        raise NonPlainValue(f"unserializable return value: nested deeper than {_MAX_DEPTH} levels")
    t = _type(x)
    if t is _int:
        # Beyond ~3,900 decimal digits CPython refuses int<->str conversion (the 4,300-digit
        # limit); hex is exempt, so huge integers cross as {"$i": hex}.
        return x if _bit_length(x) < 13000 else {"$i": _int_format(x, "x")}
    if t is _NoneType or t is _bool or t is _str:
        return x
    if t is _float:
        return x if -_FINITE < x < _FINITE else {"$f": _repr(x)}
    d = _depth + 1
    if t is _list:
        return _elements(x, _list_iter, d)
    if t is _tuple:
        return {"$t": _elements(x, _tuple_iter, d)}
    if t in _DICT_TYPES:
        return {"$d": [[to_wire(k, d), to_wire(v, d)] for k, v in _dict_items(x)]}
    if t is _set:
        return {"$s": _elements(x, _set_iter, d)}
    if t is _frozenset:
        return {"$fs": _elements(x, _frozenset_iter, d)}
    if t is _bytes:
        return {"$b": _bytes_hex(x)}
    if t is _complex:
        return {"$c": [to_wire(_complex_real(x), d), to_wire(_complex_imag(x), d)]}
    if t is _deque:
        return [to_wire(v, d) for v in _deque_iter(x)]
    raise _unserializable(t)


def from_wire(w: object) -> object:
    """Inverse of `to_wire` (trusted side, and to rebuild fresh plain objects). Raises
    ValueError/TypeError on data that `to_wire` cannot have produced."""
    t = _type(w)
    if t is _list:
        return _list(w) if _set(_map(_type, w)) <= _WIRE_SCALARS else [from_wire(v) for v in w]
    if t is _dict:
        if _len(w) != 1:
            raise ValueError("malformed wire value: a tagged object has exactly one key")
        (tag, body), = w.items()
        if tag == "$f" or tag == "$b" or tag == "$i":
            if _type(body) is not _str:
                raise ValueError(f"malformed wire value: {tag} needs a string")
            if tag == "$f":
                value = _float(body)
                if -_FINITE < value < _FINITE:
                    raise ValueError("malformed wire value: $f is for inf/nan only")
                return value
            return _bytes.fromhex(body) if tag == "$b" else _int(body, 16)
        if _type(body) is not _list:
            raise ValueError(f"malformed wire value: {tag!r} needs a list")
        make = _WIRE_COLLECTIONS.get(tag)
        if make is not None:  # a tuple or set; of scalars only, at C speed
            return make(body) if _set(_map(_type, body)) <= _WIRE_SCALARS else make(from_wire(v) for v in body)
        if tag == "$d":
            return {from_wire(k): from_wire(v) for k, v in body}
        if tag == "$c":
            re_, im = (from_wire(v) for v in body)
            if not (_type(re_) in (_int, _float) and _type(im) in (_int, _float)):
                raise ValueError("malformed wire value: $c needs two numbers")
            return _complex(re_, im)
        raise ValueError(f"unknown wire tag {tag!r}")
    if t is _int or t is _float or t is _str or t is _bool or t is _NoneType:
        return w
    raise ValueError(f"malformed wire value of type {type_name(t)}")


def to_plain(x: object, _depth: int = 0) -> object:
    """Fresh plain copy of a value for in-sandbox `==` (assertion tests).

    Plain data (the `to_wire` whitelist) is rebuilt; iterators and generators of an exact
    built-in iterator type are materialised into lists; `range` passes unchanged (its `==` is
    built-in); everything else is refused, naming the type.
    """
    t = _type(x)
    if t in _ITERATOR_TYPES:
        if _depth > _MAX_DEPTH:
            raise NonPlainValue(f"unserializable return value: nested deeper than {_MAX_DEPTH} levels")
        return [to_plain(v, _depth + 1) for v in x]
    if t is _range:
        return x
    return from_wire(to_wire(x, _depth))


_int_repr, _float_repr = int.__repr__, float.__repr__
_join = str.join
_str_encode = str.encode


def _dumps(obj: object) -> str:
    """JSON text of a message tree, using only references bound before user code ran."""
    t = _type(obj)
    if t is _str:
        return _escape(obj)
    if t is _NoneType:
        return "null"
    if t is _bool:
        return "true" if obj else "false"
    if t is _int:
        return _int_repr(obj)
    if t is _float:
        return _float_repr(obj)  # finite: non-finite floats are tagged by to_wire
    if t is _list:
        return "[" + _join(",", [_dumps(v) for v in obj]) + "]"
    if t is _dict:
        return "{" + _join(",", [_escape(k) + ":" + _dumps(v) for k, v in _dict_items(obj)]) + "}"
    raise NonPlainValue("unexpected message value")


def _no_default(obj: object) -> object:
    raise NonPlainValue("unexpected message value")


try:  # CPython's C encoder, made here, before user code exists: a million numbers in C, not Python
    from _json import make_encoder as _make_encoder
    _c_encode = _make_encoder(None, _no_default, _escape, None, ":", ",", False, False, False)
except ImportError:  # pragma: no cover - not CPython
    _c_encode = None


def _encode(msg: dict) -> str:
    """JSON text of a message built by `to_wire` (a tree of exact built-in types: the C encoder
    then writes exactly what `_dumps` would)."""
    if _c_encode is not None:
        return _join("", _c_encode(msg, 0))
    return _dumps(msg)


def _send(fd: int, msg: dict) -> None:
    data = _str_encode(_encode(msg) + "\n")
    view = memoryview(data)
    while view:
        n = _write(fd, view)
        view = view[n:]


def _err(exc: BaseException) -> tuple[str, str]:
    name = type_name(_type(exc)).rpartition(".")[2]
    try:
        text = _str(exc)
    except _BaseException:  # a user exception whose __str__ raises
        text = "<unprintable>"
    if _type(text) is not _str:
        text = "<unprintable>"
    return name, text[:_MAX_MSG]


def compile_program(program: str) -> types.CodeType:
    """Compile the program (in the supervisor, before any child exists: a syntax error is the
    trusted side's finding). Raises SyntaxError, ValueError, MemoryError or RecursionError."""
    return _compile(program, "<solution>", "exec")


def _load(code: types.CodeType) -> dict:
    """Run the compiled program as __main__ and return its namespace."""
    main = types.ModuleType("__main__")
    main.__dict__.update({"__name__": "__main__", "__builtins__": builtins})
    sys.modules["__main__"] = main
    ns = main.__dict__
    _exec(code, ns)
    return ns


def _flush_std() -> None:
    for stream in (sys.__stdout__, sys.__stderr__, sys.stdout, sys.stderr):
        try:
            stream.flush()
        except _BaseException:
            pass


def _run_stdio(code: types.CodeType, fd: int) -> int:
    """Run the program once; the exit status is the observation (plus an error report)."""
    try:
        _load(code)
    except SystemExit as exc:
        c = exc.code
        status = 0 if c is None or c == 0 else (c & 0xFF or 1 if _type(c) is _int else 1)
        if status:
            _send(fd, {"error_type": "SystemExit", "message": f"exit status {status}"})
        return status
    except _BaseException as exc:
        name, text = _err(exc)
        _send(fd, {"error_type": name, "message": text})
        return 1
    finally:
        _flush_std()
    return 0


def _read_exact(fd: int, n: int) -> bytes | None:
    parts, got = [], 0
    while got < n:
        chunk = _read(fd, min(n - got, 1 << 20))
        if not chunk:
            return None
        parts.append(chunk)
        got += _len(chunk)
    return b"".join(parts)


def _read_request(fd: int) -> tuple[int, bytes] | None:
    """The next request of the supervisor: (unit index, the unit's arguments as wire JSON).
    Framed as index (4 bytes, big-endian), length (4 bytes), body. None at EOF."""
    head = _read_exact(fd, 8)
    if head is None:
        return None
    body = _read_exact(fd, _from_bytes(head[4:], "big"))
    return None if body is None else (_from_bytes(head[:4], "big"), body)


def _run_functional(req: dict, code: types.CodeType, fd: int, req_fd: int) -> int:
    """Load the program once, then for each unit index the supervisor sends: one call, one
    observation line. The supervisor times each unit from its request to this line."""
    target = None
    project_not_none = req.get("project") == "not_none"
    try:
        ns = _load(code)
        fn_name, class_name = req["fn_name"], req.get("class_name")
        target = _getattr(ns[class_name](), fn_name) if class_name else ns[fn_name]
        load_error = None
    except _BaseException as exc:
        name, text = _err(exc)
        load_error = {"status": "error", "error_type": name, "message": "while loading: " + text}
    while True:
        request = _read_request(req_fd)
        if request is None:  # no more requests: close the channel, so the supervisor knows every
            try:          # observation is in without waiting for this process to exit
                _close(fd)
            except OSError:
                pass
            return 0
        unit, body = request
        if load_error is not None:
            _send(fd, {"i": unit, **load_error})
            continue
        try:
            args = from_wire(_loads(body))
            value = target(*args)
            if project_not_none:   # EvalPlus's not-None oracle: only this crosses
                value = value if _type(value) is _bool else value is not None
            value = to_wire(value)
        except _BaseException as exc:  # includes SystemExit and KeyboardInterrupt from user code
            name, text = _err(exc)
            _send(fd, {"i": unit, "status": "error", "error_type": name, "message": text})
            continue
        _send(fd, {"i": unit, "status": "ok", "value": value})


def _wrap(fn):
    def candidate(*args, **kwargs):
        return to_plain(fn(*args, **kwargs))
    candidate.__name__ = getattr(fn, "__name__", "candidate")
    candidate.__doc__ = getattr(fn, "__doc__", None)
    return candidate


def _run_assertion(req: dict, code: types.CodeType, fd: int, start: int, nonce: str) -> None:
    try:
        ns = _load(code)
        entry = req.get("entry_point")
        if req.get("preamble"):
            _exec(_compile(req["preamble"], "<tests>", "exec"), ns)
        if entry:
            if entry not in ns:
                raise NameError(f"the program does not define {entry!r}")
            ns[entry] = ns["candidate"] = _wrap(ns[entry])
    except _BaseException as exc:
        name, text = _err(exc)
        _send(fd, {"i": start, "status": "error", "error_type": name, "message": "while loading: " + text})
        return
    assertions = req["assertions"]
    for i in range(start, _len(assertions)):
        t0 = _monotonic()
        try:
            _exec(_compile(assertions[i], f"<test {i}>", "exec"), ns)
        except AssertionError as exc:
            _send(fd, {"i": i, "status": "fail", "error_type": "AssertionError", "message": _err(exc)[1], "seconds": _monotonic() - t0})
            continue
        except _BaseException as exc:
            name, text = _err(exc)
            _send(fd, {"i": i, "status": "error", "error_type": name, "message": text, "seconds": _monotonic() - t0})
            continue
        _send(fd, {"i": i, "status": "pass", "nonce": nonce, "seconds": _monotonic() - t0})


def _run_unittest(req: dict, code: types.CodeType, fd: int, start: int, nonce: str) -> None:
    # Imported here, before the program runs: unittest is 2.7 MB that the fork server would
    # otherwise hold, and every child it forks would copy, for the one kind that needs it.
    import unittest

    try:
        ns = _load(code)
        _exec(_compile(req["preamble"], "<tests>", "exec"), ns)
        loader = unittest.TestLoader()
        cases = []
        for obj in list(ns.values()):
            if _type(obj) is _type and _issubclass(obj, unittest.TestCase) and obj.__module__ == "__main__":
                cases.extend(loader.loadTestsFromTestCase(obj))
        cases.sort(key=lambda c: c.id())
    except _BaseException as exc:
        name, text = _err(exc)
        _send(fd, {"i": start, "status": "error", "error_type": name, "message": "while loading: " + text})
        return
    _send(fd, {"status": "collected", "names": [c.id() for c in cases], "nonce": nonce})
    for i in range(start, _len(cases)):
        t0 = _monotonic()
        result = unittest.TestResult()
        try:
            cases[i].run(result)
        except _BaseException as exc:
            name, text = _err(exc)
            _send(fd, {"i": i, "status": "error", "error_type": name, "message": text, "seconds": _monotonic() - t0})
            continue
        problems = result.errors + result.failures
        if problems or not result.wasSuccessful():
            kind = "fail" if result.failures and not result.errors else "error"
            detail = problems[0][1].strip().splitlines()[-1] if problems else "unsuccessful"
            _send(fd, {"i": i, "status": kind, "error_type": detail.split(":")[0][:80], "message": detail[:_MAX_MSG],
                       "seconds": _monotonic() - t0})
        else:
            _send(fd, {"i": i, "status": "pass", "nonce": nonce, "seconds": _monotonic() - t0})


def run_child(req: dict, code: types.CodeType, chan_fd: int, start: int, nonce: str) -> None:
    """Entry point in the sandboxed child. Never returns: exits the process."""
    kind = req["kind"]
    sys.argv = ["solution.py"]
    status = 0
    try:
        if kind == "stdio":
            status = _run_stdio(code, chan_fd)
        elif kind == "functional":
            status = _run_functional(req, code, chan_fd, REQUEST_FD)
        elif kind == "assertion":
            _run_assertion(req, code, chan_fd, start, nonce)
        elif kind == "unittest":
            _run_unittest(req, code, chan_fd, start, nonce)
    except _BaseException:  # the channel itself failed (e.g. closed by the program)
        status = 1
    _flush_std()
    _exit(status)
