/* inspect/softirqs: /proc/softirqs (softirqs.h).
 *
 * A header of CPU columns, then one row per vector, "NET_RX: counts...".
 * Unlike /proc/interrupts a row has no text after its counts, so anything
 * that is not a count is malformed input. */
#include "inspect/softirqs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/procfs_text.h"

#define SOFTIRQ_FILE "/proc/softirqs"

static int parse_row(const char *p, const char *e, struct softirqs *out,
		     struct softirq_vec *v, struct parse_error *err, int line)
{
	const char *name;
	p = pt_label(p, e, &name);
	if (!p) {
		perr_set(err, SOFTIRQ_FILE, line, "no \"NAME:\" at the start of the line");
		return -EINVAL;
	}
	copy_strn(v->name, sizeof(v->name), name, (size_t)(p - name));
	p++;

	v->counts = calloc(out->ncpus, sizeof(*v->counts));
	if (!v->counts)
		return -ENOMEM;
	uint64_t c;
	unsigned n = pt_counts(&p, e, v->counts, out->ncpus, &v->total);
	if (p == e)
		return 0; /* a short row (a cut file) leaves the missing CPUs at 0 */
	int rc = pt_count_at(p, e, &c);
	if (rc == 1)
		perr_set(err, SOFTIRQ_FILE, line, "more counts than CPU columns");
	else
		perr_set(err, SOFTIRQ_FILE, line, "%s (column %u)",
			 rc < 0 ? "count out of range" : "not a count", n + 1);
	return -EINVAL;
}

static struct softirq_vec *new_vec(struct softirqs *out, size_t *cap)
{
	struct softirq_vec *nv = grow(out->vec, out->n, cap, sizeof(*nv), 16);
	if (!nv)
		return NULL;
	out->vec = nv;
	struct softirq_vec *v = &out->vec[out->n++];
	memset(v, 0, sizeof(*v));
	return v;
}

int softirqs_parse(const char *buf, size_t len, struct softirqs *out, struct parse_error *err)
{
	struct pt_lines it = PT_LINES(buf, len);
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	int rc = pt_header(&it, &out->cpu, &out->ncpus, SOFTIRQ_FILE, err);
	while (!rc && pt_next_line(&it)) {
		struct softirq_vec *v = new_vec(out, &cap);
		rc = v ? parse_row(it.s, it.e, out, v, err, it.line) : -ENOMEM;
	}
	if (rc == -ENOMEM)
		perr_set(err, SOFTIRQ_FILE, it.line, "out of memory");
	if (rc)
		softirqs_free(out);
	return rc;
}

int softirqs_read(const struct host *h, struct softirqs *out, struct parse_error *err)
{
	char *buf;
	size_t len;

	memset(out, 0, sizeof(*out));
	int rc = pt_read(h, SOFTIRQ_FILE, &buf, &len, err);
	if (rc)
		return rc;
	rc = softirqs_parse(buf, len, out, err);
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
