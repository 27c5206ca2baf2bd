PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
RUNSTAMP := $(VENV)/.installed

.PHONY: run test lint typecheck contracts pytest screenshots bench bench-dagster clean

$(RUNSTAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[polars]'
	touch $(RUNSTAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP) $(RUNSTAMP)

run: $(RUNSTAMP)
	$(BIN)/assettui sample_project

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks sample_project
	$(BIN)/ruff format --check src tests benchmarks sample_project

typecheck: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/python -m pytest

test: lint typecheck contracts pytest

screenshots: $(STAMP)
	$(BIN)/python screenshots/make_screenshots.py

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

# A side environment with Dagster from PyPI, used by `make bench` for side-by-side figures.
# dagster-webserver (for the `dagster dev` UI rows) pins dagster to its own version;
# installing both in one command makes pip pick a matching pair (the newest dagster that
# has a webserver release), downgrading dagster if a newer one has no webserver yet.
bench-dagster:
	test -d .venv-dagster || $(PYTHON) -m venv .venv-dagster
	.venv-dagster/bin/python -m pip install -q --upgrade pip
	.venv-dagster/bin/python -m pip install -q dagster dagster-webserver

clean:
	rm -rf $(VENV) .venv-dagster .mypy_cache .ruff_cache .pytest_cache
