# StatDesk: `make run` starts the app on the demo state, `make test` runs every test.
#
#   make install   create .venv and install StatDesk with the pinned versions (constraints.txt)
#   make run       install, build the demo state if data/demo is empty, serve on :8501 (PORT=...)
#   make test      install, then run the whole test suite (ARGS="tests/e2e -q" to narrow it)
#   make demo      build the demo state into data/demo
#   make lint      ruff and mypy
#   make bench     the benchmarks in benchmarks/
#   make clean     remove .venv and data/demo

# The first Python 3.11 or newer on PATH (or: make PY=/path/to/python3.11 ...).
ifeq ($(origin PY), undefined)
PY := $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	2>/dev/null && { echo $$p; break; }; done)
endif
PORT ?= 8501
ARGS ?=
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)

.PHONY: install run demo test lint bench clean

$(STAMP): pyproject.toml constraints.txt
	@test -n "$(PY)" || { echo "StatDesk needs Python 3.11 or newer: install python3.11 (or newer)" \
		"or run 'make PY=/path/to/python3.11 ...'." >&2; exit 1; }
	$(PY) -c 'import sys; assert sys.version_info >= (3, 11), "StatDesk needs Python 3.11 or newer"'
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/statdesk demo

run: $(STAMP)
	$(BIN)/statdesk run --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check metrics dashboard tests benchmarks
	$(BIN)/mypy

bench: $(STAMP)
	@set -e; for f in benchmarks/*.py; do echo "+ $(BIN)/python $$f"; $(BIN)/python $$f; done

clean:
	rm -rf $(VENV) data/demo
