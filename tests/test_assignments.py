"""The exercises as graded assignments (tools/assignments.py) and the grading of submissions (tools/grade.py).

The tests that grade run otter-grader's own grader (``otter run``) on real notebooks: the
assignments' solutions (full marks on every code question), an untouched student notebook (zero),
one planted wrong answer (exactly that question's points lost), and submissions that raise, loop or
run past the time limit (graded, zero where they fail, and the grader ends).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import assignments  # noqa: E402
import book_pages  # noqa: E402
import grade  # noqa: E402
from student_edition import exercises  # noqa: E402

PAGES = assignments.pages()
# The assignment the slow-submission tests use: its set-up and solutions run in seconds.
QUICK = "chapters/03_algorithms/descent"


def _cells(page: str) -> list[dict]:
    return json.loads((ROOT / f"{page}.ipynb").read_text(encoding="utf-8"))["cells"]


def _code_exercises(cells: list[dict]) -> set[str]:
    """The labels of exercises whose worked solution runs code (a solution-start gate with code cells)."""
    found, inside, has_code = set(), None, False
    for cell in cells:
        text = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and "{solution-start}" in text:
            inside, has_code = text.split("{solution-start}", 1)[1].split()[0], False
        elif cell["cell_type"] == "markdown" and "{solution-end}" in text:
            if has_code:
                found.add(inside)
            inside = None
        elif inside and cell["cell_type"] == "code":
            has_code = True
    return found


# --- building ----------------------------------------------------------------------------------


def test_every_code_exercise_of_the_book_is_in_exactly_one_assignment():
    in_book = {}
    for path in book_pages.notebooks():
        for label in _code_exercises(json.loads(path.read_text(encoding="utf-8"))["cells"]):
            in_book[label] = book_pages.page_name(path)
    asked = [(q.label, page) for page in PAGES for q in assignments.questions(_cells(page)) if not q.written]
    assert sorted(label for label, _ in asked) == sorted(in_book), "code exercises missing or asked twice"
    assert all(f"chapters/{in_book[label]}" == page for label, page in asked)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: Path(p).name)
def test_each_assignment_asks_its_pages_exercises_in_order_with_checks(page):
    cells = _cells(page)
    asked = assignments.questions(cells)
    assert [q.label for q in asked] == exercises(cells)
    for q in asked:
        if q.written:
            assert q.points == assignments.WRITTEN_POINTS and not q.tests
        else:
            assert q.tests and q.points == len(q.tests) and q.skeleton
            assert "assert" not in q.skeleton and q.solution not in q.skeleton


def test_a_solution_splits_into_the_answer_and_the_checks():
    source = (
        "rows = []\nfor b in (1, 2):\n    rows.append(b)\n    last = b\n    assert b > 0\n"
        "display(rows)\nprint(last)\nvalue = f(3)  # keep this comment\n"
        "np.testing.assert_allclose(value, 6)\nprint(value)"
    )
    kept, checks = assignments.split_solution(source)
    # the loop asserts, so it is a check; `print(last)` reads what only that check defines, so it
    # goes too, while `display(rows)` stays: the answer defines `rows`
    assert checks == ["for b in (1, 2):\n    rows.append(b)\n    last = b\n    assert b > 0",
                      "np.testing.assert_allclose(value, 6)"]
    assert kept == "rows = []\ndisplay(rows)\nvalue = f(3)  # keep this comment\nprint(value)"


def test_the_skeleton_stubs_what_the_checks_read_and_nothing_else():
    solution = "class Decay(Base):\n    '''A rate.'''\n    def __call__(self, t):\n        return t\n\nhelper = 3\nrate = Decay()(1)"
    assert assignments.skeleton(solution, {"Decay", "rate"}) == "class Decay(Base):\n    '''A rate.'''\n    ...\n\nrate = ..."


def test_the_set_up_is_the_install_cell_the_imports_and_what_defines_the_names_read():
    cells = [nbformat.v4.new_code_cell(f"# {assignments.INSTALL_MARK} where it is missing\nimport sys"),
             nbformat.v4.new_code_cell("import numpy as np"),
             nbformat.v4.new_code_cell("unused = 1"),
             nbformat.v4.new_code_cell("base = np.arange(3)"),
             nbformat.v4.new_code_cell("table = base * 2")]
    assert assignments.setup_cells(cells, {"table"}) == [0, 1, 3, 4]
    assert assignments.setup_cells(cells, set()) == [0, 1]


def test_a_solution_that_checks_nothing_is_refused_by_name():
    with pytest.raises(ValueError, match="ex-x: the solution checks nothing"):
        assignments._code_question("ex-x", "Do it.", ["y = 1"])


# --- grading -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """Every assignment, built once for this module."""
    return assignments.build(tmp_path_factory.mktemp("assignments"))


def _submission(built, page: str, folder: Path, name: str, *, solutions: bool = True) -> Path:
    dist = built[page]
    kind = "autograder" if solutions else "student"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.ipynb"
    target.write_bytes((dist / kind / f"{Path(page).name}.ipynb").read_bytes())
    return target


def _answer_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in notebook.cells if c.cell_type == "code" and "otter_answer_cell" in c.metadata.get("tags", [])]


def _no_grader_left():
    leftovers = [p for p in psutil.Process().children(recursive=True) if p.is_running()]
    assert not leftovers, f"processes left behind: {[p.cmdline()[:3] for p in leftovers]}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: Path(p).name)
def test_grading_the_solutions_gives_full_marks_on_every_code_question(built, page, tmp_path):
    submission = _submission(built, page, tmp_path, "solutions")
    result = grade.grade_one(assignments.autograder_zip(built[page]), submission, tmp_path / "out")
    assert not result.message, result.message
    assert result.scores == result.possible, result.failed
    assert set(result.possible) == {q.name for q in assignments.questions(_cells(page)) if not q.written}


def test_a_folder_of_three_submissions_is_graded_question_by_question(built, tmp_path):
    """The untouched student notebook scores zero; one planted wrong answer loses exactly its question."""
    folder = tmp_path / "submissions"
    _submission(built, QUICK, folder, "a-solutions")
    _submission(built, QUICK, folder, "b-untouched", solutions=False)
    planted = _submission(built, QUICK, folder, "c-planted")
    notebook = nbformat.read(planted, as_version=4)
    code = [q for q in assignments.questions(_cells(QUICK)) if not q.written]
    wrong = code[0]
    (cell,) = [c for c in notebook.cells if c.cell_type == "code" and wrong.solution.splitlines()[0] in c.source]
    cell.source += "\n" + "\n".join(f"{n} = None" for n in _names(wrong))  # a wrong answer: every name it checks
    nbformat.write(notebook, planted)

    grades = {g.submission: g for g in grade.grade_folder(assignments.autograder_zip(built[QUICK]), folder)}
    possible = grades["a-solutions.ipynb"].possible
    assert grades["a-solutions.ipynb"].scores == possible
    assert set(grades["b-untouched.ipynb"].scores.values()) == {0.0}
    assert grades["c-planted.ipynb"].scores == {**possible, wrong.name: 0.0}
    table = (folder / "grades" / "grades.csv").read_text(encoding="utf-8").splitlines()
    assert table[0].startswith("submission,") and len(table) == 4
    _no_grader_left()


def _names(question: assignments.Question) -> list[str]:
    import re

    return sorted(set(re.findall(r"^(?:class |def )?(\w+)", question.skeleton, re.M)))


def test_a_submission_that_raises_or_loops_scores_zero_there_and_the_grader_ends(built, tmp_path):
    submission = _submission(built, QUICK, tmp_path, "bad", solutions=False)
    notebook = nbformat.read(submission, as_version=4)
    code = [q for q in assignments.questions(_cells(QUICK)) if not q.written]
    answers = _answer_cells(notebook)
    solved = nbformat.read(built[QUICK] / "autograder" / f"{Path(QUICK).name}.ipynb", as_version=4)
    for answer, question in zip(answers, code):  # the right answers...
        (right,) = [c for c in solved.cells if c.cell_type == "code" and question.solution.splitlines()[0] in c.source]
        answer.source = right.source
    answers[0].source = "import a_module_no_grader_has\n" + answers[0].source  # ...but one imports the unknown,
    answers[1].source = "while True:\n    pass\n" + answers[1].source  # and one never ends
    nbformat.write(notebook, submission)
    result = grade.grade_one(assignments.autograder_zip(built[QUICK]), submission, tmp_path / "out", cell_limit=20)
    assert not result.message, result.message
    expected = {q.name: 0.0 if i < 2 else result.possible[q.name] for i, q in enumerate(code)}
    assert result.scores == expected
    _no_grader_left()


def test_a_submission_past_the_time_limit_scores_zero_and_its_processes_are_killed(built, tmp_path):
    submission = _submission(built, QUICK, tmp_path, "slow")
    result = grade.grade_one(assignments.autograder_zip(built[QUICK]), submission, tmp_path / "out",
                             submission_limit=3)
    assert "grading stopped after 3 s" in result.message
    assert set(result.scores.values()) == {0.0} and result.possible
    _no_grader_left()


def test_the_command_grades_a_folder_named_by_relative_paths(built, tmp_path, monkeypatch, capsys):
    # as `make grade ASSIGNMENT=descent SUBMISSIONS=folder` calls it: the dist folder and the folder, relative
    _submission(built, QUICK, tmp_path / "folder", "solutions")
    (tmp_path / "dist").symlink_to(built[QUICK])
    monkeypatch.chdir(tmp_path)
    assert grade.main(["dist", "folder"]) == 0
    rows = (tmp_path / "folder" / "grades" / "grades.csv").read_text(encoding="utf-8").splitlines()
    total, possible = rows[1].split(",")[-3:-1]
    assert total == possible and float(possible) > 0, rows
    assert "solutions.ipynb: " in capsys.readouterr().out


def test_grading_refuses_a_folder_without_submissions(built, tmp_path, capsys):
    with pytest.raises(SystemExit):
        grade.main([str(assignments.autograder_zip(built[QUICK])), str(tmp_path)])
    assert "no *.ipynb submission in" in capsys.readouterr().err
