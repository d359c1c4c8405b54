/* util: small helpers shared by the readers: "unavailable" markers, parse
 * errors that name file and line, and bounded string copies. */
#ifndef AGENTUNE_UTIL_H
#define AGENTUNE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A value that could not be read.  Reports print "unavailable" / JSON null. */
#define NA_U64 UINT64_MAX
#define NA_S64 INT64_MIN

/* Why a section or a field is unavailable, or where input was malformed. */
struct parse_error {
	char file[256];
	int line;          /* 0 when the whole file is at fault */
	char msg[256];
};

void perr_set(struct parse_error *e, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* "/proc/interrupts line 3: count out of range" or "/proc/x: No such file" */
void perr_format(const struct parse_error *e, char *buf, size_t sz);

/* Copies at most sz-1 bytes and always terminates. */
void copy_str(char *dst, size_t sz, const char *src);
/* Copies the n bytes at src (no NUL needed) and terminates. */
void copy_strn(char *dst, size_t sz, const char *src, size_t n);

/* Decimal or hex u64 without sign; false on garbage or overflow. */
bool parse_u64(const char *s, uint64_t *out);
bool parse_s64(const char *s, int64_t *out);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
