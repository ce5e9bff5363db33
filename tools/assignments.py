"""The book's exercises as graded assignments, in otter-grader's format.

``python tools/assignments.py OUT`` (or ``make assignments``) writes, for each chapter page with
code exercises, ``OUT/<page>/`` as ``otter assign`` makes it from a master notebook built here:

- ``student/<page>.ipynb``: the page's set-up, then each exercise's statement, a cell to answer
  it in (a skeleton naming what the checks read) and a public check; no solution;
- ``autograder/<page>.ipynb`` (the solutions) and ``autograder/*.zip`` (what ``otter run`` and
  Gradescope grade with): the hidden tests, with their points.

The exercises stay written once, in the chapters; an assignment is generated, never edited. A
code exercise's worked solution is split in two: its top-level statements that assert (an
``assert``, or an ``assert_*`` call such as ``np.testing.assert_allclose``) become the hidden tests,
one point each, run in the submission's namespace; the other statements are the solution, which
the student's answer replaces. A pencil-and-paper exercise becomes a written question, graded by
hand. The set-up of a question is the page's install and configuration cells and every earlier
cell of the page that defines a name the solution or its tests read, found by reading the code,
with what those cells need in turn.

Grade submissions with ``python tools/grade.py`` (``make grade``), which runs ``otter run`` on each.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import json
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import book_pages  # noqa: E402
import slides  # noqa: E402
from student_edition import EXERCISE, SOLUTION, _text  # noqa: E402

OUT = ROOT / "_build" / "assignments"
# The first cell of a student notebook: the public checks need otter-grader (installed where it is
# missing, as on Colab), and `grader` runs them.
GRADER_CELL = """\
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("otter") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "otter-grader==7.0.0"],
                   check=True)
import otter

grader = otter.Notebook("{name}.ipynb")"""
INSTALL_MARK = "Installs dltips, the book's companion package"
WRITTEN_POINTS = 1
_BUILTINS = set(dir(builtins)) | {"display", "get_ipython", "__name__"}
_EXERCISE_BLOCK = re.compile(r"^(?P<fence>:{3,})\{exercise\}.*?^(?P=fence)[ \t]*$", re.M | re.S)


@dataclass
class Question:
    """One exercise of a page, as a question of its assignment."""

    label: str
    statement: str
    written: bool
    solution: str = ""  # code questions: the solution without its tests
    skeleton: str = ""  # what the student's answer cell starts with
    tests: list[str] = field(default_factory=list)
    reads: set[str] = field(default_factory=set)  # names the solution and its tests need from before
    answer_md: str = ""  # written questions: the worked solution

    @property
    def name(self) -> str:
        """The question's name in the assignment: the exercise's label without ``ex-``."""
        return self.label.removeprefix("ex-")

    @property
    def points(self) -> int:
        """One point per hidden check of a code question; written questions get WRITTEN_POINTS."""
        return WRITTEN_POINTS if self.written else len(self.tests)


# --- reading code -----------------------------------------------------------------------------


def _is_test(node: ast.stmt) -> bool:
    """A statement that checks: it holds an ``assert`` or calls an ``assert*`` function."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Assert):
            return True
        if isinstance(sub, ast.Call):
            func = sub.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name.startswith("assert"):
                return True
    return False


