/* report: the text and JSON renderers (schemas in docs/json-schema.md). */
#ifndef AGENTUNE_REPORT_H
#define AGENTUNE_REPORT_H

#include <stdio.h>
#include <json-c/json.h>

#include "findings.h"
#include "model.h"

#define INSPECT_SCHEMA "agentune.inspect/1"

/* The inspect report as a JSON object (caller puts it). */
struct json_object *report_inspect_json(const struct model *m, const struct findings *f);
/* Writes it to out, pretty-printed; 0 or -EIO. */
int report_print_json(FILE *out, struct json_object *obj);

/* The inspect report for people.  width: terminal columns for per-CPU tables. */
void report_inspect_text(FILE *out, const struct model *m, const struct findings *f);

#endif
