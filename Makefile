# Two commands on a fresh machine: `make book` builds the book, `make test` runs every test.
# Both create .venv and install the project with its extras the first time; `make test` first
# installs what the browser test needs (Debian's chromium, a local MathJax) when it is missing,
# and where it cannot (no apt-get, no root), stops at once and points at `make test-no-browser`.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
JB_BUILD := $(BIN)/jupyter-book build . -W -n --keep-going

# Use the MNIST copy beside the checkout when there is one (no download needed).
SHARED_MNIST := $(abspath ../shared/data/mnist.npz)
ifeq ($(origin DLTIPS_MNIST), undefined)
ifneq ($(wildcard $(SHARED_MNIST)),)
export DLTIPS_MNIST := $(SHARED_MNIST)
endif
endif
export TF_CPP_MIN_LOG_LEVEL ?= 3
# The notebook tests and the book build execute notebooks with nobody watching: no progress bars
# in their outputs (dltips.runtime.progress_enabled). The unit tests keep them (some check them),
# and a reader running a notebook in Jupyter still sees them.
NO_BARS := DLTIPS_PROGRESS=0

# No step accepts pytest's exit status 5 ("no tests collected"): every step has tests to find,
# so finding none means a wrong path or a folder that moved (tests/test_makefile.py checks this).
PYTEST = $(BIN)/pytest
TESTS ?= tests
NOTEBOOKS ?= chapters/
# The decks are published with the book, under slides/.
SLIDES := _build/html/slides

.PHONY: install browser-deps check lint doctest unit student slides assignments grade test test-no-browser test-notebooks book test-book-html bench strip clean help

help:
	@echo "make book            build the book into _build/html, executing the notebooks (or reusing their"
	@echo "                     cached execution) outside the repository, in a fresh environment with only the wheel"
	@echo "make test            unit tests, the book build with every notebook executed afresh and warnings"
	@echo "                     as errors, then the rendered book in headless Chromium and a link check"
	@echo "make test-notebooks  notebooks under nbval, outside the repository (NOTEBOOKS=chapters/03_algorithms/)"
	@echo "make test-no-browser all of \`make test\` but the browser step (no Chromium needed)"
	@echo "make check           lint, doctests and unit tests (fast development loop)"
	@echo "make test-book-html  only the browser and link tests, on the HTML already in _build/html"
	@echo "make browser-deps    install Chromium (Debian package), a local MathJax and reveal.js for the browser test"
	@echo "make bench           run the benchmarks; records them in companion/dltips/recordings/ (about an hour)"
	@echo "make slides          a reveal.js deck per section page of chapter 3, in _build/html/slides (after make book)"
	@echo "make assignments     the exercises as otter-grader assignments, one per page, in _build/assignments"
	@echo "make grade           grade a folder: make grade ASSIGNMENT=schedules SUBMISSIONS=folder"
	@echo "make student         the student edition (exercises, no solutions) in _build/student-edition"
	@echo "make strip           remove outputs and execution counts from the notebooks"

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[book,test,browser,teach]"
	touch $@

install: $(VENV)/.installed

browser-deps:
	.ci/browser-deps

# The fast development loop: lint, the package's docstring examples, the unit tests.
check: lint doctest unit

# ruff: pyflakes, pycodestyle, import order, docstrings of public names ([tool.ruff] in pyproject.toml).
lint: install
	$(BIN)/ruff check .

# Every docstring example of the package runs (a `# doctest: +SKIP` says why it cannot).
doctest: install
	$(PYTEST) --doctest-modules -p no:cacheprovider companion/dltips

# Unit tests: everything except the tests of the built book (marker `book`).
unit: install
	$(PYTEST) $(TESTS) -m "not book"

# Notebooks under nbval, as a reader runs them (a quick check of a few; `make test` executes them all
# in the book build, the same way): tools/run_outside.py builds the wheel, installs it in a fresh
# virtual environment (the wheel's declared dependencies come from an environment cached under
# DLTIPS_ENV_CACHE, default ~/.cache/dltips/envs, created once per set of dependencies), copies
# each notebook into an empty folder outside the repository, and runs pytest there with nothing
# of the checkout on the path. A notebook that reads a file of the checkout, or a file the wheel
# does not carry, fails here.
test-notebooks: install
	$(NO_BARS) $(PY) tools/run_outside.py pytest --nbval-lax --nbval-current-env -p no:cacheprovider $(NOTEBOOKS)

# The rendered book in headless Chromium, the internal link check and the API page's coverage.
# Reuses _build/html (in `make test`, the book just built); builds it if it is missing.
test-book-html: install browser-deps
	$(PYTEST) tests/test_book_html.py tests/test_numbers.py -m book

# In this order: the browser test's dependencies (first, so that a machine that cannot install
# them stops before the long steps), unit tests, the book (-W -n) with every notebook executed
# afresh, outside the repository and from the wheel (one execution is both the notebooks' test
# and the build), the rendered book. `make test-no-browser` runs all but the browser step.
test: browser-deps test-no-browser test-book-html

test-no-browser: check book
# For `make test` the book executes every notebook again: a cached execution could hide a change
# of the package that breaks a notebook whose code did not change.
test-no-browser: FRESH := 1

# The book, then the slide decks of its section pages from the same execution (tools/slides.py).
# tools/run_outside.py runs the build with a fresh environment holding only the wheel as the
# notebooks' kernel, and _config.yml executes each notebook in a temporary folder: a notebook that
# fails, reads a file of the checkout or needs something the wheel does not carry fails the build.
book: install
	$(if $(FRESH),rm -rf _build/.jupyter_cache)
	$(NO_BARS) $(PY) tools/run_outside.py --kernel $(JB_BUILD)$(if $(FRESH), --all)
	$(PY) tools/slides.py $(SLIDES)

# The exercises as otter-grader assignments, one per page with code exercises (tools/assignments.py),
# and the grading of a folder of submitted notebooks with otter's own grader (tools/grade.py):
#   make grade ASSIGNMENT=schedules SUBMISSIONS=path/to/folder
ASSIGNMENTS := _build/assignments
assignments: install
	$(PY) tools/assignments.py $(ASSIGNMENTS)

grade: install
	$(PY) tools/grade.py "$(ASSIGNMENTS)/$(ASSIGNMENT)/dist" "$(SUBMISSIONS)"

# The slide decks alone, from the execution cache of the last `make book`.
slides: install
	$(PY) tools/slides.py $(SLIDES)

bench: install
	$(PY) -m benchmarks

# The student edition: the book's sources with every exercise and no solution (tools/student_edition.py).
student: install
	$(PY) tools/student_edition.py _build/student-edition

strip: install
	$(BIN)/jupyter nbconvert --clear-output --inplace --log-level=WARN chapters/*.ipynb chapters/*/*.ipynb

clean:
	rm -rf _build .pytest_cache test-artifacts
