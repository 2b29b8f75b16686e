# The two commands a new user needs: `make run` and `make test`. Everything else is set up by them.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck format openapi install migrate clean fuzz bench bench-auth bench-catalogue bench-redeem bench-webhooks

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) -m api migrate

run: install
	APP_ENV=$${APP_ENV:-sandbox} RUN_WORKER=$${RUN_WORKER:-1} $(PY) -m api serve

lint: install
	$(PY) -m ruff check api domain tests bench examples
	$(PY) -m ruff format --check api domain tests bench examples
	$(PY) -m mypy

format: install
	$(PY) -m ruff format api domain tests bench examples
	$(PY) -m ruff check --fix api domain tests bench examples

# Parallel on every core (each test clones its own database; each worker migrates its own template), then the
# tests marked `serial` alone. Plain `pytest` still runs everything in one process.
test: lint
	$(PY) -m pytest -n auto -m "not serial"
	$(PY) -m pytest -m serial

openapi: install
	$(PY) -m api openapi --output openapi/openapi.json

# The generated API tests of `make test`, long and random: SCHEMATHESIS_EXAMPLES examples per operation.
fuzz: install
	SCHEMATHESIS_EXAMPLES=$${SCHEMATHESIS_EXAMPLES:-500} $(PY) -m pytest -q tests/integration/test_schemathesis.py

bench: install
	$(PY) bench/run.py

bench-auth: install
	$(PY) bench/run.py auth

bench-catalogue: install
	$(PY) bench/run.py catalogue

bench-redeem: install
	$(PY) bench/run.py redeem

bench-webhooks: install
	$(PY) bench/run.py webhooks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
