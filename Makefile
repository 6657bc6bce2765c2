# CloudBurst developer entry points. `make demo` and `make test` work on a fresh machine: they install
# what they need (system packages via scripts/install-system-deps, Python packages into .venv).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help bootstrap system-deps demo test lint format typecheck pytest aws-checks \
        bench-render bench-schedule clean test-scale

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 18

system-deps:  ## Install ffmpeg, a CJK font and Node.js where missing
	@scripts/install-system-deps --with-node

# setup.py and the C source: the renderer's resampler extension is compiled by this install.
$(STAMP): pyproject.toml setup.py src/cloudburst/renderer/media/_resample.c
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[all,dev]'
	@touch $@

bootstrap: system-deps $(STAMP)  ## Create the virtualenv with everything installed

demo: bootstrap  ## Render the example job on the local cloud into ./output and print the report
	@echo "CloudBurst demo: the six scenes of examples/story (English and Chinese narration and subtitles), rendered"
	@echo "on the local cloud: template.yaml and statemachine/cloudburst.asl.json run on this machine, the Lambdas"
	@echo "in this process, two renderer tasks as local processes. Videos and the report go to ./output/."
	$(BIN)/cloudburst render examples/story --output output

test-scale: $(STAMP)  ## A 2,000-scene job (renderer stub mode) on the local cloud; prints its time and memory
	CLOUDBURST_SCALE_SCENES=2000 $(BIN)/pytest -q -s -p no:cacheprovider tests/e2e/test_scale.py

test: bootstrap  ## Lint, type-check, run every test, validate the AWS application
	@# The AWS tools install (network-bound) beside lint and mypy; the tests then run alone, as they are timed.
	@$(MAKE) --no-print-directory -j2 --output-sync=target lint typecheck $(SAM_STAMP) node_modules/.package-lock.json
	@$(MAKE) --no-print-directory pytest aws-checks

lint: $(STAMP)  ## ruff: lint and formatting
	$(BIN)/ruff check src functions tests bench
	$(BIN)/ruff format --check src functions tests bench

format: $(STAMP)  ## Apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix src functions tests bench
	$(BIN)/ruff format src functions tests bench

typecheck: $(STAMP)  ## mypy (strict) over the package, the Lambda handlers, the benchmarks and the tests
	$(BIN)/mypy src functions bench tests

pytest: $(STAMP)  ## The test suite: unit, integration and end-to-end on the local cloud
	$(BIN)/pytest

# The AWS tools live in their own virtualenv: aws-sam-cli pins its own boto3 and pydantic.
SAM_VENV := .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed
AWS_TOOLS := aws-sam-cli==1.170.0 cfn-lint==1.58.0
AWS_ENV := SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1

$(SAM_STAMP):
	@test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install -q --upgrade pip
	$(SAM_VENV)/bin/python -m pip install -q $(AWS_TOOLS)
	@touch $@

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts

aws-checks: $(STAMP) $(SAM_STAMP) node_modules/.package-lock.json  ## cfn-lint, sam validate --lint, sam build, asl-validator, moto
	$(SAM_VENV)/bin/cfn-lint template.yaml
	$(AWS_ENV) $(SAM_VENV)/bin/sam validate --lint --template-file template.yaml
	@build_dir=$$(mktemp -d) && trap 'rm -rf "$$build_dir"' EXIT && \
		echo "sam build --build-dir $$build_dir" && \
		$(AWS_ENV) PYTHON="$(abspath $(BIN)/python)" $(SAM_VENV)/bin/sam build --template-file template.yaml \
			--build-dir "$$build_dir" --no-cached >/dev/null && \
		test -f "$$build_dir/CoreLayer/python/cloudburst/pipeline/plan_job.py" && \
		ls "$$build_dir"/CoreLayer/python/pydantic_core/_pydantic_core.cpython-311-x86_64-linux-gnu.so && \
		echo "sam build: ok (layer holds the package and Lambda's x86_64 CPython 3.11 wheels)"
	npx --no-install asl-validator --json-path statemachine/cloudburst.asl.json
	$(BIN)/pytest -q -p no:cacheprovider tests/unit/test_state_machine.py

bench-render: bootstrap  ## Renderer speed and quality benchmark (see README for the figures)
	$(BIN)/python bench/render_bench.py

bench-schedule: $(STAMP)  ## Scheduling benchmark: count split vs duration-aware batching
	$(BIN)/python bench/schedule_bench.py

clean:  ## Remove build and test artefacts (keeps the virtualenv)
	rm -rf .aws-sam .mypy_cache .ruff_cache .pytest_cache output runs
