import csv
import math

import pytest

from recode_rl.errors import DataError
from recode_rl.evaluation.adjudication import cohen_kappa, merge, read_sheet, write_sheet
from recode_rl.evaluation.judge import parse_judgement


@pytest.mark.parametrize("reply, label, reason", [
    ("Yes\nThe bound is off by one.", "flawed", "The bound is off by one."),
    ("No\nSound and consistent.", "sound", "Sound and consistent."),
    ("None\nThe code sorts; the reasoning uses a heap.", "inconsistent", "The code sorts; the reasoning uses a heap."),
    ("**YES**\nwrong formula", "flawed", "wrong formula"),
    ("no.", "sound", ""),
    ("`None`", "inconsistent", ""),
    ("Answer: Yes - wrong complexity claim", "flawed", "wrong complexity claim"),
    ("# No\n\nAll steps hold.", "sound", "All steps hold."),
    ("Here is my assessment:\nNone\nmismatch", "inconsistent", "mismatch"),
    ("  yes, the reasoning skips a case", "flawed", "the reasoning skips a case"),
])
def test_parse_judgement_accepts_variants(reply, label, reason):
    j = parse_judgement(reply)
    assert j.label == label and j.reason == reason and j.raw == reply


@pytest.mark.parametrize("reply", ["", "Maybe.", "Nonetheless the code is fine", "The reasoning has no flaws.",
                                   "Not sure\nYesterday it worked"])
def test_parse_judgement_unparseable(reply):
    # "no" or "yes" inside a sentence (not at the start of a line) is never a label
    assert parse_judgement(reply).label is None


def test_cohen_kappa_hand_computed():
    a = ["sound", "sound", "flawed", "flawed", "sound", "flawed"]
    b = ["sound", "flawed", "flawed", "flawed", "sound", "sound"]
    # p_o = 4/6; marginals 3/3 for both raters -> p_e = (3*3 + 3*3)/36 = 0.5; kappa = (2/3 - 1/2)/(1/2) = 1/3
    assert cohen_kappa(a, b) == pytest.approx(1 / 3)
    assert cohen_kappa(a, a) == pytest.approx(1.0)
    # three labels: a = s s f i, b = s f f i -> p_o = 3/4; a marg s2 f1 i1, b s1 f2 i1
    # p_e = (2*1 + 1*2 + 1*1)/16 = 5/16; kappa = (3/4 - 5/16)/(11/16) = 7/11
    assert cohen_kappa(["sound", "sound", "flawed", "inconsistent"],
                       ["sound", "flawed", "flawed", "inconsistent"]) == pytest.approx(7 / 11)
    assert math.isnan(cohen_kappa(["sound"] * 3, ["sound"] * 3))   # p_e = 1: undefined


def test_sheet_roundtrip_and_consensus(tmp_path):
    items = [{"item_id": f"p#{i}", "problem_id": "p", "sample": i, "passed": True, "label": "sound",
              "reason": "r", "problem": "P", "reasoning": f"R{i}", "code": "c"} for i in range(5)]
    sheet = tmp_path / "sheet.csv"
    assert write_sheet(items, sheet) == 5
    rows = list(csv.DictReader(sheet.open()))
    fills = [("sound", "sound", ""), ("Yes", "flawed", ""), ("sound", "flawed", "flawed"),
             ("sound", "flawed", ""), ("", "sound", "")]
    for row, (a, b, res) in zip(rows, fills):
        row.update(annotator_1=a, annotator_2=b, resolution=res)
    with sheet.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=rows[0].keys())
        w.writeheader()
        w.writerows(rows)
    labels, report = merge(read_sheet(sheet))
    assert labels == {"p#0": "sound", "p#1": "flawed", "p#2": "flawed"}
    assert (report["agreed"], report["resolved"], report["unresolved"], report["unannotated"]) == (2, 1, 1, 1)
    # kappa over the 4 doubly-labelled rows: a = s f s s, b = s f f f -> p_o = 2/4;
    # p_e = (3*1 + 1*3)/16 = 6/16; kappa = (1/2 - 3/8)/(5/8) = 1/5
    assert report["n_both"] == 4 and report["kappa"] == pytest.approx(0.2)
    # rewriting the sheet keeps the annotations already entered
    write_sheet(items, sheet)
    assert merge(read_sheet(sheet))[0] == labels


def test_sheet_with_unknown_label_names_row_and_column(tmp_path):
    sheet = tmp_path / "sheet.csv"
    write_sheet([{"item_id": "p#0", "label": "sound"}], sheet)
    rows = list(csv.DictReader(sheet.open()))
    rows[0]["annotator_1"] = "perhaps"
    with sheet.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=rows[0].keys())
        w.writeheader()
        w.writerows(rows)
    with pytest.raises(DataError, match=r"row 2.*annotator_1"):
        read_sheet(sheet)
