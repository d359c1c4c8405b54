/* stepwatch.h: what bpf/stepwatch.bpf.c and the window controller
 * (src/tune/winctl.c) share. */
#ifndef AGENTUNE_STEPWATCH_H
#define AGENTUNE_STEPWATCH_H

/* CPU ids the controller can watch: 0..8191, the largest x86 and arm64
 * kernels (NR_CPUS 8192); a CPU beyond is refused before anything is
 * written (winctl.c map_cpus).  The .bss array is 512 KiB. */
#define STEPWATCH_MAX_CPUS 8192
#define STEPWATCH_MAX_AGENTS 4096

/* One CPU, in the mmapped .bss.  The BPF side writes last_step_ns and steps
 * (only from that CPU) and clears notify when it sends an event; the
 * controller sets notify again when the CPU's window closes.  64 bytes, so
 * two CPUs never share a cache line. */
struct stepwatch_cpu {
	__u64 last_step_ns;         /* bpf_ktime_get_ns() of the last agent step */
	__u64 steps;
	__u32 notify;               /* 1: send an event at the next step */
	__u32 in_scope;             /* 1: a CPU the controller manages */
	__u8 pad[40];
};

/* "A step arrived on cpu with no open window." */
struct stepwatch_event {
	__u32 cpu;
	__u32 tgid;
	__u64 ts;
};

#endif
