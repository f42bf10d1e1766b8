"""EvalPlus HumanEval+ / MBPP+ records -> `functional` `Problem`s with computed expected outputs.

A record has `task_id, prompt, entry_point, canonical_solution, base_input, plus_input, atol,
contract`. Inputs are `base_input + plus_input`; `metadata["n_base"]` says how many lead, so a
scorer can report "base" (the original tests) and "plus" (all) pass rates. `atol` is carried
into the suite as a number, 0 included: a numeric `atol` selects EvalPlus's comparison (types
kept, 1e-6 float tolerance when `atol` is 0; see `recode_rl/execution/compare.py`).

Expected outputs are not in the file: they are computed once by running the canonical solution
in the sandbox (`recode_rl.execution.compute_outputs`) and cached on disk, one JSON line per
task in `$RECODE_CACHE_DIR/evalplus/<sha256 of the data file>.v5.jsonl` (default cache dir
`~/.cache/recode-rl`), so an interrupted run resumes where it stopped. Values are stored in the
executor's tagged wire format so tuples/sets survive.

Departures from EvalPlus:
* MBPP+ stores tuple arguments as JSON lists; EvalPlus restores them with a per-task-id table.
  We derive the same information from each record's `contract` (`isinstance(x, tuple)`,
  `all(isinstance(v, tuple) ... for v in x)`) and, for nested tuples, from the canonical
  solution testing `isinstance(..., tuple)`, and numbers stored as strings from
  `isinstance(x, complex/float)`; this agrees with EvalPlus's table on its tuple tasks. Sets
  (Mbpp/115) stay lists, for the canonical solution and the candidate alike.
* An input on which the canonical solution raises is dropped from the suite (EvalPlus would
  crash instead); `metadata["dropped"]` names every dropped input (index in base+plus -> reason),
  `["dropped_base"]` / `["dropped_plus"]` count them, and loading logs them by name. Expected
  outputs are computed with a generous per-input limit (`COMPUTE_TIMEOUT`, EvalPlus has none), so
  dropping does not depend on machine load; an input dropped for a timeout anyway is listed in
  `metadata["dropped_load_dependent"]` and warned about as such.
* EvalPlus's special oracles (evalplus/eval/__init__.py, `unsafe_execute`; `_special_oracle.py`)
  are suite properties set here by task, so the executor knows no task names: MBPP+'s eight
  set-equality tasks get `oracle: "set"`; its three tasks whose reference returns an `re.Match`
  or None (Mbpp/737, 787, 794) get `oracle: "not_none"`: the sandbox reports `v if bool else v is
  not None` for the reference and the candidate, as EvalPlus compares (the reference's Match
  objects cannot cross the boundary, so these inputs were dropped before); HumanEval/32 gets one
  `expr` check per input, EvalPlus's `abs(poly(*inp, out)) <= atol` with the prompt's `poly`
  (any root within tolerance is right). Not copied: EvalPlus 0.3.1's own HumanEval/32 defect
  (it fails every sample); Mbpp/164, 295, 558, 581's special cases.
* Time limits follow EvalPlus: the cache records the canonical solution's seconds per input, and
  `metadata["time_limits"]` (one per kept input) is max(1 s, 4 x that), EvalPlus's
  DEFAULT_MIN_TIME_LIMIT / DEFAULT_GT_TIME_LIMIT_FACTOR (evalplus/config.py, 0.3.1). `recode check` applies them on the
  trusted side (a unit slower than its limit is a timeout); other stages use the flat `Limits`.
  EvalPlus's per-task cap (60 s over all inputs) is not copied.
"""

from __future__ import annotations

import ast
import hashlib
import logging
import math
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from recode_rl.data.records import (Where, append_records, cache_dir, find_data_file, get_list, get_str, load_records,
                                    read_records, repair_torn_tail)
from recode_rl.data.schema import Problem
from recode_rl.errors import DataError
from recode_rl.execution.types import TestSuite

__all__ = ["HUMANEVAL_PLUS_FILE", "MBPP_PLUS_FILE", "tuple_args_from_contract", "restore_tuples",
           "load_evalplus", "evalplus_cache_path", "time_limit"]

