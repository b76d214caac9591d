# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

.PHONY: run test install system-deps clean-data

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
# example facility and a demo admin (password printed on start).
run: install
	$(VENV)/bin/gridwarden up --demo

# Run every test against real PostgreSQL/Redis (embedded unless DATABASE_URL / REDIS_URL).
test: install system-deps
	$(PY) -m pytest $(PYTEST_ARGS)

clean-data:
	rm -rf .gw-data .gw-test-data
