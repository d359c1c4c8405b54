/* agentune revert: restore what apply changed, from the journal. */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "tune/journal.h"
#include "base/jsonw.h"
#include "tune/report_tune.h"
#include "tune/tune.h"

void usage_revert(FILE *out)
{
	fprintf(out,
		"Usage: agentune revert [--dry-run] [--force] [--json]\n\n"
		"Walks the journal in " JOURNAL_DIR " backwards and restores each setting to\n"
		"its value before the first apply.  A setting that someone else changed\n"
		"since is left as it is and reported (and stays in the journal) unless\n"
		"--force.  Works after apply was killed at any point; running it again\n"
		"when everything is restored says \"Nothing to revert\".  Exits 1 when a\n"
		"setting could not be restored or was left because it drifted.  A PM QoS\n"
		"window controller is stopped first, then what it held is restored.\n\n"
		"  --dry-run   show what would be restored, change nothing\n"
		"  --force     restore settings even where someone else changed them\n"
		"  --json      JSON output (schema " REVERT_SCHEMA ")\n");
}

/* Opens (and unless dry_run locks) the journal.  1 when there is none. */
int open_existing_journal(const char *cmd, struct journal *j, bool lock, int *ret)
{
	char why[600];
	int rc = journal_open(j, journal_default_dir(), false, why, sizeof(why));
	if (rc == -ENOENT)
		return 1;
	if (!rc && lock)
		rc = journal_lock(j, why, sizeof(why));
	if (!rc)
		rc = journal_load(j, why, sizeof(why));
	if (rc) {
		*ret = fail(cmd, "%s", why);
		return -1;
	}
	return j->n ? 0 : 1;
}

/* The host the journal's changes were made to. */
int open_journal_host(const char *cmd, const struct journal *j, struct host *h)
{
	const char *root = j->napplies ? j->applies[0].root : "/";
	int rc = host_open(h, root);
	if (rc)
		return fail(cmd, "the journal's root %s: %s", root, strerror(-rc));
	return EXIT_OK;
}

static int parse_opts(int argc, char **argv, bool *dry_run, bool *force, bool *json)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "nfj", opts, NULL)) != -1) {
		switch (c) {
		case 'n': *dry_run = true; break;
		case 'f': *force = true; break;
		case 'j': *json = true; break;
		default: return usage_error("revert", "unknown option '%s'", argv[optind - 1]);
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
	struct journal j = { .dirfd = -1, .lockfd = -1, .fd = -1 };
	struct tune_result r = { 0 };
	int have = open_existing_journal("revert", &j, !dry_run, &ret);
	if (have) {
		if (have > 0)
			render(&r, dry_run, force, json);
		journal_close(&j);
		return ret;
	}
	struct host h;
	if ((ret = open_journal_host("revert", &j, &h))) {
		journal_close(&j);
		return ret;
	}
	char why[600] = "";
	int rc = tune_revert(&h, &j, force, dry_run, &r, why, sizeof(why));
	render(&r, dry_run, force, json);
	if (rc)
		ret = fail("revert", "rewriting the journal: %s", why);
	else if (!r.ok)
		ret = EXIT_FAIL;
	for (size_t i = 0; i < r.n && !ret; i++)
		if (r.it[i].state == TUNE_DRIFTED)
			ret = EXIT_FAIL;
	tune_result_free(&r);
	host_close(&h);
	journal_close(&j);
	return ret;
}
