# The team's habits. A fresh clone needs only `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .venv-tools
STAMP := $(VENV)/.installed
TOOLS_STAMP := $(TOOLS)/.installed
PORT ?= 3000

.PHONY: help run test lint typecheck tests unit template-lint openapi bench bench-smoke bench-compression bench-bytecode bytecode build deploy clean

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(TOOLS_STAMP): pyproject.toml
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --upgrade pip
	$(TOOLS)/bin/pip install --quiet 'aws-sam-cli==1.148.0' 'checkov==3.1.47'
	touch $@

# Each fresh interpreter (a cold start, a `charging-sessions invoke`) would otherwise compile the project's modules
# from source again wherever PYTHONDONTWRITEBYTECODE is set; only changed files are compiled.
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q functions layers/charging_sessions/charging_sessions local_toolkit bench

run: $(STAMP) bytecode ## set up, then serve the API locally on an embedded DynamoDB emulation with demo data
	$(BIN)/charging-sessions serve --port $(PORT)

test: $(STAMP) $(TOOLS_STAMP) lint typecheck template-lint tests ## set up, lint, type-check, check the template, run every test

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

tests: $(STAMP) bytecode ## every test: unit, integration (moto), contract, end to end, the benchmark's smoke size (minutes)
	$(BIN)/pytest

unit: $(STAMP) ## the unit layer alone (seconds)
	$(BIN)/pytest tests/unit

openapi: $(STAMP) ## regenerate docs/openapi.json from the code
	$(BIN)/charging-sessions openapi --output docs/openapi.json

bench: $(STAMP) bytecode ## benchmark: read units, DynamoDB calls, time, cold start (minutes; writes bench/results/latest.json)
	$(BIN)/python -m bench.run

bench-smoke: $(STAMP) ## the benchmark at smoke size (seconds; what CI runs, as a test)
	$(BIN)/python -m bench.run --smoke

bench-bytecode: $(STAMP) bytecode ## the layer's init with and without the bytecode its build ships, beside bare boto3 (a minute; pip)
	$(BIN)/python -m bench.bytecode

bench-compression: $(STAMP) ## gzip levels side by side on demo pages: bytes sent and CPU time (seconds)
	$(BIN)/python -m bench.compression

template-lint: $(TOOLS_STAMP)
	$(TOOLS)/bin/sam validate --lint --template template.yaml
	$(TOOLS)/bin/checkov --quiet --compact --skip-download --framework cloudformation -f template.yaml

build: $(TOOLS_STAMP) ## sam build (Python 3.12 through pyenv when present)
	PYENV_VERSION=$${PYENV_VERSION:-3.12.1} $(TOOLS)/bin/sam build --template template.yaml

deploy: build ## build, then deploy with SAM (asks for parameters the first time)
	$(TOOLS)/bin/sam deploy --guided

clean:
	rm -rf $(VENV) $(TOOLS) .aws-sam .pytest_cache .mypy_cache .ruff_cache .hypothesis *.egg-info
