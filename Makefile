# Maillage — the two commands of the setup contract: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install lint typecheck migrations-check pytest demo worker messages clean bench-load

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## axe-core (package.json) for the accessibility audit; without npm those tests skip (CI has it)
.PHONY: node-tools
node-tools:
	@if ! command -v npm >/dev/null 2>&1; then \
	  echo "npm not found: the accessibility audit (tests/browser/test_accessibility.py) will skip"; \
	elif [ ! -f node_modules/.installed ] || [ package-lock.json -nt node_modules/.installed ]; then \
	  npm ci --no-audit --no-fund && touch node_modules/.installed; \
	fi

## make run: install, migrate, load demo data when the database is empty, serve on 127.0.0.1:8000
run: install
	mkdir -p var
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/python manage.py demo_accounts
	@echo "Maillage: http://$(HOST):$(PORT)/  (Ctrl+C to stop; the task worker stops with it)"
	$(BIN)/python manage.py db_worker --interval 1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## make test: lint, format check, types, migrations check, the whole pytest suite
test: install node-tools lint typecheck migrations-check pytest

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy maillage

migrations-check:
	mkdir -p var
	$(BIN)/python manage.py makemigrations --check --dry-run

pytest:
	$(BIN)/pytest -q

## make bench-load: 100 users for 5 minutes against gunicorn, SQLite then PostgreSQL (not in make test)
bench-load: install
	$(BIN)/python bench/load.py --database both --users 100 --duration 300

messages:
	$(BIN)/python manage.py makemessages -l en --no-obsolete --ignore=.venv --ignore=var --ignore=bench --ignore=tests
	$(BIN)/python manage.py compilemessages -l en

clean:
	rm -rf $(VENV) var
