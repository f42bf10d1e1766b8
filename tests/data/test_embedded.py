"""The embedded problem set: structure, and every reference solution passes its own tests."""

from __future__ import annotations

import json
import re

from recode_rl.data import load_problems
from recode_rl.data.embedded import EMBEDDED_DIR
from recode_rl.data.prelude import with_prefix


def test_embedded_structure() -> None:
    problems = load_problems("embedded")
    assert len(problems) == 30 and len({p.task_id for p in problems}) == 30
    assert sum(p.tests.kind == "stdio" for p in problems) == 18
    assert sum(p.tests.kind == "functional" for p in problems) == 12
    for p in problems:
        assert 3 <= len(p.tests) <= 6, p.task_id
        assert p.source == "embedded" and p.reference_solution and p.difficulty in ("easy", "medium")
        assert p.metadata["n_public"] == 2 and p.metadata["n_private"] == len(p.tests) - 2
        if p.tests.kind == "functional":
            assert p.tests.class_name == "Solution"
            assert re.search(rf"def {p.tests.fn_name}\(self", p.starter_code), p.task_id
    assert [p.task_id for p in load_problems("embedded", kind="functional")] == \
        [p.task_id for p in problems if p.tests.kind == "functional"]
    assert len(load_problems("embedded", limit=5)) == 5


def test_both_private_encodings_are_shipped() -> None:
    raw = [json.loads(line) for line in (EMBEDDED_DIR / "problems.jsonl").read_text().splitlines()]
    plain = [r for r in raw if r["private_test_cases"].startswith("[")]
    packed = [r for r in raw if r["private_test_cases"] and not r["private_test_cases"].startswith("[")]
    assert len(plain) == 15 and len(packed) == 15


def test_reference_solutions_pass_and_broken_variants_fail() -> None:
    from recode_rl.execution import execute_many

    problems = load_problems("embedded")
    good = execute_many([(p.reference_solution, p.tests) for p in problems])
    failing = {p.task_id: r.summary() for p, r in zip(problems, good) if not r.all_passed}
    assert not failing
    # the judge prelude must not break anything either
    prefixed = execute_many([(with_prefix(p, p.reference_solution), p.tests) for p in problems])
    assert all(r.all_passed for r in prefixed)

    def broken(p):  # stdin: one extra output line; functional: the method returns None
        if p.tests.kind == "stdio":
            return p.reference_solution + "\nprint('extra line')\n"
        return p.reference_solution + f"\nSolution.{p.tests.fn_name} = lambda self, *args: None\n"

    bad = execute_many([(broken(p), p.tests) for p in problems])
    assert [r.passed for r in bad] == [0] * len(problems)
