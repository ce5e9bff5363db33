"""The rendered book as a reader gets it: every page in headless Chromium, internal links, reader features.

The tests marked ``book`` need the built HTML (``_build/html``). `make test` builds it just
before running them; run alone, the ``built_html`` fixture builds it when it is missing.
Chromium comes from Debian's ``chromium`` package and is driven by Playwright
(``executable_path``: Playwright never downloads a browser of its own). The test machines
have no internet: MathJax's CDN address is answered from a local copy of the ``mathjax@3``
npm package, and reveal.js's (the slide decks') from one of ``reveal.js@4.0.2`` (`make
browser-deps` fetches both); every other outside address is refused, and a page that asks for
one fails.

Screenshots of every page go to ``test-artifacts/screenshots/`` (ignored by git).
"""

from __future__ import annotations

import functools
import http.server
import importlib
import importlib.util
import json
import mimetypes
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import book_pages  # noqa: E402

HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = Path(os.environ.get("DLTIPS_CHROMIUM", "/usr/bin/chromium"))
MATHJAX = Path(os.environ.get("DLTIPS_MATHJAX", ROOT / ".vendor" / "mathjax" / "es5"))
MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/"
# The slide decks load reveal.js from nbconvert's default address, answered from .vendor/reveal.js.
REVEAL = Path(os.environ.get("DLTIPS_REVEAL", ROOT / ".vendor" / "reveal.js"))
REVEAL_CDN = "https://unpkg.com/reveal.js@4.0.2/"  # tools/slides.py's REVEAL_URL (a test checks)
# Without the background-networking flags Chromium keeps calling Google services,
# which a closed network answers with nothing but delays.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))


def toc_pages() -> list[str]:
    """The pages of _toc.yml in reading order (sections after their chapter), as paths of the built HTML."""
    return [f"{f}.html" for f in book_pages.toc_files()]


def is_notebook(page: str) -> bool:
    return (ROOT / page).with_suffix(".ipynb").exists()


PAGES = toc_pages()
NOTEBOOK_PAGES = [p for p in PAGES if is_notebook(p)]


# --- configuration (no build needed) ---------------------------------------------------------


def _nitpick_patterns() -> list[tuple[str, str]]:
    return [tuple(entry) for entry in CONFIG["sphinx"]["config"]["nitpick_ignore_regex"]]


@pytest.mark.parametrize(
    "target", ["dltips.data.load_mnist", "dltips.models.mlp", "dltips.experiments.RunOptions", "dltips.nonexistent", "NoSuchName"]
)
def test_nitpick_exceptions_never_hide_a_broken_reference_to_dltips(target):
    hidden = [p for kind, p in _nitpick_patterns() if re.fullmatch(kind, "py:class") and re.fullmatch(p, target)]
    assert not hidden, f"nitpick_ignore_regex would hide a broken reference to {target}: {hidden}"


@pytest.mark.parametrize(
    "target", ["numpy.ndarray", "keras.Model", "tf.data.Dataset", "matplotlib.figure.Figure", "collections.abc.Sequence"]
)
def test_nitpick_exceptions_cover_third_party_types(target):
    assert any(re.fullmatch(p, target) for _, p in _nitpick_patterns())


def test_launch_buttons_and_repository_come_from_one_address():
    url = CONFIG["repository"]["url"]
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url), "repository.url must be a GitHub repository address"
    assert CONFIG["launch_buttons"]["binderhub_url"] and CONFIG["launch_buttons"]["colab_url"]
    owner, repo = url.rsplit("/", 2)[-2:]
    assert CONFIG["html"]["baseurl"] == f"https://{owner}.github.io/{repo}/", "baseurl must be the GitHub Pages address of repository.url"


