# The two commands: `make run` and `make test`. Both create .venv themselves.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
INDEX  ?= instance/index
EXTRAS ?= test
# `make run` indexes the bundled demo corpus (330 real transcripts, CC BY 4.0) and turns on
# meaning search; `make run LIGHT=1` skips the semantic extra (torch, ~1.5 GB): keyword only.
# CORPUS=folder serves your own transcripts instead.
DEMO     := samples/kremlin-demo.tar.xz
DEMO_DIR := instance/kremlin-demo
CORPUS   ?= $(DEMO_DIR)
LIGHT    ?=

.PHONY: run test install install-test install-semantic clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.base: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.test-$(EXTRAS): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $@ $(VENV)/.base

$(VENV)/.semantic: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[semantic]'
	touch $@ $(VENV)/.base

install: $(VENV)/.base
install-test: $(VENV)/.test-$(EXTRAS)
install-semantic: $(VENV)/.semantic

$(DEMO_DIR): $(DEMO) | $(VENV)/bin/python
	mkdir -p $(dir $(DEMO_DIR))
	$(PY) -m tarfile -e $(DEMO) $(dir $(DEMO_DIR))
	touch $(DEMO_DIR)

# `stats` succeeds only on a published index, so a folder left by a reindex killed midway
# (or an empty one) is indexed again rather than served. The server answers keyword searches
# at once; with the semantic extra it embeds in the background (`serve --embed`), the pages
# saying how far along it is.
run: $(if $(LIGHT),install,install-semantic) $(if $(filter $(DEMO_DIR),$(CORPUS)),$(DEMO_DIR))
	@$(PY) manage.py --index $(INDEX) stats >/dev/null 2>&1 || $(PY) manage.py --index $(INDEX) reindex $(CORPUS)
	$(PY) manage.py --index $(INDEX) serve $(if $(LIGHT),,--embed)

test: install-test
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
