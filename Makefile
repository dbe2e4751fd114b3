# Trygg: `make demo` serves the whole system with demo data; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The web app's port: `make demo PORT=8080`. The receivers' ports follow DC09_PORT and
# SCAIP_PORT (`make demo DC09_PORT=7200 SCAIP_PORT=5070`), which make hands to the server.
# The demo serves as people will use it, with debug off (error pages, not tracebacks, and a
# secret key of its own in var/); `make demo DEBUG=true` for a developer's tracebacks.
PORT ?= 8000
export SITE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: install demo serve test lint format lock messages clean

$(STAMP): requirements.lock pyproject.toml
	bash scripts/bootstrap-venv.sh "$(PYTHON)" "$(VENV)"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/trygg migrate --noinput -v0
	$(BIN)/trygg seed --demo
	DEBUG=$${DEBUG:-false} $(BIN)/trygg serve --port $(PORT) --demo-logins

serve: $(STAMP)
	DEBUG=$${DEBUG:-false} $(BIN)/trygg serve --port $(PORT)

test: $(STAMP)
	bash scripts/test.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy trygg

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Re-pin every dependency after changing pyproject.toml.
lock: $(STAMP)
	$(BIN)/pip install -q uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
