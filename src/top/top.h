/* top/top: the data behind `agentune top`, one frame per refresh.
 *
 * A top_source reads the host once at open (topology, PCI, interfaces and
 * NAPI through the model; the applied profile through the journal) and, at
 * each top_source_sample(), only the counters: /proc/stat, /proc/interrupts,
 * /proc/softirqs, cpuidle usage/time, cpufreq's current frequency, PM QoS,
 * the agents' threads, and the diagnose BPF programs' in-kernel aggregates
 * (one probe per --pid).  A frame holds rates over the interval since the
 * previous sample; the view (top_view.h) turns it into text.
 *
 *	struct top_source *s = top_source_open(&opts, err, sizeof(err));
 *	struct top_frame f = {0};
 *	for (;;) { sleep; top_source_sample(s, &f); render f; }
 *	top_frame_free(&f);
 *	top_source_close(s);
 */
#ifndef AGENTUNE_TOP_H
#define AGENTUNE_TOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/host.h"
#include "top/top_agent.h"

/* Softirq columns of the CPU pane; every other vector is summed in OTHER. */
enum top_softirq { TSI_NET_RX, TSI_TIMER, TSI_SCHED, TSI_RCU, TSI_BLOCK, TSI_OTHER, TSI_MAX };

#define TOP_IDLE_MAX 8          /* idle states shown per CPU */
#define TOP_IRQ_CPUS 8          /* busiest CPUs kept per IRQ */
#define TOP_PROFILES_MAX 8      /* applied profiles kept as names */

/* The window controller as figures (the header's text says the same). */
struct top_window_state {
	bool present, running, agent_exited;
	int pid;
	int64_t tokens, budget_tokens;  /* NA_S64 unknown */
	uint64_t opened, extended, denied; /* since it started */
	unsigned open, managed;   /* CPUs with a window open / managed */
};

struct top_header {
	char hostname[128], kernel[128];
	char cpufreq[96];         /* "governor schedutil (intel_pstate)" or "unavailable: why" */
	char cpuidle[96];         /* "governor menu (intel_idle)" or "unavailable: why" */
	char pmqos[96];           /* global /dev/cpu_dma_latency: "none", "20 us", "unavailable" */
	char profile[256];        /* applied profiles from the journal: "none",
	                           * "agent-latency (pid 1234, cpus 1)", or why unreadable */
	char window[128];         /* PM QoS window controller: pid, windows, tokens; "none" */
	char bpf[160];            /* "tp_btf, 12 us/s" / "off (--no-bpf)" / "off: why" */
	unsigned ncpus, nirqs;    /* CPUs shown, numbered IRQs in /proc/interrupts */
	/* The same as figures, for the exporters (top_export.h). */
	size_t nprofiles;         /* applied profiles (the journal's applies) */
	char profiles[TOP_PROFILES_MAX][128];
	int settings;             /* applied settings (status); -1 unknown */
	int drifted;              /* of them drifted or gone; -1 unknown */
	struct top_window_state win;
};

struct top_cpu {
	unsigned cpu;
	double util;              /* busy share 0..1; NaN unavailable */
	double irq_rate;          /* every /proc/interrupts row (IRQs, LOC, IPIs...) per s; NaN */
	double softirq_rate[TSI_MAX]; /* per s; NaN unavailable */
	double softirq_total;     /* per s, sum of the above; NaN */
	double idle_share[TOP_IDLE_MAX]; /* of the interval in idle state i (frame's
	                           * idle_names), 0..1; NaN when unknown */
	double freq_mhz;          /* NaN without cpufreq */
	int64_t resume_latency_us;/* PMQOS_NA, 0 = no constraint, N, NA_S64 unavailable */
	double steps_rate;        /* the agents' steps that ran here, per s; NaN without BPF */
	char threads[96];         /* agent threads that ran here: "1234 1240", "" none */
	unsigned nthreads;        /* how many (threads may be cut short) */
	char window[16];          /* PM QoS window: open, closed, budget, ..., "" unmanaged */
};

struct top_irq_cpu {
	unsigned cpu;
	double rate;
};

struct top_irq {
	char label[32];           /* "38", "LOC", "NMI" */
	bool numbered;
	unsigned irq;
	char name[64];            /* actions: "virtio2-input.0" */
	char device[96];          /* "eth0 rx 0 0000:00:03.0 msix 1 napi 257", or the chip */
	char affinity[64];        /* requested smp_affinity_list, "" unavailable */
	char effective[64];       /* effective_affinity_list, "" unavailable */
	double rate;              /* per s, all CPUs */
	size_t ncpus;             /* CPUs with a non-zero rate */
	struct top_irq_cpu cpu[TOP_IRQ_CPUS]; /* the busiest of them, busiest first */
};

struct top_frame {
	unsigned seq;             /* 1 for the first frame */
	double elapsed_s;         /* interval the rates cover */
	struct top_header hdr;
	size_t ncpus;             /* CPU rows, ascending CPU */
	struct top_cpu *cpus;
	struct top_cpu all;       /* the whole machine: util averaged, rates summed;
	                           * cpu = UINT32_MAX */
	size_t nidle;             /* idle states named */
	char idle_names[TOP_IDLE_MAX][16];  /* "POLL", "C1", "haltpoll" */
	size_t nirqs;             /* rows with a rate > 0 in the interval, busiest first */
	struct top_irq *irqs;
	double irq_total_rate;    /* every row together */
	size_t nagents;
	struct top_agent *agents; /* in --pid order (top_agent.h) */
};

struct top_opts {
	const struct host *host;
	const int *pids;          /* --pid, in order */
	size_t npids;
	const struct target *targets; /* --unit / --cgroup, after the pids */
	size_t ntargets;
	bool no_bpf;
	const char *journal_dir;  /* NULL: journal_default_dir() */
};

struct top_source;

/* NULL with a message in err only when the host cannot be read at all or
 * memory runs out; a --pid that does not exist is an error (ESRCH) too. BPF
 * that cannot load is not: the agent rows say why. */
struct top_source *top_source_open(const struct top_opts *o, char *err, size_t errsz);
/* Reads the counters and fills f (its old content is freed) with the rates
 * since the previous call (or since open).  0 or -errno. */
int top_source_sample(struct top_source *s, struct top_frame *f);
/* For a caller's poll loop: the BPF ring buffer descriptors are drained in
 * top_source_sample; nothing else is needed between samples. */
void top_frame_free(struct top_frame *f);
/* A CPU row with every figure unavailable (NaN, NA_S64), for CPU cpu. */
void top_cpu_unknown(struct top_cpu *c, unsigned cpu);
void top_source_close(struct top_source *s);

#endif
