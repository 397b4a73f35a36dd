# Front door for building, testing and running Pagoda. Every target
# bootstraps the Debian packages it needs first.
BUILD_DIR    ?= build
ASAN_DIR     ?= build-asan
JOBS         ?= $(shell nproc)
PAGODA_SHARED ?= $(abspath ../shared)
export PAGODA_SHARED

# Pagoda's own model (models/README.md); stories260K from the shared data
# and then random weights are the fallbacks (tools/default-model.sh).
MODEL  ?= models/pagoda-tiny-10m.gguf
PROMPT ?= Once upon a time
N      ?= 128
HOST   ?= 127.0.0.1
PORT   ?= 8080

.PHONY: all bootstrap configure build test test-release test-python test-sanitize run serve clean

all: build

bootstrap:
	@./tools/bootstrap.sh

$(BUILD_DIR)/CMakeCache.txt: | bootstrap
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release

configure: $(BUILD_DIR)/CMakeCache.txt

build: bootstrap configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The whole suite: the Release build's tests, the Python pipeline's smoke
# tests, then the C++ tests again under AddressSanitizer +
# UndefinedBehaviorSanitizer (what CI runs).
test: test-release test-python test-sanitize

# tools/corpus and tools/train (Debian's python3-torch; /usr/bin/python3 on purpose).
test-python: bootstrap
	/usr/bin/python3 -m unittest discover -s tests/python

test-release: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600

# AddressSanitizer + UndefinedBehaviorSanitizer build running the same tests.
# -O1 -g1 (line tables only): reports keep file:line, and the build takes
# minutes less than -O2 -g on 2 cores.
test-sanitize: bootstrap
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPAGODA_SANITIZE=ON \
	  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"
	cmake --build $(ASAN_DIR) -j $(JOBS)
	cd $(ASAN_DIR) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS) --timeout 1200

serve: build
	@./tools/serve-default.sh "$(BUILD_DIR)/bin/pagoda" "$(MODEL)" "$(HOST)" "$(PORT)"

run: build
	@./tools/run-default.sh "$(BUILD_DIR)/bin/pagoda" "$(MODEL)" "$(PROMPT)" "$(N)"

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
