# Two commands on a fresh machine: `make book` builds the book, `make test` runs every test.
# Both create .venv and install the project with its extras the first time.

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

.PHONY: install check test test-notebooks book strip clean help

help:
	@echo "make book   build the book (executes the notebooks) into _build/html"
	@echo "make test   unit tests, every notebook under nbval, and the book build with warnings as errors"
	@echo "make check  unit tests only (fast development loop)"
	@echo "make strip  remove outputs and execution counts from the notebooks"

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[book,test]"
	touch $@

install: $(VENV)/.installed

check: install
	$(PYTEST) tests $(OK_IF_EMPTY)

test-notebooks: install
	$(PYTEST) --nbval-lax --nbval-current-env -p no:cacheprovider chapters/ $(OK_IF_EMPTY)

test: check test-notebooks book

book: install
	$(JB_BUILD)

strip: install
	$(BIN)/jupyter nbconvert --clear-output --inplace --log-level=WARN chapters/*.ipynb

clean:
	rm -rf _build .pytest_cache
