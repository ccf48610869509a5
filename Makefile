# Two commands do everything on a fresh clone:
#   make demo   install into .venv and start the demo (SQLite, bundled offline embedder, sample community)
#   make test   install into .venv and run lint, type checks and the whole test suite
# And with Node.js/npm:
#   make playground   a real-client check: Microsoft 365 Agents Playground (npm) in front of the demo,
#                     scripted Teams activities and their replies checked (needs npm; not part of test)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck pytest playground clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU build of torch first: any other torch would pull a multi-GB CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/yorozu demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# pytest exits 5 when it collects nothing: that means the suite went missing, so it fails loudly.
pytest: $(STAMP)
	@$(BIN)/python -m pytest -q; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: the test suite is missing" >&2; exit 1; fi; \
	exit $$status

test: lint typecheck pytest

# scripts/teams-playground.sh; docs/teams.md says what it checks and how to use the Playground by hand.
playground: $(STAMP)
	PYTHON=$(BIN)/python YOROZU=$(BIN)/yorozu scripts/teams-playground.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .cache/teams-playground
