"""What test code interpreted on the trusted side may name (`trusted_eval`): built-ins, modules,
methods of built-in values, and the guards that bound what one operation may build.

Whitelists, not blacklists: a name missing here is "not defined" to the interpreted code. No
`type`, `getattr`, `open`, `__import__`, `eval`; no attribute starting with `_`; no `str.format`
(its `{0.__class__}` fields reach attributes). `random` is a `random.Random` seeded by the caller.
"""

from __future__ import annotations

import ast
import builtins
import copy
import math
import operator
import random
import re
import string
import sys
from typing import Any, Callable

__all__ = ["EvalError", "Module", "BUILTINS", "METHODS", "BINOPS", "CMPOPS", "UNARY", "MAX_SIZE", "MAX_BITS",
           "modules", "guard_binop", "guard_method"]

MAX_SIZE = 10_000_000       # elements/characters one operation may build
MAX_BITS = 1 << 20          # bits of an int that `*`, `**`, `<<`, `//`, `%` may take or build


class EvalError(Exception):
    """The code did something this interpreter refuses, failed, or exceeded a bound."""


class Module:
    """A whitelisted module (or object, such as a seeded `random.Random`) as the code sees it."""

    def __init__(self, name: str, attrs: dict[str, Any]) -> None:
        self.name, self.attrs = name, attrs

    def __repr__(self) -> str:
        return f"<module {self.name}>"


def _guard_size(n: int, what: str) -> None:
    if n > MAX_SIZE:
        raise EvalError(f"{what} would build {n} elements (limit {MAX_SIZE})")


def _range(*args: Any) -> range:
    r = range(*args)
    _guard_size(len(r), "range")
    return r


def _pow(base: Any, exp: Any, mod: Any = None) -> Any:
    if mod is None:
        _guard_pow(base, exp)
        return pow(base, exp)
    return pow(base, exp, mod)


def _guard_pow(base: Any, exp: Any) -> None:
    if type(base) in (int, bool) and type(exp) in (int, bool) and exp > 0 and abs(base) > 1:
        if base.bit_length() * exp > MAX_BITS:
            raise EvalError(f"int ** {exp} exceeds {MAX_BITS} bits")


def _print(*args: Any, **kwargs: Any) -> None:
    return None


BUILTIN_NAMES = ("abs", "all", "any", "bin", "bool", "chr", "complex", "dict", "divmod", "enumerate", "filter",
                  "float", "frozenset", "hex", "int", "isinstance", "len", "list", "map", "max", "min", "oct", "ord",
                  "repr", "reversed", "round", "set", "sorted", "str", "sum", "tuple", "zip")
BUILTINS: dict[str, Any] = {name: getattr(builtins, name) for name in BUILTIN_NAMES}
BUILTINS.update({"range": _range, "pow": _pow, "print": _print})

METHODS: dict[type, frozenset[str]] = {
    str: frozenset("join split rsplit strip lstrip rstrip lower upper replace startswith endswith find rfind index "
                   "rindex count isdigit isalpha isalnum isspace islower isupper istitle isnumeric isdecimal title "
                   "capitalize swapcase casefold splitlines partition rpartition zfill center ljust rjust "
                   "encode removeprefix removesuffix".split()),
    bytes: frozenset("decode hex count find index startswith endswith".split()),
    list: frozenset("append extend insert pop remove index count sort reverse copy clear".split()),
    tuple: frozenset("index count".split()),
    dict: frozenset("keys values items get pop setdefault update copy clear popitem".split()),
    set: frozenset("add remove discard pop union intersection difference symmetric_difference issubset issuperset "
                   "isdisjoint update copy clear".split()),
    frozenset: frozenset("union intersection difference symmetric_difference issubset issuperset isdisjoint "
                         "copy".split()),
    int: frozenset("bit_length real imag".split()),
    bool: frozenset("real imag".split()),
    float: frozenset("is_integer real imag".split()),
    complex: frozenset("real imag conjugate".split()),
}
_PADDING = frozenset({"zfill", "center", "ljust", "rjust"})

_MATH_NAMES = ("pi e tau inf nan sqrt isqrt fabs floor ceil trunc exp log log2 log10 log1p pow sin cos tan asin "
               "acos atan atan2 sinh cosh tanh hypot degrees radians isclose isfinite isinf isnan gcd lcm fsum "
               "copysign fmod modf frexp ldexp prod").split()