# --- the built HTML ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def built_html() -> Path:
    """The book's HTML: reused when `_build/html` exists (as in `make test`), else built now."""
    if not (HTML / "index.html").is_file():
        jupyter_book = Path(sys.executable).parent / "jupyter-book"
        if not jupyter_book.is_file():
            pytest.fail("no built book in _build/html and no jupyter-book to build it: run `make book` first")
        print("\n_build/html is missing: building the book (executes every notebook; `make book` does the same)", flush=True)
        quiet = {**os.environ, "DLTIPS_PROGRESS": "0"}  # no progress bars in the pages, as `make book`
        done = subprocess.run([str(jupyter_book), "build", str(ROOT), "-W", "-n", "--keep-going"], cwd=ROOT, env=quiet)
        if done.returncode != 0 or not (HTML / "index.html").is_file():
            pytest.fail("the book build failed; run `make book` to see why")
    return HTML


class _PageIndex(HTMLParser):
    """The ids of a page and the addresses it refers to (links, images, scripts, styles)."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if values.get(key):
                self.ids.add(values[key])
        for key in ("href", "src"):
            if values.get(key) and tag in ("a", "img", "link", "script", "iframe", "source"):
                self.refs.append((tag, values[key]))


@functools.cache
def _index(path: Path) -> _PageIndex:
    parser = _PageIndex()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return parser


@pytest.mark.book
def test_internal_links_and_anchors_resolve(built_html):
    pages = sorted(p for p in built_html.rglob("*.html") if "_static" not in p.parts and "_sources" not in p.parts)
    assert len(pages) >= len(PAGES)
    broken = []
    for page in pages:
        for tag, ref in _index(page).refs:
            parts = urlsplit(ref)
            if parts.scheme or parts.netloc or ref.startswith(("mailto:", "javascript:", "data:")):
                continue
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            where = f"{page.relative_to(built_html)}: <{tag}> {ref}"
            if not target.is_file():
                broken.append(f"{where} (no such file)")
            elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in _index(target).ids:
                broken.append(f"{where} (no anchor #{parts.fragment})")
    assert not broken, f"{len(broken)} broken internal links:\n" + "\n".join(broken[:40])


#: A progress bar's frame as tqdm draws it ("regularizers:  50%|█████     | 3/6 [00:04<00:04, 1.3run/s]").
PROGRESS_FRAGMENT = re.compile(r"\d{1,3}%\|[^|\n]{0,80}\|\s*\d+/\d+|\[\d\d:\d\d<")


def test_the_progress_fragment_pattern_finds_tqdm_frames_and_nothing_else():
    assert PROGRESS_FRAGMENT.search("regularizers:   0%|          | 0/6 [00:00<?, ?run/s]")
    assert PROGRESS_FRAGMENT.search("teacher: 100%|██████████| 30/30 [00:12<00:00,  2.41epoch/s]")
    assert not PROGRESS_FRAGMENT.search("accuracy 97.3% | L2 | 0.62 of the norm, 3/4 of the runs")


@pytest.mark.book
@pytest.mark.parametrize("page", PAGES)
def test_no_rendered_page_shows_a_progress_bar(page, built_html):
    text = (built_html / page).read_text(encoding="utf-8")
    found = PROGRESS_FRAGMENT.findall(text)
    assert not found, f"{page} shows progress-bar fragments (set DLTIPS_PROGRESS=0 when building): {found[:3]}"


def _article(html: str) -> str:
    """The page's article (the reader's text, without the navigation and the logo)."""
    start = html.index('<article class="bd-article"')
    return html[start:html.index("</article>", start)]


@pytest.mark.book
@pytest.mark.parametrize("page", [p for p in PAGES if p.startswith("chapters/03_algorithms")])
def test_every_image_of_chapter_3_is_a_numbered_figure(page, built_html):
    article = _article((built_html / page).read_text(encoding="utf-8"))
    figures = re.findall(r"<figure\b.*?</figure>", article, flags=re.S)
    loose = re.sub(r"<figure\b.*?</figure>", "", article, flags=re.S).count("<img")
    unnumbered = [f for f in figures if "<img" in f and 'class="caption-number"' not in f]
    without_alt = [f for f in figures if re.search(r"<img(?![^>]*\balt=\"[^\"]+\")[^>]*>", f)]
    assert loose == 0, f"{page}: {loose} images outside a figure"
    assert not unnumbered, f"{page}: {len(unnumbered)} figures without a number"
    assert not without_alt, f"{page}: {len(without_alt)} figures whose image has no alt text"


def _public_members(module):
    """The same list of public names the API page's directive documents."""
    spec = importlib.util.spec_from_file_location("dltips_api", ROOT / "docs" / "sphinxext" / "dltips_api.py")
    extension = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(extension)
    return extension.public_members(module)


