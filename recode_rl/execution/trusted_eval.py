"""A small interpreter for TEST code on the trusted side; never the program's code, never `exec`.

Compiling assertion tests into functional units (`assertions.py`) needs the values a test computes:
its expected outputs, the inputs its loops build, what a helper from the problem's prompt returns
(HumanEval/50's `encode_shift`). Grading an `expr` check (`compare.check_value`) needs a test's own
expression evaluated on a returned plain value (HumanEval/32: `math.fabs(poly(coeffs, x)) < 1e-4`).
Both happen in the parent, so this module walks the AST of a subset of Python and refuses the rest.

Runs: literals and displays, names, operators, subscripts and slices, conditional expressions,
comprehensions (generator expressions are materialised as lists), f-strings, lambdas, calls of
whitelisted built-ins, of whitelisted module members (`math`, `string`, `copy`, `sys.getsizeof`, a
seeded `random`, `typing` names as placeholders), of whitelisted methods of built-in values
(`str.join`, `list.append`, ...) and of functions defined in the interpreted code; statements:
assignment (augmented, annotated, subscript), if/for/while/break/continue/return/pass, def,
import of the whitelisted modules, assert. No attribute starting with `_`, no `str.format`.
Bounded: a step budget, a call-depth limit, size guards on `*`, `**`, `<<`, `+`, `%`-formatting,
`range`, padding methods, and a wall-clock backstop. Every refusal, failure or exceeded bound is
an `EvalError`.
Departure: `random` is seeded by the caller, so an unseeded test (HumanEval/50, 53) gets one
fixed draw instead of a new one per run.
"""

from __future__ import annotations

import ast
import copy
import functools
import re
import time
from typing import Any, Callable

from recode_rl.execution.trusted_env import (BINOPS, BUILTINS, CMPOPS, METHODS, UNARY, EvalError, Module,
                                             guard_binop, guard_method, modules)

__all__ = ["EvalError", "Interpreter", "Scope", "Function", "Module", "evaluate_check", "parse"]

MAX_STEPS = 2_000_000       # AST nodes evaluated per interpreter
MAX_DEPTH = 40              # nested calls of interpreted functions (each costs ~15 Python frames)
DEADLINE = 10.0             # seconds: a backstop for what the step budget does not bound
# grading one unit by an "expr" check meets a value the program chose: a much smaller budget
GRADE_STEPS, GRADE_DEADLINE = 100_000, 1.0


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class Scope:
    """Variables of one function call (or the module), chained to the enclosing scope."""

    __slots__ = ("vars", "parent")

    def __init__(self, parent: "Scope | None" = None, values: dict[str, Any] | None = None) -> None:
        self.vars: dict[str, Any] = dict(values or {})
        self.parent = parent

    def lookup(self, name: str) -> Any:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.vars:
                return scope.vars[name]
            scope = scope.parent
        if name in BUILTINS:
            return BUILTINS[name]
        raise EvalError(f"name {name!r} is not defined")


class Function:
    """A function defined by the interpreted code (`def` or `lambda`); callable from built-ins too."""

    def __init__(self, interp: "Interpreter", node: ast.FunctionDef | ast.Lambda, scope: Scope,
                 defaults: list[Any]) -> None:
        self.interp, self.node, self.scope, self.defaults = interp, node, scope, defaults
        self.name = getattr(node, "name", "<lambda>")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.interp.call_function(self, list(args), kwargs)

    def __repr__(self) -> str:
        return f"<function {self.name}>"


# ------------------------------------------------------------------------ interpreter

