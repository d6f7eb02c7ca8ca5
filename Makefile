# libzizq — build, demo, test, bench.
#
#   make demo    build everything, start the bundled test server, run the C quickstart
#   make test    every suite (installs missing packages first)
#   make bench   throughput against the official Rust client (bench/run.sh)
#   make fuzz    a short slice of every fuzz target (FUZZ_SECONDS each, default 25)
#   make miri / make tsan / make valgrind   the sanitizer runs (fuzz/README.md)

CARGO      ?= cargo
CC         ?= cc
RELEASE    := target/release
LIB        := $(RELEASE)/libzizq.so
SERVER     := $(RELEASE)/zizq-testserver
CFLAGS_STRICT := -std=c11 -Wall -Wextra -Werror -pedantic -Iinclude
SANITIZE   := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LINK       := -L$(RELEASE) -lzizq -lpthread -Wl,-rpath,$(CURDIR)/$(RELEASE)
BUILD_C    := target/c

.PHONY: all build demo test deps check-header check-exports test-rust test-c test-ruby test-go test-python bench lint clean fuzz miri tsan valgrind test-sanitizers

all: build

build:
	$(CARGO) build --release --lib -p libzizq
	$(CARGO) build --release -p zizq-testserver

$(BUILD_C):
	mkdir -p $(BUILD_C)

$(BUILD_C)/quickstart: examples-c/quickstart.c include/zizq.h build | $(BUILD_C)
	$(CC) -O2 $(CFLAGS_STRICT) $< -o $@ $(LINK)

$(BUILD_C)/throughput: examples-c/throughput.c include/zizq.h build | $(BUILD_C)
	$(CC) -O2 $(CFLAGS_STRICT) $< -o $@ $(LINK)

$(BUILD_C)/abi_test: tests/c/abi_test.c include/zizq.h build | $(BUILD_C)
	$(CC) $(SANITIZE) $(CFLAGS_STRICT) $< -o $@ $(LINK)

demo: $(BUILD_C)/quickstart
	@echo "== starting the bundled zizq-testserver and running examples-c/quickstart.c"
	ZIZQ_TEST_URL= scripts/with-testserver.sh $(BUILD_C)/quickstart

test: deps build check-header check-exports test-rust test-c test-sanitizers test-ruby test-python test-go
	@echo "== all suites passed"

deps:
	scripts/install-deps.sh

# The committed header must equal a fresh cbindgen run (the build just
# regenerated it) and compile alone as C11 and C++17.
check-header: build | $(BUILD_C)
	git diff --exit-code -- include/zizq.h || { echo "include/zizq.h is stale: commit the regenerated header"; exit 1; }
	printf '#include "zizq.h"\n#include "zizq.h"\nint main(void) { return (int)zizq_abi_version() - ZIZQ_ABI_VERSION; }\n' > $(BUILD_C)/header.c
	$(CC) $(CFLAGS_STRICT) -c $(BUILD_C)/header.c -o $(BUILD_C)/header_c.o
	$(CXX) -std=c++17 -Wall -Wextra -Werror -pedantic -Iinclude -x c++ -c $(BUILD_C)/header.c -o $(BUILD_C)/header_cpp.o

# Only zizq_* symbols are exported, and the C test calls every one of them.
check-exports: build
	@bad=$$(nm -D --defined-only $(LIB) | awk '{print $$3}' | grep -v '^zizq_' || true); \
	  if [ -n "$$bad" ]; then echo "unexpected exports: $$bad"; exit 1; fi
	@missing=$$(for f in $$(nm -D --defined-only $(LIB) | awk '{print $$3}'); do \
	  grep -q "\b$$f\b" tests/c/abi_test.c || echo $$f; done); \
	  if [ -n "$$missing" ]; then echo "not exercised by tests/c/abi_test.c: $$missing"; exit 1; fi
	@echo "exports: $$(nm -D --defined-only $(LIB) | wc -l) zizq_* functions, all exercised by the C test"

test-rust:
	$(CARGO) test --workspace --release

test-c: $(BUILD_C)/abi_test $(BUILD_C)/quickstart $(BUILD_C)/throughput
	ASAN_OPTIONS=detect_leaks=1 scripts/with-testserver.sh $(BUILD_C)/abi_test
	scripts/with-testserver.sh $(BUILD_C)/quickstart > /dev/null
	JOB_COUNT=2000 scripts/with-testserver.sh $(BUILD_C)/throughput

test-ruby: build
	ZIZQ_LIB=$(CURDIR)/$(LIB) ZIZQ_TESTSERVER=$(CURDIR)/$(SERVER) bindings/ruby/run_tests.sh

test-python: build
	ZIZQ_LIB=$(CURDIR)/$(LIB) ZIZQ_TESTSERVER=$(CURDIR)/$(SERVER) bindings/python/run_tests.sh

test-go: build
	ZIZQ_TESTSERVER=$(CURDIR)/$(SERVER) bindings/go/run_tests.sh

bench:
	bench/run.sh

fuzz:
	scripts/fuzz.sh

miri:
	scripts/miri.sh

tsan: build
	scripts/tsan.sh

valgrind: build
	scripts/valgrind.sh

# The sanitizer runs quick enough for every `make test` (valgrind: about 15 s
# here); Miri, TSan (a build-std build) and fuzzing stay separate targets.
test-sanitizers: valgrind

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	ruby -wc $$(find bindings/ruby -name '*.rb') > /dev/null
	test -z "$$(gofmt -l bindings/go)"
	cd bindings/go && go vet ./...

clean:
	$(CARGO) clean