# EvalPlus (v0.3.1, evalplus/eval/_special_oracle.py) compares these MBPP+ tasks' outputs as sets:
# order and duplicates do not matter (Mbpp/2, 7, 111, 140, 232, 249, 579, 769).
MBPP_SET_EQUAL = frozenset({"similar_elements", "find_char_long", "common_in_nested_lists", "extract_singly",
                            "larg_nnum", "intersection_array", "find_dissimilar", "Diff"})
# ... and only checks whether these return None (MBPP_OUTPUT_NOT_NONE_TASKS: Mbpp/737, 787, 794)
MBPP_NOT_NONE = frozenset({"check_str", "text_match_three", "text_starta_endb"})
# HumanEval/32 (`find_zero`): any root within atol is right, `abs(_poly(*inp, out)) <= atol`
HUMANEVAL_ROOT = {"find_zero": "abs(poly(*args, __value__)) <= atol"}


# EvalPlus's MBPP special oracles (`unsafe_execute`): a second accepted answer for tasks whose prompt
# allows two readings. Ours are written from their stated rule; the alternative is computed here, on the
# trusted side, from the input.
def _digit_distance_padded(a: int, b: int) -> int:
    """Mbpp/558: sum of digit differences after zero-padding the shorter number (the reference zips)."""
    x, y = str(a), str(b)
    width = max(len(x), len(y))
    return sum(abs(int(p) - int(q)) for p, q in zip(x.zfill(width), y.zfill(width)))


def _pyramid_surface(base: float, height: float) -> int:
    """Mbpp/581: total surface of a square pyramid when `height` is the apex's height (the reference
    reads it as the slant height), rounded."""
    slant = math.sqrt((base / 2) ** 2 + height ** 2)
    return round(base ** 2 + 2 * base * slant)


# entry point -> (expression over __value__, exp, atol and alt, the alternative answer computed from the
# input, or None). EvalPlus's plain comparison comes first and passes whatever it passes: `==`, or for a
# float (these tasks return scalars) closeness within atol, 1e-6 when atol is 0, types equal.
_EVALPLUS_EQUAL = ("__value__ == exp or (isinstance(exp, float) and isinstance(__value__, float) "
                   "and abs(__value__ - exp) <= (atol if atol else 1e-06) + 1e-07 * abs(exp))")
MBPP_ALTERNATIVES: dict[str, tuple[str, Callable[..., Any] | None]] = {
    "are_equivalent": ("True", None),                                      # Mbpp/164: any returned value
    "sum_div": (f"{_EVALPLUS_EQUAL} or __value__ == 0", None),             # Mbpp/295: 0 also accepted
    "digit_distance_nums": (f"{_EVALPLUS_EQUAL} or __value__ == alt", _digit_distance_padded),  # Mbpp/558
    "surface_Area": (f"{_EVALPLUS_EQUAL} or abs(__value__ - alt) <= atol", _pyramid_surface),   # Mbpp/581
}

HUMANEVAL_PLUS_FILE = "humanevalplus/HumanEvalPlus-v0.1.10.jsonl.gz"
MBPP_PLUS_FILE = "mbppplus/MbppPlus-v0.2.0.jsonl.gz"
_CACHE_VERSION = "v6"  # bump when input restoration or executor semantics change (v6: reference seconds per input)
COMPUTE_TIMEOUT = 120.0     # per input when computing expected outputs: generous, so drops never depend on load
MIN_TIME_LIMIT = 1.0        # EvalPlus DEFAULT_MIN_TIME_LIMIT (evalplus/config.py, 0.3.1)
TIME_LIMIT_FACTOR = 4.0     # EvalPlus DEFAULT_GT_TIME_LIMIT_FACTOR

log = logging.getLogger(__name__)

# compute(program, fn_name, inputs, limits) -> per input, in order: (True, value) or (False, error
# text), optionally with a third element, the reference's seconds on that input (None: unknown)
ComputeFn = Callable[[str, str, list[Any], Any], list[tuple]]

_ISINSTANCE = re.compile(r"isinstance\(\s*([A-Za-z_]\w*)\s*,\s*(\([^()]*\)|[A-Za-z_]\w*)\s*\)")
_ITEMS_TUPLE = re.compile(r"all\(\s*isinstance\(\s*([A-Za-z_]\w*)\s*,\s*tuple\s*\)[^\n]*?"
                          r"\bfor\s+\1\s+in\s+([A-Za-z_]\w*)(\.values\(\))?")
