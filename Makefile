# The stack's tasks. Each target delegates to the runner (python -m stack), npm or pytest.
# `make help` lists them.

PYTHON ?= python3
VENV := .venv
# checkov's venv of its own (lint/requirements.txt): it pins a packaging that pytest cannot share.
CHECKOV_VENV := .venv-checkov
PY := $(VENV)/bin/python
NPM_STAMP := frontend/node_modules/.package-lock.json
# npm in frontend/ on the Node that package.json's engines allows: the machine's, or the one
# pinned in .nvmrc, installed into .tools/node when the machine has none that fits.
NPM := $(PY) -m stack npm
# The Python locks: resolved from the *.in files for every platform, with hashes (make lock).
UV_COMPILE := $(VENV)/bin/uv pip compile --quiet --universal --generate-hashes
# Programs the tests drive for real; installed from Debian when missing and run as root.
TEST_TOOLS := nginx envsubst socat lego caddy haproxy chromium curl openssl pebble certutil systemd-analyze \
  prometheus promtool prometheus-nginx-exporter
PYTEST_ARGS ?=
BENCH_ARGS ?=
# pytest processes for make test: the suites mostly wait on servers, so more than the cores.
TEST_WORKERS ?= 4
# bash for the recipes' $$SECONDS (each step's time).
SHELL := /bin/bash
# The benchmark (bench/) is the template's own tool: a copier copy leaves it out unless asked
# for (with_bench=true). Without it, make bench says so in one line and fails, make help does not
# list it, and make lock skips its lock.
BENCH := $(wildcard bench/requirements.txt)

.DEFAULT_GOAL := help
.PHONY: help up dev down logs https https-local doctor systemd test test-unit test-docker lint format api-types audit lock rename bench clean

