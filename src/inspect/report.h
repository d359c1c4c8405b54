/* inspect/report: the text and JSON renderers (schemas in docs/json-schema.md). */
#ifndef AGENTUNE_REPORT_H
#define AGENTUNE_REPORT_H

#include <stdio.h>
#include <json-c/json.h>

#include "inspect/findings.h"
#include "inspect/model.h"
#include "diagnose/ksyms.h"
#include "diagnose/probe.h"
#include "diagnose/verdict.h"

#define INSPECT_SCHEMA "agentune.inspect/1"

/* The inspect report as a JSON object (caller puts it). */
struct json_object *report_inspect_json(const struct model *m, const struct findings *f);
/* Writes it to out, pretty-printed; 0 or -EIO. */
int report_print_json(FILE *out, struct json_object *obj);

/* The inspect report for people.  width: terminal columns for per-CPU tables. */
void report_inspect_text(FILE *out, const struct model *m, const struct findings *f);

#define DIAGNOSE_SCHEMA "agentune.diagnose/1"

/* Everything a diagnosis report shows. */
struct diag_report {
	int pid;
	char comm[DIAG_COMM_LEN];
	double duration_s;
	bool target_exited;        /* the process exited during the run */
	unsigned slowest;          /* slow steps to list */
	const struct probe_result *r;
	const struct verdict *v;
	const struct model *m;     /* host model with the run's interrupt rates; may be NULL */
	const struct ksyms *ksyms; /* names kworkers' work functions; may be NULL */
	char cpus_allowed[128];    /* the process's CPU affinity ("0-1"), "" unknown */
};

struct json_object *report_diag_json(const struct diag_report *d);
void report_diag_text(FILE *out, const struct diag_report *d);

#endif
