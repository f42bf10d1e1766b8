"""Run a chain of `recode` commands in one run directory, resumable stage by stage.

A chain is a list of `Step(name, argv)`; each argv is a `recode` command line. A finished step
leaves `<root>/<marks>/<name>.done` (its wall time), so rerunning the chain skips it; the
commands themselves resume inside a step (cached LLM calls, trainer checkpoints, finished eval
samples). `always=True` steps (the report) run every time. A step with a `launch` prefix (e.g.
`accelerate launch ... -m recode_rl.cli`, for multi-GPU training) runs as that subprocess; the
others run in this process. `recode demo` and `recode
reproduce` both run through `run_chain`; `resolve_step` parses a step with the real CLI and
builds its config through the command's own config class, which is what `--dry-run` prints.
"""

from __future__ import annotations

import argparse
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from recode_rl.errors import DataError

__all__ = ["Step", "configs_dir", "run_chain", "resolve_step"]


@dataclass(frozen=True)
class Step:
    name: str                # unique in the run directory; the marker's name
    argv: list[str]          # a `recode` command line
    always: bool = False     # rerun even when marked done (cheap steps such as the report)
    launch: tuple[str, ...] = ()  # run as `launch + argv` in a subprocess (a multi-GPU launcher)

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
        code = subprocess.call([*step.launch, *step.argv]) if step.launch else main(step.argv)
        if code != 0:
            print(f"{prog}: stage {step.name} failed (exit {code}); fix and rerun to resume from it")
            return code
        mark.write_text(f"{time.monotonic() - t0:.1f}\n")
        print(f"[{i}/{n}] {step.name}: finished in {time.monotonic() - t0:.0f}s "
              f"(total {time.monotonic() - t_all:.0f}s)", flush=True)
    print(f"\n{prog}: done in {time.monotonic() - t_all:.0f}s")
    return 0
