# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
NPM    ?= npm
# The PWA's sources: a change to any of them rebuilds pwa/dist (icons are generated).
PWA_SOURCES := $(shell find pwa/src pwa/scripts pwa/public -type f -not -path 'pwa/public/icons/*' 2>/dev/null) \
               pwa/index.html pwa/vite.config.js pwa/package.json pwa/package-lock.json

.PHONY: run test install system-deps clean-data pwa pwa-test mini-test lint-imports

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# Debian packages the tests drive for real (Chromium for browser tests).
system-deps:
	bash scripts/install-system-deps.sh

# Run the platform: embedded PostgreSQL + Redis unless DATABASE_URL / REDIS_URL are set,
# the realistic demo facility (examples/detention-center), one account per role (password
# printed on start) and the simulator with its own faults.
# The PWA is built (into pwa/dist, served by Flask at /) when missing or older than its sources.
run: install pwa
	$(VENV)/bin/gridwarden up --demo

# Run every test against real PostgreSQL/Redis (embedded unless DATABASE_URL / REDIS_URL).
# PWA unit tests (Vitest) and the mini-program's (jest) first; pytest then runs the PWA's
# browser tests (tests/test_pwa_*.py).
test: install system-deps pwa pwa-test mini-test lint-imports
	$(PY) -m pytest $(PYTEST_ARGS)

# The layer order and boundaries of the backend (.importlinter, docs/architecture.md).
lint-imports: install
	$(VENV)/bin/lint-imports --no-cache

# --- the PWA (pwa/): npm ci from the committed package-lock.json, Vite build, Vitest ---
pwa/node_modules/.installed: pwa/package.json pwa/package-lock.json
	cd pwa && $(NPM) ci --no-audit --no-fund
	touch $@

pwa/dist/index.html: pwa/node_modules/.installed $(PWA_SOURCES)
	cd pwa && $(NPM) run build
	touch $@

pwa: pwa/dist/index.html

pwa-test: pwa/node_modules/.installed
	cd pwa && $(NPM) test

# --- the WeChat mini-program (miniprogram/): npm ci from its lock file, jest +
# miniprogram-simulate (WeChat's wcc compiler, shipped in the npm package) ---
miniprogram/node_modules/.installed: miniprogram/package.json miniprogram/package-lock.json
	cd miniprogram && $(NPM) ci --no-audit --no-fund
	touch $@

mini-test: miniprogram/node_modules/.installed
	cd miniprogram && $(NPM) test

clean-data:
	rm -rf .gw-data .gw-test-data
