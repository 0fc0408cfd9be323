# The stack's tasks. Each target delegates to the runner (python -m stack), npm or pytest.
# `make help` lists them.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
NPM_STAMP := frontend/node_modules/.package-lock.json
# Programs the tests drive for real; installed from Debian when missing and run as root.
TEST_TOOLS := nginx envsubst socat caddy haproxy chromium curl openssl pebble certutil systemd-analyze
PYTEST_ARGS ?=
BENCH_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help up dev down https https-local doctor systemd test test-unit test-docker bench clean

help: ## List the tasks
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

up: $(VENV)/.runtime ## Run the full stack in the foreground (Docker if an engine answers, else native)
	@$(PY) -m stack up

dev: $(VENV)/.runtime ## Run it with hot reload (Vite HMR, gunicorn --reload) behind nginx, at the same URL
	@$(PY) -m stack dev

https: $(VENV)/.runtime ## The stack behind Caddy at https://DOMAIN/, certificates by ACME (Docker, else native)
	@$(PY) -m stack https

https-local: $(VENV)/.runtime ## The same at https://localhost:8443/ with Caddy's own CA (development)
	@$(PY) -m stack https --local

down: $(VENV)/.runtime ## Stop a running stack
	@$(PY) -m stack down

systemd: $(VENV)/.runtime ## Write systemd units for the native stack: make systemd [SYSTEMD_ARGS="--user app --out DIR"]
	@$(PY) -m stack systemd $(SYSTEMD_ARGS)

doctor: $(VENV)/.runtime ## Probe a running deployment: make doctor [URL=https://example.com/]
	@$(PY) -m stack doctor $(URL)

test: $(VENV)/.dev $(NPM_STAMP) ## Install what the tests need, then run every test
	@$(PY) -m stack tools $(TEST_TOOLS)
	cd frontend && npm run --silent test:unit
	$(PY) -m pytest $(PYTEST_ARGS)

test-unit: $(VENV)/.dev $(NPM_STAMP) ## Only the unit tests (Flask test client, Vitest)
	cd frontend && npm run --silent test:unit
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

test-docker: $(VENV)/.dev $(NPM_STAMP) ## Only the Docker suite: the compose stack on a real engine (installed and started when missing)
	@$(PY) -m stack tools chromium
	$(PY) -m pytest tests/docker $(PYTEST_ARGS)

bench: $(VENV)/.bench $(NPM_STAMP) ## Measure where a request's time goes, fronts, workers, scaling (~9 min; QUICK=1 ~2 min; not in test)
	@$(PY) -m stack tools nginx envsubst wrk caddy haproxy
	$(PY) -m bench $(if $(QUICK),--quick) $(BENCH_ARGS)

clean: ## Remove the venv, node_modules, the build and runtime files
	rm -rf $(VENV) frontend/node_modules frontend/dist .run test-results

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
	  { echo "make: Python 3.10 or newer is needed as $(PYTHON) (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV) || { echo "make: could not create $(VENV): install python3-venv (apt-get install python3-venv)"; exit 1; }

$(VENV)/.runtime: $(VENV)/bin/python backend/requirements.txt stack/requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r backend/requirements.txt -r stack/requirements.txt
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

$(VENV)/.bench: $(VENV)/.dev bench/requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	@touch $@

$(NPM_STAMP): frontend/package-lock.json
	@command -v npm >/dev/null || { echo "make: npm is missing: install Node.js 20.19 or newer"; exit 1; }
	cd frontend && npm ci --no-audit --no-fund
	@touch $@
