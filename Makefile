# The two commands: `make run` and `make test`. Both create .venv themselves.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
INDEX  ?= instance/index
EXTRAS ?= test

.PHONY: run test install install-test clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.base: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.test-$(EXTRAS): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $@ $(VENV)/.base

install: $(VENV)/.base
install-test: $(VENV)/.test-$(EXTRAS)

# `stats` succeeds only on a published index, so a folder left by a reindex killed midway
# (or an empty one) is indexed again rather than served.
run: install
	@$(PY) manage.py --index $(INDEX) stats >/dev/null 2>&1 || $(PY) manage.py --index $(INDEX) reindex samples
	$(PY) manage.py --index $(INDEX) serve

test: install-test
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
