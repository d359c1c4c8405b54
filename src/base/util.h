/* base/util: small helpers shared by the readers: "unavailable" markers, parse
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
	char file[4096];
	int line;          /* 0 when the whole file is at fault */
	char msg[1024];
};
/* Room for perr_format's "FILE line N: MSG" without a cut. */
#define PERR_TEXT_MAX (4096 + 1024 + 32)

/* Fills e (NULL: nothing).  A message or file name that does not fit ends
 * in "..." (errmsg.h), never silently cut. */
void perr_set(struct parse_error *e, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* "/proc/interrupts line 3: count out of range" or "/proc/x: No such file";
 * cut with "..." when sz is too small (PERR_TEXT_MAX never is). */
void perr_format(const struct parse_error *e, char *buf, size_t sz);

/* CLOCK_MONOTONIC in seconds: what rates and refresh intervals are timed with. */
double mono_s(void);
/* The same clock in nanoseconds: bpf_ktime_get_ns()'s, for comparing with
 * times the BPF programs stored. */
uint64_t mono_ns(void);

/* Copies at most sz-1 bytes and always terminates. */
void copy_str(char *dst, size_t sz, const char *src);
/* Copies the n bytes at src (no NUL needed) and terminates. */
void copy_strn(char *dst, size_t sz, const char *src, size_t n);

/* Decimal or hex u64 without sign; false on garbage or overflow. */
bool parse_u64(const char *s, uint64_t *out);
bool parse_s64(const char *s, int64_t *out);

/* "cpu12" with prefix "cpu" -> 12.  false for "cpufreq", "cpu", "cpu1a",
 * "cpu0x1f" (sysfs names are decimal) and numbers at or past
 * CPUMASK_MAX_CPUS: no CPU, node, policy, idle state or cache index is
 * numbered that high. */
bool name_number(const char *name, const char *prefix, unsigned *out);

/* snprintf into buf; false when the result does not fit (callers treat the
 * path as absent rather than read a truncated one). */
bool pathf(char *buf, size_t sz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Room for element n of array v (*cap elements of size bytes allocated),
 * growing it twofold from first: the array, moved or not, or NULL when out
 * of memory (then v and *cap still stand).  Usage:
 *	struct x *nv = grow(a->v, a->n, &cap, sizeof(*nv), 16);
 *	if (!nv)
 *		return -ENOMEM;
 *	a->v = nv; */
void *grow(void *v, size_t n, size_t *cap, size_t size, size_t first);

/* Longest network interface name (IFNAMSIZ - 1). */
#define IFNAME_MAX 15
/* What an interface can be called: the kernel's dev_valid_name() (1 to 15
 * bytes, not "." or "..", no '/', ':' or white space), and no control byte
 * either, since names are printed and journaled.  Bytes above 127 (UTF-8
 * names) pass, as they do in the kernel.  The one rule for profiles, plans
 * and the journal. */
bool ifname_ok(const char *s);

/* The whole file behind fd, read from offset 0 (pread: the descriptor's
 * offset is left alone), NUL-terminated in *out (free() it) with its length
 * in *len.  -EFBIG when it holds more than max bytes, else -errno. */
int fd_read_whole(int fd, size_t max, char **out, size_t *len);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