def _api_entries() -> list[str]:
    text = (ROOT / "chapters" / "api.md").read_text(encoding="utf-8")
    block = text.split(".. dltips-api::", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.splitlines() if line.strip()]


def test_api_page_covers_every_module_of_the_package():
    import pkgutil

    import dltips

    entries = set(_api_entries())
    uncovered = []
    for info in pkgutil.walk_packages(dltips.__path__, "dltips."):
        name = info.name
        if any(part.startswith("_") for part in name.split(".")):
            continue  # private modules and __main__
        parent = name.rpartition(".")[0]
        # A technique package documents the names of its modules (they load lazily, so ask it).
        if name in entries or (parent in entries and parent != "dltips" and set(
                importlib.import_module(name).__all__) <= set(importlib.import_module(parent).__all__)):
            continue
        uncovered.append(name)
    assert not uncovered, f"chapters/api.md documents neither these modules nor their package: {uncovered}"


@pytest.mark.book
def test_api_reference_lists_every_public_name(built_html):
    ids = _index(built_html / "chapters" / "api.html").ids
    missing = []
    for name in _api_entries():
        module = importlib.import_module(name)
        if f"module-{name}" not in ids:
            missing.append(f"module {name}")
        missing += [f"{name}.{member}" for member, obj in _public_members(module)
                    if not isinstance(obj, str) and f"{name}.{member}" not in ids]
    assert not missing, "the API reference lacks: " + ", ".join(missing)


# --- the browser ------------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="session")
def book_url(built_html) -> Iterator[str]:
    """Serve the built book on a free local port for the session; stopped afterwards."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(built_html)))
    thread = threading.Thread(target=server.serve_forever, name="book-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.is_file():
        pytest.fail(f"no Chromium at {CHROMIUM}: run `make browser-deps` (installs Debian's chromium package)")
    if not (MATHJAX / "tex-mml-chtml.js").is_file():
        pytest.fail(f"no local MathJax at {MATHJAX}: run `make browser-deps` (fetches the mathjax@3 npm package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


class PageVisit:
    """One page opened in a fresh browser context, with what went wrong while it loaded."""

    def __init__(self, browser, base_url: str) -> None:
        self.base_url = base_url
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.on("console", lambda msg: msg.type == "error" and self.errors.append(f"console: {msg.text}"))
        self.page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        self.page.route("**/*", self._route)

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(self.base_url):
            route.continue_()
        elif url.startswith((MATHJAX_CDN, REVEAL_CDN)):
            if url.startswith(MATHJAX_CDN):
                local = MATHJAX / urlsplit(url).path.split("/es5/", 1)[1]
            else:
                local = REVEAL / url[len(REVEAL_CDN):].split("?", 1)[0]
            if local.is_file():
                mime = mimetypes.guess_type(local.name)[0] or "application/octet-stream"
                route.fulfill(path=str(local), content_type=mime)
            else:
                self.outside.append(url)
                route.abort()
        else:
            self.outside.append(url)
            route.abort()

    def open(self, path: str) -> None:
        self.page.goto(urljoin(self.base_url, path), wait_until="networkidle")
        # MathJax typesets after load; wait for it where the page loaded it.
        self.page.evaluate("() => window.MathJax?.startup?.promise ?? null")
        self.page.wait_for_load_state("networkidle")

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def visit(browser, book_url) -> Iterator[PageVisit]:
    opened = PageVisit(browser, book_url)
    try:
        yield opened
    finally:
        opened.close()


def _executed_cells_with_output(page: str) -> int:
    """Code cells with outputs in the executed notebook, as the build's execution cache holds it."""
    from jupyter_cache import get_cache

    try:
        _, nb = get_cache(ROOT / "_build" / ".jupyter_cache").merge_match_into_file(ROOT / Path(page).with_suffix(".ipynb"))
    except KeyError:
        pytest.fail(f"{page}: the notebook changed since the book was built; run `make book` again")
    hidden = {"remove-output", "remove-cell", "hide-output"}
    return sum(
        1 for cell in nb.cells
        if cell.cell_type == "code" and cell.get("outputs") and not hidden & set(cell.get("metadata", {}).get("tags", []))
    )


