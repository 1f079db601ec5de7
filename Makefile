PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test test-shifted check lint typecheck format lock clean bench bench-quick chromium screenshots docs docs-serve openapi node-deps

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: install
	$(BIN)/clawvault serve --demo

test: install chromium node-deps
	$(BIN)/python -m pytest

# The whole suite with the wall clock moved (SHIFT=+365d, SHIFT=-365d; the monotonic clock stays
# real): no test may depend on the date it runs on. Servers, workers and PostgreSQL inherit it.
SHIFT ?= +365d
FAKETIME_LIB = $(BIN)/python -c "import importlib.util, pathlib; \
	print(pathlib.Path(importlib.util.find_spec('libfaketime').origin).parent / 'vendor/libfaketime/src/libfaketime.so.1')"
test-shifted: install chromium node-deps
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r tests/timeshift/requirements.txt
	FAKETIME="$(SHIFT)" FAKETIME_DONT_FAKE_MONOTONIC=1 LD_PRELOAD="$$($(FAKETIME_LIB))" $(BIN)/python -m pytest

# One package's tests, in the folder named after it: make test-pulls, make test-sandbox, make test-db
test-%: install
	@test -d tests/$* || { echo "no tests/$*: the packages with tests are $$(cd tests && ls -d */ | tr -d / | grep -v __pycache__ | tr '\n' ' ')"; exit 2; }
	$(BIN)/python -m pytest tests/$*

# The console's end-to-end tests drive Debian's chromium (never a browser Playwright downloads).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the console's end-to-end tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "no /usr/bin/chromium: the console's end-to-end tests will skip (apt-get install chromium)"; \
	  fi; \
	fi

# The docs' TypeScript snippet is type-checked and compiled by the TypeScript pinned in
# tests/docs/ts (npm ci: the lock file's versions, integrity checked); without it that one test skips.
node-deps:
	@if [ -x tests/docs/ts/node_modules/.bin/tsc ]; then :; \
	elif command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix tests/docs/ts --no-audit --no-fund --silent \
	    || echo "npm ci failed: the docs' TypeScript snippet test will skip"; \
	else \
	  echo "no npm: the docs' TypeScript snippet test will skip (install Node.js and npm)"; \
	fi

screenshots: install chromium
	$(BIN)/python -m tests.console.screenshots

check: install lint typecheck test

lint: install
	$(BIN)/ruff check clawvault tests bench tools
	$(BIN)/ruff format --check clawvault tests bench tools

typecheck: install
	$(BIN)/mypy

format: install
	$(BIN)/ruff format clawvault tests bench tools
	$(BIN)/ruff check --fix clawvault tests bench tools

bench: install
	$(BIN)/python -m bench.run

bench-quick: install
	$(BIN)/python -m bench.run --quick

lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache site tests/docs/ts/node_modules

docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

docs-serve: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --strict --dev-addr 127.0.0.1:8001

openapi: install
	$(BIN)/python -m tools.openapi_export
