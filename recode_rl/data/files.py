"""Local problem files and Hugging Face datasets, with the schema detected per record.

`detect_schema(record)` recognises, by their fields:
  recode      our own `Problem.to_dict()` (task_id, prompt, tests={kind, ...} or answer)
  lcb         LiveCodeBench code_generation_lite (question_content, public_test_cases)
  evalplus    HumanEval+/MBPP+ (base_input, plus_input) — needs the sandbox for expected outputs
  humaneval   HumanEval (prompt, canonical_solution, test, entry_point)
  mbpp        MBPP (text, test_list)
  taco        TACO/APPS (question, input_output)
  rllm        rllm/DeepCoder (problem, tests)
  math        math with a gold answer (problem, answer or solution with \boxed{}) -> `Problem.answer`
Files may mix schemas; an unrecognised record -> DataError naming file, line/record and the
fields it has. EvalPlus records in a local file are loaded through `evalplus.load_evalplus`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from recode_rl.data.humaneval import problem_from_humaneval
from recode_rl.data.livecodebench import problem_from_lcb
from recode_rl.data.math import problem_from_math
from recode_rl.data.mbpp import problem_from_mbpp
from recode_rl.data.prelude import STDIN_PRELUDE
from recode_rl.data.records import Where, get_str, parse_json_field, read_records
from recode_rl.data.rllm import problem_from_rllm
from recode_rl.data.schema import Problem
from recode_rl.data.taco import io_test_suite
from recode_rl.errors import DataError

__all__ = ["detect_schema", "problem_from_record", "load_file", "load_hf", "problems_from_records"]


def detect_schema(rec: dict[str, Any]) -> str | None:
    if "task_id" in rec and "prompt" in rec and (
            (isinstance(rec.get("tests"), dict) and "kind" in rec["tests"])
            or (rec.get("tests") is None and isinstance(rec.get("answer"), str))):
        return "recode"
    if "question_content" in rec and "public_test_cases" in rec:
        return "lcb"
    if "base_input" in rec and "entry_point" in rec:
        return "evalplus"
    if {"prompt", "canonical_solution", "test", "entry_point"} <= rec.keys():
        return "humaneval"
    if "test_list" in rec and "text" in rec:
        return "mbpp"
    if "input_output" in rec and "question" in rec:
        return "taco"
    if "problem" in rec and "tests" in rec:
        return "rllm"
    if "problem" in rec and ("answer" in rec or "solution" in rec):
        return "math"
    return None


def _problem_from_taco(rec: dict[str, Any], where: Where, index: int, stem: str) -> Problem:
    starter = get_str(rec, "starter_code", where, default="")
    suite = io_test_suite(rec["input_output"], where, field="input_output", starter_code=starter)
    sols = rec.get("solutions")
    if isinstance(sols, str) and sols.lstrip().startswith("["):
        sols = parse_json_field(sols, "solutions", where)
    reference = sols[0] if isinstance(sols, list) and sols and isinstance(sols[0], str) else None
    task_id = rec.get("task_id") or rec.get("problem_id") or rec.get("id")
    return Problem(
        task_id=str(task_id) if task_id is not None else f"{stem}/{index}",
        prompt=get_str(rec, "question", where), tests=suite, source="taco", starter_code=starter,
        reference_solution=reference, difficulty=rec.get("difficulty") or None,
        metadata={"program_prefix": STDIN_PRELUDE},
    )


def problem_from_record(rec: dict[str, Any], where: Where, *, index: int = 0, stem: str = "file") -> Problem:
    """One record of any supported schema except EvalPlus -> Problem."""
    schema = detect_schema(rec)
    if schema == "recode":
        try:
            return Problem.from_dict(rec)
        except (TypeError, ValueError) as exc:
            raise where.error("tests" if "test" in str(exc) else None, f"not a valid Problem: {exc}") from None
    if schema == "lcb":
        return problem_from_lcb(rec, where)
    if schema == "humaneval":
        return problem_from_humaneval(rec, where)
    if schema == "mbpp":
        return problem_from_mbpp(rec, where)
    if schema == "taco":
        return _problem_from_taco(rec, where, index, stem)
    if schema == "rllm":
        return problem_from_rllm(rec, where, index=index, stem=stem)
    if schema == "math":
        return problem_from_math(rec, where, index=index, stem=stem)
    if schema == "evalplus":
        raise where.error(None, "EvalPlus records need expected outputs from the sandbox; "
                                "load the file as a whole with load_problems(path)")
    raise where.error(None, f"unrecognised problem schema (fields: {sorted(rec)[:12]}); expected our "
                            "Problem format, LiveCodeBench, HumanEval, EvalPlus, MBPP, TACO, rllm or math")


def problems_from_records(records: Iterable[tuple[Where, dict[str, Any]]], *, stem: str,
                          limit: int | None = None) -> list[Problem]:
    problems: list[Problem] = []
    for i, (where, rec) in enumerate(records):
        problems.append(problem_from_record(rec, where, index=i, stem=stem))
        if limit and len(problems) >= limit:
            break
    return problems


def load_file(path: str | Path, *, limit: int | None = None, **evalplus_opts: Any) -> list[Problem]:
    """Every problem in a local .jsonl/.jsonl.gz/.json/.parquet file (schema per record)."""
    path = Path(path)
    records = list(read_records(path))
    kinds = {detect_schema(rec) for _, rec in records}
    if "evalplus" in kinds:
        if kinds != {"evalplus"}:
            raise DataError(f"{path.name}: EvalPlus records cannot be mixed with other schemas")
        from recode_rl.data.evalplus import load_evalplus

        is_mbpp = any(str(rec.get("task_id", "")).lower().startswith("mbpp") for _, rec in records)
        return load_evalplus("mbpp+" if is_mbpp else "humaneval+", path, limit=limit, **evalplus_opts)
    if evalplus_opts:
        raise DataError(f"{path.name}: options {sorted(evalplus_opts)} apply only to EvalPlus files")
    return problems_from_records(records, stem=path.name.split(".")[0], limit=limit)


def load_hf(name: str, *, split: str = "test", config: str | None = None, limit: int | None = None,
            revision: str | None = None) -> list[Problem]:
    """A Hugging Face dataset by name (needs the network or a local HF cache)."""
    try:
        import datasets
    except ImportError:
        raise DataError(f"hf:{name}: the 'datasets' package is not installed (pip install datasets)") from None
    try:
        ds = datasets.load_dataset(name, config, split=split, revision=revision)
    except Exception as exc:  # noqa: BLE001 - network, auth, missing split: all one clear message
        raise DataError(f"hf:{name}: could not load split {split!r} from the Hugging Face hub "
                        f"(offline? private? wrong name?): {type(exc).__name__}: {exc}") from None
    records = ((Where(f"hf:{name}[{split}]", index=i), dict(rec)) for i, rec in enumerate(ds))
    return problems_from_records(records, stem=name.split("/")[-1], limit=limit)
