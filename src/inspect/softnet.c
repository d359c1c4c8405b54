/* inspect/softnet: /proc/net/softnet_stat (softnet.h).
 *
 * One row per CPU of %08x columns.  The kernel grew the row over time:
 *   9  processed dropped time_squeeze 0 0 0 0 0 cpu_collision
 *   10 + received_rps            (2.6.36)
 *   11 + flow_limit_count        (3.11)
 *   13 + backlog_len, cpu index  (5.10)
 * Before 5.10 only online CPUs have a row, so the row index is not always
 * the CPU number; say so with cpu_from_kernel. */
#include "inspect/softnet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cpumask.h"
#include "base/procfs_text.h"

#define SOFTNET_FILE "/proc/net/softnet_stat"
#define MIN_COLUMNS 9
#define KEEP_COLUMNS 13

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
	if (!n || (p < e && !pt_is_space(*p)))
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

	for (p = pt_skip_space(p, e); p < e; p = pt_skip_space(p, e)) {
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
	struct pt_lines it = PT_LINES(buf, len);
	size_t cap = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	while (!rc && pt_next_line(&it)) {
		struct softnet_cpu *v = grow(out->cpu, out->n, &cap, sizeof(*v), 64);
		if (!v) {
			perr_set(err, SOFTNET_FILE, it.line, "out of memory");
			rc = -ENOMEM;
			break;
		}
		out->cpu = v;
		struct softnet_cpu *c = &out->cpu[out->n];
		memset(c, 0, sizeof(*c));
		rc = parse_row(it.s, it.e, out->n, c, err, it.line);
		if (!rc)
			out->n++;
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
	char *buf;
	size_t len;

	memset(out, 0, sizeof(*out));
	int rc = pt_read(h, SOFTNET_FILE, &buf, &len, err);
	if (rc)
		return rc;
	rc = softnet_parse(buf, len, out, err);
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
