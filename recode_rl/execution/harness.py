"""Code that runs INSIDE the sandboxed child, after isolation is in place.

The fork server imports this module before any user code exists, so every reference the
harness relies on (os.write, json.dumps, type checks) is bound here, early; a program that
later monkeypatches `json`, `os`, `builtins` or `sys` does not change what the harness sends.

Protocol: the child writes JSON lines to the *channel* fd (opened by the supervisor before
user code ran). One line per test ("unit"):
    {"i": 3, "status": "ok", "value": <wire>, "seconds": 0.01}        functional: returned value
    {"i": 3, "status": "pass", "nonce": "<nonce>"}                      assertion/unittest: passed
    {"i": 3, "status": "fail" | "error", "error_type": "...", "message": "..."}
    {"i": 3, "status": "done", "exit": 0}                               stdio: program finished
    {"status": "syntax_error", "message": "..."}                        the program does not compile
    {"status": "collected", "names": [...], "nonce": "..."}             unittest: test ids
Values cross as a tagged JSON "wire" form built from plain built-in values only (see
`to_wire`), so an object with a forged `__eq__` can never reach the trusted comparison.
"""

from __future__ import annotations

import builtins
import collections
import json
import os
import sys
import time
import types
import unittest

__all__ = ["run_child", "to_wire", "from_wire", "to_plain", "NonPlainValue"]

# Bound at import time, before user code exists.
_write = os.write
_escape = json.encoder.encode_basestring_ascii  # C function: immune to later patching
_monotonic = time.monotonic
_exit = os._exit
_type = type
_issubclass = issubclass
_exec = exec
_compile = compile
_repr = repr
_len = len
_BaseException = BaseException
_int_int, _float_float, _str_str = int.__int__, float.__float__, str.__str__
_bit_length, _int_format = int.bit_length, int.__format__
_tuple_iter, _list_iter, _dict_items = tuple.__iter__, list.__iter__, dict.items
_set_iter, _frozenset_iter = set.__iter__, frozenset.__iter__
_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: classes defined in Python (user code or pure-Python stdlib)
_FINITE = float("inf")
_MAX_MSG = 300


class NonPlainValue(TypeError):
    """A value that is not plain built-in data (e.g. a user-defined class instance)."""


def to_wire(x: object, _depth: int = 0) -> object:
    """Encode a plain value as JSON-safe tagged data. Raises NonPlainValue otherwise.

    Exact built-ins map directly; subclasses of built-ins (namedtuple, IntEnum, Counter, ...)
    are read through the *base class's* methods, so overridden dunders never run.
    """
    if _depth > 200:
        raise NonPlainValue("value nested deeper than 200 levels")
    t = _type(x)
    if t is int:
        # Beyond ~3,900 decimal digits CPython refuses int<->str conversion (the 4,300-digit
        # limit); hex is exempt, so huge integers cross as {"$i": hex}.
        return x if _bit_length(x) < 13000 else {"$i": _int_format(x, "x")}
    if x is None or t is bool or t is str:
        return x
    if t is float:
        return x if -_FINITE < x < _FINITE else {"$f": _repr(x)}
    d = _depth + 1
    if t is list:
        return [to_wire(v, d) for v in _list_iter(x)]
    if t is tuple:
        return {"$t": [to_wire(v, d) for v in _tuple_iter(x)]}
    if t is dict:
        return {"$d": [[to_wire(k, d), to_wire(v, d)] for k, v in _dict_items(x)]}
    if t is set:
        return {"$s": [to_wire(v, d) for v in _set_iter(x)]}
    if t is frozenset:
        return {"$fs": [to_wire(v, d) for v in _frozenset_iter(x)]}
    if t is bytes:
        return {"$b": x.hex()}
    if t is complex:
        return {"$c": [to_wire(x.real, d), to_wire(x.imag, d)]}
    if t is collections.deque:
        return [to_wire(v, d) for v in list(x)]
    # Subclasses of built-ins: decode through the base type's own slots.
    if _issubclass(t, bool):  # pragma: no cover - bool cannot be subclassed
        return bool(_int_int(x))
    if _issubclass(t, int):
        return to_wire(_int_int(x), d)
    if _issubclass(t, float):
        return to_wire(_float_float(x), d)
    if _issubclass(t, str):
        return _str_str(x)
    if _issubclass(t, tuple):
        return {"$t": [to_wire(v, d) for v in _tuple_iter(x)]}
    if _issubclass(t, list):
        return [to_wire(v, d) for v in _list_iter(x)]
    if _issubclass(t, dict):
        return {"$d": [[to_wire(k, d), to_wire(v, d)] for k, v in _dict_items(x)]}
    if _issubclass(t, frozenset):
        return {"$fs": [to_wire(v, d) for v in _frozenset_iter(x)]}
    if _issubclass(t, set):
        return {"$s": [to_wire(v, d) for v in _set_iter(x)]}
    raise NonPlainValue(f"returned a {getattr(t, '__qualname__', '?')} object, not plain data")


