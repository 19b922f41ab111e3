# Every target installs what it needs: a fresh machine needs only python3, node and npm.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: setup socat chain test bench demo clean

setup: $(STAMP) $(NODE_STAMP) socat chain

# The local Cosmos SDK chain's node binary (tools/chain/, Go modules from the module proxy).
# Go's own build and module caches make a warm rebuild take seconds, so it always runs.
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
chain:
	cd tools/chain && $(GO) build -o ../../build/chain/mycroftd ./cmd/mycroftd

# socat makes the pseudo-terminal the emulated board sits behind (apt; needs root or sudo).
socat:
	@command -v socat >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq socat; }

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

$(NODE_STAMP): package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

test: setup
	cd tools/chain && $(GO) test ./x/...
	$(PY) -m pytest -q

bench: setup
	$(PY) -m bench.run

demo: setup
	$(PY) -m lightclient.demo

clean:
	rm -rf $(VENV) node_modules bench/results.json
