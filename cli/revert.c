/* agentune revert: restore what apply changed, from the journal. */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "base/jsonw.h"
#include "base/util.h"
#include "tune/journal.h"
#include "tune/report_tune.h"
#include "tune/session.h"
#include "tune/tune.h"

void usage_revert(FILE *out)
{
	fprintf(out,
		"Usage: agentune revert [--dry-run] [-f] [-j]\n\n"
		"Walks the journal in " JOURNAL_DIR " backwards and restores each setting to\n"
		"its value before the first apply.  A setting that someone else changed\n"
		"since is left as it is and reported (and stays in the journal) unless\n"
		"--force.  Works after apply was killed at any point; running it again\n"
		"when everything is restored says \"Nothing to revert\".  Exits 1 when a\n"
		"setting could not be restored or was left because it drifted.  A PM QoS\n"
		"window controller is stopped first, then what it held is restored.\n\n"
		"      --dry-run  show what would be restored, change nothing\n"
		"  -f, --force    restore settings even where someone else changed them\n"
		"  -j, --json     JSON output (schema " REVERT_SCHEMA ")\n\n"
		"Environment: AGENTUNE_FAULT_JOURNAL=N[:ENOSPC|:EIO] makes the Nth journal\n"
		"write or rewrite fail as a full or failing disk would (tests).\n");
}

const struct option revert_longopts[] = {
	{ "dry-run", no_argument, NULL, 'n' },
	{ "force", no_argument, NULL, 'f' },
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 },
};
const char revert_shortopts[] = "fj";

static int parse_opts(int argc, char **argv, bool *dry_run, bool *force, bool *json)
{
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, revert_shortopts, revert_longopts, NULL)) != -1) {
		switch (c) {
		case 'n': *dry_run = true; break;
		case 'f': *force = true; break;
		case 'j': *json = true; break;
		default: return unknown_option("revert", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("revert", "unexpected argument '%s'", argv[optind]);
	return EXIT_OK;
}

static void render(const struct tune_result *r, bool dry_run, bool force, bool json)
{
	if (json) {
		struct json_object *obj = report_revert_json(r, dry_run, force);
		jw_print(stdout, obj);
		json_object_put(obj);
	} else {
		report_revert_text(stdout, r, dry_run);
	}
}

int cmd_revert(int argc, char **argv)
{
	bool dry_run = false, force = false, json = false;
	int ret = parse_opts(argc, argv, &dry_run, &force, &json);
	if (ret)
		return ret;
	unsigned long fault_at;
	int fault_err;
	if ((ret = parse_journal_fault("revert", &fault_at, &fault_err)))
		return ret;
	struct tune_session s;
	struct tune_result r = { 0 };
	char why[1024] = "";
	int have = session_open_existing(&s, !dry_run, why, sizeof(why));
	if (have) {
		/* No journal, but maybe a controller that none records. */
		r.ok = true;
		if (have > 0 && tune_unjournaled_controller(&s.j, !dry_run, &r) < 0) {
			have = -1;
			copy_str(why, sizeof(why), "out of memory");
		}
		if (have > 0) {
			render(&r, dry_run, force, json);
			ret = r.ok ? EXIT_OK : EXIT_FAIL;
		} else {
			ret = fail("revert", "%s", why);
		}
		tune_result_free(&r);
		session_close(&s);
		return ret;
	}
	journal_set_fault(&s.j, fault_at, fault_err);
	int rc = tune_revert(&s.h, &s.j, force, dry_run, &r, why, sizeof(why));
	render(&r, dry_run, force, json);
	if (rc)
		ret = fail("revert", "rewriting the journal: %s", why);
	else if (!r.ok)
		ret = EXIT_FAIL;
	for (size_t i = 0; i < r.n && !ret; i++)
		if (r.it[i].state == TUNE_DRIFTED)
			ret = EXIT_FAIL;
	tune_result_free(&r);
	session_close(&s);
	return ret;
}
