# Every target sets up what it needs: a fresh clone needs only Python 3.11+ and make.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
INSTALLED := $(VENV)/.installed
ADDRESS ?= 127.0.0.1:8000

.DEFAULT_GOAL := help
.PHONY: help run test lint format lock audit migrations-check messages check demo bench-import bench-steps bench-import-scale bench-undo bench-uploads bench-pages bench-export bench-backup bench-throughput bench-db-restart security-probe cluster clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

# Every package, the ones pulled in too, at the version and with the hashes the
# requirements files name: a file that differs from what was locked is refused.
$(INSTALLED): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (PYTHON=python3.11 make ...).")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements.txt -r requirements-dev.txt
	touch $@

TOOLS := .venv-tools
TOOLS_INSTALLED := $(TOOLS)/.installed
COMPILE := $(TOOLS)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links

$(TOOLS_INSTALLED): requirements-tools.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --require-hashes -r requirements-tools.txt
	touch $@

lock: $(TOOLS_INSTALLED) ## Compile requirements*.txt, with every hash, from the requirements*.in files
	$(COMPILE) -o requirements.txt requirements.in
	$(COMPILE) -o requirements-dev.txt requirements-dev.in
	$(COMPILE) -o requirements-tools.txt requirements-tools.in

audit: $(TOOLS_INSTALLED) ## Look every pinned package up in PyPI's vulnerability records; fails if any could not be looked up
	@# --strict: a package the database cannot be asked about fails the audit, never passes it.
	$(TOOLS)/bin/pip-audit --strict --require-hashes --disable-pip --progress-spinner off \
		-r requirements.txt -r requirements-dev.txt -r requirements-tools.txt \
		|| { echo "make audit: FAILED — a vulnerability was found or a package could not be looked up (see above)." >&2; exit 1; }

run: $(INSTALLED) ## Set up, load the demo, serve the site at http://127.0.0.1:8000 with its background worker (SQLite)
	$(MANAGE) migrate --no-input
	$(MANAGE) load_demo --if-empty
	$(MANAGE) create_demo_admin --address $(ADDRESS)
	@# The worker (Huey, its queue in var/huey.sqlite3) runs large imports and exports;
	@# it starts with the server and is stopped when the server stops.
	@$(MANAGE) run_huey & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; \
	$(MANAGE) runserver $(ADDRESS)

test: $(INSTALLED) ## Run the whole test suite (SQLite; set DATABASE_URL for PostgreSQL)
	$(BIN)/pytest

lint: $(INSTALLED) ## Check style with ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(INSTALLED) ## Reformat the code with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: $(INSTALLED) ## Fail if a model change has no migration
	DJANGO_SETTINGS_MODULE=foreignpolicy.settings.test $(MANAGE) makemigrations --check --dry-run

messages: $(INSTALLED) ## Update the Spanish catalogue after changing interface strings, then compile it
	$(MANAGE) makemessages -l es --ignore=.venv --ignore=tests
	$(MANAGE) compilemessages -l es --ignore=.venv

check: lint migrations-check test ## Everything CI checks, on the database DATABASE_URL names

demo: $(INSTALLED) ## Migrate and (re)load the demo content without serving
	$(MANAGE) migrate --no-input
	$(MANAGE) load_demo

BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/foreignpolicy_bench

bench-import: $(INSTALLED) ## Time the admin's preview and confirm of a 10,000-row file (PostgreSQL; its database is rebuilt)
	-createdb -h 127.0.0.1 -U postgres foreignpolicy_bench 2>/dev/null
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -W ignore bench/admin_import.py --rows 10000

bench-undo: $(INSTALLED) ## Time upload, preview, confirm and undo of 10,000 and 100,000 rows (PostgreSQL; its database is rebuilt)
	-createdb -h 127.0.0.1 -U postgres foreignpolicy_bench 2>/dev/null
	for rows in 10000 100000; do DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -W ignore bench/import_undo.py --rows $$rows || exit 1; done

bench-steps: $(INSTALLED) ## Time import_csv and export_csv of steps and participants files for 10,000 agreements (PostgreSQL; its database is rebuilt)
	-createdb -h 127.0.0.1 -U postgres foreignpolicy_bench 2>/dev/null
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -W ignore bench/steps_import.py --agreements 10000

bench-import-scale: $(INSTALLED) ## Time import_csv of 10,000 and 100,000 agreements beside COPY of the same rows, with peak memory, then what PostgreSQL itself spends on them (PostgreSQL; its database is rebuilt)
	-createdb -h 127.0.0.1 -U postgres foreignpolicy_bench 2>/dev/null
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -W ignore bench/import_scale.py
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -W ignore bench/insert_cost.py

bench-uploads: $(INSTALLED) ## Upload every hostile file and 138,000 rows to gunicorn and its worker, as in production (PostgreSQL; its database is rebuilt)
	$(BIN)/python -W ignore bench/production_uploads.py

bench-pages: $(INSTALLED) ## Time the public pages with 300,000 agreements and 60,000 events (PostgreSQL; its database is rebuilt)
	-createdb -h 127.0.0.1 -U postgres foreignpolicy_bench_pages 2>/dev/null
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/foreignpolicy_bench_pages $(BIN)/python -W ignore bench/public_pages.py

bench-export: $(INSTALLED) ## Time export_csv, the admin export and the public download of 10,000, 100,000 and 300,000 agreements (PostgreSQL; its database is rebuilt)
	-createdb -h 127.0.0.1 -U postgres foreignpolicy_bench_export 2>/dev/null
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/foreignpolicy_bench_export $(BIN)/python -W ignore bench/export.py

bench-backup: $(INSTALLED) ## Time manage.py backup and restore of 300,000 agreements, and check every byte of the export after (PostgreSQL; its database is rebuilt)
	-createdb -h 127.0.0.1 -U postgres foreignpolicy_bench_backup 2>/dev/null
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/foreignpolicy_bench_backup $(BIN)/python -W ignore bench/backup.py

bench-throughput: $(INSTALLED) ## Requests/s of the public pages beside a trivial Django view, under gunicorn, with wrk (PostgreSQL, Redis; its database is rebuilt)
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python -W ignore bench/throughput.py

bench-db-restart: $(INSTALLED) ## Readers' answers while a PostgreSQL cluster of its own restarts and stops under load (PostgreSQL 15's programs, Redis)
	$(BIN)/python -W ignore bench/db_restart.py

security-probe: $(INSTALLED) ## The security review's checks again, against gunicorn with the production settings: a table for docs/security.md (PostgreSQL, Redis; its databases are rebuilt)
	$(BIN)/python -W ignore bench/security_probe.py

CLUSTER_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/foreignpolicy_cluster
CLUSTER_QUEUE_URL ?= redis://127.0.0.1:6379/0
CLUSTER_CACHE_URL ?= redis://127.0.0.1:6379/1
CLUSTER_PORTS ?= 8001 8002

cluster: $(INSTALLED) ## Run the production topology on this machine: gunicorn on :8001 and :8002, the worker, PostgreSQL, Redis
	$(BIN)/python bench/cluster.py --database-url $(CLUSTER_DATABASE_URL) --queue-url $(CLUSTER_QUEUE_URL) \
		--cache-url $(CLUSTER_CACHE_URL) --ports $(CLUSTER_PORTS)

clean: ## Remove the virtual environment, the SQLite database and local files
	rm -rf $(VENV) $(TOOLS) db.sqlite3 db.sqlite3-wal db.sqlite3-shm var staticfiles
