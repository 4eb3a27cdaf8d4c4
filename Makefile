# The two commands a new user needs: `make run` and `make test`. Everything else builds on them.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONFIG ?= tradewatch.toml
CHAOS_SEED ?=

# Prefect: keep its state inside the project, no telemetry offline, and room for a cold ephemeral start.
export PREFECT_HOME ?= $(CURDIR)/.prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 120

.PHONY: run test lint bench eval chaos clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/tradewatch run --config $(CONFIG)

test: $(STAMP) lint
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench.pipeline

# 20 runs SIGKILLed at random moments (seeded; CHAOS_SEED=N repeats one), then a clean run, compared with
# a run never killed; and two runs started at once.
chaos: $(STAMP)
	CHAOS_SEED=$(CHAOS_SEED) $(BIN)/python -m bench.chaos

eval: $(STAMP)
	$(BIN)/python -m bench.eval_detection
	$(BIN)/python -m bench.eval_sameness

clean:
	rm -rf $(VENV) .prefect data/*.duckdb bench/out
