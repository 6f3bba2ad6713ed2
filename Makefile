# WeerAan: `make run` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LANGS := en uk tr ar pl
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test check format i18n catalogs language tree readme clean bench bench-profile

run: $(VENV)/.installed catalogs
	$(BIN)/weeraan serve --demo --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test catalogs check
	$(BIN)/pytest

check: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/weeraan tree check

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[bench]'
	touch $@ $(VENV)/.installed

# The figures of the design's Performance section (about 10 minutes; QUICK=1 for a short run).
# Set WEERAAN_BENCH_POSTGRES to a PostgreSQL server URL (default: the local test server).
bench: $(VENV)/.installed-bench catalogs
	$(BIN)/python -m bench $(if $(QUICK),--quick)

# Where the full Telegram step spends its time (py-spy samples the server under load).
bench-profile: $(VENV)/.installed-bench catalogs
	$(BIN)/python -m bench.profile 10

# Compile the gettext catalogs (.mo files are built, never committed).
catalogs: $(VENV)/.installed
	$(BIN)/pybabel compile -d locales -D messages --statistics

# Extract every msgid (Python code and the YAML tree), update each catalog, compile.
i18n: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k N_ --sort-by-file --no-wrap \
	    --project=WeerAan --copyright-holder="Gemeente Almere" -o locales/messages.pot .
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-wrap --ignore-obsolete
	$(MAKE) catalogs

# Add a language: `make language L=fr`, then translate locales/fr/LC_MESSAGES/messages.po.
language: $(VENV)/.installed
	@test -n "$(L)" || (echo "usage: make language L=<code>" && exit 2)
	$(BIN)/pybabel init -i locales/messages.pot -d locales -D messages -l $(L) --no-wrap
	@echo "Now translate locales/$(L)/LC_MESSAGES/messages.po; it is offered once compiled."

tree: $(VENV)/.installed
	$(BIN)/weeraan tree check
	$(BIN)/weeraan tree render

readme: $(VENV)/.installed
	$(BIN)/python -m scripts.readme_tree README.md

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
	find locales -name '*.mo' -delete
