# Every target installs what it needs first; `make dev` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# requirements.lock pins every package the venv holds, with hashes (`make lock`); each app's
# lock (what its zip ships) is compiled within it.
LOCK := requirements.lock
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(LOCK) | cksum | cut -d' ' -f1)

.PHONY: install lock upgrade package preview deploy lint typecheck test dev invoke execute bench clean

install: $(STAMP)

# Exactly the lock: uv, as the lock pins it (with its hashes), installs every package the lock
# lists, each file checked against its hash, and removes whatever it does not list (uv pip
# sync: no resolution; in parallel, about a minute on a fresh machine where pip's one-by-one
# install took two and a half); then this project itself.
$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# csvchat's browser test drives Debian's chromium (playwright never downloads one).
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	awk '/^uv==/ {p = 1} p {print} p && !/\\$$/ {exit}' $(LOCK) > $(VENV)/uv-requirement.txt
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r $(VENV)/uv-requirement.txt
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python --require-hashes $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-*
	touch $@

## lock: recompile requirements.lock and the apps' locks, keeping every pin pyproject allows
lock: $(STAMP)
	$(BIN)/python -m infra.locks

## upgrade: move every pin to the newest allowed, install, run the suite, report what changed
upgrade: $(STAMP)
	$(BIN)/python -m infra.upgrade

## package: `chalice package` every app into build/<app>/ (what Pulumi deploys)
package: $(STAMP)
	$(BIN)/python -m infra.packaging

# preview and deploy work on one stack, always named: make deploy STACK=dev
ifneq ($(filter preview deploy,$(MAKECMDGOALS)),)
ifeq ($(STACK),)
$(error STACK is required: make $(filter preview deploy,$(MAKECMDGOALS)) STACK=<$(patsubst Pulumi.%.yaml,%,$(wildcard Pulumi.*.yaml))>)
endif
endif

## preview: package, then what `pulumi up` would change on a stack: make preview STACK=dev
preview: $(STAMP)
	$(BIN)/python -m ops.deploy preview --stack '$(STACK)'

## deploy: package, then `pulumi up` a stack (prod asks for its name back; CI adds YES=1)
deploy: $(STAMP)
	$(BIN)/python -m ops.deploy up --stack '$(STACK)' $(if $(YES),--yes)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/actionlint -shellcheck $(BIN)/shellcheck .github/workflows/*.yml

# The systems' app folders (from infra/registry.py) are import roots for mypy; each app.py is
# checked on its own, since every app's entry point is the module `app`, with a cache of its
# own (a run that sees one app's chalicelib must not leave the whole-tree run a partial view).
# Each app's cache starts as a copy of the whole tree's, which holds everything app.py imports
# (checked, keyed by each file's hash): an app's check is then seconds, not a minute and a half
# of re-reading boto3's and pydantic's stubs on a fresh machine.
typecheck: $(STAMP)
	MYPYPATH=$$($(BIN)/python -m infra.registry mypy-path) $(BIN)/mypy --cache-dir .mypy_cache/tree
	for system in $$($(BIN)/python -m infra.registry systems); do \
	  rm -rf .mypy_cache/app-$$system && cp -r .mypy_cache/tree .mypy_cache/app-$$system && \
	  MYPYPATH=$$($(BIN)/python -m infra.registry mypy-path) $(BIN)/mypy \
	    --cache-dir .mypy_cache/app-$$system chalice_apps/$$system/app.py || exit 1; \
	done

## test: lint, type-check, then the whole pytest suite
# Two workers (the machine's cores), each test file on one of them, so a file's module-scoped
# fixtures (a moto account, a local stack) are built once.
test: package lint typecheck
	$(BIN)/python -m pytest -n 2 --dist loadfile

## dev: the local stack (moto server, resources from the Pulumi program, apps on loopback)
dev: package
	$(BIN)/python -m devstack up $(ARGS)

## invoke: run one function of the running local stack now: make invoke APP=mentions FN=ingest
invoke: $(STAMP)
	$(BIN)/python -m devstack invoke $(APP) $(FN)

## execute: run a state machine of the running local stack: make execute MACHINE=... INPUT='{}'
execute: $(STAMP)
	$(BIN)/python -m devstack execute $(MACHINE) --input '$(or $(INPUT),{})'

## bench: performance figures against a baseline in the same run (every bench/*_bench.py)
bench: package
	for script in bench/*_bench.py; do $(BIN)/python -m bench.$$(basename $$script .py) || exit 1; done

clean:
	rm -rf build .local .pytest_cache .mypy_cache .ruff_cache
