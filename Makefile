# The two commands of README.md: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint types pytest bench install clean openapi

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=...)")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

## run: the whole platform on an embedded PostgreSQL, with the demo community
run: install
	$(PY) -m deploy.local $(RUN_ARGS)

## test: lint, types and the whole suite against a real PostgreSQL (embedded, or TEST_DATABASE_URL)
test: lint types pytest

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

types: install
	$(PY) -m mypy .

# Two pytest-xdist workers (each on databases of its own; the tests sharing a live platform stay in
# one worker: tests/support/scheduling.py); PYTEST_WORKERS=0 runs in one process. Dots for the quick tests, a
# line when an end-to-end or fuzz test starts and ends (tests/support/progress.py), and the slowest
# tests at the end (pyproject's addopts). PYTEST_ARGS adds to it: `make pytest PYTEST_ARGS="-x tests/grids"`.
PYTEST_WORKERS ?= 2
pytest: install
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

## openapi: regenerate docs/openapi.json, the public API's merged document, and the TypeScript client's
## types from it (see docs/API.md; needs Node 20 and npm)
openapi: install
	$(PY) -m gateway.contract write
	cd clients/typescript && npm ci --no-audit --no-fund && npm run generate

## bench: throughput and latency figures (see bench/README.md)
bench: install
	$(PY) -m bench

clean:
	rm -rf var/test-pg .pytest_cache .mypy_cache .ruff_cache
