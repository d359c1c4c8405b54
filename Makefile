# agentune — build, test, benchmark, install.
#
#   make            build build/agentune
#   make check      install what the tests need, build, run every test
#   make demo       build and run the main job on this host
#   make bench      benchmarks (not part of check)
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= gcc
CLANG   ?= clang
B       ?= build

# Debian packages the build, the tests and the benchmarks need.
DEB_PKGS := gcc make pkg-config clang llvm libbpf-dev bpftool libpci-dev pci.ids \
	libnl-3-dev libnl-genl-3-dev libcgroup-dev libncurses-dev libelf-dev zlib1g-dev \
	libinih-dev libjson-c-dev libcmocka-dev libclang-rt-14-dev bats jq tmux bzip2 \
	rt-tests sockperf linux-perf bpftrace stress-ng \
	systemd prometheus prometheus-node-exporter curl python3

PKG_LIBS := libpci libnl-genl-3.0 json-c inih libcgroup ncursesw
PKG_CFLAGS := $(shell pkg-config --cflags $(PKG_LIBS) 2>/dev/null)
PKG_LDLIBS := $(shell pkg-config --libs $(PKG_LIBS) 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wno-format-truncation
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 $(WARN) -D_GNU_SOURCE -Isrc -Ibpf $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS += $(EXTRA_LDFLAGS)
LDLIBS  += $(PKG_LDLIBS) -lm

SRC_C   := $(sort $(wildcard src/*/*.c))
CLI_C   := $(sort $(wildcard cli/*.c))
UNIT_C  := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_C  := $(sort $(wildcard tests/fuzz/fuzz_*.c))

SRC_O   := $(SRC_C:%.c=$(B)/%.o)
CLI_O   := $(CLI_C:%.c=$(B)/%.o)
UNIT_BIN := $(UNIT_C:tests/unit/%.c=$(B)/tests/%)
FUZZ_BIN := $(FUZZ_C:tests/fuzz/%.c=$(B)/fuzz/%)
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)

.PHONY: all check demo bench install uninstall clean deps unit asan fuzz tools
all: $(B)/agentune tools

# The diagnose BPF programs: vmlinux.h, the BPF object, the skeleton.
include bpf/bpf.mk
$(B)/src/diagnose/probe.o: $(BPF_SKEL)
$(B)/src/tune/winctl.o: $(STEPWATCH_SKEL)

$(B)/%.o: %.c $(wildcard src/*/*.h cli/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DAGENTUNE_VERSION='"$(VERSION)"' -DAGENTUNE_DATADIR='"$(PREFIX)/share/agentune"' -c $< -o $@

$(B)/libagentune.a: $(SRC_O)
	ar rcs $@ $^

$(B)/agentune: $(CLI_O) $(B)/libagentune.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_O) $(B)/libagentune.a $(LDLIBS)

$(B)/tests/%: tests/unit/%.c $(B)/libagentune.a tests/unit/testutil.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -DSRCDIR='"$(CURDIR)"' $< -o $@ \
		$(LDFLAGS) $(B)/libagentune.a $(LDLIBS) -lcmocka

unit: $(UNIT_BIN)

# The unit tests again under AddressSanitizer and UBSan.
asan:
	$(MAKE) B=build/asan EXTRA_CFLAGS="-O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
		EXTRA_LDFLAGS="-fsanitize=address,undefined" unit

# libFuzzer harnesses for the parsers (clang).
$(B)/fuzz/%: tests/fuzz/%.c $(SRC_C) $(BPF_SKEL) $(STEPWATCH_SKEL)
	@mkdir -p $(dir $@)
	$(CLANG) -g -O1 -std=gnu11 -D_GNU_SOURCE -Isrc -Ibpf -I$(BPF_B) $(PKG_CFLAGS) \
		-fsanitize=fuzzer,address,undefined $< $(SRC_C) -o $@ $(PKG_LDLIBS) $(BPF_LDLIBS) -lm

fuzz: $(FUZZ_BIN)

tools: $(B)/tests/genhost $(B)/agentloop $(B)/tests/emptytp

# The cost benchmark's empty BPF programs and their loader (tests/bench/README.md).
EMPTYTP_OBJ  := $(BPF_B)/emptytp.bpf.o
EMPTYTP_SKEL := $(BPF_B)/emptytp.skel.h
$(EMPTYTP_OBJ): tests/bench/emptytp.bpf.c $(BPF_B)/vmlinux.h
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(EMPTYTP_SKEL): $(EMPTYTP_OBJ)
	$(BPFTOOL) gen skeleton $< name emptytp_bpf > $@.tmp && mv $@.tmp $@

$(B)/tests/emptytp: tests/bench/emptytp.c $(EMPTYTP_SKEL)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< -o $@ $(LDFLAGS) $(BPF_LDLIBS)

# The bundled agent-loop workload (tests/workload/README.md).
$(B)/agentloop: tests/workload/agentloop.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -pthread $< -o $@

$(B)/tests/genhost: tests/tools/genhost.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< -o $@

# Installs the Debian packages that are missing; does nothing when all are there.
deps:
	@missing=""; for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		if [ "$$(id -u)" -ne 0 ]; then echo "deps: need root to install:$$missing" >&2; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	fi

check: deps
	$(MAKE) all unit fuzz
	$(MAKE) asan
	tests/run-tests.sh

demo: deps
	$(MAKE) all
	tests/demo.sh

bench: deps
	$(MAKE) all
	tests/bench/run.sh

install: $(B)/agentune
	install -D -m 0755 $(B)/agentune $(DESTDIR)$(PREFIX)/bin/agentune
	install -D -m 0644 completions/agentune.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/agentune
	install -D -m 0644 completions/_agentune $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_agentune
	@if ls profiles/*.profile >/dev/null 2>&1; then \
		install -d $(DESTDIR)$(PREFIX)/share/agentune/profiles; \
		install -m 0644 profiles/*.profile $(DESTDIR)$(PREFIX)/share/agentune/profiles/; fi

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/agentune \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/agentune \
		$(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_agentune
	rm -rf $(DESTDIR)$(PREFIX)/share/agentune

clean:
	rm -rf build
