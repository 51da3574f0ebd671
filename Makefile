# The two commands a new user needs: `make demo` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck fmt install migrate serve docs migration screenshots bench-dispatch bench-import bench-million bench-webhooks bench-windows clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/relaybird demo

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

fmt: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

migrate: $(STAMP)
	$(BIN)/relaybird migrate

serve: $(STAMP)
	$(BIN)/relaybird serve

# Regenerates the single initial migration from the models (allowed until the first release).
migration: $(STAMP)
	$(BIN)/python -m relaybird.db.regenerate

# The README's pictures, made by driving the product (API, signed webhooks) in Chromium.
screenshots: $(STAMP)
	$(BIN)/python -m tests.dashboard.screenshots docs/screenshots

bench-dispatch: $(STAMP)
	$(BIN)/python bench/dispatch.py

bench-import: $(STAMP)
	$(BIN)/python bench/import.py

bench-million: $(STAMP)
	$(BIN)/python bench/million.py

bench-webhooks: $(STAMP)
	$(BIN)/python bench/webhooks.py

bench-windows: $(STAMP)
	$(BIN)/python bench/windows.py

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache

docs: $(STAMP)
	$(BIN)/python -m relaybird.lifecycles > docs/state-machines.md
