"""Correlation study on the paper's own table; training dynamics from fake run directories."""

from __future__ import annotations

import argparse
import json
import math

import pytest

from recode_rl.evaluation.analyze import analyze, contingency, correlation_test, detect_key, dynamics
from recode_rl.evaluation.analyze_cli import run
from recode_rl.evaluation.config import AnalyzeConfig as Config

# The paper's Table 7 (N = 33,146): flawless 3,133 pass / 8,376 fail, flawed 5,051 pass / 16,586 fail,
# in our layout [[pass&flawless, pass&flawed], [fail&flawless, fail&flawed]]
PAPER = [[3133, 5051], [8376, 16586]]


def test_paper_table_reproduces_p_value():
    r = correlation_test(PAPER)
    assert r["n"] == 33146
    # hand check of the uncorrected statistic: expected counts E_ij = row_i * col_j / N
    n, rows, cols = 33146, (8184, 24962), (11509, 21637)
    chi2 = sum((PAPER[i][j] - rows[i] * cols[j] / n) ** 2 / (rows[i] * cols[j] / n) for i in range(2) for j in range(2))
    assert r["chi2"] == pytest.approx(chi2) and r["chi2"] == pytest.approx(60.76, abs=0.01)
    # Pearson: p = 6.4e-15 (no correction), 7.2e-15 (Yates); the paper's 9.3e-15 is Fisher's exact p
    assert r["p_value"] == pytest.approx(6.45e-15, rel=0.01)
    assert r["p_value_yates"] == pytest.approx(7.17e-15, rel=0.01)
    assert r["fisher_p_value"] == pytest.approx(9.3e-15, rel=0.01)
    # pass rates as the paper reports them: 3133/11509 = 27.2% flawless vs 5051/21637 = 23.3% flawed
    assert round(100 * r["pass_rate_given_flawless"], 1) == 27.2
    assert round(100 * r["pass_rate_given_flawed"], 1) == 23.3
    assert r["odds_ratio"] == pytest.approx(3133 * 16586 / (5051 * 8376))


def test_other_orientation_is_inconsistent_with_the_paper():
    # 3,133 and 8,376 swapped: the association is huge and p underflows — not the paper's table
    r = correlation_test([[8376, 5051], [3133, 16586]])
    assert r["p_value"] < 1e-300


def test_contingency_from_judged_items():
    items = ([{"passed": True, "label": "sound"}] * 3 + [{"passed": True, "label": "flawed"}] * 2
             + [{"passed": False, "label": "sound"}] + [{"passed": False, "label": "flawed"}] * 4
             + [{"passed": True, "label": "inconsistent"}, {"passed": False, "label": None}])
    table, dropped = contingency(items)
    assert table == [[3, 2], [1, 4]] and dropped == {"inconsistent": 1, "unparseable": 1}
    assert "error" in correlation_test([[3, 0], [1, 0]])   # an empty column: undefined, said so


def _write_run(root, name, kind, steps, proc, rate, key_prefix="reward/"):
    d = root / name
    d.mkdir()
    (d / "config.train-rl.yaml").write_text(f"reward:\n  kind: {kind}\n")
    with (d / "metrics.jsonl").open("w") as fh:
        for s in range(steps):
            fh.write(json.dumps({"step": s, f"{key_prefix}process_ungated_mean": proc(s),
                                 f"{key_prefix}outcome_rate": rate(s), "loss": 0.1}) + "\n")
    return d


def test_dynamics_flags_hacking_and_plots(tmp_path):
    # "direct": process reward saturates while the pass rate stays flat -> flagged
    direct = _write_run(tmp_path, "rl-direct", "direct", 20, lambda s: min(1.0, 0.3 + 0.07 * s), lambda s: 0.3)
    recode = _write_run(tmp_path, "rl-recode", "recode", 20, lambda s: 0.5, lambda s: 0.3 + 0.01 * s)
    cfg = Config(runs=[str(direct), str(recode)], window=12)
    out = analyze(cfg, tmp_path / "out")
    runs = {r["label"]: r for r in out["dynamics"]}
    assert set(runs) == {"direct", "recode"}
    assert runs["direct"]["pass_key"] == "reward/outcome_rate"
    assert runs["direct"]["process_key"] == "reward/process_ungated_mean"
    assert len(runs["direct"]["hacking_flags"]) == 1 and not runs["recode"]["hacking_flags"]
    assert runs["recode"]["pass_rate_last"] == pytest.approx(0.49)
    for fig in out["figures"]:
        assert open(fig, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert len(out["figures"]) == 2
    md = (tmp_path / "out" / "report" / "analysis.md").read_text()
    assert "possible reward hacking" in md and "dynamics_pass_rate.png" in md


def test_detect_key_prefers_exact_names():
    hist = [{"step": 0, "pass_rate": 0.1, "train/outcome_rate": 0.2, "process/mean": 0.3}]
    assert detect_key(hist, ("pass_rate", "outcome_rate")) == "pass_rate"
    assert detect_key(hist, ("outcome_rate",)) == "train/outcome_rate"
    assert detect_key(hist, ("nothing",)) is None


def test_cli_on_paper_table(tmp_path, capsys):
    from pathlib import Path
    cfg = Path(__file__).resolve().parents[2] / "configs" / "analyze" / "paper_table.yaml"
    assert run(argparse.Namespace(config=str(cfg), overrides=[], run_dir=str(tmp_path))) == 0
    result = json.loads((tmp_path / "report" / "analysis.json").read_text())
    assert result["correlation"]["n"] == 33146
    assert round(100 * result["correlation"]["pass_rate_given_flawless"], 1) == 27.2
    assert round(100 * result["correlation"]["pass_rate_given_flawed"], 1) == 23.3
    assert math.isclose(result["correlation"]["fisher_p_value"], 9.27e-15, rel_tol=0.01)
    assert "Fisher's exact p = 9.27e-15" in capsys.readouterr().out
