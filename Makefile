# A newcomer's two commands: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench bench-all clean install build-DependenciesLayer

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "percapita needs Python 3.11 or newer, found " + sys.version.split()[0]'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/percapita demo --pipeline --out report

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
	$(PY) benchmarks/allocation.py
	$(PY) benchmarks/simulation.py
	$(PY) benchmarks/ingest.py

# `sam build` calls these (BuildMethod: makefile) with ARTIFACTS_DIR set: the layer gets the
# third-party wheels for arm64 / python3.12, each function only percapita's own packages.
# boto3/botocore come with the runtime; bytecode is compiled by Lambda, not shipped.
build-DependenciesLayer:
	python3 -m pip install --quiet --no-compile --only-binary=:all: --implementation cp \
		--python-version 3.12 --platform manylinux_2_28_aarch64 --platform manylinux2014_aarch64 \
		-r functions/requirements.txt -t "$(ARTIFACTS_DIR)/python"
	rm -rf "$(ARTIFACTS_DIR)"/python/boto3* "$(ARTIFACTS_DIR)"/python/botocore* \
		"$(ARTIFACTS_DIR)"/python/s3transfer* "$(ARTIFACTS_DIR)"/python/bin

build-%Function:
	mkdir -p "$(ARTIFACTS_DIR)"
	cp -r optimizer functions "$(ARTIFACTS_DIR)/"
	find "$(ARTIFACTS_DIR)" -name __pycache__ -prune -exec rm -rf {} +

clean:
	rm -rf $(VENV) report .pytest_cache .mypy_cache .ruff_cache