# Text of the article with code, scripts and typeset math removed: raw TeX left there was not typeset.
_RAW_TEXT_JS = """() => {
  const article = document.querySelector('article.bd-article').cloneNode(true);
  article.querySelectorAll('pre, code, script, style, mjx-container, .cell_input').forEach(e => e.remove());
  return article.textContent;
}"""


@pytest.mark.book
@pytest.mark.parametrize("page", PAGES)
def test_page_in_browser(page, visit, built_html):
    visit.open(page)
    p = visit.page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    p.screenshot(path=str(SCREENSHOTS / f"{Path(page).stem}.png"), full_page=True)

    assert not visit.outside, f"{page} asked for addresses outside the book: {visit.outside}"
    assert not visit.errors, f"{page} logged JavaScript errors: {visit.errors}"

    images = p.evaluate(
        """async () => {
      const imgs = Array.from(document.images);
      imgs.forEach(i => { i.loading = 'eager'; });
      await Promise.all(imgs.map(i => i.decode().catch(() => null)));
      return imgs.map(i => ({src: i.getAttribute('src'), width: i.naturalWidth}));
    }"""
    )
    assert images, f"{page} shows no image at all (the logo is missing)"
    assert not [i["src"] for i in images if i["width"] == 0], f"{page}: images that did not load"

    math = p.evaluate("() => Array.from(document.querySelectorAll('.math')).map(e => !!e.querySelector('mjx-container'))")
    assert all(math), f"{page}: {math.count(False)} of {len(math)} formulas were not typeset by MathJax"
    raw = re.findall(r"\$\$|\\\(|\\\[|\\begin\{", p.evaluate(_RAW_TEXT_JS))
    assert not raw, f"{page} shows raw TeX delimiters {raw}"

    # Figures are numbered and captioned (a notebook cell makes one with `mystnb: figure: caption/name` metadata).
    uncaptioned = p.evaluate(
        "() => Array.from(document.querySelectorAll('article figure')).filter(f => !f.querySelector('figcaption .caption-number')).length"
    )
    assert uncaptioned == 0, f"{page}: {uncaptioned} figures without a numbered caption"

    nav = p.evaluate("() => Array.from(document.querySelectorAll('nav.bd-docs-nav a.reference')).map(a => a.href)")
    listed = [urlsplit(href).path.lstrip("/") for href in nav]
    assert listed == PAGES, f"{page}: the left navigation lists {listed}, _toc.yml has {PAGES}"
    for href in dict.fromkeys(nav):
        assert p.request.get(href).status == 200, f"{page}: navigation link {href} does not resolve"

    if is_notebook(page):
        expected = _executed_cells_with_output(page)
        shown = p.evaluate(
            """() => Array.from(document.querySelectorAll('div.cell div.cell_output'))
                 .filter(o => o.children.length > 0 && o.getBoundingClientRect().height > 0).length"""
        )
        assert shown == expected, f"{page}: {expected} executed cells have outputs, the page shows {shown}"
        assert p.locator(".cell_output .output.traceback, .cell_output .output.error").count() == 0
        assert p.locator("button.copybtn").count() >= p.locator("div.cell_input").count() > 0, f"{page}: code cells lack copy buttons"


