# Every target installs what it needs: a fresh machine needs only python3, node and npm.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: setup socat test bench demo clean fuzz

setup: $(STAMP) $(NODE_STAMP) socat

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
	$(PY) -m pytest -q

bench: setup
	$(PY) -m bench.run

demo: setup
	$(PY) -m lightclient.demo

# Coverage-guided fuzzing (atheris) of every decoder of untrusted bytes, >= 10^6 inputs each, two
# processes at a time; figures merged into bench/results.json (docs/fuzzing.md).
# FUZZ_ARGS="--targets cbor,rpc --max-seconds 600" narrows or caps a run.
FUZZ_ARGS ?=
fuzz: setup
	nice $(PY) -m fuzz.campaign --runs 1000000 --jobs 2 $(FUZZ_ARGS)

clean:
	rm -rf $(VENV) node_modules bench/results.json build/fuzz