_CHECKS_TUPLES = re.compile(r"isinstance\([^()]*,\s*tuple\s*\)")


def _params(program: str, entry_point: str) -> list[str]:
    try:
        tree = ast.parse(program)
    except SyntaxError:
        return []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == entry_point:
            return [a.arg for a in node.args.posonlyargs + node.args.args]
    return []


def tuple_args_from_contract(contract: str, params: Sequence[str], program: str = "") -> dict[int, set[str]]:
    """Argument position -> how JSON lists in it become tuples.

    "tuple": the argument is a tuple; "items": its list items are; "values": its dict values
    are; "deep": every nested list is (the argument is a tuple and the solution itself tells
    tuples from other values with `isinstance(..., tuple)`, so nested tuples are meant);
    "number": the argument is a float/complex that JSON stores as a string ("1j", "(1+2j)");
    not when the contract also allows `str` (HumanEval/137 takes "2,3" on purpose).
    """
    spec: dict[int, set[str]] = {}
    for line in contract.splitlines():
        m = _ITEMS_TUPLE.search(line)
        if m and m.group(2) in params:
            spec.setdefault(params.index(m.group(2)), set()).add("values" if m.group(3) else "items")
            continue
        for name, types in _ISINSTANCE.findall(line):
            if name not in params:
                continue
            if types == "tuple":
                spec.setdefault(params.index(name), set()).add("tuple")
            elif ("complex" in types or "float" in types) and not re.search(r"\bstr\b", types):
                spec.setdefault(params.index(name), set()).add("number")
    if _CHECKS_TUPLES.search(program):
        for how in spec.values():
            if "tuple" in how:
                how.add("deep")
    return spec


def _deep_tuple(x: Any) -> Any:
    return tuple(_deep_tuple(v) for v in x) if isinstance(x, list) else x


def restore_tuples(args: list[Any], spec: dict[int, set[str]]) -> list[Any]:
    out = list(args)
    for pos, how in spec.items():
        if pos >= len(out):
            continue
        x = out[pos]
        if "number" in how and isinstance(x, str):
            try:
                out[pos] = complex(x) if "j" in x else float(x)
            except ValueError:
                pass
            continue
        if "deep" in how and isinstance(x, list):
            out[pos] = _deep_tuple(x)
            continue
        if "values" in how and isinstance(x, dict):
            x = {k: tuple(v) if isinstance(v, list) else v for k, v in x.items()}
        if "items" in how and isinstance(x, list):
            x = [tuple(v) if isinstance(v, list) else v for v in x]
        if "tuple" in how and isinstance(x, list):
            x = tuple(x)
        out[pos] = x
    return out


def evalplus_cache_path(data_file: Path) -> Path:
    digest = hashlib.sha256(Path(data_file).read_bytes()).hexdigest()
    return cache_dir() / "evalplus" / f"{digest}.{_CACHE_VERSION}.jsonl"


def _read_cache(path: Path) -> dict[str, dict[str, Any]]:
    # a line cut short by a crash is dropped (that task is recomputed); any other bad line is an error
    repair_torn_tail(path)
    return {entry["task_id"]: entry for entry in load_records(path, missing_ok=True)}


def _default_compute() -> ComputeFn:
    import functools

    from recode_rl.execution import compute_outputs

    return functools.partial(compute_outputs, with_seconds=True)


def time_limit(reference_seconds: float | None) -> float | None:
    """EvalPlus's per-input limit: max(1 s, 4 x the reference's time); None when unknown."""
    if reference_seconds is None:
        return None
    return max(MIN_TIME_LIMIT, TIME_LIMIT_FACTOR * reference_seconds)


def _load_dependent(reason: str) -> bool:
    # a timeout, or an input not run because earlier ones timed out, depends on the machine's load
    return reason.startswith(("timeout", "not_run", "job_timeout"))


