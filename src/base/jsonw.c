/* base/jsonw: JSON value helpers and printing (jsonw.h). */
#include "base/jsonw.h"

#include <errno.h>
#include <stdlib.h>

#include "base/util.h"

void jw_put(jo *o, const char *key, jo *v)
{
	json_object_object_add(o, key, v);
}

jo *jw_str(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

jo *jw_known(const char *s)
{
	return s && s[0] ? json_object_new_string(s) : NULL;
}

jo *jw_bool(bool b)
{
	return json_object_new_boolean(b);
}

jo *jw_flag(int v)
{
	return v < 0 ? NULL : json_object_new_boolean(v);
}

jo *jw_int(int64_t v)
{
	return json_object_new_int64(v);
}

jo *jw_uint(uint64_t v)
{
	return json_object_new_uint64(v);
}

jo *jw_double(double v)
{
	return json_object_new_double(v);
}

jo *jw_u64(uint64_t v)
{
	return v == NA_U64 ? NULL : json_object_new_uint64(v);
}

jo *jw_s64(int64_t v)
{
	return v == NA_S64 ? NULL : json_object_new_int64(v);
}

jo *jw_nonneg(int64_t v)
{
	return v < 0 ? NULL : json_object_new_int64(v);
}

jo *jw_cpulist(const struct cpumask *m)
{
	if (!m)
		return NULL;
	char *s = cpulist_str(m);
	jo *o = json_object_new_string(s ? s : "");
	free(s);
	return o;
}

jo *jw_u64_array(const uint64_t *v, size_t n)
{
	jo *a = json_object_new_array_ext((int)n);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_uint64(v[i]));
	return a;
}

jo *jw_double_array(const double *v, size_t n)
{
	jo *a = json_object_new_array_ext((int)n);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_double(v[i]));
	return a;
}

int jw_print(FILE *out, jo *obj)
{
	const char *s = json_object_to_json_string_ext(
		obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s || fputs(s, out) < 0 || fputc('\n', out) < 0)
		return -EIO;
	return 0;
}

const char *jw_line(jo *obj)
{
	return json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE);
}
