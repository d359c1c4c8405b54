/* top/top_export: a top_frame for machines — Prometheus metrics (the text
 * exposition format node_exporter's textfile collector reads, or
 * OpenMetrics 1.0) and one-line JSON (schema agentune.top/1,
 * docs/json-schema.md) — and the atomic textfile write.
 *
 * Metric names follow Prometheus' conventions: the agentune_ prefix, base
 * units (seconds, ratios 0..1), _total for counters.  Per agent (labels
 * pid, comm, unit): steps, the wake->run latency histogram (the in-kernel
 * log-linear buckets summed into cumulative `le` buckets in seconds),
 * every delay cause's share; per CPU: busy ratio, IRQ and softirq rates,
 * idle-state residency, the PM QoS window; the window controller's tokens
 * and windows; the applied profiles (an info metric) and drifted settings.
 * The list with types and units is in README.md ("Prometheus metrics").
 */
#ifndef AGENTUNE_TOP_EXPORT_H
#define AGENTUNE_TOP_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "top/top.h"

enum top_metrics_flavour {
	TOP_PROMETHEUS,    /* text format 0.0.4: what node_exporter and promtool read */
	TOP_OPENMETRICS,   /* OpenMetrics 1.0: counters typed without _total, info
	                    * type, # UNIT lines, # EOF at the end */
};

/* The histogram's upper bounds in seconds (+Inf is added after them). */
extern const double top_wake_buckets_s[];
extern const size_t top_wake_nbuckets;

/* Cumulative counts of the in-kernel buckets (base/stats, ns) at each
 * upper bound of top_wake_buckets_s, then +Inf: a kernel bucket is counted
 * under the first bound that its whole range is at or below (one that
 * straddles a bound counts in the next: never reported faster than it
 * was).  cum has top_wake_nbuckets + 1 entries; *sum_s is the sum of the
 * buckets' representative values, in seconds. */
void top_wake_cumulative(const uint64_t *hist, uint64_t *cum, double *sum_s);

/* 0, or -EIO when out could not be written. */
int top_export_metrics(const struct top_frame *f, enum top_metrics_flavour fl, FILE *out);
/* One line of JSON and a newline. */
int top_export_json(const struct top_frame *f, FILE *out);

/* Writes the frame's metrics (Prometheus text format) to path atomically:
 * a temporary file in the same directory (named .PATH.tmp.PID, which the
 * textfile collector ignores: it reads *.prom), fsync, rename over path,
 * fsync of the directory.  A reader sees the old file or the new one,
 * never half of one.  0 or -errno with why naming the file. */
int top_textfile_write(const struct top_frame *f, const char *path, char *why, size_t sz);

#endif
