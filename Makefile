# libzizq — build, demo, test, bench, install.
#
#   make demo     build everything, start the bundled test server, run the C quickstart
#   make test     every suite (installs missing packages first)
#   make bench    against the official Rust client, instant and cost-shaped server (bench/run.sh)
#   make install  PREFIX=/usr/local (default), DESTDIR for staging; make uninstall
#   make fuzz     a short slice of every fuzz target (FUZZ_SECONDS each, default 25)
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

# The one version, from the Cargo workspace ([workspace.package] in Cargo.toml).
VERSION    := $(shell sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
MAJOR      := $(firstword $(subst ., ,$(VERSION)))

# make install
PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR     ?= $(PREFIX)/bin
CMAKEDIR   := $(LIBDIR)/cmake/zizq
# What the Rust staticlib needs from the system: `rustc --print
# native-static-libs` (ring's C code is inside libzizq.a).
LIBS_PRIVATE := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
# The in-tree install that the Go suite builds against (bindings/go/run_tests.sh).
STAGE      := $(CURDIR)/target/stage
SUBST      := sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
              -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
              -e 's|@MAJOR@|$(MAJOR)|g' -e 's|@LIBS_PRIVATE@|$(LIBS_PRIVATE)|g'

.PHONY: all build demo test deps check-header check-exports check-versions test-rust test-c test-ruby test-go test-python test-install install uninstall stage bench lint clean fuzz miri tsan valgrind test-sanitizers

all: build

# The library's SONAME is libzizq.so.$(MAJOR), so programs linked in the tree
# load that name: the link beside the build is what an install provides.
build:
	$(CARGO) build --release --lib -p libzizq
	$(CARGO) build --release -p zizq-testserver
	ln -sf libzizq.so $(RELEASE)/libzizq.so.$(MAJOR)

# Installs what `make build` made (run it first; `make install` does not run
# cargo, so `sudo make install` needs no Rust toolchain for root).
install:
	@for f in $(LIB) $(RELEASE)/libzizq.a $(SERVER); do \
	  [ -f $$f ] || { echo "make install: $$f is missing; run make first"; exit 1; }; done
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(CMAKEDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(BINDIR)
	install -m 755 $(LIB) $(DESTDIR)$(LIBDIR)/libzizq.so.$(VERSION)
	ln -sf libzizq.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libzizq.so.$(MAJOR)
	ln -sf libzizq.so.$(MAJOR) $(DESTDIR)$(LIBDIR)/libzizq.so
	install -m 644 $(RELEASE)/libzizq.a $(DESTDIR)$(LIBDIR)/libzizq.a
	install -m 644 include/zizq.h $(DESTDIR)$(INCLUDEDIR)/zizq.h
	install -m 644 include/zizq.abi.json $(DESTDIR)$(INCLUDEDIR)/zizq.abi.json
	$(SUBST) packaging/zizq.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/zizq.pc
	$(SUBST) packaging/zizqConfig.cmake.in > $(DESTDIR)$(CMAKEDIR)/zizqConfig.cmake
	$(SUBST) packaging/zizqConfigVersion.cmake.in > $(DESTDIR)$(CMAKEDIR)/zizqConfigVersion.cmake
	install -m 755 $(SERVER) $(DESTDIR)$(BINDIR)/zizq-testserver

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libzizq.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libzizq.so.$(MAJOR) \
	  $(DESTDIR)$(LIBDIR)/libzizq.so $(DESTDIR)$(LIBDIR)/libzizq.a $(DESTDIR)$(INCLUDEDIR)/zizq.h \
	  $(DESTDIR)$(INCLUDEDIR)/zizq.abi.json \
	  $(DESTDIR)$(LIBDIR)/pkgconfig/zizq.pc $(DESTDIR)$(CMAKEDIR)/zizqConfig.cmake \
	  $(DESTDIR)$(CMAKEDIR)/zizqConfigVersion.cmake $(DESTDIR)$(BINDIR)/zizq-testserver
	rmdir $(DESTDIR)$(CMAKEDIR) 2>/dev/null || true

stage: build
	$(MAKE) --no-print-directory install PREFIX=$(STAGE)

$(BUILD_C):
	mkdir -p $(BUILD_C)

$(BUILD_C)/quickstart: examples-c/quickstart.c include/zizq.h build | $(BUILD_C)
	$(CC) -O2 $(CFLAGS_STRICT) $< -o $@ $(LINK)

$(BUILD_C)/throughput: examples-c/throughput.c include/zizq.h build | $(BUILD_C)
	$(CC) -O2 $(CFLAGS_STRICT) $< -o $@ $(LINK)

$(BUILD_C)/events: examples-c/events.c include/zizq.h build | $(BUILD_C)
	$(CC) -O2 $(CFLAGS_STRICT) $< -o $@ $(LINK)

$(BUILD_C)/frame_loop: examples-c/frame_loop.c include/zizq.h build | $(BUILD_C)
	$(CC) -O2 $(CFLAGS_STRICT) $< -o $@ $(LINK)

$(BUILD_C)/abi_test: tests/c/abi_test.c include/zizq.h build | $(BUILD_C)
	$(CC) $(SANITIZE) $(CFLAGS_STRICT) $< -o $@ $(LINK)

demo: $(BUILD_C)/quickstart
	@echo "== starting the bundled zizq-testserver and running examples-c/quickstart.c"
	ZIZQ_TEST_URL= scripts/with-testserver.sh $(BUILD_C)/quickstart

# test-rust comes last: `cargo test --workspace` builds libzizq with the
# features the test server and dev-dependencies add, which relinks
# target/release/libzizq.so; everything before it uses the `build` one (the
# Python and Ruby install tests check that they reuse it).
test: deps build lint check-header check-exports check-versions test-c test-sanitizers test-ruby test-python test-go test-install test-rust
	@echo "== all suites passed"

deps:
	scripts/install-deps.sh

# The committed header and ABI description must equal a fresh build's (the
# build just regenerated them), and the header compile alone as C11 and C++17.
check-header: build | $(BUILD_C)
	git diff --exit-code -- include/zizq.h include/zizq.abi.json || { echo "include/zizq.h or include/zizq.abi.json is stale: commit the regenerated files"; exit 1; }
	git ls-files --error-unmatch include/zizq.abi.json >/dev/null || { echo "include/zizq.abi.json is not committed"; exit 1; }
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

test-c: $(BUILD_C)/abi_test $(BUILD_C)/quickstart $(BUILD_C)/throughput $(BUILD_C)/events $(BUILD_C)/frame_loop
	ASAN_OPTIONS=detect_leaks=1 scripts/with-testserver.sh $(BUILD_C)/abi_test
	scripts/with-testserver.sh $(BUILD_C)/quickstart > /dev/null
	scripts/with-testserver.sh $(BUILD_C)/events | grep -q 'worker.reconnect_scheduled'
	JOB_COUNT=2000 scripts/with-testserver.sh $(BUILD_C)/throughput
	FRAMES=120 scripts/with-testserver.sh $(BUILD_C)/frame_loop

test-ruby: build
	ZIZQ_LIB=$(CURDIR)/$(LIB) ZIZQ_TESTSERVER=$(CURDIR)/$(SERVER) bindings/ruby/run_tests.sh

test-python: build
	ZIZQ_LIB=$(CURDIR)/$(LIB) ZIZQ_TESTSERVER=$(CURDIR)/$(SERVER) bindings/python/run_tests.sh

# The Go suite links the staged install, as users link an installed one.
test-go: stage
	ZIZQ_STAGE=$(STAGE) bindings/go/run_tests.sh

# Header macros, zizq.pc, the CMake version file, the Python and Ruby package
# metadata and each shim's library_version all carry the Cargo version.
check-versions: stage
	scripts/check-versions.sh

# make install into a fresh prefix, then each language's quick start against
# the installed library and zizq-testserver only (scripts/test-install.sh).
test-install: build
	scripts/test-install.sh

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

# Formatting and warnings in every language; for Rust also the unsafe
# discipline set in Cargo.toml ([lints]): a SAFETY comment on every unsafe
# block, a `# Safety` section on every unsafe fn, unsafe_op_in_unsafe_fn.
lint: stage
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	ruby -wc $$(find bindings/ruby -name '*.rb') > /dev/null
	test -z "$$(gofmt -l bindings/go)"
	cd bindings/go && PKG_CONFIG_PATH=$(STAGE)/lib/pkgconfig go vet ./...

clean:
	$(CARGO) clean
