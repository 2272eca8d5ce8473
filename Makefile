# StatDesk: `make run` starts the app on the demo state, `make test` runs every test.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)

.PHONY: install run demo test lint bench clean

$(STAMP): pyproject.toml constraints.txt
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
	$(BIN)/statdesk run --port 8501

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check metrics dashboard tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) data/demo
