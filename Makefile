PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed

.PHONY: demo test venv clean bench docs typecheck wheel

# the example device plugin, installed like any third-party plugin: the tests discover it
PLUGIN := examples/kettle-plugin-example

$(STAMP): pyproject.toml constraints.txt $(PLUGIN)/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c constraints.txt -e ".[all,test,dev]"
	$(PIP) install --quiet -c constraints.txt -e $(PLUGIN)
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(PY) -m kettle demo

test: $(STAMP)
	$(PY) -m pytest -n 2 -q tests

bench: $(STAMP)
	cd benchmarks && ../$(PY) forward.py && ../$(PY) gradients.py && ../$(PY) interfaces.py

# the documentation site (API reference from the docstrings) into site/; mkdocstrings reads the
# package `kettle` from a temporary directory holding a link to the repository root
docs: $(STAMP)
	@tmp=$$(mktemp -d) && ln -s "$(CURDIR)" "$$tmp/kettle" && \
	KETTLE_DOCS_PATH="$$tmp" "$(abspath $(VENV))/bin/mkdocs" build --strict; rc=$$?; rm -rf "$$tmp"; exit $$rc

# mypy sees the repository root as the package `kettle` through a link in a temporary directory
typecheck: $(STAMP)
	@tmp=$$(mktemp -d) && ln -s "$(CURDIR)" "$$tmp/kettle" && \
	cd "$$tmp" && MYPYPATH= "$(abspath $(PY))" -m mypy --config-file "$(CURDIR)/pyproject.toml" \
	  --cache-dir "$(CURDIR)/.mypy_cache" -p kettle; rc=$$?; rm -rf "$$tmp"; exit $$rc

# the wheel and the sdist into dist/
wheel: $(STAMP)
	$(PY) -m build --no-isolation --outdir dist .

clean:
	rm -rf $(VENV) build dist site .mypy_cache *.egg-info
