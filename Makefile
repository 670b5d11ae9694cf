# Thin wrapper around Meson + Ninja. `make` builds build/pipelock.
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
MESON ?= meson
PY ?= /usr/bin/python3
CONFIG ?= configs/balanced.yaml
FUZZ_SECONDS ?= 20

.PHONY: all deps test-deps run test unit integration asan fuzz fuzz-smoke bench format format-check check-layers clean

all: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

deps:
	@scripts/install-deps build

test-deps:
	@scripts/install-deps test
	@# The Kubernetes schema validator (npm fixture); tests skip with the reason if this fails.
	@[ -d tests/k8s/node_modules/kubernetes-models ] || \
	    npm ci --prefix tests/k8s --no-audit --no-fund --loglevel=error || \
	    echo "test-deps: npm ci in tests/k8s failed: Kubernetes schema checks will be skipped"

$(BUILD)/build.ninja:
	$(MESON) setup $(BUILD) --buildtype=debugoptimized

run: all
	$(BUILD)/pipelock run --config $(CONFIG)

# Unit tests, fuzz-corpus replay, layering check, a short libFuzzer run per target, and the
# integration suite against the real binary.
test: test-deps $(BUILD)/build.ninja
	ninja -C $(BUILD)
	scripts/check-layers
	$(MESON) test -C $(BUILD) --print-errorlogs --num-processes 2
	$(MAKE) fuzz-smoke
	PIPELOCK_BIN=$(abspath $(BUILD)/pipelock) $(PY) -m pytest -q -rs tests/integration tests/netns

unit: all
	$(MESON) test -C $(BUILD) --print-errorlogs --suite unit

integration: all
	PIPELOCK_BIN=$(abspath $(BUILD)/pipelock) $(PY) -m pytest -q -rs tests/integration tests/netns

# Whole suite under AddressSanitizer + UndefinedBehaviorSanitizer, no recovery.
asan: test-deps
	[ -f $(ASAN_BUILD)/build.ninja ] || CC=clang $(MESON) setup $(ASAN_BUILD) \
	    --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false \
	    -Dc_args=-fno-sanitize-recover=all
	ninja -C $(ASAN_BUILD)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp) \
	    $(MESON) test -C $(ASAN_BUILD) --print-errorlogs --num-processes 2
	@# The namespace tests mostly wait on the kernel and on timeouts: they run beside the
	@# CPU-bound integration suite (two cores), their output printed after it.
	@export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp) \
	    PIPELOCK_BIN=$(abspath $(ASAN_BUILD)/pipelock) PIPELOCK_ASAN=1; \
	log=$$(mktemp); \
	( $(PY) -m pytest -q -rs -p no:cacheprovider tests/netns >$$log 2>&1; echo $$? >$$log.rc ) & \
	rc=0; $(PY) -m pytest -q -rs tests/integration || rc=$$?; \
	wait; echo "== tests/netns (ran alongside) =="; cat $$log; nrc=$$(cat $$log.rc); \
	rm -f $$log $$log.rc; [ $$rc = 0 ] && [ "$$nrc" = 0 ]

# libFuzzer builds (clang). `make fuzz` runs each target for FUZZ_SECONDS.
$(FUZZ_BUILD)/build.ninja:
	CC=clang $(MESON) setup $(FUZZ_BUILD) --buildtype=debugoptimized -Dfuzz=true \
	    -Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fno-sanitize-recover=all

fuzz: test-deps $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD)
	scripts/run-fuzz $(FUZZ_BUILD) $(FUZZ_SECONDS)

fuzz-smoke: $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD)
	scripts/run-fuzz $(FUZZ_BUILD) 5

bench: all
	@scripts/install-deps bench
	bench/run.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

check-layers:
	scripts/check-layers

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
