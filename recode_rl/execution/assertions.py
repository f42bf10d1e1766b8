"""Assertion tests -> functional units, compiled once, on the trusted side.

An `assertion` suite (HumanEval's `def check(candidate): ...`, MBPP's `assert f(x) == y`) runs
test code in the program's own process, where the program can shadow `abs`, patch `math.isclose`,
replace a helper the test calls, or read the expected constants from `check`'s code object. Almost
every such test is really a list of calls with expected results. `compile_suite` finds them:
it interprets the test code with `trusted_eval` (never `exec`, never the program's code), with
`candidate` and the entry point's name bound to a marker, and turns every assertion that calls
the candidate once into a unit: the call's arguments, the expected value the TEST computes, and
the comparison the assertion makes (`types.Check`). The result is a `functional` suite: the
sandbox only calls the function and reports the plain value it returned; nothing of the test
(expected values, helpers, comparators) enters the sandbox.

Recognised, with `W(...)` one of `tuple list set frozenset sorted len int float str bool abs round
sum min max` (not shadowed) applied to the candidate's result:
    assert W(candidate(a)) OP e            OP: == != < <= > >= in not in is is-not (e None/True/False)
    assert e OP W(candidate(a))            flipped; `e in W(...)` is "contains"
    assert W(candidate(a))  /  assert not W(candidate(a))                truthiness
    assert abs(W(candidate(a)) - e) < tol  (or <=, or abs(e - ...))
    assert math.isclose(W(candidate(a)), e[, rel_tol=..][, abs_tol=..])  (either order)
    assert W(candidate(a)) == W(entry_point(a))   (the test compares the candidate with itself,
                                                   HumanEval/33): "the call returns a value W takes"
    candidate(a)                           a bare call: it must return a plain value
    x = candidate(a); assert <any expression of x>     the expression is kept ("expr" check) and
                                           evaluated on the returned value by `trusted_eval`
    any other assertion with one candidate call: likewise an "expr" check.
Test code around the assertions runs on the trusted side: loops over literal or computed lists,
`random` (seeded: HumanEval/50, 53 draw once, with `seed`), `string`, `copy`, `math`, and helper
functions from the trusted problem text (`helpers`: HumanEval's prompt, e.g. /32 `poly`, /50
`encode_shift`, /38 `encode_cyclic`, interpreted here; the program's own copies are never used).
An assertion that does not call the candidate is evaluated here and must hold.

Anything else raises `NotCompilable` with the reason (a candidate call with keyword arguments, two
calls in one assertion, a non-plain argument such as MBPP/367's tree of `Node`s, code the
interpreter refuses); the loader then keeps the assertion suite, whose `trust` is "weak".
Departures: the candidate gets a fresh copy of its arguments, so an argument it mutates is not seen
mutated by a later assertion; a returned iterator is not materialised (it fails as an
unserializable value, where `sorted(gen)` would have passed); unseeded `random` draws once.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Any

from recode_rl.execution.trusted_env import BUILTINS
from recode_rl.execution.trusted_eval import EvalError, Function, Interpreter, Module, Scope, parse
from recode_rl.execution.types import CHECK_WRAPS, Check, TestSuite

__all__ = ["NotCompilable", "compile_suite", "compile_or_keep", "helper_source"]

VALUE = "__value__"   # the name standing for the returned value in an "expr" check
_FLIP = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<=", "is": "is", "is not": "is not",
         "in": "contains"}
_CMP_NAMES = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
              ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}


class NotCompilable(EvalError):
    """The suite cannot be decomposed into units; the message says why."""


class _Candidate:
    def __repr__(self) -> str:
        return "<candidate>"


CANDIDATE = _Candidate()
_MISSING = object()


class _Pending:
    """A name bound to a candidate call's result (`x = candidate(a)`), used by a later assertion."""

    def __init__(self, args: list[Any]) -> None:
        self.args = args


def _plain_copy(value: Any, what: str) -> Any:
    """A fresh copy through the wire whitelist (what crosses to the sandbox is exactly this)."""
    from recode_rl.execution.harness import from_wire, to_wire

    try:
        return from_wire(to_wire(value))
    except TypeError as exc:
        raise NotCompilable(f"{what} is not plain data: {str(exc).replace('unserializable return value: ', '')}") from None


