"""CLI: instant help without torch; `recode check` end to end."""

import argparse
import json
import subprocess
import sys

import pytest

from recode_rl.cli import COMMANDS, main


def _run_py(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_help_does_not_import_torch():
    cmds = list(COMMANDS)
    code = (
        "import sys, contextlib, io\n"
        "from recode_rl.cli import main\n"
        f"for argv in [['--help']] + [[c, '--help'] for c in {cmds!r}]:\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        try:\n"
        "            main(argv)\n"
        "        except SystemExit:\n"
        "            pass\n"
        "heavy = [m for m in ('torch', 'transformers', 'trl', 'datasets') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    proc = _run_py(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("command", list(COMMANDS))
def test_help_example_and_flags_fit_the_command(command, capsys):
    """The override example in `--help` parses with the command's config; every FLAGS entry is a real flag."""
    import importlib

    from recode_rl.cli import build_parser, override_example
    from recode_rl.config import load_config

    module = importlib.import_module(COMMANDS[command][0])
    example = override_example(module)
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert example in " ".join(capsys.readouterr().out.split())
    load_config(module.Config, None, [example])
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices[command]
    dests = {a.dest for a in sub._actions}
    assert set(getattr(module, "FLAGS", {})) <= dests


def test_check_humaneval_canonical_all_pass(tmp_path, capsys):
    out = tmp_path / "verdicts.jsonl"
    assert main(["check", "--dataset", "humaneval", "--solutions", "canonical", "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["passed"] == summary["total"] == 164
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == 164 and all(r["passed"] and r["verdict"] == "passed" for r in records)
    assert set(records[0]) >= {"task_id", "passed", "verdict", "tests_passed", "tests_total", "seconds"}


def _broken(program: str, entry_point: str) -> str:
    """Perturb every return value of the entry point so that no correct answer survives."""
    return program + (
        f"\n\n_recode_original = {entry_point}\n"
        f"def {entry_point}(*args, **kwargs):\n"
        "    r = _recode_original(*args, **kwargs)\n"
        "    if isinstance(r, bool):\n"
        "        return not r\n"
        "    if isinstance(r, (int, float)):\n"
        "        return r + 1\n"
        "    if isinstance(r, str):\n"
        "        return r + '#'\n"
        "    if isinstance(r, (list, tuple)):\n"
        "        return type(r)(list(r) + [None])\n"
        "    return ('broken', r)\n"
    )


def test_check_humaneval_broken_solutions_all_fail(tmp_path, capsys):
    from recode_rl.data import load_problems

    sols = tmp_path / "broken.jsonl"
    with sols.open("w") as f:
        for p in load_problems("humaneval"):
            f.write(json.dumps({"task_id": p.task_id, "solution": _broken(p.reference_solution, p.tests.entry_point)}) + "\n")
    out = tmp_path / "verdicts.jsonl"
    assert main(["check", "--dataset", "humaneval", "--solutions", str(sols), "--out", str(out), "--json",
                 "--timeout", "3"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    still_passing = [json.loads(l)["task_id"] for l in out.read_text().splitlines() if json.loads(l)["passed"]]
    assert summary["passed"] == 0, still_passing


def test_check_reports_bad_solutions_file(tmp_path, capsys):
    sols = tmp_path / "s.jsonl"
    sols.write_text('{"task_id": "HumanEval/0", "solution": "x"}\n{"task_id": "HumanEval/1"}\n')
    assert main(["check", "--dataset", "humaneval", "--solutions", str(sols)]) == 2
    err = capsys.readouterr().err
    assert "s.jsonl, line 2, field 'solution'" in err


def test_check_reports_unknown_task(tmp_path, capsys):
    sols = tmp_path / "s.jsonl"
    sols.write_text('{"task_id": "Nope/1", "solution": "x"}\n')
    assert main(["check", "--dataset", "humaneval", "--solutions", str(sols)]) == 2
    assert "not in the problem set" in capsys.readouterr().err


def test_missing_solutions_are_reported_not_dropped(tmp_path, capsys):
    from recode_rl.data import load_problems

    p0 = load_problems("humaneval")[0]
    sols = tmp_path / "one.jsonl"
    sols.write_text(json.dumps({"task_id": p0.task_id, "solution": p0.reference_solution}) + "\n")
    out = tmp_path / "v.jsonl"
    assert main(["check", "--dataset", "humaneval", "--solutions", str(sols), "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary == {"passed": 1, "total": 164, "seconds": summary["seconds"], "problems": 164,
                       "weak_trust": 0, "pass@1": round(100 / 164, 2)}
    verdicts = [json.loads(l)["verdict"] for l in out.read_text().splitlines()]
    assert verdicts.count("no_solution") == 163


@pytest.mark.parametrize("command, said", [("check", "nothing was saved"), ("eval", "finished work is saved")])
def test_interrupt_message_tells_the_truth(monkeypatch, capsys, command, said):
    import recode_rl.cli as cli

    def interrupted(args):
        raise KeyboardInterrupt

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    monkeypatch.setattr(sub.choices[command].get_default("_module"), "run", interrupted)
    assert cli.main([command]) == 130
    assert said in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["eval", "benchmarks.0.name=nope"],                          # fails after the run dir was made
    ["train-rl", "model.path=/nonexistent/policy-folder"],       # checked before the run dir is made
])
def test_a_command_that_fails_before_working_leaves_no_run_dir(tmp_path, capsys, argv):
    run_dir = tmp_path / "run"
    assert main([argv[0], "--run-dir", str(run_dir), *argv[1:]]) == 2
    assert "error:" in capsys.readouterr().err
    assert not run_dir.exists()


def test_an_error_with_one_problem_is_one_line_and_several_stay_listed():
    from recode_rl.cli import error_line
    from recode_rl.config import ConfigError

    one = ConfigError("invalid configuration (a.yaml):\n  train.learnin_rate: unknown key; did you mean 'learning_rate'?")
    assert error_line(one) == "invalid configuration (a.yaml): train.learnin_rate: unknown key; did you mean 'learning_rate'?"
    two = ConfigError("invalid configuration (a.yaml):\n  a: bad\n  b: bad")
    assert error_line(two) == str(two)
    assert error_line(ConfigError("no such run directory: runs/nope")) == "no such run directory: runs/nope"

