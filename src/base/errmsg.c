/* base/errmsg: filling message buffers, marking a cut (errmsg.h). */
#include "base/errmsg.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define CUT_MARK "..."

/* The last bytes of a full buffer become the marker, so the cut shows
 * (a buffer too small for it keeps what fits). */
static void mark_cut(char *buf, size_t sz)
{
	size_t mark = sizeof(CUT_MARK) - 1;
	if (sz > mark)
		memcpy(buf + sz - 1 - mark, CUT_MARK, mark);
}

/* vsnprintf into buf (sz > 0); whether the whole text fitted. */
static bool format_fits(char *buf, size_t sz, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, sz, fmt, ap);
	return n >= 0 && (size_t)n < sz;
}

int errmsg_v(char *why, size_t sz, int rc, const char *fmt, va_list ap)
{
	if (why && sz && !format_fits(why, sz, fmt, ap))
		mark_cut(why, sz);
	return rc;
}

int errmsg(char *why, size_t sz, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	errmsg_v(why, sz, rc, fmt, ap);
	va_end(ap);
	return rc;
}

/* A cut anywhere in the appended text -- the separator fitting and not the
 * text, or not even the separator -- is marked at the end of the whole
 * buffer: the reader sees that something was lost. */
void errmsg_append(char *why, size_t sz, const char *fmt, ...)
{
	if (!why || !sz)
		return;
	size_t len = strnlen(why, sz - 1);
	size_t seplen = len ? 2 : 0;
	bool fits = false;
	if (len + seplen < sz) {
		memcpy(why + len, "; ", seplen);
		va_list ap;
		va_start(ap, fmt);
		fits = format_fits(why + len + seplen, sz - len - seplen, fmt, ap);
		va_end(ap);
	}
	if (!fits)
		mark_cut(why, sz);
}

int errmsg_cut(const char *why)
{
	if (!why)
		return 0;
	size_t len = strlen(why), mark = sizeof(CUT_MARK) - 1;
	return len >= mark && !strcmp(why + len - mark, CUT_MARK);
}
