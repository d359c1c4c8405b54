/* base/procfs_text: reading the column files of procfs (/proc/interrupts,
 * /proc/softirqs, /proc/net/softnet_stat).
 *
 * Text is a range [p, e) that needs no NUL.  It is split on white space,
 * never on columns: widths depend on the kernel and on nr_irqs, and a count
 * may touch its label ("IPI0:2768808080"). */
#ifndef AGENTUNE_PROCFS_TEXT_H
#define AGENTUNE_PROCFS_TEXT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/host.h"
#include "base/util.h"

/* White space within a line ('\n' ends the line, NUL is not space). */
static inline bool pt_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static inline bool pt_is_digit(char c)
{
	return (unsigned char)(c - '0') < 10;
}

static inline const char *pt_skip_space(const char *p, const char *e)
{
	while (p < e && pt_is_space(*p))
		p++;
	return p;
}

static inline const char *pt_tok_end(const char *p, const char *e)
{
	while (p < e && !pt_is_space(*p))
		p++;
	return p;
}

static inline bool pt_all_digits(const char *p, const char *e)
{
	if (p == e)
		return false;
	for (; p < e; p++)
		if (!pt_is_digit(*p))
			return false;
	return true;
}

/* The colon of a row that starts (after white space) with "LABEL:", the
 * label's first character in *label; NULL when the row does not. */
static inline const char *pt_label(const char *p, const char *e, const char **label)
{
	p = pt_skip_space(p, e);
	*label = p;
	while (p < e && *p != ':' && !pt_is_space(*p))
		p++;
	return p < e && *p == ':' && p > *label ? p : NULL;
}

/* The lines of a buffer that are not blank, numbered from 1:
 *	struct pt_lines it = PT_LINES(buf, len);
 *	while (pt_next_line(&it))
 *		parse(it.s, it.e, it.line);
 * After the last, it.line is the number of the last line seen. */
struct pt_lines {
	const char *p, *end;   /* what is left */
	const char *s, *e;     /* the current line, without its '\n' */
	int line;
};

#define PT_LINES(buf, len) { .p = (buf), .end = (buf) + (len) }

static inline bool pt_next_line(struct pt_lines *it)
{
	while (it->p < it->end) {
		const char *s = it->p;
		const char *nl = memchr(s, '\n', (size_t)(it->end - s));
		const char *e = nl ? nl : it->end;
		it->p = nl ? nl + 1 : it->end;
		it->line++;
		if (pt_skip_space(s, e) < e) {
			it->s = s;
			it->e = e;
			return true;
		}
	}
	return false;
}

/* The counts of a row from *pp on, into counts[0..max): stops at the end,
 * after max counts, or before a token that is not a decimal count or is
 * digits past u64 (*pp is left there; pt_count_at tells which).  Returns
 * how many; *total is their sum, NA_U64 past u64.  One pass, no allocation:
 * this is the hot loop of a 1152-CPU /proc/interrupts. */
unsigned pt_counts(const char **pp, const char *e, uint64_t *counts, unsigned max,
		   uint64_t *total);

/* The token at p as a count: 1 (*out set), 0 when it is not a decimal
 * number, -ERANGE when it is digits past u64. */
int pt_count_at(const char *p, const char *e, uint64_t *out);

/* The header, the first line of it that is not blank: "CPU0 CPU1 CPU7 ...",
 * the CPU number of each column into *cpu (NULL and *ncpus 0 on entry; the
 * caller frees it), *ncpus of them.  0, or -EINVAL / -ENOMEM with err
 * naming file and line. */
int pt_header(struct pt_lines *it, unsigned **cpu, unsigned *ncpus, const char *file,
	      struct parse_error *err);

/* The whole of a procfs file into *buf (the caller frees it).  0, or
 * -errno with err naming the file (line 0). */
int pt_read(const struct host *h, const char *path, char **buf, size_t *len,
	    struct parse_error *err);

/* One "Key:\tvalue" field of /proc/PID/status ("Cpus_allowed_list"), the
 * value trimmed, into buf.  0; -ENODATA when the file has no such field;
 * -EOVERFLOW (buf "") when the value does not fit (never cut); -errno from
 * reading it (-ENOENT when the process is gone). */
int pt_status_field(const struct host *h, int pid, const char *key, char *buf, size_t sz);

#endif
