/* tune/report_tune: text and JSON for apply (the plan and its outcome), revert,
 * status and the profile listing.  Schemas in docs/json-schema.md. */
#ifndef AGENTUNE_REPORT_TUNE_H
#define AGENTUNE_REPORT_TUNE_H

#include <stdio.h>
#include <json-c/json.h>

#include "tune/journal.h"
#include "tune/plan.h"
#include "tune/profile.h"
#include "tune/tune.h"
#include "tune/winctl.h"

#define APPLY_SCHEMA "agentune.apply/1"
#define REVERT_SCHEMA "agentune.revert/1"
#define STATUS_SCHEMA "agentune.status/1"
#define PROFILES_SCHEMA "agentune.profiles/1"

/* What apply shows: the plan, and with r (NULL on --dry-run) its outcome. */
struct apply_report {
	const struct profile *p;
	const struct plan *pl;
	const struct strlist *warnings;
	const struct tune_result *r;
	bool dry_run;
};

struct json_object *report_apply_json(const struct apply_report *a);
void report_apply_text(FILE *out, const struct apply_report *a);

struct json_object *report_revert_json(const struct tune_result *r, bool dry_run, bool force);
void report_revert_text(FILE *out, const struct tune_result *r, bool dry_run);

/* w: the window controller's state file (NULL or !present: none). */
struct json_object *report_status_json(const struct journal *j, const struct tune_result *r,
				       const struct winctl_status *w);
void report_status_text(FILE *out, const struct journal *j, const struct tune_result *r,
			const struct winctl_status *w);

struct json_object *report_profiles_json(const struct profile_info *v, size_t n);
void report_profiles_text(FILE *out, const struct profile_info *v, size_t n);

#endif
