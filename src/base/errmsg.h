/* base/errmsg: the one way library code fills a caller's message buffer.
 *
 * Library functions report failure as a negative errno and, where a person
 * needs to know why, a message in a caller-provided buffer ("why", sz).
 * errmsg() fills it and returns the code, so a failure path is one line:
 *
 *	return errmsg(why, sz, -ENOENT, "IRQ %u does not exist", irq);
 *
 * A message never disappears silently when it does not fit: its end is
 * replaced by "..." so the reader sees it was cut (the buffers are sized
 * so that it should not happen; this is the last guard, not the plan).
 */
#ifndef AGENTUNE_BASE_ERRMSG_H
#define AGENTUNE_BASE_ERRMSG_H

#include <stdarg.h>
#include <stddef.h>

/* Formats into why (when why and sz are non-zero) and returns rc. */
int errmsg(char *why, size_t sz, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int errmsg_v(char *why, size_t sz, int rc, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

/* Appends "; " and the formatted text to a message already in why (or
 * just the text when why is empty).  Cut like errmsg: when the text, or
 * even the separator, does not fit, the end of why becomes "...". */
void errmsg_append(char *why, size_t sz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Whether a message was cut (ends with the "..." marker errmsg puts);
 * NULL was not. */
int errmsg_cut(const char *why);

#endif
