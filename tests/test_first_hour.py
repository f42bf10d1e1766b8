"""A new user's first hour, replayed in order through the real entry point (issue 13, "Done when").

Every step is a subprocess `python -m recode_rl.cli ...` (what the `recode` console script runs),
started in a scratch directory with this checkout first on the path, offline, and with a
`sitecustomize` that reports every model file the process opens (Python's audit hook on `open`:
`config.json`, tokenizer files, weights). The hour:

1. bare commands run their embedded default: `--print-config` prints exactly the shipped
   `configs/<command>/...` file resolved (not the code's defaults) and says which file it used;
2. `--help` shows an override the command accepts, and the command accepts it;
3. each everyday mistake of the issue gives ONE `recode <cmd>: error:` line naming the thing, no
   traceback, exit 2 — and no model file was opened before it (`MODEL_FILE` marker absent).

Other tests check these mistakes one by one, in process (tests/test_models.py, tests/preflight/
test_gates.py, tests/generation/test_openai_http.py, tests/rewards/test_score_cli.py, ...); this
module is the one place that walks them all through the real entry point. A step that would take
more than seconds is a defect (the limit below is a hang guard, never the criterion).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MARKER = "MODEL_FILE"
HANG = 300   # seconds: a guard against a hung step on a loaded machine, never a speed criterion

# Loaded at interpreter start in every replayed process: report each model file it opens.
SITECUSTOMIZE = f'''
import os, sys

_NAMES = ("config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors", "pytorch_model.bin",
          "scoring_card.json")
_SUFFIXES = (".safetensors", ".gguf", ".bin", ".pt")


def _report(event, args):
    if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        name = os.path.basename(os.fsdecode(args[0]))
        if name in _NAMES or name.endswith(_SUFFIXES):
            sys.stderr.write("{MARKER}: " + os.fsdecode(args[0]) + "\\n")


sys.addaudithook(_report)
'''


@pytest.fixture(scope="module")
def hour(tmp_path_factory):
    """Run one `recode` command line in the scratch dir; returns (exit code, stdout, stderr)."""
    scratch = tmp_path_factory.mktemp("first-hour")
    hook = scratch / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(SITECUSTOMIZE)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(hook), str(ROOT)]), "HF_HUB_OFFLINE": "1",
           "RECODE_CACHE_DIR": str(scratch / "cache"), "OPENAI_API_KEY": "sk-first-hour"}

    def run(*argv: str) -> tuple[int, str, str]:
        proc = subprocess.run([sys.executable, "-m", "recode_rl.cli", *argv], cwd=scratch, env=env,
                              capture_output=True, text=True, timeout=HANG)
        return proc.returncode, proc.stdout, proc.stderr

    run.scratch = scratch   # type: ignore[attr-defined]
    return run


def _python(hour, code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(hour.scratch / "hook"), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=HANG)


def test_the_marker_reports_an_opened_model_file(hour, tmp_path):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "notes.json").write_text("{}")
    proc = _python(hour, f"import json, os; [json.load(open(os.path.join({str(tmp_path)!r}, n))) "
                         "for n in ('notes.json', 'config.json')]")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == [f"{MARKER}: {tmp_path / 'config.json'}"]


@pytest.mark.slow
def test_the_marker_sees_transformers_load_a_model(hour, tmp_path):
    """transformers reads a model's config.json through Python's open (its weights go through Rust)."""
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama", "vocab_size": 8, "hidden_size": 8,
                                                      "num_hidden_layers": 1, "num_attention_heads": 1}))
    proc = _python(hour, f"from transformers import AutoConfig; AutoConfig.from_pretrained({str(tmp_path)!r})")
    assert proc.returncode == 0, proc.stderr
    assert f"{MARKER}: {tmp_path / 'config.json'}" in proc.stderr


# --- 1. bare commands run their embedded default --------------------------------------------------------------

def _embedded():
    from recode_rl.cli import EMBEDDED_DEFAULTS

    return sorted(EMBEDDED_DEFAULTS.items())


@pytest.mark.parametrize("command, relative", _embedded())
def test_a_bare_command_runs_its_embedded_default(hour, command, relative):
    from recode_rl.cli import COMMANDS
    from recode_rl.config import dump_config, load_config, shipped_config

    code, out, err = hour(command, "--print-config")
    assert code == 0, err
    assert f"using the embedded default configs/{relative}" in err
    config_class = importlib.import_module(COMMANDS[command][0]).Config
    assert out == dump_config(load_config(config_class, shipped_config(relative), []))
    assert MARKER not in err


def test_bare_synth_is_not_the_code_defaults(hour):
    """The issue's case: a bare `recode synth limit=2` ran the code's defaults (1,024/1,536 new tokens,
    strict headers, all threads) and did not finish a batch in 49 minutes."""
    import yaml

    code, out, err = hour("synth", "limit=2", "--print-config")
    assert code == 0, err
    cfg = yaml.safe_load(out)
    assert cfg["limit"] == 2 and cfg["generator"]["model"] == "embedded:smollm2"
    assert (cfg["base_sampling"]["max_new_tokens"], cfg["rewrite_sampling"]["max_new_tokens"]) == (160, 160)
    assert cfg["parse"]["require_header"] is False and cfg["generator"]["num_threads"] == 1


# --- 2. --help shows an override the command accepts ----------------------------------------------------------

@pytest.mark.parametrize("command", ["check", "train-rm", "report"])
def test_help_shows_an_override_the_command_accepts(hour, command):
    code, out, _ = hour(command, "--help")
    assert code == 0
    example = re.search(r"e\.g\.\s+(\S+=\S+?)[;,)]?\s", " ".join(out.split()))
    assert example, out
    key, value = example.group(1).split("=", 1)
    code, out, err = hour(command, example.group(1), "--print-config")
    assert code == 0 and "Traceback" not in err, err
    import yaml

    node = yaml.safe_load(out)
    for part in key.split("."):
        node = node[int(part)] if part.isdigit() else node[part]
    try:
        expected = json.loads(value)       # numbers as the config reads them ("1e-6" is a string to YAML 1.1)
    except ValueError:
        expected = yaml.safe_load(value)
    assert node == expected


# --- 3. everyday mistakes: one line, exit 2, before any model ------------------------------------------------

class _Server:
    """A real local HTTP server (127.0.0.1, thread): /k401 refuses the key, /k404 does not know the model,
    /html is a login page, i.e. not an OpenAI API."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _answer(self) -> None:
                if self.path.startswith("/k401"):
                    status, kind, body = 401, "application/json", json.dumps({"error": "invalid api key"})
                elif self.path.startswith("/k404"):
                    status, kind, body = 404, "application/json", json.dumps({"error": "model 'nope' not found"})
                else:
                    status, kind, body = 200, "text/html", "<html><body>please log in</body></html>"
                payload = body.encode()
                if self.command == "POST":
                    self.rfile.read(int(self.headers.get("content-length", 0)))
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _answer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def server():
    s = _Server()
    yield s
    s.close()


