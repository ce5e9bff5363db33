"""The book's structure: every chapter in _toc.yml exists, imports dltips, and is stored without outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = [
    ("01_background", "背景介绍"),
    ("02_core_concepts", "核心概念与联系"),
    ("03_algorithms", "核心算法原理和具体操作步骤以及数学模型公式详细讲解"),
    ("04_code_examples", "具体代码实例和详细解释说明"),
    ("05_future_trends", "未来发展趋势与挑战"),
    ("06_faq", "附录常见问题与解答"),
]


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [entry["file"] for entry in part["chapters"]]
    return files


def _notebook(stem: str) -> dict:
    return json.loads((ROOT / "chapters" / f"{stem}.ipynb").read_text(encoding="utf-8"))


def test_toc_lists_the_six_chapters_in_order():
    # The six numbered chapters, in order; back-matter pages (performance, API, ...) may follow.
    chapters = [f for f in _toc_files() if Path(f).name[:2].isdigit()]
    assert chapters == [f"chapters/{stem}" for stem, _ in CHAPTERS]
    for f in _toc_files():
        assert (ROOT / f"{f}.ipynb").exists() or (ROOT / f"{f}.md").exists(), f"{f} in _toc.yml does not exist"


@pytest.mark.parametrize(("stem", "heading"), CHAPTERS)
def test_chapter_has_title_original_heading_and_imports_dltips(stem, heading):
    nb = _notebook(stem)
    first = "".join(nb["cells"][0]["source"])
    assert nb["cells"][0]["cell_type"] == "markdown" and first.startswith("# ")
    assert heading in first, f"{stem} must show its original heading {heading!r} under the title"
    code = [("".join(c["source"])) for c in nb["cells"] if c["cell_type"] == "code"]
    # The first code cell installs dltips where it is missing (tests/test_install_cell.py); the set-up follows.
    assert len(code) > 1 and "DLTIPS_INSTALL" in code[0], f"{stem}: the first code cell must be the install cell"
    assert "import dltips" in code[1], f"{stem}: the set-up cell after it must import dltips"
    assert "dltips.configure(seed=" in code[1], f"{stem}: the set-up cell must seed the run"


@pytest.mark.parametrize("stem", sorted(p.stem for p in (ROOT / "chapters").glob("*.ipynb")))
def test_notebook_is_stored_without_outputs(stem):
    nb = _notebook(stem)
    dirty = [i for i, c in enumerate(nb["cells"])
             if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, f"{stem}: cells {dirty} hold outputs or execution counts; run `make strip`"


@pytest.mark.parametrize("stem", [stem for stem, _ in CHAPTERS])
def test_code_fits_the_page_column(stem):
    # The rendered book's code column holds about 80 characters; longer lines scroll sideways.
    long = [(i, line) for i, c in enumerate(_notebook(stem)["cells"]) if c["cell_type"] == "code"
            for line in "".join(c["source"]).splitlines() if len(line) > 80]
    assert not long, f"{stem}: code lines longer than 80 characters: {long[:5]}"


@pytest.mark.parametrize("stem", [stem for stem, _ in CHAPTERS])
def test_chapter_ends_with_its_key_points(stem):
    headings = [line for c in _notebook(stem)["cells"] if c["cell_type"] == "markdown"
                for line in "".join(c["source"]).splitlines() if line.startswith("## ")]
    assert headings and headings[-1] == "## Key points", f"{stem}: the last section must be its Key points"