class _Compiler(Interpreter):
    """Runs test code; every assertion that calls the candidate becomes a unit instead."""

    def __init__(self, seed: int, params: Sequence[str] | None = None) -> None:
        super().__init__(seed=seed)
        self.helpers, self.helper_source = Scope(), ""
        self.params = list(params) if params is not None else None
        self.units: list[tuple[list[Any], Any, Check]] = []

    # -- statements that may hold candidate calls --------------------------------------------
    def s_Assert(self, node: ast.Assert, scope: Scope) -> None:
        sites = self._sites(node.test, scope)
        if not sites:
            super().s_Assert(node, scope)   # the test's own invariant: must hold here
            return
        if len(sites) == 2:
            self._self_comparison(node.test, sites, scope)
            return
        if len(sites) > 2:
            raise NotCompilable(f"line {node.lineno}: {len(sites)} candidate calls in one assertion")
        site, args = sites[0]
        self.units.append((args, *self._classify(node.test, site, scope)))

    def s_Assign(self, node: ast.Assign, scope: Scope) -> None:
        if self._sites(node.value, scope):
            if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name) or not self._is_call(node.value, scope):
                raise NotCompilable(f"line {node.lineno}: a candidate result is used beyond `name = candidate(...)`")
            scope.vars[node.targets[0].id] = _Pending(self._args(node.value, scope))
            return
        super().s_Assign(node, scope)

    def s_Expr(self, node: ast.Expr, scope: Scope) -> None:
        if self._sites(node.value, scope):
            if not self._is_call(node.value, scope):
                raise NotCompilable(f"line {node.lineno}: a candidate call inside an expression statement")
            self.units.append((self._args(node.value, scope), None, Check("ok")))
            return
        super().s_Expr(node, scope)

    def call(self, fn: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if fn is CANDIDATE:
            raise NotCompilable("the candidate is called where its result cannot be compiled into a unit")
        return super().call(fn, args, kwargs)

    def e_Name(self, node: ast.Name, scope: Scope) -> Any:
        value = super().e_Name(node, scope)
        if isinstance(value, _Pending):
            raise NotCompilable(f"the candidate result {node.id!r} is used outside an assertion")
        return value

    # -- finding candidate calls ---------------------------------------------------------------
    def _lookup(self, name: str, scope: Scope) -> Any:
        try:
            return scope.lookup(name)
        except EvalError:
            return _MISSING

    def _is_call(self, node: ast.expr, scope: Scope) -> bool:
        return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and self._lookup(node.func.id, scope) is CANDIDATE)

    def _sites(self, expr: ast.expr, scope: Scope) -> list[tuple[ast.expr, list[Any]]]:
        """Candidate calls and names of pending results in `expr`, with their arguments."""
        nodes = [n for n in ast.walk(expr) if self._is_call(n, scope) or
                 isinstance(n, ast.Name) and isinstance(self._lookup(n.id, scope), _Pending)]
        if not nodes:
            return []
        nested = {id(n) for comp in ast.walk(expr) if isinstance(comp, (ast.Lambda, ast.ListComp, ast.SetComp,
                                                                         ast.DictComp, ast.GeneratorExp))
                  for n in ast.walk(comp) if n is not comp}
        if any(id(n) in nested for n in nodes):
            raise NotCompilable("a candidate call inside a comprehension or lambda")
        calls = [n for n in nodes if isinstance(n, ast.Call)]
        if any(inner is not outer and any(inner is x for x in ast.walk(outer)) for outer in calls for inner in nodes):
            raise NotCompilable("a candidate call inside another candidate call's arguments")
        return [(n, self._args(n, scope) if isinstance(n, ast.Call) else self._lookup(n.id, scope).args)
                for n in nodes]

    def _args(self, call: ast.Call, scope: Scope) -> list[Any]:
        args = self.elements(call.args, scope)
        if call.keywords:   # by position, through the trusted signature's parameter names
            if self.params is None:
                raise NotCompilable(f"line {call.lineno}: a candidate call with keyword arguments")
            slots: dict[int, Any] = dict(enumerate(args))
            for kw in call.keywords:
                if kw.arg is None or kw.arg not in self.params or self.params.index(kw.arg) in slots:
                    raise NotCompilable(f"line {call.lineno}: keyword argument {kw.arg!r} does not match the "
                                        f"signature ({', '.join(self.params)})")
                slots[self.params.index(kw.arg)] = self.expr(kw.value, scope)
            if sorted(slots) != list(range(len(slots))):
                raise NotCompilable(f"line {call.lineno}: keyword arguments leave a parameter out")
            args = [slots[i] for i in range(len(slots))]
        return _plain_copy(args, "a candidate argument")

    # -- the shape of an assertion ---------------------------------------------------------------
    def _wrap_of(self, node: ast.expr, site: ast.expr, scope: Scope) -> str | None | bool:
        """"" for the site itself, the wrapper's name for `W(site)`, False otherwise."""
        if node is site:
            return ""
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in CHECK_WRAPS
                and len(node.args) == 1 and not node.keywords and node.args[0] is site
                and self._lookup(node.func.id, scope) is BUILTINS[node.func.id]):
            return node.func.id
        return False

    def _value(self, node: ast.expr, scope: Scope, what: str) -> Any:
        return _plain_copy(self.expr(node, scope), what)

    def _classify(self, test: ast.expr, site: ast.expr, scope: Scope) -> tuple[Any, Check]:
        """(expected value, check) of an assertion with one candidate site."""
        wrap = self._wrap_of(test, site, scope)
        if wrap is not False:
            return None, Check("truthy", wrap or None)
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            wrap = self._wrap_of(test.operand, site, scope)
            if wrap is not False:
                return None, Check("falsy", wrap or None)
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            found = self._compare(test, site, scope)
            if found is not None:
                return found
        if isinstance(test, ast.Call):
            found = self._isclose(test, site, scope)
            if found is not None:
                return found
        return None, self._expr_check(test, site, scope)

    def _compare(self, test: ast.Compare, site: ast.expr, scope: Scope) -> tuple[Any, Check] | None:
        op = _CMP_NAMES[type(test.ops[0])]
        left, right = test.left, test.comparators[0]
        for value_side, other, flipped in ((left, right, False), (right, left, True)):
            wrap = self._wrap_of(value_side, site, scope)
            if wrap is False:
                continue
            name = _FLIP.get(op) if flipped else op
            if name is None:
                return None
            expected = self._value(other, scope, "an expected value")
            if name in ("is", "is not") and expected not in (None, True, False) or \
                    name in ("is", "is not") and type(expected) not in (bool, type(None)):
                return None
            return expected, Check(name, wrap or None)
        # abs(W(site) - e) < tol  /  abs(e - W(site)) <= tol
        if op in ("<", "<=") and isinstance(left, ast.Call) and isinstance(left.func, ast.Name) \
                and left.func.id == "abs" and self._lookup("abs", scope) is BUILTINS["abs"] \
                and len(left.args) == 1 and not left.keywords and isinstance(left.args[0], ast.BinOp) \
                and isinstance(left.args[0].op, ast.Sub):
            diff = left.args[0]
            for value_side, other in ((diff.left, diff.right), (diff.right, diff.left)):
                wrap = self._wrap_of(value_side, site, scope)
                if wrap is not False:
                    tol = self._value(right, scope, "a tolerance")
                    if type(tol) not in (int, float):
                        return None
                    return self._value(other, scope, "an expected value"), Check("abs" + op, wrap or None, tol=tol)
        return None

    def _isclose(self, test: ast.Call, site: ast.expr, scope: Scope) -> tuple[Any, Check] | None:
        import math

        try:
            fn = self.expr(test.func, scope)
        except EvalError:
            return None
        if fn is not math.isclose or len(test.args) != 2 or any(k.arg not in ("rel_tol", "abs_tol") for k in test.keywords):
            return None
        kw = {k.arg: self._value(k.value, scope, "a tolerance") for k in test.keywords}
        if not all(type(v) in (int, float) for v in kw.values()):
            return None
        for value_side, other in ((test.args[0], test.args[1]), (test.args[1], test.args[0])):
            wrap = self._wrap_of(value_side, site, scope)
            if wrap is not False:
                return self._value(other, scope, "an expected value"), Check(
                    "isclose", wrap or None, tol=kw.get("abs_tol"), rel_tol=kw.get("rel_tol"))
        return None

    def _self_comparison(self, test: ast.expr, sites: list[tuple[ast.expr, list[Any]]], scope: Scope) -> None:
        """`W(candidate(a)) == W(entry_point(a))`: holds whenever the call returns a value W takes
        (for a deterministic program), so the unit only asks for that."""
        (s1, a1), (s2, a2) = sites
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq) and a1 == a2:
            w1 = self._wrap_of(test.left, s1, scope)
            w2 = self._wrap_of(test.comparators[0], s2, scope)
            if w1 is not False and w1 == w2:
                self.units.append((a1, None, Check("ok", w1 or None)))
                return
        raise NotCompilable(f"line {getattr(test, 'lineno', '?')}: two candidate calls in one assertion")

    def _expr_check(self, test: ast.expr, site: ast.expr, scope: Scope) -> Check:
        """The assertion's own expression over `__value__`, with the values it names."""
        rewritten = _replace(test, site)
        bound = {a.arg for n in ast.walk(rewritten) if isinstance(n, ast.Lambda) for a in n.args.args}
        bound |= {t.id for n in ast.walk(rewritten) if isinstance(n, ast.comprehension)
                  for t in ast.walk(n.target) if isinstance(t, ast.Name)}
        env: dict[str, Any] = {}
        refs: dict[str, str] = {}
        uses_helpers = False
        for name in sorted({n.id for n in ast.walk(rewritten) if isinstance(n, ast.Name)} - bound - {VALUE}):
            value = self._lookup(name, scope)
            if value is _MISSING:
                raise NotCompilable(f"name {name!r} is not defined")
            if name in BUILTINS and value is BUILTINS[name]:
                continue
            if isinstance(value, Function):
                if self._lookup(name, self.helpers) is not value:
                    raise NotCompilable(f"the assertion calls {name!r}, which is not a helper of the problem")
                uses_helpers = True
            elif isinstance(value, Module) or callable(value):
                refs[name] = self._ref(name, value)
            elif value is CANDIDATE or isinstance(value, _Pending):
                raise NotCompilable("a candidate call inside the expression of another one")
            else:
                env[name] = _plain_copy(value, f"the value of {name!r}")
        return Check("expr", expr=ast.unparse(rewritten), env=env, refs=refs,
                     helpers=self.helper_source if uses_helpers else "")

    def _ref(self, name: str, value: Any) -> str:
        for mod_name, module in self.modules.items():
            if value is module:
                return mod_name
            for member, attr in module.attrs.items():
                if value is attr:
                    return f"{mod_name}.{member}"
        raise NotCompilable(f"the assertion uses {name!r}, which cannot be carried to the grader")


