/* tune/evaluate: what `agentune evaluate` measures and how it compares.
 *
 * A run alternates baseline and profile phases on one running agent: per
 * round, a baseline phase (nothing applied), then the profile applied, a
 * profile phase, the profile reverted.  One diagnose probe stays loaded for
 * the whole run; a phase is the difference between two probe_read()s, at
 * its start and its end (the kernel's histograms and sums only grow).
 *
 * Per phase: the agent's wake->run latency (sched_waking -> running, where
 * an idle exit is paid) and its completion latency (the wakeup's chain:
 * interrupt, softirq, timer... -> sched_waking) at p50/p90/p99/p99.9,
 * steps per second, the verdict's first causes over the phase's steps, and
 * the warm cost: CPU time of the window controller process (its threads
 * included, so poll threads it owns too) and, where RAPL is readable, the
 * package energy.
 *
 * Comparing the phases: per metric the median over the rounds of each kind,
 * the ratio profile / baseline, and the spread between rounds (min-max of
 * each kind).  The rule for "larger than the noise": the difference exceeds
 * the spread when the two kinds' min-max ranges do not overlap, i.e. every
 * profile round is on the same side of every baseline round.  With few
 * rounds that is the only claim the data can carry without a model of the
 * noise, and it is one a reader can check against the per-round figures.
 */
#ifndef AGENTUNE_TUNE_EVALUATE_H
#define AGENTUNE_TUNE_EVALUATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "diagnose/probe.h"
#include "diagnose/verdict.h"

#define EVAL_SCHEMA "agentune.evaluate/1"
#define EVAL_MAX_ROUNDS 100
#define EVAL_CAUSES 3              /* verdict causes kept per phase */

enum eval_kind { EVAL_BASELINE, EVAL_PROFILE, EVAL_KINDS };

/* The metrics compared between the kinds, in report order. */
enum eval_metric {
	EM_P50, EM_P90, EM_P99, EM_P999,           /* wake->run, us */
	EM_C_P50, EM_C_P90, EM_C_P99, EM_C_P999,   /* completion, us */
	EM_STEPS_PER_S,
	EM_WARM_CPU_S,
	EM_ENERGY_J,
	EM_MAX,
};

struct eval_cause {
	char id[32];                   /* verdict cause id ("idle-exit") */
	double share;                  /* of the phase's delay, 0..1 */
};

/* One measured phase. */
struct eval_phase {
	enum eval_kind kind;
	unsigned round;                /* 1, 2, ... */
	double duration_s;
	uint64_t steps;
	double m[EM_MAX];              /* NAN: not measured (no steps, no RAPL) */
	struct eval_cause cause[EVAL_CAUSES];
	size_t ncauses;
	bool cut_short;                /* ended early: signal or the agent exited */
};

/* Per metric and kind: over the rounds. */
struct eval_spread {
	double median, min, max;       /* NAN when no round measured it */
	size_t n;                      /* rounds that measured it */
};

struct eval_compare {
	struct eval_spread s[EVAL_KINDS];
	double ratio;                  /* profile median / baseline median; NAN */
	bool exceeds;                  /* the difference exceeds the spread */
};

/* Results of a whole run. */
struct eval_run {
	char profile[256];
	int pid;
	char comm[32];
	char cpus[128];                /* the agent CPUs the plan acted on */
	unsigned rounds;               /* asked for */
	unsigned duration_s;           /* per phase, asked for */
	struct eval_phase *phase;      /* in the order measured */
	size_t nphases, cap;
	bool rapl;                     /* energy measured */
	char rapl_why[160];            /* why not */
	char warm_note[200];           /* what the warm CPU time covers */
	bool interrupted;              /* SIGINT/SIGTERM */
	bool agent_exited;
	char stop_why[320];            /* why the run ended early, "" when it did not */
	bool reverted;                 /* the host was put back (or nothing applied) */
	char revert_why[640];          /* "" when reverted */
};

/* ---------- statistics (pure) ---------- */

/* Median, min and max of the values that are not NAN. */
void eval_spread_of(const double *v, size_t n, struct eval_spread *out);

/* b / a; NAN when either is NAN or a is 0. */
double eval_ratio(double a, double b);

/* The rule above: true when both have at least one value and their
 * [min, max] ranges do not overlap. */
bool eval_exceeds(const struct eval_spread *a, const struct eval_spread *b);

/* Compares metric m of the run's baseline and profile phases. */
void eval_compare_metric(const struct eval_run *r, enum eval_metric m, struct eval_compare *c);

/* ---------- measuring ---------- */

/* A phase from two probe readings of the same probe (before, after):
 * histogram and sum differences.  h may be NULL (causes then miss the
 * host's evidence); dur_s the phase's length. */
void eval_phase_from(const struct probe_result *before, const struct probe_result *after,
		     const struct verdict_host *h, double dur_s, struct eval_phase *ph);

/* CPU time (user + system, all threads) of process pid from
 * /proc/PID/stat, in seconds; NAN when it cannot be read (gone). */
double eval_proc_cpu_s(int pid);

/* The package energy counters: sum of /sys/class/powercap/intel-rapl:N/
 * energy_uj over the packages, in joules, with max_range for wrapping.
 * false with why when none is readable. */
struct eval_rapl {
	size_t n;
	uint64_t last[16], range[16];
	double total_j;
};
bool eval_rapl_open(struct eval_rapl *e, char *why, size_t sz);
/* Reads the counters; the joules since the previous read (wraps handled). */
double eval_rapl_read(struct eval_rapl *e);

/* ---------- the run ---------- */

int eval_run_add(struct eval_run *r, const struct eval_phase *ph);
void eval_run_free(struct eval_run *r);

const char *eval_kind_name(enum eval_kind k);
const char *eval_metric_name(enum eval_metric m);

/* The text report: the side-by-side table, the ratios and spreads, a plain
 * sentence per metric on whether the difference exceeds the noise, the
 * causes, the rounds. */
void eval_report_text(FILE *out, const struct eval_run *r);
/* EVAL_SCHEMA (docs/json-schema.md). */
struct json_object *eval_report_json(const struct eval_run *r);

#endif
