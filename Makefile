# Two commands matter: `make run` (the main job on SQLite, no token needed) and `make test`.
# Each creates the virtual environment it needs on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint bench schema clean chromium

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "surveybot needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

# `make run` is the newcomer's demo (a sample survey at /demo, a dashboard sign-in printed);
# `make run SURVEYBOT_DEMO=0`, or `surveybot run` itself, is the plain main job.
SURVEYBOT_DEMO ?= 1

run: $(STAMP)
	SURVEYBOT_DEMO=$(SURVEYBOT_DEMO) $(BIN)/surveybot run

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

LINTED := $(wildcard bot tests migrations bench)

# The dashboard's browser tests drive Debian's Chromium through Playwright (never a
# downloaded browser); without it they skip locally. CI runs `make chromium` first.
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

chromium:
	@if [ -x $(CHROMIUM) ]; then echo "chromium: $$($(CHROMIUM) --version 2>/dev/null)"; else \
		echo "installing Debian's chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; fi

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

schema: $(STAMP)
	$(BIN)/surveybot flows schema --output docs/flow.schema.json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .grimp_cache
