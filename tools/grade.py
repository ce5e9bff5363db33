"""Grade a folder of submitted notebooks with otter-grader, on this machine, without a grading service.

``python tools/grade.py AUTOGRADER FOLDER`` (``AUTOGRADER`` the assignment's autograder zip or its
``dist`` folder; or ``make grade ASSIGNMENT=schedules SUBMISSIONS=folder``) runs otter's own
grader, ``otter run``, on every ``*.ipynb`` of ``FOLDER``
and writes ``FOLDER/grades/``: each submission's ``results.json`` as otter writes it, and
``grades.csv`` with one row per submission and one column per question. Two limits keep one bad
submission from stopping the rest:

- **per cell** (``--cell-limit``, default 600 s): before grading, a copy of the submission gets a
  first cell that makes any cell running longer raise ``TimeoutError``; the cell fails, the
  question it answers scores zero, and the grader goes on with the next cell;
- **per submission** (``--submission-limit``, default 3600 s): past it, the grading process and
  everything it started are killed, and the submission scores zero on every question.

A cell that raises, or imports a module the grading environment does not have, fails like any
other: its question scores zero, the others are graded. The reason is printed and kept in
``grades.csv``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

TIME_LIMIT_CELL = '''\
# Added by the grader: a cell that runs past {limit} s raises TimeoutError (its question scores zero).
import signal as _grader_signal


def _grader_cell_limit(*_):
    raise TimeoutError("this cell ran past the grader's limit of {limit} s per cell")


_grader_signal.signal(_grader_signal.SIGALRM, _grader_cell_limit)
get_ipython().events.register("pre_run_cell", lambda *_: _grader_signal.alarm({limit}))
get_ipython().events.register("post_run_cell", lambda *_: _grader_signal.alarm(0))
'''


@dataclass
class Grade:
    """The scores of one submission: points per question, and what went wrong, if anything."""

    submission: str
    scores: dict[str, float]
    possible: dict[str, float]
    message: str = ""
    seconds: float = 0.0
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> float:
        """The submission's points, all questions together."""
        return sum(self.scores.values())


def question_points(autograder: Path) -> dict[str, float]:
    """Each auto-graded question of an autograder zip and its points, read from its test files."""
    points = {}
    with zipfile.ZipFile(autograder) as archive:
        for name in sorted(archive.namelist()):
            match = re.fullmatch(r"tests/(.+)\.py", name)
            if match:
                text = archive.read(name).decode("utf-8")
                points[match[1]] = float(sum(float(p) for p in re.findall(r"points=([\d.]+)", text)))
    if not points:
        raise ValueError(f"{autograder}: no tests/*.py in the autograder zip")
    return points


def with_cell_limit(submission: Path, target: Path, limit: int) -> Path:
    """A copy of ``submission`` at ``target`` whose first cell limits every cell to ``limit`` seconds."""
    notebook = nbformat.read(submission, as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(TIME_LIMIT_CELL.format(limit=limit)))
    nbformat.write(notebook, target)
    return target


def grade_one(autograder: Path, submission: Path, out: Path, *, cell_limit: int = 600,
              submission_limit: float = 3600) -> Grade:
    """Grade one notebook with ``otter run``; never raises for what the submission does."""
    autograder, submission, out = Path(autograder).resolve(), Path(submission).resolve(), Path(out).resolve()
    possible = question_points(autograder)
    zeros = dict.fromkeys(possible, 0.0)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dltips-grade-") as work:
        try:
            prepared = with_cell_limit(submission, Path(work) / submission.name, cell_limit)
        except Exception as error:  # not a notebook at all
            return Grade(submission.name, zeros, possible, f"not a readable notebook: {error}")
        otter = shutil.which("otter", path=str(Path(sys.executable).parent)) or "otter"
        environ = {**os.environ, "DLTIPS_PROGRESS": "0"}
        process = subprocess.Popen(
            [otter, "run", "--no-logo", "-a", str(autograder), "-o", str(out), str(prepared)],
            cwd=work, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)  # its own process group: killed whole on a timeout
        try:
            log, _ = process.communicate(timeout=submission_limit)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            return Grade(submission.name, zeros, possible,
                         f"grading stopped after {submission_limit:g} s: every question scores zero",
                         time.perf_counter() - start)
    seconds = time.perf_counter() - start
    results = out / "results.json"
    if process.returncode != 0 or not results.is_file():
        tail = " ".join(log.strip().splitlines()[-3:])
        return Grade(submission.name, zeros, possible, f"the grader failed (status {process.returncode}): {tail}", seconds)
    tests = json.loads(results.read_text(encoding="utf-8"))["tests"]
    scores, failed = dict(zeros), {}
    for test in tests:
        if test["name"] in possible:
            scores[test["name"]] = float(test.get("score") or 0.0)
            if scores[test["name"]] < possible[test["name"]]:
                lines = (test.get("output") or "").strip().splitlines()
                failed[test["name"]] = lines[-1] if lines else ""
    return Grade(submission.name, scores, possible, "", seconds, failed)


def grade_folder(autograder: Path, folder: Path, *, cell_limit: int = 600, submission_limit: float = 3600) -> list[Grade]:
    """Grade every notebook of ``folder``; writes ``folder/grades/grades.csv``. The grades, by name."""
    submissions = sorted(p for p in Path(folder).glob("*.ipynb"))
    if not submissions:
        raise FileNotFoundError(f"no *.ipynb submission in {folder}")
    out = Path(folder) / "grades"
    grades = []
    for submission in submissions:
        grade = grade_one(autograder, submission, out / submission.stem, cell_limit=cell_limit,
                          submission_limit=submission_limit)
        grades.append(grade)
        status = grade.message or ", ".join(f"{q} lost points" for q in grade.failed) or "full marks"
        print(f"{submission.name}: {grade.total:g} of {sum(grade.possible.values()):g} points "
              f"in {grade.seconds:.0f} s ({status})", flush=True)
    questions = list(grades[0].possible)
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission", *questions, "total", "possible", "message"])
        for grade in grades:
            writer.writerow([grade.submission, *(f"{grade.scores[q]:g}" for q in questions), f"{grade.total:g}",
                             f"{sum(grade.possible.values()):g}", grade.message])
    return grades


def main(argv: list[str] | None = None) -> int:
    """Grade the folder given on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("autograder", type=Path,
                        help="the assignment's autograder zip, or its dist folder (_build/assignments/<page>/dist)")
    parser.add_argument("folder", type=Path, help="the folder of submitted notebooks")
    parser.add_argument("--cell-limit", type=int, default=600, help="seconds a cell may run (default: %(default)s)")
    parser.add_argument("--submission-limit", type=float, default=3600,
                        help="seconds a whole submission may take (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.cell_limit < 1 or args.submission_limit <= 0:
        parser.error("--cell-limit must be at least 1 and --submission-limit positive")
    if args.autograder.is_dir():
        zips = sorted(args.autograder.glob("autograder/*.zip"))
        if len(zips) != 1:
            parser.error(f"no autograder zip in {args.autograder / 'autograder'}: run `make assignments` first")
        args.autograder = zips[0]
    if not args.autograder.is_file():
        parser.error(f"no autograder zip at {args.autograder}: run `make assignments` first")
    try:
        grades = grade_folder(args.autograder, args.folder, cell_limit=args.cell_limit,
                              submission_limit=args.submission_limit)
    except FileNotFoundError as error:
        parser.error(str(error))
    print(f"wrote {args.folder / 'grades' / 'grades.csv'} ({len(grades)} submissions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