class Interpreter:
    """Evaluates statements and expressions of test code in `Scope`s. Not thread-safe; one per task."""

    def __init__(self, *, seed: int = 0, max_steps: int = MAX_STEPS, deadline: float = DEADLINE) -> None:
        self.modules = modules(seed)
        self.max_steps = max_steps
        self.steps = 0
        self.depth = 0
        self._deadline = time.monotonic() + deadline

    # -- entry points -----------------------------------------------------------------------
    def run(self, source: str | list[ast.stmt], scope: Scope) -> None:
        """Run module-level statements in `scope` (a `return` at module level is refused)."""
        body = parse(source).body if isinstance(source, str) else source
        try:
            self.block(body, scope)
        except (_Return, _Break, _Continue):
            raise EvalError("return/break/continue outside a function or loop") from None

    def eval(self, node: ast.expr | str, scope: Scope) -> Any:
        """The value of one expression (source text or AST) in `scope`."""
        if isinstance(node, str):
            node = _parse_expr(node)
        try:
            return self.expr(node, scope)
        except EvalError:
            raise
        except (_Return, _Break, _Continue):
            raise EvalError("return/break/continue outside a function or loop") from None
        except RecursionError:
            raise EvalError("nested too deeply") from None
        except Exception as exc:  # noqa: BLE001 - the code's own exception (ZeroDivisionError, ...)
            raise EvalError(f"{type(exc).__name__}: {exc}"[:300]) from None

    # -- bookkeeping ------------------------------------------------------------------------
    def tick(self) -> None:
        self.steps += 1
        if self.steps > self.max_steps:
            raise EvalError(f"step budget of {self.max_steps} exceeded")
        if not self.steps & 4095 and time.monotonic() > self._deadline:
            raise EvalError("time budget exceeded")

    # -- statements -------------------------------------------------------------------------
    def block(self, body: list[ast.stmt], scope: Scope) -> None:
        for node in body:
            self.stmt(node, scope)

    def stmt(self, node: ast.stmt, scope: Scope) -> None:
        self.tick()
        handler = getattr(self, "s_" + type(node).__name__, None)
        if handler is None:
            raise EvalError(f"unsupported statement: {type(node).__name__} (line {getattr(node, 'lineno', '?')})")
        try:
            handler(node, scope)
        except (EvalError, _Return, _Break, _Continue):
            raise
        except RecursionError:
            raise EvalError("nested too deeply") from None
        except Exception as exc:  # noqa: BLE001 - the code's own exception, with its line
            raise EvalError(f"line {getattr(node, 'lineno', '?')}: {type(exc).__name__}: {exc}"[:300]) from None

    def s_Expr(self, node: ast.Expr, scope: Scope) -> None:
        self.expr(node.value, scope)

    def s_Pass(self, node: ast.Pass, scope: Scope) -> None:
        pass

    def s_Break(self, node: ast.Break, scope: Scope) -> None:
        raise _Break

    def s_Continue(self, node: ast.Continue, scope: Scope) -> None:
        raise _Continue

    def s_Return(self, node: ast.Return, scope: Scope) -> None:
        raise _Return(self.expr(node.value, scope) if node.value is not None else None)

    def s_Assign(self, node: ast.Assign, scope: Scope) -> None:
        value = self.expr(node.value, scope)
        for target in node.targets:
            self.assign(target, value, scope)

    def s_AnnAssign(self, node: ast.AnnAssign, scope: Scope) -> None:
        if node.value is not None:
            self.assign(node.target, self.expr(node.value, scope), scope)

    def s_AugAssign(self, node: ast.AugAssign, scope: Scope) -> None:
        if isinstance(node.target, ast.Name):
            current = scope.lookup(node.target.id)
        elif isinstance(node.target, ast.Subscript):
            current = self.expr(node.target, scope)
        else:
            raise EvalError("unsupported augmented assignment target")
        self.assign(node.target, self.binop(node.op, current, self.expr(node.value, scope)), scope)

    def s_If(self, node: ast.If, scope: Scope) -> None:
        self.block(node.body if self.expr(node.test, scope) else node.orelse, scope)

    def s_For(self, node: ast.For, scope: Scope) -> None:
        for item in self.iterate(self.expr(node.iter, scope)):
            self.assign(node.target, item, scope)
            try:
                self.block(node.body, scope)
            except _Break:
                return
            except _Continue:
                continue
        self.block(node.orelse, scope)

    def s_While(self, node: ast.While, scope: Scope) -> None:
        while self.expr(node.test, scope):
            self.tick()
            try:
                self.block(node.body, scope)
            except _Break:
                return
            except _Continue:
                continue
        self.block(node.orelse, scope)

    def s_FunctionDef(self, node: ast.FunctionDef, scope: Scope) -> None:
        if node.decorator_list:
            raise EvalError(f"decorated function {node.name!r}")
        a = node.args
        if a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs:
            raise EvalError(f"function {node.name!r}: only plain positional parameters are supported")
        defaults = [self.expr(d, scope) for d in a.defaults]
        scope.vars[node.name] = Function(self, node, scope, defaults)

    def s_Import(self, node: ast.Import, scope: Scope) -> None:
        for alias in node.names:
            scope.vars[alias.asname or alias.name] = self.module(alias.name)

    def s_ImportFrom(self, node: ast.ImportFrom, scope: Scope) -> None:
        module = self.module(node.module or "")
        for alias in node.names:
            if alias.name == "*":
                raise EvalError(f"from {module.name} import *")
            if module.name == "typing":
                scope.vars[alias.asname or alias.name] = None
                continue
            if alias.name not in module.attrs:
                raise EvalError(f"{module.name}.{alias.name} is not available here")
            scope.vars[alias.asname or alias.name] = module.attrs[alias.name]

    def s_Assert(self, node: ast.Assert, scope: Scope) -> None:
        if not self.expr(node.test, scope):
            raise EvalError(f"assertion failed (line {node.lineno})")

    def module(self, name: str) -> Module:
        if name not in self.modules:
            raise EvalError(f"module {name!r} is not available here")
        return self.modules[name]

    def resolve(self, ref: str) -> Any:
        """A whitelisted module ("math") or one of its members ("math.fabs")."""
        name, _, member = ref.partition(".")
        module = self.module(name)
        if not member:
            return module
        if member not in module.attrs:
            raise EvalError(f"{ref} is not available here")
        return module.attrs[member]

    def assign(self, target: ast.expr, value: Any, scope: Scope) -> None:
        if isinstance(target, ast.Name):
            scope.vars[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = list(self.iterate(value))
            if len(items) != len(target.elts) or any(isinstance(t, ast.Starred) for t in target.elts):
                raise EvalError(f"cannot unpack {len(items)} values into {len(target.elts)} targets")
            for t, v in zip(target.elts, items):
                self.assign(t, v, scope)
        elif isinstance(target, ast.Subscript):
            obj = self.expr(target.value, scope)
            if type(obj) not in (list, dict):
                raise EvalError(f"item assignment on {type(obj).__name__}")
            obj[self.subscript_key(target.slice, scope)] = value
        else:
            raise EvalError(f"unsupported assignment target: {type(target).__name__}")

    def iterate(self, value: Any) -> Any:
        if isinstance(value, (Module, Function)):
            raise EvalError(f"{value!r} is not iterable")
        return iter(value)

    # -- functions --------------------------------------------------------------------------
    def call_function(self, fn: Function, args: list[Any], kwargs: dict[str, Any]) -> Any:
        a = fn.node.args
        names = [p.arg for p in a.args]
        if len(args) > len(names):
            raise EvalError(f"{fn.name}() takes {len(names)} arguments, {len(args)} given")
        bound = dict(zip(names, args))
        for key, value in kwargs.items():
            if key not in names or key in bound:
                raise EvalError(f"{fn.name}() got an unexpected or repeated argument {key!r}")
            bound[key] = value
        first_default = len(names) - len(fn.defaults)
        for i, name in enumerate(names):
            if name not in bound:
                if i < first_default:
                    raise EvalError(f"{fn.name}() missing argument {name!r}")
                bound[name] = fn.defaults[i - first_default]
        if self.depth >= MAX_DEPTH:
            raise EvalError(f"calls nested deeper than {MAX_DEPTH}")
        self.depth += 1
        try:
            local = Scope(fn.scope, bound)
            if isinstance(fn.node, ast.Lambda):
                return self.expr(fn.node.body, local)
            try:
                self.block(fn.node.body, local)
            except _Return as ret:
                return ret.value
            except (_Break, _Continue):
                raise EvalError("break/continue outside a loop") from None
            return None
        finally:
            self.depth -= 1

    # -- expressions ------------------------------------------------------------------------
    def expr(self, node: ast.expr, scope: Scope) -> Any:
        self.tick()
        handler = getattr(self, "e_" + type(node).__name__, None)
        if handler is None:
            raise EvalError(f"unsupported expression: {type(node).__name__}")
        return handler(node, scope)

    def e_Constant(self, node: ast.Constant, scope: Scope) -> Any:
        if node.value is Ellipsis:
            raise EvalError("unsupported constant: ...")
        return node.value

    def e_Name(self, node: ast.Name, scope: Scope) -> Any:
        return scope.lookup(node.id)

    def e_List(self, node: ast.List, scope: Scope) -> list:
        return self.elements(node.elts, scope)

    def e_Tuple(self, node: ast.Tuple, scope: Scope) -> tuple:
        return tuple(self.elements(node.elts, scope))

    def e_Set(self, node: ast.Set, scope: Scope) -> set:
        return set(self.elements(node.elts, scope))

    def e_Dict(self, node: ast.Dict, scope: Scope) -> dict:
        out: dict = {}
        for k, v in zip(node.keys, node.values):
            if k is None:
                raise EvalError("unsupported: ** in a dict display")
            out[self.expr(k, scope)] = self.expr(v, scope)
        return out

    def elements(self, elts: list[ast.expr], scope: Scope) -> list:
        out: list = []
        for e in elts:
            if isinstance(e, ast.Starred):
                out.extend(self.iterate(self.expr(e.value, scope)))
            else:
                out.append(self.expr(e, scope))
        return out

    def e_UnaryOp(self, node: ast.UnaryOp, scope: Scope) -> Any:
        return UNARY[type(node.op)](self.expr(node.operand, scope))

    def e_BinOp(self, node: ast.BinOp, scope: Scope) -> Any:
        return self.binop(node.op, self.expr(node.left, scope), self.expr(node.right, scope))

    def binop(self, op: ast.operator, a: Any, b: Any) -> Any:
        if type(op) not in BINOPS:
            raise EvalError(f"unsupported operator {type(op).__name__}")
        guard_binop(op, a, b)
        return BINOPS[type(op)](a, b)

    def e_BoolOp(self, node: ast.BoolOp, scope: Scope) -> Any:
        value: Any = None
        for v in node.values:
            value = self.expr(v, scope)
            if isinstance(node.op, ast.And) and not value:
                return value
            if isinstance(node.op, ast.Or) and value:
                return value
        return value

    def e_Compare(self, node: ast.Compare, scope: Scope) -> bool:
        left = self.expr(node.left, scope)
        for op, right_node in zip(node.ops, node.comparators):
            right = self.expr(right_node, scope)
            if not CMPOPS[type(op)](left, right):
                return False
            left = right
        return True

    def e_IfExp(self, node: ast.IfExp, scope: Scope) -> Any:
        return self.expr(node.body if self.expr(node.test, scope) else node.orelse, scope)

    def e_Subscript(self, node: ast.Subscript, scope: Scope) -> Any:
        obj = self.expr(node.value, scope)
        if type(obj) not in (str, bytes, list, tuple, dict, range):
            raise EvalError(f"subscript of {type(obj).__name__}")
        return obj[self.subscript_key(node.slice, scope)]

    def subscript_key(self, node: ast.expr, scope: Scope) -> Any:
        if isinstance(node, ast.Slice):
            return slice(*(self.expr(p, scope) if p is not None else None for p in (node.lower, node.upper, node.step)))
        return self.expr(node, scope)

    def e_Attribute(self, node: ast.Attribute, scope: Scope) -> Any:
        obj = self.expr(node.value, scope)
        name = node.attr
        if name.startswith("_"):
            raise EvalError(f"attribute {name!r} is not available here")
        if isinstance(obj, Module):
            if name not in obj.attrs:
                raise EvalError(f"{obj.name}.{name} is not available here")
            return obj.attrs[name]
        if name not in METHODS.get(type(obj), ()):
            raise EvalError(f"{type(obj).__name__}.{name} is not available here")
        attr = getattr(obj, name)
        if not callable(attr):
            return attr
        return lambda *args, **kwargs: (guard_method(obj, name, list(args)), attr(*args, **kwargs))[1]

    def e_Call(self, node: ast.Call, scope: Scope) -> Any:
        fn = self.expr(node.func, scope)
        args = self.elements(node.args, scope)
        kwargs: dict[str, Any] = {}
        for kw in node.keywords:
            if kw.arg is None:
                raise EvalError("unsupported: ** in a call")
            kwargs[kw.arg] = self.expr(kw.value, scope)
        return self.call(fn, args, kwargs)

    def call(self, fn: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if isinstance(fn, Function):
            return self.call_function(fn, args, kwargs)
        if fn is None or isinstance(fn, Module) or not callable(fn) or isinstance(fn, type) and \
                fn not in BUILTINS.values():
            raise EvalError(f"{fn!r} is not callable here")
        return fn(*args, **kwargs)

    def e_Lambda(self, node: ast.Lambda, scope: Scope) -> Function:
        a = node.args
        if a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs:
            raise EvalError("lambda: only plain positional parameters are supported")
        return Function(self, node, scope, [self.expr(d, scope) for d in a.defaults])

    def e_JoinedStr(self, node: ast.JoinedStr, scope: Scope) -> str:
        parts = []
        for v in node.values:
            if isinstance(v, ast.Constant):
                parts.append(str(v.value))
                continue
            value = self.expr(v.value, scope)
            if v.conversion == ord("r"):
                value = repr(value)
            elif v.conversion == ord("a"):
                value = ascii(value)
            spec = self.e_JoinedStr(v.format_spec, scope) if v.format_spec is not None else ""
            if re.search(r"\d{7,}", spec):
                raise EvalError("f-string with a huge width")
            parts.append(format(value, spec))
        return "".join(parts)

    # comprehensions: each `for` binds in a fresh child scope, as Python does
    def comprehension(self, generators: list[ast.comprehension], scope: Scope, emit: Callable[[Scope], None]) -> None:
        def loop(i: int, inner: Scope) -> None:
            if i == len(generators):
                emit(inner)
                return
            gen = generators[i]
            if gen.is_async:
                raise EvalError("async comprehension")
            for item in self.iterate(self.expr(gen.iter, inner)):
                self.tick()
                child = Scope(inner)
                self.assign(gen.target, item, child)
                if all(self.expr(cond, child) for cond in gen.ifs):
                    loop(i + 1, child)

        loop(0, Scope(scope))

    def e_ListComp(self, node: ast.ListComp, scope: Scope) -> list:
        out: list = []
        self.comprehension(node.generators, scope, lambda s: out.append(self.expr(node.elt, s)))
        return out

    e_GeneratorExp = e_ListComp   # materialised

    def e_SetComp(self, node: ast.SetComp, scope: Scope) -> set:
        out: set = set()
        self.comprehension(node.generators, scope, lambda s: out.add(self.expr(node.elt, s)))
        return out

    def e_DictComp(self, node: ast.DictComp, scope: Scope) -> dict:
        out: dict = {}

        def emit(s: Scope) -> None:
            out[self.expr(node.key, s)] = self.expr(node.value, s)
        self.comprehension(node.generators, scope, emit)
        return out


def evaluate_check(check: Any, value: Any) -> Any:
    """The value of an "expr" check's expression (`types.Check`) with `__value__` = `value`: its
    `helpers` run first, then `env` (a fresh deep copy per call) and `refs` are bound."""
    interp = Interpreter(max_steps=GRADE_STEPS, deadline=GRADE_DEADLINE)
    module = Scope()
    if check.helpers:
        interp.run(check.helpers, module)
    names = copy.deepcopy(dict(check.env))
    names.update({name: interp.resolve(ref) for name, ref in check.refs.items()})
    names["__value__"] = value
    return interp.eval(check.expr, Scope(module, names))


@functools.lru_cache(maxsize=512)
def parse(source: str) -> ast.Module:
    import warnings

    with warnings.catch_warnings():  # MBPP's "\d"-style escapes in plain strings
        warnings.simplefilter("ignore", (SyntaxWarning, DeprecationWarning))
        try:
            return ast.parse(source)
        except (SyntaxError, ValueError) as exc:
            raise EvalError(f"test code does not parse: {exc}") from None


def _parse_expr(source: str) -> ast.expr:
    tree = parse(source)
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        raise EvalError("expected one expression")
    return tree.body[0].value
