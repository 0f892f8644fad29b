# A newcomer's two commands: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench bench-all clean install

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "percapita needs Python 3.11 or newer, found " + sys.version.split()[0]'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/percapita demo --out report

test: $(STAMP)
	$(PY) -m pytest -q -n 2

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Heavy measurements, never part of `make test`. The anchors (lifetimes) install on a best-effort basis.
bench: $(STAMP)
	-$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) benchmarks/value.py

clean:
	rm -rf $(VENV) report .pytest_cache .mypy_cache .ruff_cache
