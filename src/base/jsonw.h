/* base/jsonw: the JSON helpers every report and state file builds with
 * (json-c underneath).
 *
 * One rule for what is unknown: a value that could not be read is JSON
 * null, never 0 or "".  Strings come in two kinds, and the caller says
 * which it has:
 *   jw_str(s)    a text that is what it is, "" included; NULL is null.
 *   jw_known(s)  a text that may be unknown, where "" means unknown: null.
 * Numbers use the "unavailable" markers of util.h (NA_U64, NA_S64).
 */
#ifndef AGENTUNE_BASE_JSONW_H
#define AGENTUNE_BASE_JSONW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "base/cpumask.h"

typedef struct json_object jo;

/* o[key] = v (v may be NULL: null).  Replaces an existing key. */
void jw_put(jo *o, const char *key, jo *v);

jo *jw_str(const char *s);
jo *jw_known(const char *s);
jo *jw_bool(bool b);
/* A yes/no that may be unknown: 1 or 0, negative is null. */
jo *jw_flag(int v);
/* Numbers that are always known: every value is written, none is null. */
jo *jw_int(int64_t v);
jo *jw_uint(uint64_t v);
jo *jw_double(double v);
/* NA_U64 / NA_S64 are null. */
jo *jw_u64(uint64_t v);
jo *jw_s64(int64_t v);
/* A count or id where a negative value means unknown: null. */
jo *jw_nonneg(int64_t v);
/* A CPU set as a list ("0-3,8"); NULL mask is null. */
jo *jw_cpulist(const struct cpumask *m);
/* Arrays of n numbers. */
jo *jw_u64_array(const uint64_t *v, size_t n);
jo *jw_double_array(const double *v, size_t n);

/* A report on out: pretty-printed, spaced, slashes unescaped, one trailing
 * newline.  0, or -EIO when it could not be written. */
int jw_print(FILE *out, jo *obj);

/* One line, as the journal and state files keep records: no spaces, no
 * slash escapes.  The string belongs to obj. */
const char *jw_line(jo *obj);

#endif
