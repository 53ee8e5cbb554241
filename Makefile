# HTX Market — the two commands: `make run` and `make test` (and `make lint` before a commit).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Services for the test run: "auto" starts what this machine can (skipping the rest),
# "none" uses only what is already in the environment.
TEST_SERVICES ?= auto

.PHONY: run test install migrate seed services-up services-down services-status lint annotations messages bench clean stack-up stack-down stack-status

$(VENV)/.installed: requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found; set PYTHON=python3"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	@touch $@

install: $(VENV)/.installed

# Translations: .po and compiled .mo files are committed, so running needs no gettext tools.
messages: install
	$(PY) manage.py compilemessages --ignore=.venv -v0

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	@echo "HTX Market on http://$(HOST):$(PORT)/  (admin: admin@htx.market / admin12345)"
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install
	@if [ "$(TEST_SERVICES)" = "auto" ]; then services/svc all start || exit 1; fi
	@set -a; [ -f .services/env ] && . .services/env; set +a; \
	  services/run-tests $(PY) $(PYTEST_ARGS)

# Lint: ruff (lint rules and formatting) and mypy (strict on services, selectors, search backends
# and money code; checked elsewhere). Configured in pyproject.toml; CI runs it before the tests.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Fully annotated public functions per app (MISSING=1 lists the ones that are not).
annotations:
	@python3 .ci/annotations.py $(if $(MISSING),--missing)

services-up: install
	services/svc all start

services-down:
	services/svc all stop

services-status:
	services/svc all status

# The production shape on this machine: PostgreSQL, Elasticsearch, Redis, gunicorn, Celery worker
# and beat with DJANGO_ENV=production (services/stack; STACK_PORT=8080 by default).
STACK_PORT ?= 8080
stack-up: install
	STACK_PORT=$(STACK_PORT) services/stack up

stack-down:
	services/stack down

stack-status:
	services/stack status

bench: install
	@ls bench/*.py

clean:
	rm -rf $(VENV) .services .stack db.sqlite3 media private_media staticfiles test-artifacts
