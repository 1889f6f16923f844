# kliping: `make run` cleans raw/ into clean/; `make test` runs ruff, mypy and pytest.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
RAW    ?= raw
OUT    ?= clean
# Prefect runs in local ephemeral mode; keep its database inside the project and send nothing out.
export PREFECT_HOME ?= $(CURDIR)/.prefect
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
# Prefect's 20 s wait for its ephemeral API is less than a new database takes here (23-26 s).
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 180
export DO_NOT_TRACK ?= 1

.PHONY: run test lint typecheck pytest bench screenshot install install-test clean-output

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (or set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# the C kernels are compiled as the package is installed (hatch_build.py)
NATIVE := hatch_build.py kliping/native/kernels.c

$(VENV)/.installed: pyproject.toml $(NATIVE) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(NATIVE) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: $(VENV)/.installed
	$(BIN)/kliping run $(RAW) --out $(OUT)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check kliping flows tests bench hatch_build.py
	$(BIN)/ruff format --check kliping flows tests bench hatch_build.py

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

pytest: $(VENV)/.installed-test
	$(BIN)/pytest -q

test: lint typecheck pytest

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench.run

# Refresh docs/report.png (the README's picture of `kliping report`) in headless Chromium.
screenshot: $(VENV)/.installed-test
	KLIPING_UPDATE_SCREENSHOT=1 $(BIN)/pytest -q tests/test_report_browser.py

clean-output:
	rm -rf $(OUT)
