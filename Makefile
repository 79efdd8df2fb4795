# The two commands of the README: `make serve` (the main job) and `make test`.
# Both create the virtual environment on first use, so a fresh clone needs nothing else.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
# torch is pinned here, not in pyproject: an unpinned torch pulls a multi-GB CUDA build.
TORCH := torch==2.13.0

.PHONY: install serve test lint

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

serve: install
	$(BIN)/askbot build
	$(BIN)/askbot chat

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest
