# Two commands on a fresh clone: `make run` and `make test` (README, Quick start).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install run test lint check pytest clean bench backup restore

# Re-installs only when pyproject.toml changes, so a second `make run` starts in seconds.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty
	@echo ""
	@echo "门户已启动: http://127.0.0.1:$(PORT)/   管理后台: http://127.0.0.1:$(PORT)/admin/"
	@# The background task worker (campaign results, reports) runs beside the web server and stops with it.
	$(BIN)/python manage.py db_worker --backend background --no-reload > var/worker.log 2>&1 & WORKER=$$!; \
	trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/bandit -q -c pyproject.toml -r core orgs portal grants volunteers evaluations dashboards bench

check: install
	DJANGO_SETTINGS_MODULE=portal.settings.test $(BIN)/python manage.py check
	DJANGO_SETTINGS_MODULE=portal.settings.test $(BIN)/python manage.py makemigrations --check --dry-run

pytest: install
	$(BIN)/pytest

test: lint check pytest

clean:
	rm -rf $(VENV) var/test-*.sqlite3*

# Performance harness (issue 10): BENCH_ARGS="--scale city --duration 10", DATABASE_URL picks the database.
bench: install
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || true
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Backup and restore (docs/operations.md). `make backup` writes var/backups/<timestamp>.sqlite3 (.dump on
# PostgreSQL) and its .sha256; BACKUP=path names the file, BACKUP_ARGS=--media adds the uploaded files.
# `make restore BACKUP=path` refuses a database that holds data unless YES=1; it ends with the invariant check.
backup: install
	$(BIN)/python manage.py backup $(if $(BACKUP),--output "$(BACKUP)") $(BACKUP_ARGS)

restore: install
	@test -n "$(BACKUP)" || { echo "用法 / usage: make restore BACKUP=var/backups/<file> [YES=1]" >&2; exit 2; }
	$(BIN)/python manage.py restore "$(BACKUP)" $(if $(YES),--yes) $(RESTORE_ARGS)
