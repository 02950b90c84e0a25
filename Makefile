# OpsHub — `make run` sets up and serves the demo; `make test` runs the suite.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export FLASK_APP := run.py
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: venv install migrate seed run test test-exhaustive test-sqlite test-pg e2e fuzz screenshots bench bench-quick lint format clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	$(BIN)/pip install -q --no-deps -e .  # the `opshub` command line (opshub_cli/)
	touch $@

install: $(VENV)/.installed

migrate: install
	mkdir -p instance
	$(BIN)/flask db upgrade

seed: migrate
	$(BIN)/flask opshub seed

run: seed
	@echo "OpsHub on http://$(HOST):$(PORT)  (admin/admin123, staff/staff123, ...)"
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 2 --access-logfile - run:app

# The whole suite; TEST_DATABASE_URL selects the engine (default: a SQLite file per worker).
# WORKERS=auto runs one pytest-xdist worker per core (WORKERS=0: one process, for debugging).
WORKERS ?= auto
test: install
	$(BIN)/pytest -q -n $(WORKERS)

# The slow, exhaustive walks (every route with garbage as every seeded role), apart from `make test`.
test-exhaustive: install
	$(BIN)/pytest -q -m exhaustive

test-sqlite: install
	TEST_DATABASE_URL= $(BIN)/pytest -q -n $(WORKERS)

test-pg: install
	TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test $(BIN)/pytest -q -n $(WORKERS)

# Browser tests only; `make screenshots` refreshes docs/screenshots/ from them.
e2e: install
	$(BIN)/pytest -q tests/e2e

# The schemathesis run with more generated requests per operation (the suite sends 3 each).
fuzz: install
	OPSHUB_SCHEMATHESIS_EXAMPLES=$${EXAMPLES:-50} $(BIN)/pytest -q tests/core/test_openapi.py

screenshots: install
	OPSHUB_SCREENSHOTS=1 $(BIN)/pytest -q tests/e2e

bench: install
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.projects
	$(BIN)/python -m bench.pipeline
	$(BIN)/python -m bench.billing
	$(BIN)/python -m bench.exchange
	$(BIN)/python -m bench.work

bench-quick: install
	$(BIN)/python -m bench.run --quick
	$(BIN)/python -m bench.projects --requests 100
	$(BIN)/python -m bench.pipeline --requests 50
	$(BIN)/python -m bench.billing --sizes 10000,30000 --requests 50
	$(BIN)/python -m bench.exchange --rows 10000 --export-rows 100000
	$(BIN)/python -m bench.work --sizes 10000,30000 --requests 50

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) instance .pytest_cache
