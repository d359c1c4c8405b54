/* diagnose/ksyms: /proc/kallsyms, sorted for lookups (ksyms.h). */
#include "diagnose/ksyms.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

static int by_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;
	return x->addr < y->addr ? -1 : (x->addr > y->addr ? 1 : 0);
}

/* Only text symbols (t/T) can be work functions. */
static bool parse_line(char *line, uint64_t *addr, char **name)
{
	char *end;
	*addr = strtoull(line, &end, 16);
	if (end == line || end[0] != ' ' || !end[1] || end[2] != ' ')
		return false;
	if (end[1] != 't' && end[1] != 'T')
		return false;
	*name = end + 3;
	(*name)[strcspn(*name, " \t\n")] = '\0';
	return **name != '\0';
}

int ksyms_read(const struct host *h, struct ksyms *out)
{
	size_t len, cap = 0;
	memset(out, 0, sizeof(*out));
	char *text = host_read(h, "/proc/kallsyms", &len);
	if (!text)
		return -errno;
	bool nonzero = false;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		uint64_t addr;
		char *name;
		if (!parse_line(line, &addr, &name))
			continue;
		if (out->n == cap) {
			cap = cap ? cap * 2 : 4096;
			struct ksym *v = realloc(out->v, cap * sizeof(*v));
			if (!v) {
				ksyms_free(out);
				free(text);
				return -ENOMEM;
			}
			out->v = v;
		}
		out->v[out->n].addr = addr;
		out->v[out->n].name = name; /* points into text until fixed below */
		out->n++;
		nonzero |= addr != 0;
	}
	if (!nonzero) {
		ksyms_free(out);
		free(text);
		return -EPERM;
	}
	out->names = text; /* names point into it */
	qsort(out->v, out->n, sizeof(*out->v), by_addr);
	return 0;
}

const char *ksyms_name(const struct ksyms *ks, uint64_t addr)
{
	size_t lo = 0, hi = ks ? ks->n : 0;
	if (!hi || addr < ks->v[0].addr)
		return NULL;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (ks->v[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return ks->v[lo].name;
}

void ksyms_free(struct ksyms *ks)
{
	free(ks->v);
	free(ks->names);
	memset(ks, 0, sizeof(*ks));
}
