# Two commands set everything up on a machine with only python3 and make:
#   make demo   creates .venv, installs dealias (with matplotlib), runs the demo
#   make test   creates .venv, installs dealias with its test tools (and matplotlib, whose
#               plots are tested too), runs the whole suite
# Every version is pinned in constraints.txt.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: demo test lint mutation mutation-report clean bench doctor-bench

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

bench: $(VENV)/.demo-installed
	$(PY) benchmarks/bench.py

# doctor on its benchmark of buggy and clean loops: detection and false-alarm rates
doctor-bench: $(VENV)/.demo-installed
	$(PY) benchmarks/doctor_bench.py

$(VENV)/.dev-installed: pyproject.toml constraints.txt | $(PY)
	$(PIP) -e '.[test,dev]'
	touch $@

# Mutation testing of manual/ with mutmut ([tool.mutmut] in pyproject.toml); slow, so not
# part of 'make test'. MUTANTS='manual.sgd*' narrows the run to one module's mutants.
mutation: $(VENV)/.dev-installed
	nice $(VENV)/bin/mutmut run $(MUTANTS)
	$(VENV)/bin/mutmut export-cicd-stats
	$(PY) -c 'import json; s = json.load(open("mutants/mutmut-cicd-stats.json")); \
	k = s["killed"] + s["timeout"]; \
	n = k + s["survived"] + s["no_tests"] + s["suspicious"] + s["segfault"]; \
	print(f"mutation score: {k} of {n} mutants run killed, {100 * k / max(n, 1):.1f}%")'

mutation-report: $(VENV)/.dev-installed
	$(PY) docs/mutation_report.py

lint: $(VENV)/.test-installed
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache *.egg-info mutants
