/* base/stats: the user-space half of the log-linear latency histograms.  The
 * bucket function is the one the BPF side counts with (bpf/diagnose.h);
 * this module turns buckets back into values: ranges, percentiles, means. */
#ifndef AGENTUNE_STATS_H
#define AGENTUNE_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "diagnose.h"

/* A zeroed struct is an empty histogram (hist_init does the same). */
struct hist {
	uint64_t b[HIST_BUCKETS];
	uint64_t count;
	uint64_t max_ns;     /* largest value added; meaningful when max_known */
	bool max_known;      /* false once buckets came from BPF maps (no max there) */
};

/* Summary row of a stage table, in ns; all 0 for an empty histogram. */
struct pct {
	double p50, p90, p99, p999, max;
};

void hist_init(struct hist *h);
void hist_add(struct hist *h, uint64_t ns);
void hist_merge(struct hist *dst, const struct hist *src);
/* buckets: HIST_BUCKETS counts, as a BPF map gives them (summed over CPUs).
 * from_buckets replaces the content; add_buckets accumulates, e.g. one
 * per-CPU slice at a time.  Either leaves the max unknown. */
void hist_from_buckets(struct hist *h, const uint64_t *buckets);
void hist_add_buckets(struct hist *h, const uint64_t *buckets);

/* The values hist_bucket() maps to bucket b: [bucket_low, bucket_high].
 * The last bucket also takes every overflow value, so its high is
 * UINT64_MAX.  b past the end is treated as the last bucket. */
uint64_t bucket_low(uint32_t b);
uint64_t bucket_high(uint32_t b);

/* Nearest-rank percentile, p in [0, 100] (clamped; NaN counts as 0):
 * the midpoint of the bucket holding that rank, never above the max when
 * it is known; the last rank (p = 100) is the max itself when known.  A
 * rank in the overflow bucket gives the max when known, else the bucket's
 * low bound.  Relative error <= 1/2^(HIST_SUB_BITS+1).  0 when empty. */
double hist_percentile(const struct hist *h, double p);
/* Mean of the representative values (same rule as hist_percentile), with
 * the max counted exactly when known. */
double hist_mean(const struct hist *h);
/* p50/p90/p99/p99.9 and max (the exact max when known, else the
 * representative of the highest non-empty bucket). */
void hist_summary(const struct hist *h, struct pct *out);

#endif