def _stored(tree: ast.AST) -> set[str]:
    """Every name a piece of code binds anywhere (assignments, loops, defs, imports, arguments)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def _top_level_defined(tree: ast.Module) -> set[str]:
    """The names a cell leaves defined at module level."""
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        else:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                    names.add(sub.id)
                if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                    break
    return names


def free_names(source: str) -> set[str]:
    """The names ``source`` reads that it does not bind itself (builtins left out).

    >>> sorted(free_names("y = np.sqrt(x)\\nfor i in range(3):\\n    y += i"))
    ['np', 'x']
    """
    tree = ast.parse(source)
    loads = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return loads - _stored(tree) - _BUILTINS


def _lines(node: ast.stmt) -> tuple[int, int]:
    start = min([node.lineno, *[d.lineno for d in getattr(node, "decorator_list", [])]])
    return start, node.end_lineno


def split_solution(source: str) -> tuple[str, list[str]]:
    """A solution's code as (the solution without its checks, the checks); comments are kept.

    >>> split_solution("x = 2 + 2  # four\\nassert x == 4\\nprint(x)")
    ('x = 2 + 2  # four\\nprint(x)', ['assert x == 4'])
    """
    tree = ast.parse(source)
    lines = source.splitlines()
    tests, test_lines, test_only = [], set(), set()
    kept_defined = set()
    for node in tree.body:
        start, end = _lines(node)
        if _is_test(node):
            tests.append("\n".join(lines[start - 1:end]))
            test_lines |= set(range(start, end + 1))
            test_only |= _stored(node)
        else:
            kept_defined |= _stored(node)
    test_only -= kept_defined
    for node in tree.body:  # a statement that reads what only a check computes (a table of its rows) goes too
        start, end = _lines(node)
        if not _is_test(node) and free_names("\n".join(lines[start - 1:end])) & test_only:
            test_lines |= set(range(start, end + 1))
    kept = [line for number, line in enumerate(lines, 1) if number not in test_lines]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip(), tests


def skeleton(solution: str, read_by_tests: set[str]) -> str:
    """The answer cell a student starts from: a stub of each definition the checks read.

    >>> print(skeleton("def f(n):\\n    '''Twice n.'''\\n    return 2 * n\\n\\nk = f(2)\\nprint(k)", {"f", "k"}))
    def f(n):
        '''Twice n.'''
        ...
    <BLANKLINE>
    k = ...
    """
    tree = ast.parse(solution)
    parts, assigned = [], set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in read_by_tests:
            if isinstance(node, ast.FunctionDef):
                head = f"def {node.name}({ast.unparse(node.args)}):"
            else:
                bases = [ast.unparse(b) for b in [*node.bases, *node.keywords]]
                head = f"class {node.name}({', '.join(bases)}):" if bases else f"class {node.name}:"
            doc = ast.get_docstring(node, clean=False)
            body = [f"    {chr(39) * 3}{doc}{chr(39) * 3}"] if doc is not None else []
            parts.append("\n".join([head, *body, "    ..."]))
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in (n.id for n in ast.walk(target) if isinstance(n, ast.Name)):
                    if name in read_by_tests and name not in assigned:
                        assigned.add(name)
                        parts.append(f"{name} = ...")
    return "\n\n".join(parts)


# --- a page's questions and their set-up ----------------------------------------------------------


def questions(cells: list[dict]) -> list[Question]:
    """The exercises of a page, in order, each with its solution split into solution and tests."""
    statements: dict[str, str] = {}
    for cell in cells:
        if cell["cell_type"] != "markdown":
            continue
        text = _text(cell)
        for block in _EXERCISE_BLOCK.finditer(text):
            label = EXERCISE.search(block.group(0))["label"]
            statements[label] = slides.deck_markdown(block.group(0), BIBLIOGRAPHY, TITLES)
    found: dict[str, Question] = {}
    inside = None
    code: list[str] = []
    for cell in cells:
        text = _text(cell)
        if cell["cell_type"] == "markdown" and "{solution-start}" in text:
            inside, code = SOLUTION.search(text)["label"], []
            continue
        if cell["cell_type"] == "markdown" and "{solution-end}" in text:
            if code:
                found[inside] = _code_question(inside, statements[inside], code)
            else:
                found[inside] = Question(inside, statements[inside], written=True)
            inside = None
            continue
        if inside and cell["cell_type"] == "code":
            code.append(text)
        elif not inside and cell["cell_type"] == "markdown" and SOLUTION.search(text):
            label = SOLUTION.search(text)["label"]
            body = re.sub(r"^:{3,}\{solution\}.*?\n(:[\w-]+:.*\n)*", "", text, flags=re.M)
            answer = slides.deck_markdown(re.sub(r"^:{3,}[ \t]*$", "", body, flags=re.M), BIBLIOGRAPHY, TITLES)
            found[label] = Question(label, statements[label], written=True, answer_md=answer)
    missing = [label for label in statements if label not in found]
    if missing:
        raise ValueError(f"exercises without a solution: {', '.join(missing)}")
    return [found[label] for label in statements]


def _code_question(label: str, statement: str, code: list[str]) -> Question:
    solution_parts, tests = [], []
    for source in code:
        kept, checks = split_solution(source)
        solution_parts.append(kept)
        tests += checks
    if not tests:
        raise ValueError(f"{label}: the solution checks nothing (no assert), so it cannot be graded")
    solution = "\n\n\n".join(p for p in solution_parts if p)
    defined = _stored(ast.parse(solution))
    read_by_tests = set().union(*(free_names(t) for t in tests))
    named = set(re.findall(r"`(\w+)", statement)) & _top_level_defined(ast.parse(solution))  # "Write `PolynomialDecay`"
    question = Question(label, statement, written=False, solution=solution, tests=tests,
                        skeleton=skeleton(solution, (read_by_tests | named) & defined))
    question.reads = (free_names(solution) | read_by_tests) - defined
    return question


def setup_cells(cells: list[dict], wanted: set[str]) -> list[int]:
    """The cells a page's questions need before them: install, configuration and what defines ``wanted``."""
    from student_edition import solution_cells

    gated = solution_cells(cells)
    code = [i for i, c in enumerate(cells) if c["cell_type"] == "code" and i not in gated]
    install = [i for i in code if INSTALL_MARK in _text(cells[i])]
    chosen = set(install + [next(i for i in code if i not in install)])
    defines = {i: _top_level_defined(ast.parse(_text(cells[i]))) for i in code}
    needed, seen = set(wanted), set()
    for i in sorted(chosen):
        needed |= free_names(_text(cells[i]))
    while needed - seen:
        name = (needed - seen).pop()
        seen.add(name)
        for i in reversed(code):
            if name in defines[i]:
                if i not in chosen:
                    chosen.add(i)
                    needed |= free_names(_text(cells[i]))
                break
    return sorted(chosen)


