"""The exercises: each has a label and a solution; every code solution runs (the book build executes it) and checks its answer.

Also the student edition (tools/student_edition.py): every exercise, no solution.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import student_edition  # noqa: E402

CHAPTERS = sorted((ROOT / "chapters").glob("0*.ipynb")) + sorted((ROOT / "chapters" / "03_algorithms").glob("*.ipynb"))
#: Pages with exercises, and the fewest each must have (each of chapter 3's five section pages: four).
MINIMUM = {"02_core_concepts": 4, "03_algorithms/regularization": 4, "03_algorithms/schedules": 4,
           "03_algorithms/descent": 4, "03_algorithms/parallel": 4, "03_algorithms/distillation": 4,
           "04_code_examples": 4, "05_future_trends": 5}
SKIPPING_TAGS = {"skip-execution", "raises-exception", "remove-cell"}


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


@pytest.mark.parametrize("stem", sorted(MINIMUM))
def test_chapter_has_its_exercises_each_with_one_solution(stem):
    cells = _cells(ROOT / "chapters" / f"{stem}.ipynb")
    labels = student_edition.exercises(cells)
    assert len(labels) >= MINIMUM[stem], f"{stem}: {len(labels)} exercises, expected at least {MINIMUM[stem]}"
    assert len(set(labels)) == len(labels), f"{stem}: exercise labels repeat: {labels}"
    assert sorted(student_edition.solutions(cells)) == sorted(labels), f"{stem}: every exercise needs exactly one solution"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.relative_to(ROOT / "chapters").with_suffix("").as_posix())
def test_every_code_cell_of_a_solution_runs_and_asserts(path):
    cells = _cells(path)
    for i in sorted(student_edition.solution_cells(cells)):
        cell = cells[i]
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        tags = set(cell.get("metadata", {}).get("tags", []))
        assert not tags & SKIPPING_TAGS, f"{path.stem}, cell {i}: a solution's code must run in the tests, tags {tags}"
        assert "assert " in source, f"{path.stem}, cell {i}: a solution's code must check its answer with an assert"


def test_student_edition_keeps_every_exercise_and_no_solution(tmp_path):
    written = student_edition.export(tmp_path / "student")
    book = ROOT / "chapters"
    assert sorted(p.relative_to(tmp_path / "student" / "chapters") for p in written) == sorted(
        p.relative_to(book) for p in book.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    assert (tmp_path / "student" / "_toc.yml").is_file() and (tmp_path / "student" / "_config.yml").is_file()
    for original in CHAPTERS:
        before = _cells(original)
        after = _cells(tmp_path / "student" / "chapters" / original.relative_to(ROOT / "chapters"))
        assert student_edition.exercises(after) == student_edition.exercises(before)
        assert student_edition.solutions(after) == [] and not student_edition.solution_cells(after)
        text = json.dumps(after)
        assert "{solution" not in text
        # Everything that is not a solution is kept, in order.
        kept = [c for i, c in enumerate(before) if i not in student_edition.solution_cells(before)]
        assert after == kept


def test_strip_removes_gated_and_plain_solutions_and_refuses_unbalanced_gates():
    md = lambda text: {"cell_type": "markdown", "source": [text], "metadata": {}}  # noqa: E731
    code = lambda text: {"cell_type": "code", "source": [text], "metadata": {}, "outputs": []}  # noqa: E731
    cells = [md(":::{exercise}\n:label: ex-a\nDo a.\n:::"), md(":::{solution} ex-a\n:class: dropdown\nAnswer.\n:::"),
             md(":::{exercise}\n:label: ex-b\nDo b.\n:::"), md(":::{solution-start} ex-b\n:class: dropdown\n:::"),
             code("assert 1 + 1 == 2"), md(":::{solution-end}\n:::"), md("After.")]
    assert student_edition.solution_cells(cells) == {1, 3, 4, 5}
    assert [c["source"][0] for c in student_edition.strip({"cells": cells})["cells"]] == [
        cells[0]["source"][0], cells[2]["source"][0], "After."]
    with pytest.raises(ValueError, match="without a solution-end"):
        student_edition.solution_cells(cells[:5])
    with pytest.raises(ValueError, match="without a solution-start"):
        student_edition.solution_cells([md(":::{solution-end}\n:::")])


def test_export_refuses_to_write_over_the_book():
    with pytest.raises(ValueError, match="over the book"):
        student_edition.export(ROOT)
