"""The experiment registry's types and the planner that turns experiments into a chain of steps.

A `StageSpec` is one `recode` command line with placeholders (`{run}` the run directory,
`{configs}` the shipped configs folder, and the user-settable `VARS` such as `{rewardbench}`),
plus the stages it reads from (`after`), whether it is multi-GPU training run under the `{launch}`
prefix (`launched`), and which reward model is served to it while it runs (`serves`). Stage
names are shared by every experiment: Table 1's +ReCode row, Table 8 and Figure 3a all plan the
stage `rl-recode`, so in one run directory it runs once, and one reward model (`rm-crpl-7b`)
serves every RL run that uses it. The paper scale and the CPU scale have one table of stages
each, under the same names (the CPU twin of `rm-crpl-7b` is a tiny reward model trained on the
embedded generator's pairs), so an experiment's `ours` metrics point at the same stage either way.

An `Experiment` names a table row or figure of the paper (`ref` exactly "Table 5" or
"Figure 3c"), what it needs, the paper's numbers (`paper`), the stages it ends with at each
scale (`None` at CPU scale = no CPU twin, with `cpu_note` saying why) and where each of our
numbers is found (`ours`: paper key -> `Metric`, or a `Ratio` of other keys).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recode_rl.config import ConfigError
from recode_rl.reproduce.chain import Service, Step

__all__ = ["Metric", "Ratio", "StageSpec", "Experiment", "plan_stages", "plan_steps", "expand", "flags_first",
           "scorer_service"]

SCALES = ("paper", "cpu")


@dataclass(frozen=True)
class Metric:
    """Where one of our numbers lives: `<run>/<stage>/<file>`, dotted `key` (`*` matches any one key,
    a number is a list position)."""

    stage: str
    file: str
    key: str
    factor: float = 1.0      # 100 for fractions shown as percent

    def read(self, run_dir: str | Path) -> float | None:
        import json

        path = Path(run_dir) / self.stage / self.file
        if not path.is_file():
            return None
        try:
            node: Any = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        value = _dig(node, self.key.split("."))
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return None
        return value if self.factor == 1 else value * self.factor


def _dig(node: Any, keys: list[str]) -> Any:
    if not keys:
        return node
    head, rest = keys[0], keys[1:]
    if isinstance(node, list) and head.isdigit():  # a list item by position
        return _dig(node[int(head)], rest) if int(head) < len(node) else None
    if not isinstance(node, dict):
        return None
    if head == "*":
        for child in node.values():
            found = _dig(child, rest)
            if found is not None:
                return found
        return None
    return _dig(node.get(head), rest)


@dataclass(frozen=True)
class Ratio:
    """A relative change in percent computed from other keys: (mean(num) / mean(den) - 1) * 100
    (Table 8's "23.4% fewer tokens" is the mean over difficulties of ReCode's vs GRPO's tokens)."""

    num: tuple[str, ...]
    den: tuple[str, ...]

    def compute(self, values: dict[str, float | None]) -> float | None:
        num, den = [values.get(k) for k in self.num], [values.get(k) for k in self.den]
        if any(v is None for v in num + den) or not sum(den):  # type: ignore[arg-type]
            return None
        return (sum(num) / len(num)) / (sum(den) / len(den)) * 100 - 100  # type: ignore[arg-type]


@dataclass(frozen=True)
class StageSpec:
    name: str                            # the stage's sub-directory and marker
    argv: tuple[str, ...]                # a `recode` command line with {placeholders}
    after: tuple[str, ...] = ()          # stages whose outputs it reads
    launched: bool = False               # multi-GPU training: run under the `{launch}` prefix
    serves: str | None = None            # a train-rm stage whose RM `recode serve-scorer` serves to this one


@dataclass(frozen=True)
class Experiment:
    id: str
    ref: str                             # "Table 1" ... "Figure 4", exactly as the paper names it
    title: str
    needs: dict[str, Any]                # gpus, servers, data
    paper: dict[str, Any]                # the paper's numbers (or, for figures, its stated findings)
    stages: tuple[str, ...]              # final stages at paper scale
    cpu_stages: tuple[str, ...] | None = None
    cpu_note: str = ""                   # what the CPU twin is, or why there is none
    ours: dict[str, Metric | Ratio] = field(default_factory=dict)

    def ours_values(self, run_dir: str | Path) -> dict[str, float | None]:
        """Our number for each paper key found under `run_dir` (None when absent). A paper "Avg" with no
        metric of its own is the mean of the other keys, as in Tables 1-3."""
        values: dict[str, float | None] = {k: m.read(run_dir) for k, m in self.ours.items() if isinstance(m, Metric)}
        for k, m in self.ours.items():
            if isinstance(m, Ratio):
                values[k] = m.compute(values)
        others = [values.get(k) for k in self.paper if k != "Avg"]
        if "Avg" in self.paper and "Avg" not in self.ours and others and all(v is not None for v in others):
            values["Avg"] = sum(others) / len(others)  # type: ignore[arg-type]
        return values

    def row(self) -> dict[str, Any]:
        """The `--list --json` record."""
        return {"id": self.id, "ref": self.ref, "title": self.title, "needs": self.needs, "paper": self.paper}


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def expand(text: str, values: dict[str, str]) -> str:
    """Replace `{name}` for the known names only (YAML flow mappings like `{name: x}` stay)."""
    def sub(m: re.Match[str]) -> str:
        return values.get(m.group(1), m.group(0))
    return _PLACEHOLDER.sub(sub, text)


def flags_first(argv: list[str]) -> list[str]:
    """The command, its `--flag value` pairs, then the positionals (KEY=VALUE overrides, run dirs):
    argparse takes the positionals in one run only. Every flag of a stage takes one value."""
    flags: list[str] = []
    positional: list[str] = []
    rest = iter(argv[1:])
    for token in rest:
        if token.startswith("--"):
            flags += [token, next(rest)]
        else:
            positional.append(token)
    return [argv[0], *flags, *positional]


def plan_stages(table: dict[str, StageSpec], finals: tuple[str, ...]) -> list[StageSpec]:
    """The final stages and everything they depend on, in the table's (pipeline) order."""
    wanted: set[str] = set()

    def visit(name: str) -> None:
        if name not in table:
            raise ConfigError(f"stage {name!r} is not defined at this scale")
        if name not in wanted:
            wanted.add(name)
            for dep in table[name].after:
                visit(dep)

    for name in finals:
        visit(name)
    return [spec for name, spec in table.items() if name in wanted]


def scorer_service(rm_stage: str | None, values: dict[str, str]) -> Service | None:
    """`recode serve-scorer` of a train-rm stage's checkpoint on `{scorer_gpu}`, port `{scorer_port}`:
    under a multi-process launch every rank calls this one server (docs/training.md)."""
    if rm_stage is None:
        return None
    import sys

    port = values["scorer_port"]
    argv = ("serve-scorer", "--scorer-path", f"{values['run']}/{rm_stage}/checkpoints/reward_model",
            "--port", port, "scorer.device=cuda")
    return Service((sys.executable, "-m", "recode_rl.cli", *argv), f"http://localhost:{port}/health",
                   (("CUDA_VISIBLE_DEVICES", values["scorer_gpu"]),))


def plan_steps(table: dict[str, StageSpec], experiments: list[Experiment], scale: str, values: dict[str, str],
               report_out: str) -> list[Step]:
    """Steps for several experiments sharing one run directory, then one report comparing them to the paper."""
    finals: list[str] = []
    for exp in experiments:
        stages = exp.stages if scale == "paper" else exp.cpu_stages
        if stages is None:
            raise ConfigError(f"{exp.id} has no CPU twin: {exp.cpu_note}")
        finals += [s for s in stages if s not in finals]
    launch = tuple(shlex.split(values.get("launch", "")))
    steps = [Step(spec.name, flags_first([expand(a, values) for a in spec.argv]),
                  launch=launch if spec.launched else (), service=scorer_service(spec.serves, values))
             for spec in plan_stages(table, tuple(finals))]
    ids = ",".join(e.id for e in experiments)
    steps.append(Step("report", flags_first(["report", values["run"], "--out", report_out, f"experiments=[{ids}]",
                                             f"scale={scale}"]), always=True))
    return steps
