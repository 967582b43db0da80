# Groundwork: `make run` starts the demo, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
# One stamp per requirements content: an edit to a file reinstalls, nothing else does.
# `make run` needs only the runtime; `make test` adds the test tools on top.
RUN_STAMP := $(VENV)/.installed-run-$(shell cat requirements.txt | sha1sum | cut -c1-12)
TEST_STAMP := $(VENV)/.installed-test-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
PORT ?= 8000

.PHONY: run test lint venv venv-test clean

$(RUN_STAMP):
	@$(PYTHON) bin/install requirements.txt $(UV_VERSION)
	@rm -f $(VENV)/.installed-run-*
	@touch $@

$(TEST_STAMP): $(RUN_STAMP)
	@$(PYTHON) bin/install requirements-dev.txt $(UV_VERSION)
	@rm -f $(VENV)/.installed-test-*
	@touch $@

venv: $(RUN_STAMP)

venv-test: $(TEST_STAMP)

run: venv
	@PORT=$(PORT) bin/run

# Tests run with DEBUG on (no HTTPS redirect for the test client) in their own var/ folder,
# so they never touch the demo's database, broker or uploads.
test: venv-test
	DEBUG=1 GROUNDWORK_VAR_DIR=$(CURDIR)/var/test $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf var/test
