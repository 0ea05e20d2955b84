# vigil: `make demo` and `make test` work on a fresh machine (Python 3.11, Java 17, Maven, apt).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha256sum | cut -c1-12)

.PHONY: help venv lock native demo test test-unit test-integration test-reliability test-browser browser services-up services-down lint typecheck bench bench-kafka soak schemas report-picture screenshot clean

help:
	@echo "make demo           - replay a synthetic day through vigil (no broker needed)"
	@echo "make test           - start Kafka + Redis, run lint, types and the whole suite"
	@echo "make native         - compile the engine's hot modules with mypyc (demo, test and bench do)"
	@echo "make services-up    - start local Kafka (KRaft) and Redis; services-down stops them"
	@echo "make bench          - replay throughput vs orjson decode ceiling -> docs/benchmarks.md"
	@echo "make lock           - re-pin constraints.txt to the newest versions pyproject.toml allows"
	@echo "make bench-kafka    - worker on Kafka vs raw aiokafka ceiling, latency, scale-out, memory"
	@echo "make soak           - a worker at half its sustained rate for SOAK_MINUTES (20): memory, lag"
	@echo "make report-picture - two weeks of demo reviews and a pack change -> docs/enforcement-report.png"
	@echo "make screenshot     - the on-call page on the demo day -> docs/oncall-page.png"

# constraints.txt pins every package to the versions the suite last passed with: a release
# upstream (msgspec 0.23 changed the JSON Schema it generates) must not break a fresh clone.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

# Re-resolve the newest versions pyproject.toml allows into constraints.txt (then make test).
lock:
	rm -rf .local/lock-venv && $(PYTHON) -m venv .local/lock-venv
	.local/lock-venv/bin/pip install --quiet --upgrade pip
	.local/lock-venv/bin/pip install --quiet -e '.[dev]'
	{ sed -n '1,2p' constraints.txt; .local/lock-venv/bin/pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt && rm -rf .local/lock-venv

# The compiled engine (signals/native.py): rebuilt only when its sources changed. VIGIL_NATIVE=0
# skips it, and vigil then runs the Python source, which decides identically.
native: venv
	@if [ "$$VIGIL_NATIVE" = "0" ]; then echo "[native] VIGIL_NATIVE=0: running the Python source"; \
	else $(BIN)/python scripts/native.py || { echo "[native] mypyc build failed (is a C compiler installed?); VIGIL_NATIVE=0 runs without it"; exit 1; }; fi

demo: native
	$(BIN)/vigil demo

services-up:
	scripts/services.sh up

# Debian's chromium and chromedriver, for the browser tests and the screenshot
browser:
	scripts/browser.sh

services-down:
	scripts/services.sh down

lint: venv
	$(BIN)/ruff check schemas signals stream tests scripts
	$(BIN)/ruff format --check schemas signals stream tests scripts

typecheck: venv
	$(BIN)/mypy

test-unit: native
	$(BIN)/pytest -q tests/unit tests/contract

test-integration: native services-up
	$(BIN)/pytest -q tests/integration tests/e2e

test: native services-up browser lint typecheck
	$(BIN)/pytest -q -rN -p no:cacheprovider tests

test-reliability: native services-up
	$(BIN)/pytest -q tests/reliability

test-browser: native services-up browser
	$(BIN)/pytest -q tests/browser

bench: native
	$(BIN)/python scripts/bench.py

bench-kafka: native services-up
	$(BIN)/python scripts/bench_kafka.py

# SOAK_MINUTES (20) of traffic at half the worker's sustained rate, SOAK_DAYS (21) of event time
soak: native services-up
	$(BIN)/python scripts/soak.py

# two weeks of labelled demo videos, simulated reviewers and a pack change: docs/enforcement-report.png
report-picture: native
	$(BIN)/python scripts/quality_demo.py .local/quality-demo
	$(BIN)/vigil report --from .local/quality-demo --window 28d --rule hate.model_limit \
		--rule hate.model_remove --rule harassment.model_and_reports_remove \
		--png docs/enforcement-report.png --html .local/quality-demo/report.html

# the on-call page of a worker fed the demo day, in headless chromium: docs/oncall-page.png
screenshot: native services-up browser
	$(BIN)/python scripts/screenshot.py

schemas: venv
	$(BIN)/vigil schemas export schemas/json
	$(BIN)/vigil signals list --markdown > docs/signals.md

clean:
	rm -rf $(VENV) .local build *.egg-info .pytest_cache .mypy_cache .ruff_cache
