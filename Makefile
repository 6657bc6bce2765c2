# CloudBurst developer entry points. `make demo` and `make test` work on a fresh machine: they install
# what they need (system packages via scripts/install-system-deps, Python packages into .venv).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help bootstrap system-deps demo test lint format typecheck pytest aws-checks \
        bench-render bench-schedule clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 18

system-deps:  ## Install ffmpeg, a CJK font and Node.js where missing
	@scripts/install-system-deps --with-node

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[all,dev]'
	@touch $@

bootstrap: system-deps $(STAMP)  ## Create the virtualenv with everything installed

demo: bootstrap  ## Render the example job on the local cloud into ./output and print the report
	$(BIN)/cloudburst render examples/story --output output

test: bootstrap lint typecheck pytest aws-checks  ## Lint, type-check, run every test, validate the AWS application

lint: $(STAMP)  ## ruff: lint and formatting
	$(BIN)/ruff check src functions tests bench
	$(BIN)/ruff format --check src functions tests bench

format: $(STAMP)  ## Apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix src functions tests bench
	$(BIN)/ruff format src functions tests bench

typecheck: $(STAMP)  ## mypy (strict) over the package, the Lambda handlers and the benchmarks
	$(BIN)/mypy src functions bench

pytest: $(STAMP)  ## The test suite: unit, integration and end-to-end on the local cloud
	$(BIN)/pytest

aws-checks: $(STAMP)  ## cfn-lint, sam validate --lint, sam build, asl-validator
	@echo "aws-checks: nothing to validate yet"

bench-render: bootstrap  ## Renderer speed and quality benchmark (see README for the figures)
	$(BIN)/python bench/render_bench.py

bench-schedule: $(STAMP)  ## Scheduling benchmark: count split vs duration-aware batching
	$(BIN)/python bench/schedule_bench.py

clean:  ## Remove build and test artefacts (keeps the virtualenv)
	rm -rf .aws-sam .mypy_cache .ruff_cache .pytest_cache output runs
