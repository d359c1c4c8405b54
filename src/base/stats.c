/* base/stats: histograms and percentiles (stats.h).
 *
 * Bucket layout (hist_bucket in bpf/diagnose.h): values below 2^HIST_SUB_BITS
 * have a bucket each; after that every power of two 2^pow is split into
 * HIST_SUB equal sub-buckets of width 2^(pow - HIST_SUB_BITS).  Row r =
 * pow - HIST_SUB_BITS + 1 holds the sub-buckets of 2^pow, so bucket b sits in
 * row b / HIST_SUB at sub-bucket b % HIST_SUB.  Row 1 (2^5..2^6-1) has width
 * 1 as well, hence the exact buckets run up to 2*HIST_SUB - 1. */
#include "base/stats.h"

#include <math.h>
#include <string.h>

#define LAST_BUCKET (HIST_BUCKETS - 1)

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
}

void hist_add(struct hist *h, uint64_t ns)
{
	/* The first value makes the max known, so a zeroed struct works too. */
	if (h->count == 0) {
		h->max_known = true;
		h->max_ns = ns;
	} else if (ns > h->max_ns) {
		h->max_ns = ns;
	}
	h->b[hist_bucket(ns)]++;
	h->count++;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	if (src->count == 0)
		return;
	if (dst->count == 0) {
		dst->max_known = src->max_known;
		dst->max_ns = src->max_ns;
	} else {
		/* One side without a max makes the merged max unknown. */
		dst->max_known = dst->max_known && src->max_known;
		if (src->max_ns > dst->max_ns)
			dst->max_ns = src->max_ns;
	}
	for (uint32_t i = 0; i < HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->count += src->count;
}

void hist_add_buckets(struct hist *h, const uint64_t *buckets)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < HIST_BUCKETS; i++) {
		h->b[i] += buckets[i];
		n += buckets[i];
	}
	if (n == 0)
		return;
	h->count += n;
	h->max_known = false;
	h->max_ns = 0;
}

void hist_from_buckets(struct hist *h, const uint64_t *buckets)
{
	hist_init(h);
	hist_add_buckets(h, buckets);
}

uint64_t bucket_low(uint32_t b)
{
	if (b > LAST_BUCKET)
		b = LAST_BUCKET;
	if (b < HIST_SUB)
		return b;
	uint32_t pow = b / HIST_SUB + HIST_SUB_BITS - 1;
	uint64_t sub = b % HIST_SUB;
	return (1ULL << pow) + (sub << (pow - HIST_SUB_BITS));
}

uint64_t bucket_high(uint32_t b)
{
	if (b >= LAST_BUCKET)
		return UINT64_MAX;
	return bucket_low(b + 1) - 1;
}

/* The value reported for ranks that fall in bucket b. */
static double bucket_rep(const struct hist *h, uint32_t b)
{
	double v;

	if (b == LAST_BUCKET) {
		/* Open-ended: the only values we can vouch for are the max or,
		 * without it, the low bound ("at least"). */
		return h->max_known ? (double)h->max_ns : (double)bucket_low(b);
	}
	uint64_t lo = bucket_low(b);
	v = (double)lo + (double)(bucket_high(b) - lo) / 2.0;
	/* Every value is <= max, so the top bucket's midpoint may overshoot. */
	if (h->max_known && v > (double)h->max_ns)
		v = (double)h->max_ns;
	return v;
}

double hist_percentile(const struct hist *h, double p)
{
	if (h->count == 0)
		return 0;
	if (!(p > 0))		/* also NaN */
		p = 0;
	if (p > 100)
		p = 100;
	/* Nearest rank: the smallest value with at least p% of the samples at
	 * or below it.  The epsilon keeps 99.9% of 100000 at rank 99900 when
	 * p * count is a hair above an integer in binary. */
	double r = ceil(p / 100.0 * (double)h->count * (1.0 - 1e-12));
	uint64_t rank = r < 1 ? 1 : (uint64_t)r;
	if (rank >= h->count) {
		rank = h->count;
		/* The last rank is the max itself. */
		if (h->max_known)
			return (double)h->max_ns;
	}

	uint64_t cum = 0;
	for (uint32_t i = 0; i < HIST_BUCKETS; i++) {
		cum += h->b[i];
		if (cum >= rank)
			return bucket_rep(h, i);
	}
	/* count disagrees with the buckets (caller edited them): be safe. */
	return bucket_rep(h, LAST_BUCKET);
}

double hist_mean(const struct hist *h)
{
	long double sum = 0;
	uint64_t n = 0;

	for (uint32_t i = 0; i < HIST_BUCKETS; i++) {
		if (!h->b[i])
			continue;
		sum += (long double)h->b[i] * bucket_rep(h, i);
		n += h->b[i];
	}
	if (!n)
		return 0;
	/* One sample is the max exactly: swap it in for its representative. */
	if (h->max_known && h->b[hist_bucket(h->max_ns)])
		sum += (long double)h->max_ns - bucket_rep(h, hist_bucket(h->max_ns));
	return (double)(sum / n);
}

void hist_summary(const struct hist *h, struct pct *out)
{
	out->p50 = hist_percentile(h, 50);
	out->p90 = hist_percentile(h, 90);
	out->p99 = hist_percentile(h, 99);
	out->p999 = hist_percentile(h, 99.9);
	out->max = hist_percentile(h, 100);
}
