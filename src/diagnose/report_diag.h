/* diagnose/report_diag: the diagnose report, text and JSON (schema in
 * docs/json-schema.md). */
#ifndef AGENTUNE_REPORT_DIAG_H
#define AGENTUNE_REPORT_DIAG_H

#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

#include "base/host.h"
#include "inspect/model.h"
#include "diagnose/ksyms.h"
#include "diagnose/probe.h"
#include "diagnose/verdict.h"

#define DIAGNOSE_SCHEMA "agentune.diagnose/2"

/* Everything a diagnosis report shows. */
struct diag_report {
	int pid;
	char comm[DIAG_COMM_LEN];
	double duration_s;
	bool target_exited;        /* the process exited during the run */
	unsigned slowest;          /* slow steps to list */
	const struct probe_result *r;
	const struct verdict *v;
	const struct verdict_host *vh; /* the group's cpu.stat (throttling); may be NULL */
	const struct model *m;     /* host model with the run's interrupt rates; may be NULL */
	const struct ksyms *ksyms; /* names kworkers' work functions; may be NULL */
	const struct host *host;   /* names disks (/sys/dev/block); may be NULL */
	/* The process's CPU affinity ("0-1"), "" unknown; whole on a host of
	 * 8192 CPU ids (the longest list is 26568 bytes). */
	char cpus_allowed[32768];
};

/* The report as a JSON object; the caller prints it (jw_print) and puts it. */
struct json_object *report_diag_json(const struct diag_report *d);
void report_diag_text(FILE *out, const struct diag_report *d);

#endif
