PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed

.PHONY: demo test venv clean bench

# the example device plugin, installed like any third-party plugin: the tests discover it
PLUGIN := examples/kettle-plugin-example

$(STAMP): pyproject.toml constraints.txt $(PLUGIN)/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c constraints.txt -e ".[all,test]"
	$(PIP) install --quiet -c constraints.txt -e $(PLUGIN)
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(PY) -m kettle demo

test: $(STAMP)
	$(PY) -m pytest -n 2 -q tests

bench: $(STAMP)
	cd benchmarks && ../$(PY) forward.py && ../$(PY) gradients.py && ../$(PY) interfaces.py

clean:
	rm -rf $(VENV) build *.egg-info
