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

# No step accepts pytest's exit status 5 ("no tests collected"): every step has tests to find,
# so finding none means a wrong path or a folder that moved (tests/test_makefile.py checks this).
PYTEST = $(BIN)/pytest
TESTS ?= tests
NOTEBOOKS ?= chapters/

.PHONY: install browser-deps check lint doctest unit test test-no-browser test-notebooks book test-book-html bench strip clean help

help:
	@echo "make book            build the book (executes the notebooks) into _build/html"
	@echo "make test            unit tests, every notebook under nbval, the book build with warnings"
	@echo "                     as errors, then the rendered book in headless Chromium and a link check"
	@echo "make test-no-browser all of \`make test\` but the browser step (no Chromium needed)"
	@echo "make check           lint, doctests and unit tests (fast development loop)"
	@echo "make test-book-html  only the browser and link tests, on the HTML already in _build/html"
	@echo "make browser-deps    install Chromium (Debian package) and a local MathJax for the browser test"
	@echo "make bench           run the benchmarks; writes benchmarks/results/latest.json (about 45 min)"
	@echo "make strip           remove outputs and execution counts from the notebooks"

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[book,test,browser]"
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

test-notebooks: install
	$(PYTEST) --nbval-lax --nbval-current-env -p no:cacheprovider $(NOTEBOOKS)

# The rendered book in headless Chromium, the internal link check and the API page's coverage.
# Reuses _build/html (in `make test`, the book just built); builds it if it is missing.
test-book-html: install browser-deps
	$(PYTEST) tests/test_book_html.py -m book

# In this order: the browser test's dependencies (first, so that a machine that cannot install
# them stops before the long steps), unit tests, notebooks under nbval, the book (-W -n), the
# rendered book. `make test-no-browser` runs all but the browser step.
test: browser-deps test-no-browser test-book-html

test-no-browser: check test-notebooks book

book: install
	$(JB_BUILD)

bench: install
	$(PY) -m benchmarks

strip: install
	$(BIN)/jupyter nbconvert --clear-output --inplace --log-level=WARN chapters/*.ipynb

clean:
	rm -rf _build .pytest_cache test-artifacts
