/* bench/emptytp: empty BPF programs, the floor any tracer of a tracepoint pays.
 *
 * The cost benchmark (tests/bench/run.sh, bench_diagnose_cost) attaches
 * them to the very tracepoints agentune diagnose attaches, of the same kind
 * (tp_btf, or raw_tp where diagnose falls back to it): what diagnose costs
 * beyond this is the work its programs do.  emptytp.c loads one tp_btf
 * instance per tracepoint (a tp_btf program is bound to its tracepoint at
 * load time) or attaches the one raw_tp program to every tracepoint.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

/* The target is replaced before load (bpf_program__set_attach_target). */
SEC("tp_btf/sched_switch")
int empty_btf(void *ctx)
{
	return 0;
}

SEC("raw_tp")
int empty_raw(void *ctx)
{
	return 0;
}
