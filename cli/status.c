/* agentune status: what is applied, and whether each setting still holds. */
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "tune/journal.h"
#include "base/jsonw.h"
#include "tune/report_tune.h"
#include "tune/tune.h"
#include "tune/winctl.h"

void usage_status(FILE *out)
{
	fprintf(out,
		"Usage: agentune status [--json]\n\n"
		"Shows the profiles applied (from the journal in " JOURNAL_DIR "): which, when,\n"
		"for which pid and CPUs, and each setting with its original, applied and\n"
		"current value: ok (holds what agentune wrote), drifted (changed by\n"
		"someone else since) or gone (the IRQ, process or cgroup no longer exists);\n"
		"window for a value the PM QoS window controller holds while a window is\n"
		"open.  With a window controller: its pid, windows opened, tokens left and\n"
		"the share of time each CPU had a window open.\n\n"
		"  --json   JSON output (schema " STATUS_SCHEMA ")\n");
}

static void render(const struct journal *j, const struct tune_result *r, bool json)
{
	struct winctl_status w;
	char why[320];
	if (winctl_status_read(j->dir, &w, why, sizeof(why)))
		fprintf(stderr, "agentune status: %s\n", why);
	if (json) {
		struct json_object *obj = report_status_json(j, r, &w);
		jw_print(stdout, obj);
		json_object_put(obj);
	} else {
		report_status_text(stdout, j, r, &w);
	}
	winctl_status_free(&w);
}

int cmd_status(int argc, char **argv)
{
	bool json;
	int ret = parse_json_only("status", argc, argv, &json);
	if (ret)
		return ret;
	if (optind < argc)
		return usage_error("status", "unexpected argument '%s'", argv[optind]);
	struct journal j = { .dirfd = -1, .lockfd = -1, .fd = -1 };
	copy_str(j.dir, sizeof(j.dir), journal_default_dir());
	struct tune_result r = { 0 };
	int have = open_existing_journal("status", &j, false, &ret);
	if (have) {
		if (have > 0)
			render(&j, &r, json);
		journal_close(&j);
		return ret;
	}
	struct host h;
	if ((ret = open_journal_host("status", &j, &h))) {
		journal_close(&j);
		return ret;
	}
	if (tune_status(&h, &j, &r))
		ret = fail("status", "out of memory");
	else
		render(&j, &r, json);
	tune_result_free(&r);
	host_close(&h);
	journal_close(&j);
	return ret;
}
