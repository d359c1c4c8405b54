/* base/util: shared helpers (util.h). */
#include "base/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/cpumask.h"
#include "base/errmsg.h"

void perr_set(struct parse_error *e, const char *file, int line, const char *fmt, ...)
{
	if (!e)
		return;
	errmsg(e->file, sizeof(e->file), 0, "%s", file ? file : "");
	e->line = line;
	va_list ap;
	va_start(ap, fmt);
	errmsg_v(e->msg, sizeof(e->msg), 0, fmt, ap);
	va_end(ap);
}

void perr_format(const struct parse_error *e, char *buf, size_t sz)
{
	if (e->line > 0)
		errmsg(buf, sz, 0, "%s line %d: %s", e->file, e->line, e->msg);
	else
		errmsg(buf, sz, 0, "%s: %s", e->file, e->msg);
}

void copy_str(char *dst, size_t sz, const char *src)
{
	copy_strn(dst, sz, src, strlen(src));
}

void copy_strn(char *dst, size_t sz, const char *src, size_t n)
{
	if (!sz)
		return;
	if (n >= sz)
		n = sz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

bool parse_u64(const char *s, uint64_t *out)
{
	if (!s || !isdigit((unsigned char)*s))
		return false;
	char *end;
	errno = 0;
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	unsigned long long v = strtoull(s, &end, hex ? 16 : 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

bool parse_s64(const char *s, int64_t *out)
{
	if (!s || !*s)
		return false;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

bool name_number(const char *name, const char *prefix, unsigned *out)
{
	size_t n = strlen(prefix);
	uint64_t v;
	if (strncmp(name, prefix, n) || !name[n] ||
	    strspn(name + n, "0123456789") != strlen(name + n))
		return false;
	if (!parse_u64(name + n, &v) || v >= CPUMASK_MAX_CPUS)
		return false;
	*out = (unsigned)v;
	return true;
}

bool pathf(char *buf, size_t sz, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sz, fmt, ap);
	va_end(ap);
	return n >= 0 && (size_t)n < sz;
}

void *grow(void *v, size_t n, size_t *cap, size_t size, size_t first)
{
	if (n < *cap)
		return v;
	size_t ncap = *cap ? *cap * 2 : first;
	if (ncap < n + 1 || ncap > SIZE_MAX / size)
		return NULL;
	void *nv = realloc(v, ncap * size);
	if (nv)
		*cap = ncap;
	return nv;
}

double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool ifname_ok(const char *s)
{
	size_t n = strnlen(s, IFNAME_MAX + 1);
	if (!n || n > IFNAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '/' || c == ':' || c <= ' ' || c == 0x7f)
			return false;
	}
	return true;
}

int fd_read_whole(int fd, size_t max, char **out, size_t *len)
{
	size_t cap = 256, n = 0;
	char *buf = malloc(cap + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			if (cap > max) {
				free(buf);
				return -EFBIG;
			}
			cap *= 2;
			char *nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		ssize_t r = pread(fd, buf + n, cap - n, (off_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			return -e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max) {
		free(buf);
		return -EFBIG;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}