def _small_int_fn(fn: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(*args: Any) -> Any:
        if any(type(a) is int and a > 10_000 for a in args):
            raise EvalError(f"math.{fn.__name__} of an argument over 10000")
        return fn(*args)
    return guarded


def _math() -> Module:
    attrs = {name: getattr(math, name) for name in _MATH_NAMES}
    attrs.update({name: _small_int_fn(getattr(math, name)) for name in ("factorial", "comb", "perm")})
    return Module("math", attrs)


def _random_object(rng: random.Random, name: str) -> Module:
    def choices(population: Any, weights: Any = None, *, cum_weights: Any = None, k: int = 1) -> list:
        _guard_size(k, "random.choices")
        return rng.choices(population, weights, cum_weights=cum_weights, k=k)

    attrs: dict[str, Any] = {m: getattr(rng, m) for m in ("randint", "choice", "random", "uniform", "randrange",
                                                            "shuffle", "sample", "gauss", "seed")}
    attrs["choices"] = choices
    return Module(name, attrs)


def _random(seed: int) -> Module:
    module = _random_object(random.Random(seed), "random")

    def new_random(seed: Any = None) -> Module:
        if type(seed) not in (int, str, bytes, float):
            raise EvalError("random.Random needs a seed (int, str, bytes or float)")
        return _random_object(random.Random(seed), "random.Random")

    module.attrs["Random"] = new_random
    return module


def modules(seed: int) -> dict[str, Module]:
    return {
        "math": _math(),
        "random": _random(seed),
        "string": Module("string", {name: getattr(string, name) for name in (
            "ascii_lowercase", "ascii_uppercase", "ascii_letters", "digits", "hexdigits", "octdigits",
            "punctuation", "whitespace", "printable")}),
        "copy": Module("copy", {"deepcopy": copy.deepcopy, "copy": copy.copy}),
        "sys": Module("sys", {"getsizeof": sys.getsizeof, "maxsize": sys.maxsize}),
        # annotations are never evaluated; `from typing import List` binds a placeholder
        "typing": Module("typing", {}),
    }


BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow, ast.LShift: operator.lshift,
    ast.RShift: operator.rshift, ast.BitOr: operator.or_, ast.BitXor: operator.xor, ast.BitAnd: operator.and_,
}
CMPOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
    ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}
UNARY: dict[type, Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg, ast.Not: operator.not_,
                                            ast.Invert: operator.invert}
_SEQ = (str, bytes, list, tuple)
_FORMAT_WIDTH = re.compile(r"%[-+ #0]*(\*|\d{7,})")


def guard_binop(op: ast.operator, a: Any, b: Any) -> None:
    ta, tb = type(a), type(b)
    if isinstance(op, ast.Mult):
        if ta in _SEQ and tb in (int, bool):
            _guard_size(len(a) * max(b, 0), "sequence repetition")
        elif tb in _SEQ and ta in (int, bool):
            _guard_size(len(b) * max(a, 0), "sequence repetition")
        elif ta is int and tb is int and a.bit_length() + b.bit_length() > MAX_BITS:
            raise EvalError(f"int * int exceeds {MAX_BITS} bits")
    elif isinstance(op, ast.Pow):
        _guard_pow(a, b)
    elif isinstance(op, ast.LShift):
        if tb is int and ta is int and a and b + a.bit_length() > MAX_BITS:
            raise EvalError(f"int << {b} exceeds {MAX_BITS} bits")
    elif isinstance(op, ast.Add):
        if ta in _SEQ and tb in _SEQ:
            _guard_size(len(a) + len(b), "concatenation")
    elif isinstance(op, (ast.FloorDiv, ast.Mod)):
        if ta is str:   # %-formatting: no huge widths
            if len(a) > 10_000 or _FORMAT_WIDTH.search(a):
                raise EvalError("%-formatting with a huge width or a long format")
        elif ta is int and tb is int and max(a.bit_length(), b.bit_length()) > MAX_BITS:
            raise EvalError(f"int division of more than {MAX_BITS} bits")


def guard_method(obj: Any, name: str, args: list[Any]) -> None:
    if name in _PADDING and args and type(args[0]) is int:
        _guard_size(args[0], f"str.{name}")
    if name == "replace" and len(args) >= 2 and type(args[1]) is str:
        _guard_size(len(obj) * (len(args[1]) + 1), "str.replace")
