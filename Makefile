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
	rt-tests sockperf linux-perf bpftrace stress-ng iputils-ping nftables \
	systemd prometheus prometheus-node-exporter curl python3 \
	scdoc man-db debhelper dpkg-dev fakeroot lintian

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
# The version: a semantic version in VERSION (the one place it is written),
# then the commit it was built from when the tree is a git checkout
# ("0.3.0+g1234abc", ".dirty" with uncommitted changes), else from the
# .gitrev file `make deb` leaves in the tree it packages.
VERSION_BASE := $(shell cat VERSION)
GIT_REV := $(shell if [ -r .gitrev ]; then cat .gitrev; \
	elif git rev-parse --git-dir >/dev/null 2>&1; then \
	r=$$(git rev-parse --short=7 HEAD 2>/dev/null) && \
	{ git diff --quiet HEAD -- 2>/dev/null && echo "$$r" || echo "$$r.dirty"; }; fi)
VERSION := $(VERSION_BASE)$(if $(GIT_REV),+g$(GIT_REV))

SBINDIR ?= $(PREFIX)/sbin
MANDIR  ?= $(PREFIX)/share/man
DOCDIR  ?= $(PREFIX)/share/doc/agentune
UNITDIR ?= /lib/systemd/system
GENERATORDIR ?= /lib/systemd/system-generators
SYSCONFDIR ?= /etc

MAN_SRC := $(wildcard man/*.scd)
MAN_OUT := $(MAN_SRC:man/%.scd=$(B)/man/%)

.PHONY: all check demo bench install uninstall clean deps unit asan fuzz tools man deb
all: $(B)/agentune tools man

# Man pages: scdoc sources in man/, the version filled in.
man: $(MAN_OUT)
$(B)/man/%: man/%.scd VERSION
	@mkdir -p $(dir $@)
	sed 's/@VERSION@/$(VERSION_BASE)/g' $< | scdoc > $@.tmp && mv $@.tmp $@

# The diagnose BPF programs: vmlinux.h, the BPF object, the skeleton.
include bpf/bpf.mk
$(B)/src/diagnose/probe.o: $(BPF_SKEL)
$(B)/src/tune/winctl.o: $(STEPWATCH_SKEL)

$(B)/%.o: %.c $(wildcard src/*/*.h cli/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -DAGENTUNE_VERSION='"$(VERSION)"' -DAGENTUNE_DATADIR='"$(PREFIX)/share/agentune"' -c $< -o $@

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

# libFuzzer harnesses for the parsers (clang).  The library is compiled
# once with the fuzzer's instrumentation, then linked into every harness
# (compiling it again per harness made `make fuzz` take minutes).
FUZZ_CFLAGS := -g -O1 -std=gnu11 -D_GNU_SOURCE -Isrc -Ibpf -I$(BPF_B) $(PKG_CFLAGS)
FUZZ_O := $(SRC_C:%.c=$(B)/fuzzobj/%.o)

$(B)/fuzzobj/%.o: %.c $(BPF_SKEL) $(STEPWATCH_SKEL)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

$(B)/fuzz/%: tests/fuzz/%.c $(FUZZ_O)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined $< $(FUZZ_O) -o $@ \
		$(PKG_LDLIBS) $(BPF_LDLIBS) -lm

fuzz: $(FUZZ_BIN)

tools: $(B)/tests/genhost $(B)/agentloop $(B)/tests/emptytp $(B)/tests/slackwait

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

# The timer slack benchmark's timed waits (tests/bench/README.md).
$(B)/tests/slackwait: tests/bench/slackwait.c
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

# The binary in sbin (a root tool), man pages, completions, profiles, docs,
# and the systemd units and their configuration where the tree has them
# (systemd/*.service, *.timer; etc/agentune.conf).
install: $(B)/agentune man
	install -D -m 0755 $(B)/agentune $(DESTDIR)$(SBINDIR)/agentune
	install -D -m 0644 $(B)/man/agentune.8 $(DESTDIR)$(MANDIR)/man8/agentune.8
	install -D -m 0644 $(B)/man/agentune.profile.5 $(DESTDIR)$(MANDIR)/man5/agentune.profile.5
	install -D -m 0644 completions/agentune.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/agentune
	install -D -m 0644 completions/_agentune $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_agentune
	install -d $(DESTDIR)$(PREFIX)/share/agentune/profiles
	install -m 0644 profiles/*.profile $(DESTDIR)$(PREFIX)/share/agentune/profiles/
	install -D -m 0644 docs/json-schema.md $(DESTDIR)$(DOCDIR)/json-schema.md
	@set -e; for u in $(wildcard systemd/*.service systemd/*.timer); do \
		echo "install -D -m 0644 $$u $(DESTDIR)$(UNITDIR)/$${u#systemd/}"; \
		install -D -m 0644 $$u $(DESTDIR)$(UNITDIR)/$${u#systemd/}; done
	@if [ -f systemd/agentune-generator ]; then \
		echo "install -D -m 0755 systemd/agentune-generator $(DESTDIR)$(GENERATORDIR)/agentune-generator"; \
		install -D -m 0755 systemd/agentune-generator $(DESTDIR)$(GENERATORDIR)/agentune-generator; fi
	@if [ -f etc/agentune.conf ] && [ ! -e $(DESTDIR)$(SYSCONFDIR)/agentune/agentune.conf ]; then \
		echo "install -D -m 0644 etc/agentune.conf $(DESTDIR)$(SYSCONFDIR)/agentune/agentune.conf"; \
		install -D -m 0644 etc/agentune.conf $(DESTDIR)$(SYSCONFDIR)/agentune/agentune.conf; fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/agentune $(DESTDIR)$(PREFIX)/bin/agentune \
		$(DESTDIR)$(MANDIR)/man8/agentune.8 $(DESTDIR)$(MANDIR)/man5/agentune.profile.5 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/agentune \
		$(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_agentune
	rm -rf $(DESTDIR)$(PREFIX)/share/agentune $(DESTDIR)$(DOCDIR)
	@for u in $(wildcard systemd/*.service systemd/*.timer); do \
		rm -f $(DESTDIR)$(UNITDIR)/$${u#systemd/}; done
	rm -f $(DESTDIR)$(GENERATORDIR)/agentune-generator

# The Debian package, built from a copy of this tree (tracked and untracked
# files, not build/ or .git) under $(B)/deb, so that neither the tree nor
# its parent gets dpkg-buildpackage's files: $(B)/agentune_VERSION_ARCH.deb.
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null)
DEB_FILE := agentune_$(VERSION_BASE)_$(DEB_ARCH).deb
deb: $(B)/$(DEB_FILE)
$(B)/$(DEB_FILE): FORCE
	@v=$$(dpkg-parsechangelog -S Version 2>/dev/null); [ "$$v" = "$(VERSION_BASE)" ] || \
		{ echo "deb: debian/changelog is at $$v, VERSION at $(VERSION_BASE): add a changelog entry (dch -v $(VERSION_BASE))" >&2; exit 1; }
	rm -rf $(B)/deb && mkdir -p $(B)/deb/agentune-$(VERSION_BASE)
	tar -c --exclude=./build --exclude=./.git --exclude='./$(B)' . | tar -x -C $(B)/deb/agentune-$(VERSION_BASE)
	echo '$(GIT_REV)' > $(B)/deb/agentune-$(VERSION_BASE)/.gitrev
	cd $(B)/deb/agentune-$(VERSION_BASE) && dpkg-buildpackage -b -us -uc --no-sign
	cp $(B)/deb/$(DEB_FILE) $@
	@echo "deb: $@"
FORCE:

clean:
	rm -rf build
