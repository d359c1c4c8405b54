/* softnet: /proc/net/softnet_stat (softnet.h).
 *
 * One row per CPU of %08x columns.  The kernel grew the row over time:
 *   9  processed dropped time_squeeze 0 0 0 0 0 cpu_collision
 *   10 + received_rps            (2.6.36)
 *   11 + flow_limit_count        (3.11)
 *   13 + backlog_len, cpu index  (5.10)
 * Before 5.10 only online CPUs have a row, so the row index is not always
 * the CPU number; say so with cpu_from_kernel. */
#include "softnet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpumask.h"

#define SOFTNET_FILE "/proc/net/softnet_stat"
#define MIN_COLUMNS 9
#define KEEP_COLUMNS 13

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static const char *line_end(const char *p, const char *e)
{
	const char *nl = memchr(p, '\n', (size_t)(e - p));
	return nl ? nl : e;
}

/* A whole token of hex digits: 0, or -EINVAL (garbage) / -ERANGE (past u64). */
static int parse_hex(const char **pp, const char *e, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;
	unsigned n = 0;
	int d;

	for (; p < e && (d = hex_digit(*p)) >= 0; p++) {
		if (v >> 60)
			return -ERANGE;
		v = v << 4 | (uint64_t)d;
		n++;
	}
	if (!n || (p < e && !is_space(*p)))
		return -EINVAL;
	*out = v;
	*pp = p;
	return 0;
}

static int parse_row(const char *p, const char *e, size_t index, struct softnet_cpu *c,
		     struct parse_error *err, int line)
{
	uint64_t col[KEEP_COLUMNS] = { 0 };
	unsigned n = 0;

	for (;;) {
		while (p < e && is_space(*p))
			p++;
		if (p == e)
			break;
		uint64_t v;
		int rc = parse_hex(&p, e, &v);
		if (rc) {
			perr_set(err, SOFTNET_FILE, line, "%s in column %u",
				 rc == -ERANGE ? "value out of range" : "not a hex number", n + 1);
			return -EINVAL;
		}
		if (n < KEEP_COLUMNS)
			col[n] = v;
		if (n == UINT32_MAX - 1)
			break;
		n++;
	}
	if (n < MIN_COLUMNS) {
		perr_set(err, SOFTNET_FILE, line, "%u columns, expected at least %d", n,
			 MIN_COLUMNS);
		return -EINVAL;
	}
	c->columns = n;
	c->processed = col[0];
	c->dropped = col[1];
	c->time_squeeze = col[2];
	c->received_rps = n > 9 ? col[9] : NA_U64;
	c->flow_limit_count = n > 10 ? col[10] : NA_U64;
	c->backlog_len = n > 11 ? col[11] : NA_U64;
	if (n > 12) {
		if (col[12] >= CPUMASK_MAX_CPUS) {
			perr_set(err, SOFTNET_FILE, line, "CPU index out of range");
			return -EINVAL;
		}
		c->cpu = (unsigned)col[12];
		c->cpu_from_kernel = true;
	} else {
		c->cpu = (unsigned)index;
		c->cpu_from_kernel = false;
	}
	return 0;
}

int softnet_parse(const char *buf, size_t len, struct softnet *out, struct parse_error *err)
{
	const char *p = buf, *end = buf + len;
	size_t cap = 0;
	int line = 0, rc = 0;

	memset(out, 0, sizeof(*out));
	while (!rc && p < end) {
		line++;
		const char *le = line_end(p, end), *q = p;
		while (q < le && is_space(*q))
			q++;
		if (q < le) {
			if (out->n == cap) {
				size_t nc = cap ? cap * 2 : 64;
				struct softnet_cpu *v = realloc(out->cpu, nc * sizeof(*v));
				if (!v) {
					perr_set(err, SOFTNET_FILE, line, "out of memory");
					rc = -ENOMEM;
					break;
				}
				out->cpu = v;
				cap = nc;
			}
			struct softnet_cpu *c = &out->cpu[out->n];
			memset(c, 0, sizeof(*c));
			rc = parse_row(q, le, out->n, c, err, line);
			if (!rc)
				out->n++;
		}
		p = le < end ? le + 1 : end;
	}
	if (!rc && !out->n) {
		perr_set(err, SOFTNET_FILE, 1, "empty file");
		rc = -EINVAL;
	}
	if (rc)
		softnet_free(out);
	return rc;
}

int softnet_read(const struct host *h, struct softnet *out, struct parse_error *err)
{
	size_t len;

	memset(out, 0, sizeof(*out));
	char *buf = host_read(h, SOFTNET_FILE, &len);
	if (!buf) {
		int e = errno ? errno : EIO;
		perr_set(err, SOFTNET_FILE, 0, "%s", strerror(e));
		return -e;
	}
	int rc = softnet_parse(buf, len, out, err);
	free(buf);
	return rc;
}

void softnet_free(struct softnet *s)
{
	if (!s)
		return;
	free(s->cpu);
	memset(s, 0, sizeof(*s));
}
