"""Run a chain of `recode` commands in one run directory, resumable stage by stage.

A chain is a list of `Step(name, argv)`; each argv is a `recode` command line. A finished step
leaves `<root>/<marks>/<name>.done` (its wall time), so rerunning the chain skips it; the
commands themselves resume inside a step (cached LLM calls, trainer checkpoints, finished eval
samples). `always=True` steps (the report) run every time. A step with a `launch` prefix (e.g.
`accelerate launch ... -m recode_rl.cli`, for multi-GPU training) runs as that subprocess; the
others run in this process. A step may need a `Service` (the reward-model server every rank of a
multi-GPU RL run calls): it is started before the step unless its health URL already answers,
and stopped after it. `recode demo` and `recode
reproduce` both run through `run_chain`; `resolve_step` parses a step with the real CLI and
builds its config through the command's own config class, which is what `--dry-run` prints.
"""

from __future__ import annotations

import argparse
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from recode_rl.errors import DataError

__all__ = ["Service", "Step", "configs_dir", "run_chain", "resolve_step", "running"]


@dataclass(frozen=True)
class Service:
    """A server a step calls: `command` runs in the background until `health` answers 200."""

    command: tuple[str, ...]
    health: str
    env: tuple[tuple[str, str], ...] = ()   # extra environment, e.g. (("CUDA_VISIBLE_DEVICES", "7"),)
    timeout: float = 900.0                   # seconds to wait for it to come up (a 7B RM loads in minutes)

    def command_line(self) -> str:
        import shlex

        return shlex.join([*(f"{k}={v}" for k, v in self.env), *self.command])


def _answers(url: str) -> bool:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def running(service: Service | None, prog: str) -> Iterator[None]:
    """Start `service` (unless one already answers at its health URL) for the duration of the block."""
    if service is None or _answers(service.health):
        yield
        return
    import os

    print(f"{prog}: starting {service.command_line()}", flush=True)
    proc = subprocess.Popen(list(service.command), env={**os.environ, **dict(service.env)})
    try:
        deadline = time.monotonic() + service.timeout
        while not _answers(service.health):
            if proc.poll() is not None:
                raise DataError(f"{prog}: the server exited with code {proc.returncode} before answering "
                                f"{service.health}: {service.command_line()}")
            if time.monotonic() > deadline:
                raise DataError(f"{prog}: no answer from {service.health} after {service.timeout:.0f}s")
            time.sleep(1.0)
        yield
    finally:
        proc.terminate()  # only the process this chain started
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass(frozen=True)
class Step:
    name: str                # unique in the run directory; the marker's name
    argv: list[str]          # a `recode` command line
    always: bool = False     # rerun even when marked done (cheap steps such as the report)
    launch: tuple[str, ...] = ()  # run as `launch + argv` in a subprocess (a multi-GPU launcher)
    service: Service | None = None  # a server this step calls, started for it if not already up

    def command_line(self) -> str:
        import shlex

        return shlex.join([*(self.launch or ("recode",)), *self.argv])


def configs_dir() -> Path:
    """The shipped `configs/` folder of a source checkout."""
    import recode_rl

    path = Path(recode_rl.__file__).resolve().parents[1] / "configs"
    if not path.is_dir():
        raise DataError(f"shipped configs not found at {path}: run from a source checkout (pip install -e .)")
    return path


def resolve_step(argv: list[str], parser: argparse.ArgumentParser | None = None) -> tuple[str, BaseModel]:
    """(command, its resolved config) for one step, exactly as the command would build it (no side effects)."""
    from recode_rl.cli import build_parser, resolve_config

    args = (parser or build_parser()).parse_args(argv)
    return args.command, resolve_config(args)


def _in_process(main: Any, argv: list[str]) -> int:
    """`main(argv)`, with argparse's exit on a bad command line turned into the stage's exit code."""
    try:
        return main(argv)
    except SystemExit as exc:   # argparse: usage error (2) or --help (0); the chain reports the stage
        return exc.code if isinstance(exc.code, int) else 2


def run_chain(steps: list[Step], root: str | Path, *, marks: str, prog: str) -> int:
    """Run the steps in order through `recode_rl.cli.main`; stop at the first failure (rerun resumes there)."""
    from recode_rl.cli import main

    marks_dir = Path(root) / marks
    marks_dir.mkdir(parents=True, exist_ok=True)
    t_all = time.monotonic()
    n = len(steps)
    for i, step in enumerate(steps, 1):
        mark = marks_dir / f"{step.name}.done"
        if mark.exists() and not step.always:
            print(f"[{i}/{n}] {step.name}: done earlier, skipped", flush=True)
            continue
        print(f"\n[{i}/{n}] {step.name}: {step.command_line()}", flush=True)
        t0 = time.monotonic()
        with running(step.service, prog):
            code = subprocess.call([*step.launch, *step.argv]) if step.launch else _in_process(main, step.argv)
        if code != 0:
            print(f"{prog}: stage {step.name} failed (exit {code}); fix and rerun to resume from it")
            return code
        mark.write_text(f"{time.monotonic() - t0:.1f}\n")
        print(f"[{i}/{n}] {step.name}: finished in {time.monotonic() - t0:.0f}s "
              f"(total {time.monotonic() - t_all:.0f}s)", flush=True)
    print(f"\n{prog}: done in {time.monotonic() - t_all:.0f}s")
    return 0
