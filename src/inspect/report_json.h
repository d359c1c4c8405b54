/* inspect/report_json: the inspect report as JSON (schema in docs/json-schema.md). */
#ifndef AGENTUNE_REPORT_JSON_H
#define AGENTUNE_REPORT_JSON_H

#include <json-c/json.h>

#include "inspect/findings.h"
#include "inspect/model.h"

#define INSPECT_SCHEMA "agentune.inspect/1"

/* The report as a JSON object; the caller prints it (jw_print) and puts it. */
struct json_object *report_inspect_json(const struct model *m, const struct findings *f);

#endif
