/* base/errmsg: filling message buffers, marking a cut (errmsg.h). */
#include "base/errmsg.h"

#include <stdio.h>
#include <string.h>

#define CUT_MARK "..."

/* vsnprintf into buf; when the text did not fit, its last bytes become the
 * marker so the cut shows. */
static void format_marked(char *buf, size_t sz, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, sz, fmt, ap);
	size_t mark = sizeof(CUT_MARK) - 1;
	if (n >= 0 && (size_t)n < sz)
		return;
	if (sz > mark)
		memcpy(buf + sz - 1 - mark, CUT_MARK, mark);
}

int errmsg_v(char *why, size_t sz, int rc, const char *fmt, va_list ap)
{
	if (why && sz)
		format_marked(why, sz, fmt, ap);
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

void errmsg_append(char *why, size_t sz, const char *fmt, ...)
{
	if (!why || !sz)
		return;
	size_t len = strnlen(why, sz - 1);
	if (len && len + 2 < sz) {
		memcpy(why + len, "; ", 3);
		len += 2;
	}
	if (len + 1 >= sz)
		return;
	va_list ap;
	va_start(ap, fmt);
	format_marked(why + len, sz - len, fmt, ap);
	va_end(ap);
}

int errmsg_cut(const char *why)
{
	size_t len = strlen(why), mark = sizeof(CUT_MARK) - 1;
	return len >= mark && !strcmp(why + len - mark, CUT_MARK);
}
