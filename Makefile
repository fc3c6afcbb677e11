# The two commands: `make demo` and `make test`. Each sets itself up.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test install browser db lint format stop-db bench-etl bench-reports serve bench-load

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

install: $(BIN)/.installed

# Debian's chromium drives the browser tests (Playwright's own download
# does not work on a closed network).
browser:
	@command -v chromium >/dev/null || { \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Starts the embedded PostgreSQL when DATABASE_URL is unset.
db: install
	$(BIN)/python manage.py migrate --noinput

# The demo: FoodMart loaded, a first version of each record for the change
# history, the demo users, demo alert rules and subscriptions
# (subscriptions/demo.py), then the background worker (big uploads, its
# log in var/worker.log) and the development server.
demo: db
	$(BIN)/python manage.py load_foodmart
	$(BIN)/python manage.py demo_sales_1998
	$(BIN)/python manage.py populate_history --auto > /dev/null
	$(BIN)/python manage.py demo_users
	$(BIN)/python manage.py demo_alerts
	@echo "Open http://$(HOST):$(PORT)/reports/ (reports), /admin/ (back office) or /workbench/ (SQL), log in with a user above (Ctrl-C stops)."
	@mkdir -p var
	@$(BIN)/python manage.py db_worker --interval 1 > var/worker.log 2>&1 & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT; \
	  $(BIN)/python manage.py runserver $(HOST):$(PORT)

# Production server (gunicorn, settings from the environment: see README,
# Operations). Static files are collected for WhiteNoise first.
serve: db
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn -c foodmart_site/gunicorn_conf.py foodmart_site.wsgi

# The app under gunicorn on loopback, 50 users for 60 s from locust, on
# FoodMart plus generated sale lines (1M; its own database, kept).
bench-load: db
	$(BIN)/python bench/load.py

test: install browser lint
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The ETL pipeline against PostgreSQL's own COPY (1M and 10M rows: minutes).
bench-etl: db
	$(BIN)/python bench/etl.py

# Every report page and the drill-down on 10 million sale lines, rollups
# against the raw fact table (its own database; the first run generates it).
bench-reports: db
	$(BIN)/python bench/reports.py

stop-db: install
	$(BIN)/python -m foodmart_site.database stop