@pytest.mark.book
@pytest.mark.parametrize("page", NOTEBOOK_PAGES[:1])
def test_reader_buttons_download_and_launch(page, visit, built_html):
    visit.open(page)
    p = visit.page
    notebook = Path(page).with_suffix(".ipynb").as_posix()
    download = p.locator(".dropdown-download-buttons a.btn-download-source-button").get_attribute("href")
    assert download.endswith(notebook)
    assert p.request.get(urljoin(p.url, download)).status == 200, "the .ipynb download link must resolve"
    owner_repo = urlsplit(CONFIG["repository"]["url"]).path.strip("/")
    launch = p.eval_on_selector_all(".dropdown-launch-buttons a", "links => links.map(a => a.href)")
    branch = CONFIG["repository"]["branch"]
    assert f"https://mybinder.org/v2/gh/{owner_repo}/{branch}?urlpath=tree/{notebook}" in launch
    assert f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/{notebook}" in launch
    favicon = p.locator("link[rel='icon']").get_attribute("href")
    assert p.request.get(urljoin(p.url, favicon)).status == 200


@pytest.mark.book
def test_search_page_finds_a_chapter(visit, built_html):
    visit.open("search.html?q=regularization")
    results = visit.page.locator("#search-results ul.search li")
    results.first.wait_for(timeout=20_000)
    hrefs = visit.page.eval_on_selector_all("#search-results ul.search li a", "links => links.map(a => a.href)")
    assert any("chapters/" in h for h in hrefs), hrefs
    assert not visit.errors and not visit.outside


@pytest.mark.book
def test_an_exercise_solution_opens_and_closes(visit, built_html):
    """A solution is hidden until the reader opens it, and hides again when closed (sphinx-exercise + togglebutton)."""
    page = next(p for p in NOTEBOOK_PAGES if "solution" in (built_html / p).read_text(encoding="utf-8"))
    visit.open(page)
    p = visit.page
    solution = p.locator("div.solution.dropdown").first
    body = solution.locator(".solution-content, section").first
    solution.scroll_into_view_if_needed()
    assert body.is_hidden(), "a solution must be hidden until the reader opens it"
    solution.locator(".toggle-button, button").first.click()
    body.wait_for(state="visible")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    solution.screenshot(path=str(SCREENSHOTS / "exercise-solution-open.png"))
    solution.locator(".toggle-button, button").first.click()
    body.wait_for(state="hidden")
    assert not visit.errors, visit.errors


# --- the slide decks (tools/slides.py, written by `make book` under _build/html/slides) -------


def _deck_pages() -> list[str]:
    sys.path.insert(0, str(ROOT / "tools"))
    import slides

    return slides.section_pages()


@pytest.mark.book
@pytest.mark.parametrize("page", _deck_pages(), ids=lambda p: Path(p).name)
def test_slide_deck_in_browser(page, visit, built_html):
    import slides

    assert REVEAL_CDN == slides.REVEAL_URL + "/"
    deck = built_html / "slides" / f"{Path(page).name}.slides.html"
    if not deck.is_file():
        pytest.fail(f"no deck at {deck}: `make book` writes the decks (or run `make slides`)")
    if not (REVEAL / "dist" / "reveal.js").is_file():
        pytest.fail(f"no local reveal.js at {REVEAL}: run `make browser-deps` (fetches the reveal.js npm package)")
    cells = json.loads((ROOT / f"{page}.ipynb").read_text(encoding="utf-8"))["cells"]
    kinds = [slides.slide_type(c) for c in cells]
    visit.open(f"slides/{deck.name}")
    p = visit.page
    assert not visit.outside, f"the deck asked for outside addresses: {visit.outside}"
    assert not visit.errors, visit.errors
    assert p.evaluate("() => Reveal.isReady()")
    assert p.evaluate("() => Reveal.getTotalSlides()") == kinds.count("slide") + kinds.count("subslide")
    assert p.locator("mjx-container").count() > 0, "no formula was typeset"
    broken = p.evaluate("() => [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).length")
    assert broken == 0, f"{broken} images did not load"
    assert p.locator(".reveal .slides section").first.inner_text().strip(), "the first slide is empty"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    p.screenshot(path=str(SCREENSHOTS / f"slides-{Path(page).name}-1.png"))
    p.evaluate("() => Reveal.next()")
    assert p.evaluate("() => Reveal.getIndices().h + Reveal.getIndices().v") == 1, "the deck does not advance"
    p.screenshot(path=str(SCREENSHOTS / f"slides-{Path(page).name}-2.png"))
