# Every target installs what it needs: a fresh machine needs only python3, node and npm.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: setup test test-cpython test-mp bench demo clean

setup: $(STAMP) $(NODE_STAMP)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

$(NODE_STAMP): package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

test: setup
	$(PY) -m pytest -q

bench: setup
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) node_modules bench/results.json