def from_wire(w: object) -> object:
    """Inverse of `to_wire` (used on the trusted side and to rebuild fresh plain objects)."""
    t = _type(w)
    if t is list:
        return [from_wire(v) for v in w]
    if t is dict:
        (tag, body), = w.items()
        if tag == "$t":
            return tuple(from_wire(v) for v in body)
        if tag == "$d":
            return {from_wire(k): from_wire(v) for k, v in body}
        if tag == "$s":
            return {from_wire(v) for v in body}
        if tag == "$fs":
            return frozenset(from_wire(v) for v in body)
        if tag == "$f":
            return float(body)
        if tag == "$b":
            return bytes.fromhex(body)
        if tag == "$i":
            return int(body, 16)
        if tag == "$c":
            return complex(from_wire(body[0]), from_wire(body[1]))
        raise ValueError(f"unknown wire tag {tag!r}")
    return w


def to_plain(x: object) -> object:
    """Fresh plain copy of a value for in-sandbox `==` (assertion tests).

    Plain data is rebuilt; iterators/generators are materialised into lists; instances of
    Python-defined classes are refused; other C-level objects (numpy arrays, range, ...) pass
    unchanged because their `__eq__` is not user-defined.
    """
    try:
        return from_wire(to_wire(x))
    except NonPlainValue:
        t = _type(x)
        if hasattr(t, "__next__") and not (t.__flags__ & _HEAPTYPE):
            return [to_plain(v) for v in x]
        if t.__flags__ & _HEAPTYPE:
            raise
        return x


_int_repr, _float_repr = int.__repr__, float.__repr__
_join = str.join
_str_encode = str.encode


def _dumps(obj: object) -> str:
    """JSON text of a message tree, using only references bound before user code ran."""
    t = _type(obj)
    if t is str:
        return _escape(obj)
    if obj is None:
        return "null"
    if t is bool:
        return "true" if obj else "false"
    if t is int:
        return _int_repr(obj)
    if t is float:
        return _float_repr(obj)  # finite: non-finite floats are tagged by to_wire
    if t is list:
        return "[" + _join(",", [_dumps(v) for v in obj]) + "]"
    if t is dict:
        return "{" + _join(",", [_escape(k) + ":" + _dumps(v) for k, v in _dict_items(obj)]) + "}"
    raise NonPlainValue("unexpected message value")


def _send(fd: int, msg: dict) -> None:
    data = _str_encode(_dumps(msg) + "\n")
    view = memoryview(data)
    while view:
        n = _write(fd, view)
        view = view[n:]


def _err(exc: BaseException) -> tuple[str, str]:
    name = _type(exc).__name__
    try:
        text = str(exc)
    except _BaseException:  # a user exception whose __str__ raises
        text = "<unprintable>"
    return name, text[:_MAX_MSG]


