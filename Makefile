PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
RUNSTAMP := $(VENV)/.installed
# dbt runs as a command from its own environment: dbt-core 1.11 pins pathspec<0.13, which
# the dev tools' mypy (pathspec>=1) cannot share (pip install 'assettui[dbt]' for users).
DBT_VENV := .venv-dbt
DBT_STAMP := $(DBT_VENV)/.installed

.PHONY: run test lint typecheck contracts pytest screenshots bench bench-dagster clean

$(RUNSTAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[polars,duckdb]'
	touch $(RUNSTAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP) $(RUNSTAMP)

run: $(RUNSTAMP) $(DBT_STAMP)
	ASSETTUI_DBT_EXECUTABLE=$(CURDIR)/$(DBT_VENV)/bin/dbt $(BIN)/assettui sample_project

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks sample_project
	$(BIN)/ruff format --check src tests benchmarks sample_project

typecheck: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports


$(DBT_STAMP):
	test -d $(DBT_VENV) || $(PYTHON) -m venv $(DBT_VENV)
	$(DBT_VENV)/bin/python -m pip install -q --upgrade pip
	$(DBT_VENV)/bin/python -m pip install -q 'dbt-core~=1.11.0' 'dbt-duckdb~=1.11.0'
	touch $(DBT_STAMP)

# The browser test of `assettui serve` drives Debian's Chromium (headless); without apt-get
# (or root) the install is skipped and so is that one test, saying why.
CHROMIUM := /usr/bin/chromium

$(CHROMIUM):
	-command -v apt-get >/dev/null && (DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null || (apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null))

pytest: $(STAMP) $(DBT_STAMP) $(CHROMIUM)
	ASSETTUI_DBT_EXECUTABLE=$(CURDIR)/$(DBT_VENV)/bin/dbt $(BIN)/python -m pytest -n 2 --dist loadfile

test: lint typecheck contracts pytest

screenshots: $(STAMP) $(DBT_STAMP) $(CHROMIUM)
	ASSETTUI_DBT_EXECUTABLE=$(CURDIR)/$(DBT_VENV)/bin/dbt $(BIN)/python screenshots/make_screenshots.py

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

# A side environment with Dagster from PyPI, used by `make bench` for side-by-side figures.
# dagster-webserver (for the `dagster dev` UI rows) pins dagster to its own version;
# installing both in one command makes pip pick a matching pair (the newest dagster that
# has a webserver release), downgrading dagster if a newer one has no webserver yet.
bench-dagster:
	test -d .venv-dagster || $(PYTHON) -m venv .venv-dagster
	.venv-dagster/bin/python -m pip install -q --upgrade pip
	.venv-dagster/bin/python -m pip install -q dagster dagster-webserver dagster-postgres dagster-dask 'dagster-dbt>=0.29' 'dbt-core~=1.11.0' 'dbt-duckdb~=1.11.0'

clean:
	rm -rf $(VENV) .venv-dagster $(DBT_VENV) .mypy_cache .ruff_cache .pytest_cache
