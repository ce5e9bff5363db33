# Two commands on a fresh machine: `make book` builds the book, `make test` runs every test.
# Both create .venv and install the project with its extras the first time; `make test` also
# installs what the browser test needs (Debian's chromium, a local MathJax) when it is missing.

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

# pytest exits with 5 when it collects no tests; that is not a failure here.
PYTEST = $(BIN)/pytest
OK_IF_EMPTY = || [ $$? -eq 5 ]

.PHONY: install browser-deps check test test-notebooks book test-book-html bench strip clean help

help:
	@echo "make book            build the book (executes the notebooks) into _build/html"
	@echo "make test            unit tests, every notebook under nbval, the book build with warnings"
	@echo "                     as errors, then the rendered book in headless Chromium and a link check"
	@echo "make check           unit tests only (fast development loop)"
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

# Unit tests: everything except the tests of the built book (marker `book`).
check: install
	$(PYTEST) tests -m "not book" $(OK_IF_EMPTY)

test-notebooks: install
	$(PYTEST) --nbval-lax --nbval-current-env -p no:cacheprovider chapters/ $(OK_IF_EMPTY)

# The rendered book in headless Chromium, the internal link check and the API page's coverage.
# Reuses _build/html (in `make test`, the book just built); builds it if it is missing.
test-book-html: install browser-deps
	$(PYTEST) tests/test_book_html.py -m book

# In this order: unit tests, notebooks under nbval, the book (-W -n), the rendered book.
test: check test-notebooks book test-book-html

book: install
	$(JB_BUILD)

bench: install
	$(PY) -m benchmarks

strip: install
	$(BIN)/jupyter nbconvert --clear-output --inplace --log-level=WARN chapters/*.ipynb

clean:
	rm -rf _build .pytest_cache test-artifacts