help: ## List the tasks
	@awk -v hide="$(if $(BENCH),,bench)" 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / && $$1 != hide {printf "  make %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

up: $(VENV)/.runtime ## Run the full stack in the foreground (Docker if an engine answers, else native)
	@$(PY) -m stack up

dev: $(VENV)/.runtime ## Run it with hot reload (Vite HMR, gunicorn --reload) behind nginx, at the same URL
	@$(PY) -m stack dev

https: $(VENV)/.runtime ## The stack at https://DOMAIN/, nginx terminating TLS, certificates by ACME (lego; Docker, else native)
	@$(PY) -m stack https

https-local: $(VENV)/.runtime ## The same at https://localhost:8443/ with a local CA made in .run/local-ca (development)
	@$(PY) -m stack https --local

down: $(VENV)/.runtime ## Stop a running stack
	@$(PY) -m stack down

logs: $(VENV)/.runtime ## Follow the logs of the running stack (native: its files in .run/; Docker: compose logs)
	@$(PY) -m stack logs

systemd: $(VENV)/.runtime ## Write systemd units for the native stack: make systemd [SYSTEMD_ARGS="--user app --out DIR"]
	@$(PY) -m stack systemd $(SYSTEMD_ARGS)

doctor: $(VENV)/.runtime ## Probe a running deployment: make doctor [URL=https://example.com/]
	@$(PY) -m stack node --no-install
	@$(PY) -m stack doctor $(URL)

test: ## Install what the tests need, then lint and run every test (each step timed)
	@SECONDS=0; $(MAKE) --no-print-directory $(VENV)/.dev $(NPM_STAMP) && $(PY) -m stack tools $(TEST_TOOLS) \
	  && echo "time: installs $$SECONDS s"
	@SECONDS=0; $(MAKE) --no-print-directory lint && echo "time: lint $$SECONDS s"
	@SECONDS=0; $(NPM) run --silent test:unit && echo "time: vitest $$SECONDS s"
	@SECONDS=0; $(PY) -m pytest -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder $(PYTEST_ARGS); status=$$?; \
	  echo "time: pytest $$SECONDS s ($(TEST_WORKERS) workers)"; exit $$status

test-unit: $(VENV)/.dev $(NPM_STAMP) ## Only the unit tests (Flask test client, Vitest)
	$(NPM) run --silent test:unit
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

test-docker: $(VENV)/.dev $(NPM_STAMP) ## Only the Docker suite: the compose stack on a real engine (installed and started when missing)
	@$(PY) -m stack tools chromium
	$(PY) -m pytest tests/docker $(PYTEST_ARGS)

lint: $(VENV)/.dev $(NPM_STAMP) $(CHECKOV_VENV)/.installed ## ruff, ESLint, Prettier (check only), vue-tsc, then the security judges (lint/judges.py)
	$(VENV)/bin/ruff check --no-cache .
	$(VENV)/bin/ruff format --no-cache --check .
	$(NPM) run --silent lint
	@# The judges render the nginx template with envsubst and check monitoring/ with promtool
	@# (installed from Debian when missing, as root).
	@$(PY) -m stack tools envsubst promtool
	$(PY) lint/judges.py

format: $(VENV)/.dev $(NPM_STAMP) ## Rewrite the code as ruff format and Prettier want it
	$(VENV)/bin/ruff format --no-cache .
	$(NPM) run --silent format

# Installs node_modules only when missing: a lock rewritten since (make rename) waits for the next npm ci.
api-types: $(if $(wildcard $(NPM_STAMP)),,$(NPM_STAMP)) ## Regenerate the SPA's API types (frontend/src/api-schema.d.ts) from backend/app/openapi.yaml
	$(NPM) run --silent api-types

audit: $(VENV)/.dev $(NPM_STAMP) ## Known advisories: npm audit (high and up) and pip-audit of the locks
	@$(PY) -m stack audit

lock: $(VENV)/.dev ## Re-resolve the Python locks (full tree, hashes) from the *.in files
	$(UV_COMPILE) --python-version 3.10 backend/requirements.in -o backend/requirements.txt
	$(UV_COMPILE) --python-version 3.10 stack/requirements.in -o stack/requirements.txt
	$(UV_COMPILE) --python-version 3.11 requirements-dev.in -o requirements-dev.txt
	$(UV_COMPILE) --python-version 3.11 lint/requirements.in -o lint/requirements.txt
	$(if $(BENCH),$(UV_COMPILE) --python-version 3.11 bench/requirements.in -o bench/requirements.txt)

rename: $(VENV)/.runtime ## Make it your app: make rename TITLE="My app" [NAME=my-app PREFIX=/api PORT=8000 DOMAIN=...]
	@# The answers reach the shell as environment variables, so quotes in a title stay as typed.
	@$(PY) -m stack rename $(if $(NAME),--name "$$NAME") $(if $(TITLE),--title "$$TITLE") \
	  $(if $(PREFIX),--prefix "$$PREFIX") $(if $(PORT),--port "$$PORT") $(if $(DOMAIN),--domain "$$DOMAIN")

ifneq ($(BENCH),)
bench: $(VENV)/.bench $(NPM_STAMP) ## Measure where a request's time goes, fronts, workers, scaling (~20 min; QUICK=1 ~2 min; not in test)
	@$(PY) -m stack tools nginx envsubst wrk h2load openssl caddy haproxy
	$(PY) -m bench $(if $(QUICK),--quick) $(BENCH_ARGS)
else
bench:
	$(error make bench: the benchmark (bench/) is not part of this project; copier copy --data with_bench=true makes one with it, copier update --trust --data with_bench=true adds it here)
endif

clean: ## Remove the venv, node_modules, the build and runtime files
	rm -rf $(VENV) $(CHECKOV_VENV) frontend/node_modules frontend/dist .run test-results .tools

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
	  { echo "make: Python 3.10 or newer is needed as $(PYTHON) (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV) || { echo "make: could not create $(VENV): install python3-venv (apt-get install python3-venv)"; exit 1; }

# Hash-checked installs: every package of the full tree must match a hash in its lock.
$(VENV)/.runtime: $(VENV)/bin/python backend/requirements.txt stack/requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r backend/requirements.txt -r stack/requirements.txt
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "make: the test tools need Python 3.11 or newer as $(PYTHON) (set PYTHON=...)"; exit 1; }
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.txt
	@touch $@

$(CHECKOV_VENV)/.installed: lint/requirements.txt | $(VENV)/bin/python
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r lint/requirements.txt
	@touch $@

ifneq ($(BENCH),)
$(VENV)/.bench: $(VENV)/.dev bench/requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r bench/requirements.txt
	@touch $@
endif

# npm ci shows advisories (make audit checks them); the stamp is npm's own, rewritten by every ci.
# The runner (python -m stack npm) picks the Node, so it needs the runtime packages first.
$(NPM_STAMP): frontend/package-lock.json .nvmrc | $(VENV)/.runtime
	$(NPM) ci --no-fund
	@touch $@
