"""A new user's first hour, replayed: bare commands run their embedded default, and each everyday
mistake gives one clear line and exit 2 before any model is loaded (issue: fail fast, fail clearly)."""

from __future__ import annotations

import pytest
import yaml

from recode_rl.cli import main


@pytest.fixture
def no_model_loads(monkeypatch):
    """Any attempt to load model weights fails the test (the error must come first)."""
    import transformers

    def refuse(*args, **kwargs):
        raise AssertionError("a model was loaded before the mistake was reported")

    for name in ("AutoModelForCausalLM", "AutoModelForSequenceClassification"):
        monkeypatch.setattr(getattr(transformers, name), "from_pretrained", refuse)


@pytest.mark.parametrize("command, key, value", [
    ("synth", "limit", 6), ("train-rl", "limits.max_workers", 2), ("eval", "benchmarks.0.limit", 4),
    ("check", "dataset", "embedded"),
])
def test_bare_commands_run_their_embedded_default(capsys, command, key, value):
    assert main([command, "--print-config"]) == 0
    out, err = capsys.readouterr()
    node = yaml.safe_load(out)
    for part in key.split("."):
        node = node[int(part)] if part.isdigit() else node[part]
    assert node == value and "using the embedded default" in err


def _cases(tmp):
    empty = tmp / "empty.jsonl"
    empty.write_text("")
    bad = tmp / "bad.jsonl"
    bad.write_text('{"passed": true}\n{broken\n')
    resp = tmp / "responses.jsonl"
    resp.write_text('{"task_id": "emb001-digit-sums", "response": "<think>t</think><answer>x</answer>"}\n')
    return {
        "missing model folder": (["train-rl", "--run-dir", str(tmp / "r1"), "--model", str(tmp / "no-model")],
                                 "model folder not found"),
        "score without a scorer": (["score", "--problems", "embedded", "--responses", str(resp)],
                                   "needs a process scorer"),
        "unreachable scorer": (["score", "--problems", "embedded", "--responses", str(resp),
                                "--scorer-url", "http://127.0.0.1:9/score", "scorer.retries=0"], "is not usable"),
        "malformed analyze input": (["analyze", "--run-dir", str(tmp / "a"), f"judged=[{bad}]"],
                                    "bad.jsonl, line 2: invalid JSON"),
        "empty solutions": (["check", "--solutions", str(empty)], "no solutions"),
        "no such run dir": (["report", str(tmp / "nope")], "no such run directory"),
        "bad benchmark file": (["eval", "--run-dir", str(tmp / "e"),
                                "benchmarks=[{name: mbpp+, path: /no/such/file.jsonl}]"], "/no/such/file.jsonl"),
        "typo in a key": (["train-rl", "train.learnin_rate=1e-6"], "did you mean 'learning_rate'"),
        "missing preference file": (["eval-rm", "--model", "embedded:minilm", "--data", str(tmp / "no-pairs.jsonl")],
                                    "no-pairs.jsonl"),
    }


@pytest.mark.parametrize("case", ["missing model folder", "score without a scorer", "unreachable scorer",
                                  "malformed analyze input", "empty solutions", "no such run dir",
                                  "bad benchmark file", "typo in a key", "missing preference file"])
def test_everyday_mistakes_are_one_line_before_any_model(tmp_path, capsys, no_model_loads, case):
    argv, message = _cases(tmp_path)[case]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1, err
