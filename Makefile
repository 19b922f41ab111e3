# Every target installs what it needs: a fresh machine needs only python3, node and npm.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: setup socat espeak multilib clang chip chip-asan chain cometbft fuzz fuzz-c esp32 test test-go \
        test-py bench demo clean

setup: $(STAMP) $(NODE_STAMP) socat espeak clang chip chain

# The local Cosmos SDK chain's node binary (tools/chain/, Go modules from the module proxy).
# Go's own build and module caches make a warm rebuild take seconds, so it always runs.
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
chain:
	cd tools/chain && $(GO) build -o ../../build/chain/mycroftd ./cmd/mycroftd

# CometBFT's own light client (`cometbft light`), the peer of bench/chain_bench.py: the CometBFT
# release tools/chain/go.mod pins, built from the Go module proxy into build/cometbft/.
COMETBFT_VERSION := $(shell awk '$$1 == "github.com/cometbft/cometbft" {print $$2; exit}' tools/chain/go.mod)
cometbft:
	mkdir -p build/cometbft
	GOBIN=$(CURDIR)/build/cometbft $(GO) install github.com/cometbft/cometbft/cmd/cometbft@$(COMETBFT_VERSION)

# socat makes the pseudo-terminal the emulated board sits behind (apt; needs root or sudo).
socat:
	@command -v socat >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq socat; }

# espeak-ng speaks the test utterances the STT providers transcribe (apt; needs root or sudo).
espeak:
	@command -v espeak-ng >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq espeak-ng; }

# gcc-multilib lets gcc build the chip's 32-bit interpreter (apt; needs root or sudo).
multilib:
	@printf 'int main(void){return 0;}\n' | gcc -m32 -x c -o /dev/null - 2>/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq gcc-multilib; }

# clang with its libFuzzer runtime builds the C fuzz harnesses (apt; needs root or sudo; on Debian 12
# the runtime is libclang-rt-14-dev).
clang:
	@printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){return 0;}\n' \
	  | clang -fsanitize=fuzzer,address,undefined -x c -o /dev/null - 2>/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq clang libclang-rt-14-dev; }

# The chip's interpreter: MicroPython 1.27.0's unix port, 32-bit, firmware frozen, lccrypto
# compiled in -> build/chip/micropython32 and build/chip/mpy-cross. Incremental. Source: the
# shared tarball, or MICROPYTHON_SRC=<checkout at v1.27.0> (see firmware/ports/unix32/build.sh).
chip: multilib
	@./firmware/ports/unix32/build.sh

# The same with AddressSanitizer + UBSan (build/chip-asan): the bindings' fuzz tests under it with
#   LCCRYPTO_INTERPRETER=build/chip-asan/micropython32 .venv/bin/python -m pytest tests/chip32
chip-asan: multilib
	@SANITIZE=1 ./firmware/ports/unix32/build.sh

# libFuzzer + ASan + UBSan on lccrypto's C core, one harness per entry point taking untrusted
# bytes, seeded from Wycheproof: FUZZ_C_RUNS (10^6) executions or FUZZ_C_SECONDS (120) per harness,
# whichever first; merges fuzz.c.* into bench/results.json. docs/fuzzing.md, "C bindings".
fuzz-c: $(STAMP) clang
	$(PY) -m bench.fuzz_c

# The ESP32 firmware from the same manifest and modules (board firmware/ports/esp32/boards/
# MYCROFT_LC). Needs ESP-IDF 5.x exported in the shell; without it, it says what is missing.
esp32:
	@./firmware/ports/esp32/build.sh

$(STAMP): pyproject.toml setup.py
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

$(NODE_STAMP): package.json
	@node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' || { \
	  echo "node 20 or later is needed, found $$(node --version): docs/hardware-testers.md says how to get it" >&2; exit 1; }
	npm install --no-audit --no-fund --loglevel=error
	touch $@

# The Go module's tests beside pytest (a clean checkout misses Go's test cache: ~10 s of CPU).
# pytest on two workers (the machine's cores), each test file whole on one worker so its module
# fixtures are built once (tests/xdist_scheduling.py: the shared scenario network once, slow files first).
TEST_WORKERS ?= 2
test: setup
	@$(MAKE) --no-print-directory -j2 test-go test-py

test-go:
	cd tools/chain && $(GO) test ./x/...

test-py:
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile

bench: setup cometbft
	$(PY) -m bench.run

demo: setup
	$(PY) -m lightclient.demo

# Coverage-guided fuzzing (atheris) of every decoder of untrusted bytes, >= 10^6 inputs each, two
# processes at a time; figures merged into bench/results.json (docs/fuzzing.md).
# FUZZ_ARGS="--targets cbor,rpc --max-seconds 600" narrows or caps a run.
FUZZ_ARGS ?=
# the decoders (atheris), then the chip's C bindings (libFuzzer + ASan/UBSan, `make fuzz-c`)
fuzz: setup
	nice $(PY) -m fuzz.campaign --runs 1000000 --jobs 2 $(FUZZ_ARGS)
	$(MAKE) fuzz-c

clean:
	rm -rf $(VENV) node_modules bench/results.json build/fuzz
