/* softirqs: /proc/softirqs (softirqs.h).
 *
 * A header of CPU columns, then one row per vector, "NET_RX: counts...".
 * Unlike /proc/interrupts a row has no text after its counts, so anything
 * that is not a count is malformed input. */
#include "softirqs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpumask.h"

#define SOFTIRQ_FILE "/proc/softirqs"
#define MAX_COLUMNS 65536

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_digit(char c)
{
	return (unsigned char)(c - '0') < 10;
}

static const char *skip_space(const char *p, const char *e)
{
	while (p < e && is_space(*p))
		p++;
	return p;
}

static const char *tok_end(const char *p, const char *e)
{
	while (p < e && !is_space(*p))
		p++;
	return p;
}

static const char *line_end(const char *p, const char *e)
{
	const char *nl = memchr(p, '\n', (size_t)(e - p));
	return nl ? nl : e;
}

/* A whole token of decimal digits.  1 parsed, 0 not a number, -ERANGE. */
static int parse_count(const char **pp, const char *e, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;
	bool over = false;
	unsigned n = 0;

	for (; p < e && is_digit(*p); p++, n++) {
		unsigned d = (unsigned)(*p - '0');
		if (n < 19)
			v = v * 10 + d;
		else if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, d, &v))
			over = true;
	}
	if (n == 0 || (p < e && !is_space(*p)))
		return 0;
	if (over)
		return -ERANGE;
	*out = v;
	*pp = p;
	return 1;
}

static int parse_header(const char *p, const char *e, struct softirqs *out,
			struct parse_error *err, int line)
{
	size_t cap = 0;

	for (p = skip_space(p, e); p < e; p = skip_space(p, e)) {
		const char *t = tok_end(p, e);
		const char *d = p + 3;
		uint64_t cpu;
		if (t - p < 4 || t - p > 12 || memcmp(p, "CPU", 3) ||
		    parse_count(&d, t, &cpu) != 1) {
			perr_set(err, SOFTIRQ_FILE, line, "no CPU header");
			return -EINVAL;
		}
		if (cpu >= CPUMASK_MAX_CPUS || out->ncpus == MAX_COLUMNS) {
			perr_set(err, SOFTIRQ_FILE, line, "CPU column out of range");
			return -EINVAL;
		}
		if (out->ncpus == cap) {
			cap = cap ? cap * 2 : 64;
			unsigned *c = realloc(out->cpu, cap * sizeof(*c));
			if (!c)
				return -ENOMEM;
			out->cpu = c;
		}
		out->cpu[out->ncpus++] = (unsigned)cpu;
		p = t;
	}
	if (!out->ncpus) {
		perr_set(err, SOFTIRQ_FILE, line, "no CPU header");
		return -EINVAL;
	}
	return 0;
}

static int parse_row(const char *p, const char *e, struct softirqs *out,
		     struct softirq_vec *v, struct parse_error *err, int line)
{
	p = skip_space(p, e);
	const char *name = p;
	while (p < e && *p != ':' && !is_space(*p))
		p++;
	if (p == e || *p != ':' || p == name) {
		perr_set(err, SOFTIRQ_FILE, line, "no \"NAME:\" at the start of the line");
		return -EINVAL;
	}
	copy_strn(v->name, sizeof(v->name), name, (size_t)(p - name));
	p++;

	v->counts = calloc(out->ncpus, sizeof(*v->counts));
	if (!v->counts)
		return -ENOMEM;
	unsigned n = 0;
	for (p = skip_space(p, e); p < e; p = skip_space(p, e)) {
		uint64_t c;
		int rc = parse_count(&p, e, &c);
		if (rc <= 0) {
			perr_set(err, SOFTIRQ_FILE, line, "%s (column %u)",
				 rc < 0 ? "count out of range" : "not a count", n + 1);
			return -EINVAL;
		}
		if (n == out->ncpus) {
			perr_set(err, SOFTIRQ_FILE, line, "more counts than CPU columns");
			return -EINVAL;
		}
		v->counts[n++] = c;
		if (__builtin_add_overflow(v->total, c, &v->total))
			v->total = NA_U64;
	}
	/* A short row (a cut file) leaves the missing CPUs at 0. */
	return 0;
}

int softirqs_parse(const char *buf, size_t len, struct softirqs *out, struct parse_error *err)
{
	const char *p = buf, *end = buf + len;
	int line = 0, rc = 0;
	bool header = false;
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	while (!rc && p < end) {
		line++;
		const char *le = line_end(p, end);
		if (skip_space(p, le) < le) {
			if (!header) {
				rc = parse_header(p, le, out, err, line);
				header = true;
			} else {
				if (out->n == cap) {
					size_t nc = cap ? cap * 2 : 16;
					struct softirq_vec *v = realloc(out->vec, nc * sizeof(*v));
					if (!v) {
						rc = -ENOMEM;
						break;
					}
					out->vec = v;
					cap = nc;
				}
				struct softirq_vec *v = &out->vec[out->n++];
				memset(v, 0, sizeof(*v));
				rc = parse_row(p, le, out, v, err, line);
			}
		}
		p = le < end ? le + 1 : end;
	}
	if (!rc && !header) {
		perr_set(err, SOFTIRQ_FILE, 1, "empty file, no CPU header");
		rc = -EINVAL;
	}
	if (rc == -ENOMEM)
		perr_set(err, SOFTIRQ_FILE, line, "out of memory");
	if (rc)
		softirqs_free(out);
	return rc;
}

int softirqs_read(const struct host *h, struct softirqs *out, struct parse_error *err)
{
	size_t len;

	memset(out, 0, sizeof(*out));
	char *buf = host_read(h, SOFTIRQ_FILE, &len);
	if (!buf) {
		int e = errno ? errno : EIO;
		perr_set(err, SOFTIRQ_FILE, 0, "%s", strerror(e));
		return -e;
	}
	int rc = softirqs_parse(buf, len, out, err);
	free(buf);
	return rc;
}

void softirqs_free(struct softirqs *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->vec[i].counts);
	free(s->vec);
	free(s->cpu);
	memset(s, 0, sizeof(*s));
}

const struct softirq_vec *softirqs_find(const struct softirqs *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->vec[i].name, name))
			return &s->vec[i];
	/* IRQ_POLL was BLOCK_IOPOLL before 4.5: one name finds either. */
	if (!strcmp(name, "IRQ_POLL"))
		return softirqs_find(s, "BLOCK_IOPOLL");
	if (!strcmp(name, "BLOCK_IOPOLL")) {
		for (size_t i = 0; i < s->n; i++)
			if (!strcmp(s->vec[i].name, "IRQ_POLL"))
				return &s->vec[i];
	}
	return NULL;
}
