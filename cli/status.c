/* agentune status: what is applied, and whether each setting still holds. */
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "base/jsonw.h"
#include "tune/journal.h"
#include "tune/report_tune.h"
#include "tune/session.h"
#include "tune/tune.h"
#include "tune/winctl.h"

void usage_status(FILE *out)
{
	fprintf(out,
		"Usage: agentune status [-j]\n\n"
		"Shows the profiles applied (from the journal in " JOURNAL_DIR "): which, when,\n"
		"for which pid and CPUs, and each setting with its original, applied and\n"
		"current value: ok (holds what agentune wrote), drifted (changed by\n"
		"someone else since) or gone (the IRQ, process or cgroup no longer exists);\n"
		"window for a value the PM QoS window controller holds while a window is\n"
		"open.  With a window controller: its pid, windows opened, tokens left and\n"
		"the share of time each CPU had a window open.\n\n"
		"Exits 0 when every applied setting holds (or nothing is applied), 3 when\n"
		"one drifted or is gone or a window controller the journal records is not\n"
		"running (like `tuned-adm verify`), 1 when the journal cannot be read.\n\n"
		"  -j, --json   JSON output (schema " STATUS_SCHEMA ")\n");
}

/* EXIT_DRIFTED when a setting no longer holds what apply wrote, or the
 * window controller that holds some of them has died. */
static int verdict(const struct tune_result *r, const struct winctl_status *w)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->it[i].state == TUNE_DRIFTED || r->it[i].state == TUNE_GONE)
			return EXIT_DRIFTED;
	return w->present && !w->running ? EXIT_DRIFTED : EXIT_OK;
}

static int render(const struct journal *j, const struct tune_result *r, bool json)
{
	struct winctl_status w;
	char why[320];
	if (winctl_status_read(j->dir, &w, why, sizeof(why)))
		fprintf(stderr, "agentune status: %s\n", why);
	int ret = verdict(r, &w);
	if (json) {
		struct json_object *obj = report_status_json(j, r, &w);
		jw_print(stdout, obj);
		json_object_put(obj);
	} else {
		report_status_text(stdout, j, r, &w);
	}
	winctl_status_free(&w);
	return ret;
}

int cmd_status(int argc, char **argv)
{
	bool json;
	int ret = parse_json_only("status", argc, argv, &json);
	if (ret)
		return ret;
	if (optind < argc)
		return usage_error("status", "unexpected argument '%s'", argv[optind]);
	struct tune_session s;
	struct tune_result r = { 0 };
	char why[1024];
	int have = session_open_existing(&s, false, why, sizeof(why));
	r.ok = true;
	if (have > 0 && tune_unjournaled_controller(&s.j, false, &r) < 0)
		ret = fail("status", "out of memory");
	else if (have > 0)
		ret = render(&s.j, &r, json);
	else if (have < 0)
		ret = fail("status", "%s", why);
	else if (tune_status(&s.h, &s.j, &r))
		ret = fail("status", "out of memory");
	else
		ret = render(&s.j, &r, json);
	tune_result_free(&r);
	session_close(&s);
	return ret;
}
