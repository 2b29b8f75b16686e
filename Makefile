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

# The API on $PORT (8000) and, beside it, the staff portal on the next port (8001), acting through a programme
# client made for it once (kept in $DATA_DIR/portal-client.json). Ctrl-C stops both.
DATA_DIR ?= .data
run: install
	@set -e; export APP_ENV=$${APP_ENV:-sandbox} RUN_WORKER=$${RUN_WORKER:-1}; port=$${PORT:-8000}; \
	$(PY) -m api migrate; \
	$(PY) -m api serve --no-migrate --port $$port & api=$$!; \
	trap 'kill $$api 2>/dev/null || true' EXIT INT TERM; \
	$(PY) -c 'import httpx, sys, time; exec("for _ in range(300):\n try:\n  httpx.get(sys.argv[1]).raise_for_status(); break\n except Exception: time.sleep(0.2)")' http://127.0.0.1:$$port/health/ready; \
	creds=$(DATA_DIR)/portal-client.json; \
	[ -s $$creds ] || $(PY) -m api clients create-programme --name "Portal (make run)" > $$creds; \
	export PORTAL_CLIENT_ID=$$($(PY) -c 'import json,sys; print(json.load(open(sys.argv[1]))["client_id"])' $$creds); \
	export PORTAL_CLIENT_SECRET=$$($(PY) -c 'import json,sys; print(json.load(open(sys.argv[1]))["client_secret"])' $$creds); \
	export PORTAL_DATABASE_URL=$${PORTAL_DATABASE_URL:-$${DATABASE_URL:-$$($(PY) -c 'import sys; from pathlib import Path; from api.db.pool import embedded_server_url; print(embedded_server_url(Path(sys.argv[1]), "portal"))' $(DATA_DIR))}}; \
	PORTAL_API_URL=http://127.0.0.1:$$port PORTAL_PORT=$$((port + 1)) $(PY) -m portal serve

lint: install
	$(PY) -m ruff check api domain portal tests bench examples
	$(PY) -m ruff format --check api domain portal tests bench examples
	$(PY) -m mypy

format: install
	$(PY) -m ruff format api domain portal tests bench examples
	$(PY) -m ruff check --fix api domain portal tests bench examples

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
