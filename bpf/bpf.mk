# bpf.mk: the BPF objects (diagnose, stepwatch) and their skeletons.  Included by the top
# Makefile; also usable alone: make -f bpf/bpf.mk build/bpf/diagnose.skel.h
#
# Include it after CFLAGS and LDLIBS are set (it appends to them: a `?=`
# after it would see them defined); it does not change the default goal.
# Objects that include the skeleton depend on $(BPF_SKEL).
#
# vmlinux.h comes from the running kernel's BTF when it has one, otherwise
# from bpf/vmlinux_fallback.h (a trimmed header: only the types the programs
# use, all CO-RE relocatable), so the build works on a machine without
# /sys/kernel/btf/vmlinux.  Loading still needs kernel BTF at run time.

_bpf_goal := $(.DEFAULT_GOAL)

CLANG   ?= clang
BPFTOOL ?= bpftool
BPF_B   ?= build/bpf
BPF_ARCH ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' -e 's/ppc64le/powerpc/' -e 's/riscv64/riscv/' -e 's/s390x/s390/')
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux

BPF_SKEL := $(BPF_B)/diagnose.skel.h
BPF_OBJ  := $(BPF_B)/diagnose.bpf.o
# The PM QoS window controller's step watcher (src/tune/winctl.c).
STEPWATCH_SKEL := $(BPF_B)/stepwatch.skel.h
STEPWATCH_OBJ  := $(BPF_B)/stepwatch.bpf.o
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -I$(BPF_B) -Ibpf -Wall -Werror

# What code that includes the skeleton (src/diagnose/probe.c) needs.
BPF_LDLIBS := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf) -lelf -lz
CFLAGS += -I$(BPF_B) -Ibpf
LDLIBS += $(BPF_LDLIBS)

# Regenerated only when the source changes: a vmlinux.h that depends on the
# BTF file's timestamp would rebuild everything after every boot.
$(BPF_B)/vmlinux.h: bpf/vmlinux_fallback.h
	@mkdir -p $(BPF_B)
	@if [ -r $(VMLINUX_BTF) ] && command -v $(BPFTOOL) >/dev/null && \
	    $(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp 2>/dev/null; then \
		mv $@.tmp $@; echo "  GEN     $@ (from $(VMLINUX_BTF))"; \
	else \
		rm -f $@.tmp; cp bpf/vmlinux_fallback.h $@; \
		echo "  GEN     $@ (no kernel BTF: copied bpf/vmlinux_fallback.h)"; \
	fi

$(BPF_OBJ): bpf/diagnose.bpf.c bpf/diagnose.h $(BPF_B)/vmlinux.h
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BPF_SKEL): $(BPF_OBJ)
	$(BPFTOOL) gen skeleton $< name diagnose_bpf > $@.tmp && mv $@.tmp $@

$(STEPWATCH_OBJ): bpf/stepwatch.bpf.c bpf/stepwatch.h $(BPF_B)/vmlinux.h
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(STEPWATCH_SKEL): $(STEPWATCH_OBJ)
	$(BPFTOOL) gen skeleton $< name stepwatch_bpf > $@.tmp && mv $@.tmp $@

.PHONY: bpf bpf-clean
bpf: $(BPF_SKEL) $(STEPWATCH_SKEL)

bpf-clean:
	rm -rf $(BPF_B)

# Standalone (make -f bpf/bpf.mk) builds the skeleton; included, the
# including Makefile's default goal stays.
ifeq ($(words $(MAKEFILE_LIST)),1)
.DEFAULT_GOAL := bpf
else
.DEFAULT_GOAL := $(_bpf_goal)
endif
