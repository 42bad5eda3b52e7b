# Maillage — the two commands of the setup contract: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install lint typecheck migrations-check pytest demo worker messages clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

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
test: install lint typecheck migrations-check pytest

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

messages:
	$(BIN)/python manage.py makemessages -l en --no-obsolete --ignore=.venv --ignore=var --ignore=bench --ignore=tests
	$(BIN)/python manage.py compilemessages -l en

clean:
	rm -rf $(VENV) var