# --- the master notebook otter assign reads --------------------------------------------------------


def _raw(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_raw_cell(text)


def _test_cell(number: int, source: str) -> nbformat.NotebookNode:
    body = textwrap.indent(f"exec(compile({source!r}, 'check {number}', 'exec'), env)", "    ")
    return nbformat.v4.new_code_cell(
        f'""" # BEGIN TEST CONFIG\npoints: 1\nhidden: true\n""" # END TEST CONFIG\ndef check_{number}(env):\n{body}\n')


def master(page: str, cells: list[dict]) -> nbformat.NotebookNode:
    """The otter-assign master notebook of a page (its questions, set-up, solutions and tests)."""
    asked = questions(cells)
    reads = set().union(*(q.reads for q in asked))
    name = Path(page).name
    config = {
        "name": name, "init_cell": False, "check_all_cell": False, "export_cell": False,
        "run_tests": False, "generate": {"show_stdout": True}, "tests": {"ok_format": False},
        "requirements": "requirements.txt", "overwrite_requirements": True,
    }
    title = next((line[2:] for c in cells if c["cell_type"] == "markdown"
                  for line in _text(c).splitlines() if line.startswith("# ")), name)
    out = [
        _raw("# ASSIGNMENT CONFIG\n" + json.dumps(config, indent=1)),
        nbformat.v4.new_markdown_cell(
            f"# Assignment: {title}\n\nThe exercises of the page *{title}*. Run the set-up cells first; "
            "answer each question in the cell below it, then run its check. The public check says "
            "whether the names it needs are defined; the grader's hidden checks test the answer."),
    ]
    out.append(nbformat.v4.new_code_cell(GRADER_CELL.format(name=name), metadata={"tags": ["setup"]}))
    for i in setup_cells(cells, reads):
        cell = cells[i]
        out.append(nbformat.v4.new_code_cell(_text(cell), metadata={"tags": ["setup"]}))
    for q in asked:
        out.append(_raw(f"# BEGIN QUESTION\nname: {q.name}\npoints: {q.points}" + ("\nmanual: true" if q.written else "")))
        out.append(nbformat.v4.new_markdown_cell(q.statement))
        if q.written:
            out += [_raw("# BEGIN SOLUTION"), nbformat.v4.new_markdown_cell(q.answer_md or "(see the book)"),
                    _raw("# END SOLUTION"), _raw("# END QUESTION")]
            continue
        prompt = q.skeleton or "..."
        out += [
            _raw("# BEGIN SOLUTION"),
            nbformat.v4.new_code_cell(
                f'""" # BEGIN PROMPT\n{prompt}\n""" # END PROMPT\n# BEGIN SOLUTION NO PROMPT\n{q.solution}\n# END SOLUTION'),
            _raw("# END SOLUTION"),
            _raw("# BEGIN TESTS"),
        ]
        public = sorted(set(re.findall(r"^(?:class |def )?(\w+)", q.skeleton, re.M)) - {"..."})
        out.append(nbformat.v4.new_code_cell(
            '""" # BEGIN TEST CONFIG\npoints: 0\nhidden: false\n""" # END TEST CONFIG\n'
            f"def answer_defines_what_the_checks_read(env):\n"
            f"    missing = [n for n in {public!r} if env.get(n, ...) is ...]\n"
            "    assert not missing, f'define {missing} (see the skeleton)'\n"))
        out += [_test_cell(n, t) for n, t in enumerate(q.tests, 1)]
        out += [_raw("# END TESTS"), _raw("# END QUESTION")]
    kernel = {"display_name": "Python 3", "language": "python", "name": "python3"}
    return nbformat.v4.new_notebook(cells=out, metadata={"kernelspec": kernel})


def pages() -> list[str]:
    """The chapter pages with at least one code exercise, in reading order."""
    found = []
    for page in book_pages.toc_files():
        path = ROOT / f"{page}.ipynb"
        if path.is_file():
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            if any(not q.written for q in questions(cells)):
                found.append(page)
    return found


def build(out: Path = OUT, only: list[str] | None = None) -> dict[str, Path]:
    """Write one assignment per page to ``out`` (each replaced if it exists); the folder of each."""
    out = Path(out)
    written = {}
    for page in only or pages():
        name = Path(page).name
        cells = json.loads((ROOT / f"{page}.ipynb").read_text(encoding="utf-8"))["cells"]
        folder = out / name
        shutil.rmtree(folder, ignore_errors=True)
        (folder / "source").mkdir(parents=True)
        nbformat.write(master(page, cells), folder / "source" / f"{name}.ipynb")
        (folder / "source" / "requirements.txt").write_text("dltips\n", encoding="utf-8")
        done = subprocess.run([str(Path(sys.executable).parent / "otter"), "assign", "--no-pdfs", "--no-run-tests",
                               f"{name}.ipynb", str((folder / "dist").resolve())],
                              cwd=folder / "source", capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"otter assign failed for {page}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        written[page] = folder / "dist"
    return written


def autograder_zip(folder: Path) -> Path:
    """The autograder zip file ``otter assign`` wrote in an assignment's ``dist`` folder."""
    (found,) = sorted((Path(folder) / "autograder").glob("*.zip"))
    return found


BIBLIOGRAPHY = slides.read_bibliography()
TITLES = slides.book_headings()


def main(argv: list[str] | None = None) -> int:
    """Build the assignments into the folder given on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, nargs="?", default=OUT, help="folder to write to (default: %(default)s)")
    args = parser.parse_args(argv)
    for page, folder in build(args.out).items():
        cells = json.loads((ROOT / f"{page}.ipynb").read_text(encoding="utf-8"))["cells"]
        asked = questions(cells)
        code = [q for q in asked if not q.written]
        print(f"{folder}: {len(code)} code questions ({sum(q.points for q in code)} points), "
              f"{len(asked) - len(code)} written ({sum(q.points for q in asked if q.written)} points)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
