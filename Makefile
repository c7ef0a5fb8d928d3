# Two commands set everything up on a machine with only python3 and make:
#   make demo   creates .venv, installs dealias (with matplotlib), runs the demo
#   make test   creates .venv, installs dealias with its test tools (and matplotlib, whose
#               plots are tested too), runs the whole suite
# Every version is pinned in constraints.txt.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: demo test lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.demo-installed: pyproject.toml constraints.txt | $(PY)
	$(PIP) -e '.[plot]'
	touch $@

$(VENV)/.test-installed: pyproject.toml constraints.txt | $(PY)
	$(PIP) -e '.[test,plot]'
	touch $@

demo: $(VENV)/.demo-installed
	$(PY) -m reference demo

test: $(VENV)/.test-installed
	$(PY) -m pytest

lint: $(VENV)/.test-installed
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache *.egg-info