def _replace(test: ast.expr, site: ast.expr) -> ast.expr:
    """A copy of `test` with the node `site` replaced by the name `__value__`."""
    def rebuild(node: Any) -> Any:
        if node is site:
            return ast.copy_location(ast.Name(VALUE, ast.Load()), site)
        if isinstance(node, ast.AST):
            new = type(node)()
            for field, value in ast.iter_fields(node):
                setattr(new, field, rebuild(value))
            for attr in node._attributes:
                if hasattr(node, attr):
                    setattr(new, attr, getattr(node, attr))
            return new
        if isinstance(node, list):
            return [rebuild(x) for x in node]
        return node

    return rebuild(test)


def _helpers(source: str, entry_point: str, interp: Interpreter) -> tuple[Scope, str]:
    """Run the trusted problem text's top-level defs and imports (never the entry point's own
    stub); statements the interpreter refuses are left out. Returns the scope and the source of
    what ran, which an "expr" check carries to the grader."""
    scope = Scope()
    kept: list[str] = []
    try:
        body = parse(source).body if source.strip() else []
    except EvalError:
        return scope, ""
    for node in body:
        if not isinstance(node, (ast.FunctionDef, ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.FunctionDef) and node.name == entry_point:
            continue
        try:
            interp.stmt(node, scope)
        except EvalError:
            continue
        kept.append(ast.unparse(node))
    return scope, "\n\n".join(kept)


def helper_source(text: str, entry_point: str) -> str:
    """The defs and imports of trusted problem text (e.g. HumanEval's prompt) that `trusted_eval`
    runs, without the entry point's own stub: what an "expr" check carries as `helpers`."""
    return _helpers(text, entry_point, Interpreter())[1]


def compile_suite(suite: TestSuite, *, helpers: str = "", seed: int = 0,
                  params: Sequence[str] | None = None) -> TestSuite:
    """The functional suite equivalent to an assertion suite (see the module doc); raises
    `NotCompilable` with the reason. `helpers`: trusted problem text whose functions the tests
    may call (HumanEval's prompt). `params`: the entry point's positional parameter names from
    trusted text (a reference solution's signature), so that keyword arguments (LeetCode's
    `candidate(nums=[1], target=2)`) become positional ones; without it they do not compile."""
    if suite.kind != "assertion":
        raise NotCompilable(f"a {suite.kind} suite is not an assertion suite")
    entry = suite.entry_point
    if not entry:
        raise NotCompilable("the suite names no entry point (the function the assertions test)")
    compiler = _Compiler(seed, params)
    compiler.helpers, compiler.helper_source = _helpers(helpers, entry, compiler)
    module = Scope(compiler.helpers, {"candidate": CANDIDATE, entry: CANDIDATE})
    try:
        if suite.preamble.strip():
            compiler.run(suite.preamble, module)
        for assertion in suite.assertions:
            compiler.run(assertion, module)
    except NotCompilable:
        raise
    except EvalError as exc:
        raise NotCompilable(f"the test code cannot be run on the trusted side: {exc}") from None
    if not compiler.units:
        raise NotCompilable("no assertion calls the candidate")
    args, expected, checks = zip(*compiler.units)
    return TestSuite(kind="functional", inputs=tuple(args), outputs=tuple(expected), fn_name=entry,
                     checks=tuple(checks), entry_point=entry)


def compile_or_keep(suite: TestSuite, *, helpers: str = "", seed: int = 0,
                    params: Sequence[str] | None = None) -> tuple[TestSuite, str | None]:
    """(compiled suite, None), or (the assertion suite unchanged, why it did not compile)."""
    try:
        return compile_suite(suite, helpers=helpers, seed=seed, params=params), None
    except NotCompilable as exc:
        return suite, str(exc)
