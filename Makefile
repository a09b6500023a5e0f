# Two entry points: `make demo` and `make test`. Everything else they need is set up here.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint typecheck unit prometheus chromium kubectl bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Stamps re-run the install when pyproject.toml changes.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@

demo: $(VENV)/.installed-run
	$(BIN)/tminus demo

# Debian's prometheus: the tests start their own server from it.
prometheus:
	@if command -v prometheus >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's prometheus for the tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends prometheus >/dev/null; \
	else \
	  echo "prometheus is not installed and this is not root: its tests will be skipped"; \
	  echo "(as root: apt-get install prometheus)"; \
	fi

# Debian's chromium: the browser tests drive it with Playwright's Python package
# (the test extra); Playwright's own browser download is never used.
chromium:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	else \
	  echo "chromium is not installed and this is not root: the browser tests will be skipped"; \
	  echo "(as root: apt-get install chromium)"; \
	fi

# Debian's kubectl (kubernetes-client): the tests read back what tminus patched with it.
kubectl:
	@if command -v kubectl >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's kubectl (kubernetes-client) for the tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends kubernetes-client >/dev/null; \
	else \
	  echo "kubectl is not installed and this is not root: its read-back tests will be skipped"; \
	  echo "(as root: apt-get install kubernetes-client)"; \
	fi

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: $(VENV)/.installed-test prometheus chromium kubectl
	@if command -v prometheus >/dev/null 2>&1; then export TMINUS_REQUIRE_PROMETHEUS=1; fi; \
	if command -v chromium >/dev/null 2>&1; then export TMINUS_REQUIRE_CHROMIUM=1; fi; \
	$(BIN)/pytest -q

test: lint typecheck unit

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