def _closed_port() -> int:
    import socket

    with socket.socket() as s:   # bound then released: nothing listens there
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _files(scratch: Path) -> dict[str, Path]:
    files = scratch / "inputs"
    if files.is_dir():
        return {p.name: p for p in files.iterdir()}
    files.mkdir()
    (files / "empty.jsonl").write_text("")
    (files / "judged.jsonl").write_text('{"passed": true}\n{broken\n')
    (files / "responses.jsonl").write_text(
        '{"task_id": "emb001-digit-sums", "response": "<think>t</think><answer>x</answer>"}\n')
    return {p.name: p for p in files.iterdir()}


# name -> (argv builder, text the one error line must contain). In the order a new user meets them.
MISTAKES = {
    "missing model folder": (lambda f, s, srv: ["train-rl", "--run-dir", f"{s}/runs/rl", "--model", f"{s}/no-model"],
                             "model folder not found"),
    "unknown key": (lambda f, s, srv: ["train-rl", "train.learnin_rate=1e-6"], "did you mean 'learning_rate'"),
    "missing logger package": (lambda f, s, srv: ["train-sft", "--run-dir", f"{s}/runs/sft",
                                                  "train.report_to=[wandb]"], "wandb"),
    "server refuses the key": (lambda f, s, srv: ["synth", "--run-dir", f"{s}/runs/synth", "limit=1",
                                                  "generator.backend=openai", "generator.model=m",
                                                  f"generator.base_url={srv.url}/k401/v1"], "HTTP 401"),
    "server does not know the model": (lambda f, s, srv: ["eval", "--run-dir", f"{s}/runs/eval",
                                                          "generator.backend=openai", "generator.model=nope",
                                                          f"generator.base_url={srv.url}/k404/v1"], "HTTP 404"),
    "server is not an OpenAI API": (lambda f, s, srv: ["eval", "--run-dir", f"{s}/runs/eval-html",
                                                       "generator.backend=openai", "generator.model=m",
                                                       f"generator.base_url={srv.url}/html/v1"],
                                    "not an OpenAI-compatible API"),
    "judge server refuses the key": (lambda f, s, srv: ["build-lcbrb", "--run-dir", f"{s}/runs/lcbrb",
                                                        "judge.backend=openai", "judge.model=m",
                                                        f"judge.base_url={srv.url}/k401/v1"], "HTTP 401"),
    "server not running": (lambda f, s, srv: ["synth", "--run-dir", f"{s}/runs/synth-down", "limit=1",
                                              "generator.backend=openai", "generator.model=m",
                                              f"generator.base_url=http://127.0.0.1:{_closed_port()}/v1"],
                           "is the server running"),
    "unreachable scorer": (lambda f, s, srv: ["score", "--problems", "embedded", "--responses",
                                              str(f["responses.jsonl"]),
                                              "--scorer-url", f"http://127.0.0.1:{_closed_port()}/score",
                                              "scorer.retries=0"], "scorer.url="),
    "score without a scorer": (lambda f, s, srv: ["score", "--problems", "embedded", "--responses",
                                                  str(f["responses.jsonl"])], "needs a process scorer"),
    "malformed analyze input": (lambda f, s, srv: ["analyze", "--run-dir", f"{s}/runs/analyze",
                                                   f"judged=[{f['judged.jsonl']}]"], "judged.jsonl, line 2"),
    "empty solution file": (lambda f, s, srv: ["check", "--solutions", str(f["empty.jsonl"])], "no solutions"),
    "empty problem file": (lambda f, s, srv: ["check", "--dataset", str(f["empty.jsonl"]), "--solutions",
                                              "canonical"], "empty.jsonl"),
    "empty problem file for synth": (lambda f, s, srv: ["synth", "--run-dir", f"{s}/runs/synth-empty",
                                                        f"problems={f['empty.jsonl']}"], "no problems"),
    "bad benchmark file": (lambda f, s, srv: ["eval", "--run-dir", f"{s}/runs/eval-file",
                                              "benchmarks=[{name: mbpp+, path: /no/such/file.jsonl}]"],
                           "/no/such/file.jsonl"),
    "missing training pairs": (lambda f, s, srv: ["train-rm", "--run-dir", f"{s}/runs/rm",
                                                  f"data.train={s}/no-pairs.jsonl"], "no-pairs.jsonl"),
    "missing training problems": (lambda f, s, srv: ["train-sft", "--run-dir", f"{s}/runs/sft-data",
                                                     f"data.train=[{s}/no-problems.jsonl]"], "no-problems.jsonl"),
    "missing preference file": (lambda f, s, srv: ["eval-rm", "--run-dir", f"{s}/runs/eval-rm", "--model",
                                                   "embedded:minilm", "--data", f"{s}/no-pairs.jsonl"],
                                "no-pairs.jsonl"),
    "report on a run dir that does not exist": (lambda f, s, srv: ["report", f"{s}/runs/nope"],
                                                "no such run directory"),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_an_everyday_mistake_is_one_line_and_exit_2_before_any_model(hour, server, mistake):
    if mistake == "missing logger package" and importlib.util.find_spec("wandb") is not None:
        pytest.skip("wandb is installed here: not a missing package")
    scratch = hour.scratch
    build, text = MISTAKES[mistake]
    argv = build(_files(scratch), scratch, server)
    code, out, err = hour(*argv)
    errors = [line for line in err.splitlines() if re.match(r"recode [\w-]+: error: ", line)]
    assert code == 2, (code, err[-2000:])
    assert len(errors) == 1 and text in errors[0], err[-2000:]
    # nothing else but the embedded-default notice and progress bars (no second line of the message, no log)
    rest = [line for line in err.splitlines() if line.strip() and line not in errors
            and "no --config given, using the embedded default" not in line and "%|" not in line]
    assert rest == [], err[-2000:]
    assert "Traceback" not in err, err
    assert MARKER not in err, "a model file was opened before the mistake was reported:\n" + err
    # a failed start leaves no skeleton run dir (and `report` never creates the one it was asked for)
    run_dirs = [arg for arg in argv if arg.startswith(f"{scratch}/runs/")]
    assert not [d for d in run_dirs if Path(d).exists()], run_dirs