def _prepare(where: Where, rec: dict[str, Any], source: str) -> dict[str, Any]:
    task_id = get_str(rec, "task_id", where)
    entry_point = get_str(rec, "entry_point", where)
    prompt = get_str(rec, "prompt", where)
    canonical = get_str(rec, "canonical_solution", where)
    base = get_list(rec, "base_input", where)
    if rec.get("plus_input") == {}:  # MBPP+ v0.2.0 writes "no plus inputs" as {} (Mbpp/793)
        rec = {**rec, "plus_input": []}
    plus = get_list(rec, "plus_input", where, default=[])
    for field, inputs in (("base_input", base), ("plus_input", plus)):
        if not all(isinstance(x, list) for x in inputs):
            raise where.error(field, "expected a list of argument lists")
    atol = rec.get("atol", 0) or 0
    if not isinstance(atol, (int, float)) or atol < 0:
        raise where.error("atol", f"expected a non-negative number, got {atol!r}")
    # HumanEval+ canonical solutions are bodies that continue the prompt; MBPP+ ones are programs.
    program = canonical if source == "mbpp+" else prompt + canonical
    spec = tuple_args_from_contract(rec.get("contract") or "", _params(program, entry_point), program)
    inputs = [restore_tuples(x, spec) for x in base + plus]
    oracle = "equal"
    if source == "mbpp+" and entry_point in MBPP_SET_EQUAL:
        oracle = "set"
    elif source == "mbpp+" and entry_point in MBPP_NOT_NONE:
        oracle = "not_none"
    return {"task_id": task_id, "entry_point": entry_point, "prompt": prompt, "program": program,
            "inputs": inputs, "n_base": len(base), "atol": float(atol), "tuple_args": spec, "oracle": oracle}


def _special_checks(task: dict[str, Any], inputs: Sequence[list[Any]], outputs: Sequence[Any],
                    source: str) -> tuple[Any, ...]:
    """Per-input checks for EvalPlus's special oracles, judged on the trusted side: HumanEval/32's
    root test with the prompt's own `poly`; the MBPP tasks of `MBPP_ALTERNATIVES`, where a second
    answer is accepted. Empty for every other task (the suite's plain comparison applies)."""
    from recode_rl.execution.types import Check

    entry = task["entry_point"]
    if source == "humaneval+" and entry in HUMANEVAL_ROOT:
        from recode_rl.execution.assertions import helper_source

        helpers = helper_source(task["prompt"], entry)
        return tuple(Check("expr", expr=HUMANEVAL_ROOT[entry], env={"args": list(args), "atol": task["atol"]},
                           helpers=helpers) for args in inputs)
    if source != "mbpp+" or entry not in MBPP_ALTERNATIVES:
        return ()
    expr, alternative = MBPP_ALTERNATIVES[entry]
    checks = []
    for args, exp in zip(inputs, outputs):
        env = {"exp": exp, "atol": task["atol"]}
        unit_expr = expr
        if alternative is not None:
            try:
                env["alt"] = alternative(*args)
            except Exception:  # noqa: BLE001 - EvalPlus's oracle raises too: only the plain comparison is left
                unit_expr = _EVALPLUS_EQUAL
        checks.append(Check("expr", expr=unit_expr, env=env))
    return tuple(checks)