def _load(program: str, fd: int) -> dict | None:
    """Compile and run the program as __main__; None (after reporting) if it fails to load."""
    try:
        code = _compile(program, "<solution>", "exec")
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        _send(fd, {"status": "syntax_error", "error_type": _type(exc).__name__, "message": str(exc)[:_MAX_MSG]})
        return None
    ns: dict = {"__name__": "__main__", "__builtins__": builtins}
    main = types.ModuleType("__main__")
    main.__dict__.update(ns)
    sys.modules["__main__"] = main
    ns = main.__dict__
    _exec(code, ns)
    return ns


def _run_stdio(req: dict, fd: int, start: int) -> None:
    t0 = _monotonic()
    exit_code = 0
    try:
        ns = _load(req["program"], fd)
        if ns is None:
            return
    except SystemExit as exc:
        code = exc.code
        exit_code = 0 if code is None or code == 0 else (code if _type(code) is int else 1)
        if exit_code:
            _send(fd, {"i": start, "status": "error", "error_type": "SystemExit", "message": f"exit status {exit_code}"})
            return
    except _BaseException as exc:
        name, text = _err(exc)
        _send(fd, {"i": start, "status": "error", "error_type": name, "message": text})
        return
    finally:
        for stream in (sys.__stdout__, sys.__stderr__, sys.stdout, sys.stderr):
            try:
                stream.flush()
            except _BaseException:
                pass
    _send(fd, {"i": start, "status": "done", "exit": exit_code, "seconds": _monotonic() - t0})


def _run_functional(req: dict, fd: int, start: int) -> None:
    try:
        ns = _load(req["program"], fd)
        if ns is None:
            return
    except _BaseException as exc:
        name, text = _err(exc)
        _send(fd, {"i": start, "status": "error", "error_type": name, "message": "while loading: " + text})
        return
    fn_name, class_name = req["fn_name"], req.get("class_name")
    inputs = req["inputs"]
    for i in range(start, _len(inputs)):
        t0 = _monotonic()
        try:
            if class_name:
                target = getattr(ns[class_name](), fn_name)
            else:
                target = ns[fn_name]
            args = from_wire(inputs[i])
            value = to_wire(target(*args))
        except _BaseException as exc:  # includes SystemExit and KeyboardInterrupt from user code
            name, text = _err(exc)
            _send(fd, {"i": i, "status": "error", "error_type": name, "message": text, "seconds": _monotonic() - t0})
            continue
        _send(fd, {"i": i, "status": "ok", "value": value, "seconds": _monotonic() - t0})


def _wrap(fn):
    def candidate(*args, **kwargs):
        return to_plain(fn(*args, **kwargs))
    candidate.__name__ = getattr(fn, "__name__", "candidate")
    candidate.__doc__ = getattr(fn, "__doc__", None)
    return candidate


def _run_assertion(req: dict, fd: int, start: int, nonce: str) -> None:
    try:
        ns = _load(req["program"], fd)
        if ns is None:
            return
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


def _run_unittest(req: dict, fd: int, start: int, nonce: str) -> None:
    try:
        ns = _load(req["program"], fd)
        if ns is None:
            return
        _exec(_compile(req["preamble"], "<tests>", "exec"), ns)
        loader = unittest.TestLoader()
        cases = []
        for obj in list(ns.values()):
            if _type(obj) is type and _issubclass(obj, unittest.TestCase) and obj.__module__ == "__main__":
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


def run_child(req: dict, chan_fd: int, start: int, nonce: str) -> None:
    """Entry point in the sandboxed child. Never returns: exits the process."""
    kind = req["kind"]
    sys.argv = ["solution.py"]
    try:
        if kind == "stdio":
            _run_stdio(req, chan_fd, start)
        elif kind == "functional":
            _run_functional(req, chan_fd, start)
        elif kind == "assertion":
            _run_assertion(req, chan_fd, start, nonce)
        elif kind == "unittest":
            _run_unittest(req, chan_fd, start, nonce)
        else:
            _send(chan_fd, {"status": "sandbox_error", "message": f"unknown test kind {kind!r}"})
    except _BaseException:  # the channel itself failed (e.g. closed by the program)
        pass
    try:
        sys.__stdout__.flush()
    except _BaseException:
        pass
    _exit(0)
