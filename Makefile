# pollapp: two commands on a fresh machine.
#   make run   creates .venv, installs, migrates, loads data/, serves on http://127.0.0.1:$(PORT)
#   make test  the full suite (SQLite; PostgreSQL too when TEST_DATABASE_URL is set, as .ci/run does)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
HOST   ?= 127.0.0.1
WORKERS ?= 2
STAMP  := $(VENV)/.installed-stamp

export FLASK_APP := pollapp
# One BLAS thread per worker: two-threaded OpenBLAS on two cores is several times slower (notes/performance).
export OPENBLAS_NUM_THREADS ?= 1

# The browser tests drive Debian's Chromium (never `playwright install`); installed when missing (as root).
CHROMIUM ?= /usr/bin/chromium
export POLLAPP_CHROMIUM := $(CHROMIUM)

.PHONY: run test install migrate load lint bench clean help chromium redis wrk

help:
	@echo "make run    set up everything and serve on http://$(HOST):$(PORT)"
	@echo "make test   run the whole test suite"
	@echo "make bench  run the benchmarks (results in bench/results/)"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[server,dev,examples]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/flask db upgrade

load: migrate
	$(BIN)/flask data load data/

run: load
	@echo "pollapp is serving on http://$(HOST):$(PORT)  (API docs: http://$(HOST):$(PORT)/api/v1/docs)"
	exec $(BIN)/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT) --workers $(WORKERS) --preload --access-logfile - wsgi:app

lint: install
	$(BIN)/lint-imports

chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		echo "== installing Chromium for the browser tests (apt-get install chromium)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

# The rate-limit tests start a throwaway redis-server of their own (tests/redis_server.py).
redis:
	@if ! command -v redis-server >/dev/null 2>&1; then \
		echo "== installing redis-server for the rate-limit tests (apt-get install redis-server)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	fi

# The HTTP benchmark's load generator (bench/bench_http.py).
wrk:
	@if ! command -v wrk >/dev/null 2>&1; then \
		echo "== installing wrk for the HTTP benchmark (apt-get install wrk)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	fi

test: lint chromium redis
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== SQLite and $${TEST_DATABASE_URL%%:*} (TEST_DATABASE_URL) side by side, a core each (statistics tests, which use no database, run in the SQLite pass only); the second pass's report follows the first"; \
		log=$$(mktemp) && base=$$(mktemp -d) && \
		{ $(BIN)/python -m pytest --ignore=tests/stats -p no:cacheprovider --basetemp=$$base >$$log 2>&1 & server=$$!; } && \
		{ env -u TEST_DATABASE_URL $(BIN)/python -m pytest; sqlite=$$?; } ; \
		wait $$server; other=$$?; \
		echo "== the $${TEST_DATABASE_URL%%:*} pass"; cat $$log; rm -rf $$log $$base; \
		echo "== SQLite pass: exit $$sqlite; $${TEST_DATABASE_URL%%:*} pass: exit $$other"; \
		[ $$sqlite -eq 0 ] && [ $$other -eq 0 ]; \
	else \
		env -u TEST_DATABASE_URL $(BIN)/python -m pytest; rc=$$?; \
		echo "== TEST_DATABASE_URL is not set: the PostgreSQL run was skipped (.ci/run sets it)"; \
		exit $$rc; \
	fi

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache

bench: install wrk
	$(BIN)/python bench/bench_trend.py
	$(BIN)/python bench/bench_charts.py
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_export.py
	$(BIN)/python bench/bench_soak.py
	$(BIN)/python bench/bench_http.py
	$(BIN)/python bench/bench_plans.py