def load_evalplus(name: str, path: str | Path | None = None, *, limit: int | None = None,
                  task_ids: Sequence[str] | None = None, limits: Any = None, max_workers: int | None = None,
                  compute: ComputeFn | None = None, progress: bool = True) -> list[Problem]:
    """HumanEval+ (`name="humaneval+"`) or MBPP+ (`"mbpp+"`) problems with expected outputs."""
    if name not in ("humaneval+", "mbpp+"):
        raise DataError(f"evalplus: unknown benchmark {name!r}; expected 'humaneval+' or 'mbpp+'")
    path = Path(path) if path else find_data_file(HUMANEVAL_PLUS_FILE if name == "humaneval+" else MBPP_PLUS_FILE)
    wanted = set(task_ids) if task_ids is not None else None
    tasks = []
    for where, rec in read_records(path):
        if wanted is not None and rec.get("task_id") not in wanted:
            continue
        tasks.append(_prepare(where, rec, name))
        if limit and len(tasks) >= limit:
            break

    from recode_rl.execution.harness import from_wire, to_wire  # tagged JSON for tuples/sets

    cache = evalplus_cache_path(path)
    done = _read_cache(cache)
    # an entry computed as plain values for a not-None task (cached before it had that oracle) is redone
    todo = [t for t in tasks if t["task_id"] not in done or
            done[t["task_id"]].get("oracle") != ("not_none" if t["oracle"] == "not_none" else None)]
    if todo:
        compute = compute or _default_compute()
        if limits is None:
            from recode_rl.execution.types import Limits

            limits = Limits(timeout=COMPUTE_TIMEOUT)
        cache.parent.mkdir(parents=True, exist_ok=True)

        def run(task: dict[str, Any]) -> dict[str, Any]:
            extra = {"oracle": task["oracle"]} if task["oracle"] == "not_none" else {}
            results = compute(task["program"], task["entry_point"], task["inputs"], limits, **extra)
            if len(results) != len(task["inputs"]):
                raise RuntimeError(f"{task['task_id']}: compute_outputs returned {len(results)} results "
                                   f"for {len(task['inputs'])} inputs")
            entry: dict[str, Any] = {"task_id": task["task_id"], "outputs": {}, "errors": {}, "seconds": {}, **extra}
            for i, (ok, value, *secs) in enumerate(results):
                if ok:
                    entry["outputs"][str(i)] = to_wire(value)
                else:
                    entry["errors"][str(i)] = str(value)[:300]
                if secs and secs[0] is not None:
                    entry["seconds"][str(i)] = round(float(secs[0]), 6)
            return entry

        from tqdm import tqdm

        with ThreadPoolExecutor(max_workers=max_workers or 2) as pool, open(cache, "a", encoding="utf-8") as fh:
            bar = tqdm(pool.map(run, todo), total=len(todo), desc=f"{name} expected outputs",
                       disable=not progress, unit="task")
            for entry in bar:
                append_records(fh, [entry])
                done[entry["task_id"]] = entry

    problems = []
    dropped: dict[str, list[int]] = {}
    load_dependent: dict[str, list[int]] = {}
    for t in tasks:
        entry = done[t["task_id"]]
        keep = [i for i in range(len(t["inputs"])) if str(i) in entry["outputs"]]
        gone = {str(i): entry["errors"].get(str(i), "no output recorded")
                for i in range(len(t["inputs"])) if str(i) not in entry["outputs"]}
        dropped_base = sum(1 for i in range(t["n_base"]) if str(i) not in entry["outputs"])
        dropped_plus = len(t["inputs"]) - len(keep) - dropped_base
        if gone:
            dropped[t["task_id"]] = [int(i) for i in gone]
        slow = [int(i) for i, why in gone.items() if _load_dependent(why)]
        if slow:
            load_dependent[t["task_id"]] = slow
        seconds = entry.get("seconds", {})
        inputs = tuple(t["inputs"][i] for i in keep)
        outputs = tuple(from_wire(entry["outputs"][str(i)]) for i in keep)
        suite = TestSuite(kind="functional", inputs=inputs, outputs=outputs,
                          fn_name=t["entry_point"], atol=t["atol"], oracle=t["oracle"],
                          checks=_special_checks(t, inputs, outputs, name))
        problems.append(Problem(
            task_id=t["task_id"], prompt=t["prompt"], tests=suite, source=name,
            starter_code=t["prompt"] if name == "humaneval+" else "",
            reference_solution=t["program"],
            metadata={"n_base": t["n_base"] - dropped_base, "dropped_base": dropped_base,
                      "dropped_plus": dropped_plus, "entry_point": t["entry_point"],
                      "errors": dict(list(entry["errors"].items())[:3]), "dropped": gone,
                      "dropped_load_dependent": slow,
                      "time_limits": [time_limit(seconds.get(str(i))) for i in keep]},
        ))
    if dropped:
        log.warning("%s: dropped %d inputs on which the canonical solution failed (task: input indices in "
                    "base+plus) %s; reasons in Problem.metadata['dropped']", name,
                    sum(map(len, dropped.values())), "; ".join(f"{k}: {_indices(v)}" for k, v in dropped.items()))
    if load_dependent:
        log.warning("%s: %d of those were dropped for a timeout (limit %.0f s per input), which depends on "
                    "machine load: %s; delete %s to recompute", name, sum(map(len, load_dependent.values())),
                    getattr(limits, "timeout", COMPUTE_TIMEOUT), "; ".join(f"{k}: {_indices(v)}"
                                                                           for k, v in load_dependent.items()), cache)
    return problems


def _indices(xs: list[int]) -> str:
    return ", ".join(map(str, xs[:12])) + (f", ... ({len(xs)} in all)" if len(xs) > 12 else "")
