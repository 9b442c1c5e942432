# tap-looker-activity project: `make demo` and `make test` on a fresh clone.
# Needs only Python 3.11 and make; everything else is installed into ./.venv.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed
PLUGINS_STAMP := .meltano/.plugins-installed

export MELTANO_SEND_ANONYMOUS_USAGE_STATS := false
export MELTANO_CLI_DISABLE_VERSION_CHECK := true
export UV_PYTHON_DOWNLOADS := never

DEMO_PORT ?= 8765
DEMO_ROWS ?= 20000
# Whatever runs meltano goes through this: private umask (plugin configurations hold secrets),
# stale configurations of killed runs removed (README, "Secrets at rest").
PRIVATE := $(BIN)/python orchestrate/meltano_private.py

.PHONY: help
help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(UV):
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (Python 3.11 is required)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): $(UV) requirements/dev.txt tap-looker-activity/pyproject.toml looker-simulator/pyproject.toml
	$(UV) pip install --quiet --python $(BIN)/python -r requirements/dev.txt \
		-e ./tap-looker-activity -e ./looker-simulator
	$(BIN)/python tests/harness/install_duckdb_extensions.py
	touch $@

$(PLUGINS_STAMP): $(STAMP) requirements/dev.txt meltano.yml singer-state-gate/pyproject.toml target-bigquery-fixes/pyproject.toml target-duckdb-guard/pyproject.toml orchestrate/airflow.meltano.yml orchestrate/airflow/constraints.txt requirements/target-bigquery.txt requirements/target-postgres.txt transform/dbt.meltano.yml requirements/dbt-duckdb.txt requirements/dbt-bigquery.txt
	$(BIN)/meltano install
	mkdir -p .meltano && touch $@

.PHONY: install
install: $(STAMP) $(PLUGINS_STAMP)  ## Create .venv and install Meltano plugins

.PHONY: lint
lint: $(STAMP)  ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy tap-looker-activity/tap_looker_activity
	cd looker-simulator && ../$(BIN)/mypy looker_simulator
	$(BIN)/mypy --config-file singer-state-gate/mypy.ini singer-state-gate/singer_state_gate \
		target-bigquery-fixes/target_bigquery_fixes
	$(BIN)/mypy --strict --ignore-missing-imports orchestrate/airflow/dags/meltano.py \
		orchestrate/meltano_private.py
	# target-duckdb itself lives only in the plugin's venv (not typed here).
	$(BIN)/mypy --strict --ignore-missing-imports target-duckdb-guard/target_duckdb_guard
	# meltano.yml and its included files against Meltano's own JSON schema.
	$(BIN)/mypy --strict --ignore-missing-imports scripts/check_meltano_schema.py
	# The demo, its report page, and the checks of the report and of the LookML project.
	$(BIN)/mypy --strict --ignore-missing-imports scripts/demo.py scripts/report.py \
		tests/browser.py tests/lookml_checks.py
	$(BIN)/python scripts/check_meltano_schema.py

.PHONY: test
test: install lint  ## Run every test suite (tap, simulator, end-to-end)
	$(BIN)/pytest -p no:cacheprovider looker-simulator/tests
	# Tap tests start their own simulators and tap processes: safe to run on both cores.
	cd tap-looker-activity && ../$(BIN)/pytest -p no:cacheprovider -n 2 tests
	# Each test's meltano has its own system dir and dbt target (tests/meltano_cli.py), so the
	# modules run on both cores (a module on one worker: its fixtures are built once); those
	# on the repository's own .meltano (the demos, Airflow) then run one after another.
	$(BIN)/pytest -p no:cacheprovider -n 2 --dist loadfile -m "not repo_meltano" tests
	$(BIN)/pytest -p no:cacheprovider -m repo_meltano tests

.PHONY: demo
demo: install  ## ELT (tap, DuckDB, dbt) over two simulated days; the answers, output/report.html
	@$(PRIVATE) $(BIN)/python scripts/demo.py --port $(DEMO_PORT) --rows $(DEMO_ROWS)

.PHONY: demo-gcp
demo-gcp: install  ## The production path (GCS staging -> BigQuery) on local emulators
	@$(PRIVATE) $(BIN)/python scripts/demo_gcp.py --port $(DEMO_PORT) --rows $(DEMO_ROWS)

.PHONY: run
run: install  ## meltano run JOB=<job> [MELTANO_ENVIRONMENT=prod], secrets kept private
	@test -n "$(JOB)" || { echo "usage: make run JOB=<job> [MELTANO_ENVIRONMENT=<env>]" >&2; exit 2; }
	$(PRIVATE) $(BIN)/meltano run $(JOB)

.PHONY: bench
bench: install  ## Benchmark under realistic Looker latency (~15 min; ARGS=--quick: ~2 min)
	$(PRIVATE) $(BIN)/python -m bench $(ARGS)

.PHONY: clean
clean:  ## Remove the venv, Meltano plugins and outputs
	rm -rf $(VENV) .meltano output
