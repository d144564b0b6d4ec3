# The README's two commands are `make up` and `make test`; .ci/run calls `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# make token ROLES=pre_sales REGION=cn-east USER=u1: an authorization header for calls by hand.
ROLES ?= pre_sales
USER_ID := $(if $(filter command line,$(origin USER)),$(USER),demo-user)

.PHONY: install protos docs token servers up test lint typecheck unit integration bench clean mutation

install: $(STAMP)

# Reinstall when the dependency list or any proto changes.
$(STAMP): pyproject.toml $(shell find protos -name '*.proto') deploy/local/gen_protos.py
	@bash deploy/local/install.sh "$(PYTHON)" "$(VENV)"
	@touch $(STAMP)

protos: install
	$(BIN)/python deploy/local/gen_protos.py

docs: install
	$(BIN)/python deploy/local/api_reference.py

token: install
	@$(BIN)/python deploy/local/mint_token.py --roles "$(ROLES)" --user "$(USER_ID)" \
		--region "$(REGION)" --dept "$(DEPT)"

servers:
	@bash deploy/local/ensure-servers.sh

up: install servers
	$(BIN)/python deploy/local/run.py

lint: install
	$(BIN)/ruff check $(wildcard services tests bench deploy)

typecheck: install
	$(BIN)/mypy services tests bench deploy/local/api_reference.py

unit: install
	$(BIN)/pytest tests/unit -q

test: install servers lint typecheck
	$(BIN)/pytest -q

# Mutation testing of the pure domain (mutation/README.md), not part of `make test`:
# every module under services/*/domain/ (10-30 min on 2 cores), or some of them:
#   make mutation MODULES=services/protection/domain/policy.py
# Unit tests only, no servers. Every selected mutant is run again (no stale verdicts).
MODULES ?= $(wildcard services/*/domain/*.py services/kit/*.py)
mutation: install
	rm -rf mutants/tests mutants/mutmut-stats.json
	$(BIN)/mutmut run $(foreach m,$(MODULES),'$(subst /,.,$(basename $(m))).*')
	$(BIN)/python mutation/report.py $(MODULES)

bench: install servers
	@echo "see bench/README.md for each benchmark's command"

clean:
	rm -rf $(VENV) crm .pytest_cache .mypy_cache .ruff_cache
