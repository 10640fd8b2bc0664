# Every target installs what it needs first; `make dev` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install package lint typecheck test dev invoke execute bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip<26.3"  # chalice 1.34 requires it
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $@

## package: `chalice package` every app into build/<app>/ (what Pulumi deploys)
package: $(STAMP)
	$(BIN)/python -m infra.packaging

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy
	for app in chalice_apps/*/app.py; do $(BIN)/mypy $$app || exit 1; done

## test: lint, type-check, then the whole pytest suite
test: package lint typecheck
	$(BIN)/python -m pytest

## dev: the local stack (moto server, resources from the Pulumi program, apps on loopback)
dev: package
	$(BIN)/python -m shared.local up

## invoke: run one function of the running local stack now: make invoke APP=mentions FN=ingest
invoke: $(STAMP)
	$(BIN)/python -m shared.local invoke $(APP) $(FN)

## execute: run a state machine of the running local stack: make execute MACHINE=... INPUT='{}'
execute: $(STAMP)
	$(BIN)/python -m shared.local execute $(MACHINE) --input '$(or $(INPUT),{})'

## bench: performance figures against a baseline in the same run
bench: package
	$(BIN)/python bench/router_bench.py
	$(BIN)/python bench/local_stack_bench.py
	$(BIN)/python bench/mentions_bench.py

clean:
	rm -rf build .local .pytest_cache .mypy_cache .ruff_cache
