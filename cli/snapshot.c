/* agentune snapshot: copy every file inspect reads into DIR, under its
 * absolute path, plus the NAPI instances that only netlink tells. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "base/safepath.h"
#include "inspect/model.h"

void usage_snapshot(FILE *out)
{
	fprintf(out,
		"Usage: agentune snapshot [--root DIR] OUTDIR\n\n"
		"Copies every procfs/sysfs file inspect reads into OUTDIR, keeping absolute\n"
		"paths, links and directory entries, and writes the NAPI instances (netlink)\n"
		"to OUTDIR" NAPI_SNAPSHOT_PATH ". 'agentune inspect --root OUTDIR' then prints\n"
		"the report this host gave, counters as they were.  OUTDIR must not exist or\n"
		"be an empty directory (not a symlink).  The capture is written into a new\n"
		"directory beside OUTDIR that only you can enter, and renamed to OUTDIR\n"
		"when complete; nothing in it is written through a symlink.\n\n"
		"  --root DIR   snapshot another root (a snapshot of a snapshot)\n");
}

/* Reads the host, then writes what was read into a fresh 0700 directory
 * beside outdir that nobody else can enter, and renames it to outdir: no
 * one can plant a link in it while it is written, and a failed capture
 * leaves nothing behind. */
static int capture(struct host *h, const char *outdir)
{
	struct model m;
	if (model_read(h, &m))
		return fail("snapshot", "out of memory");
	int rc = 0;
	if (h->live && m.net.napi_available) {
		char *json = napi_to_json(&m.net);
		rc = json ? host_record_add(h, NAPI_SNAPSHOT_PATH, json, strlen(json)) : -ENOMEM;
		free(json);
	}
	model_free(&m);
	if (rc)
		return fail("snapshot", "recording NAPI instances: %s", strerror(-rc));
	struct sp_stage st;
	char why[1024];
	rc = sp_stage_begin(&st, outdir, why, sizeof(why));
	if (rc) {
		sp_stage_abort(&st);
		return fail("snapshot", "%s", why);
	}
	const char *failed = NULL;
	rc = host_record_save_at(h, st.fd, &failed);
	if (rc) {
		sp_stage_abort(&st);
		return fail("snapshot", "writing %s%s: %s", outdir, failed ? failed : "",
			    strerror(-rc));
	}
	rc = sp_stage_commit(&st, 0755, why, sizeof(why));
	sp_stage_abort(&st);
	if (rc)
		return fail("snapshot", "%s", why);
	printf("snapshot: %zu entries written to %s\n", host_record_count(h), outdir);
	return EXIT_OK;
}

int cmd_snapshot(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *root = "/";
	int c, rc;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":r:", opts, NULL)) != -1) {
		switch (c) {
		case 'r': root = optarg; break;
		case ':': return usage_error("snapshot", "option '%s' needs a value", argv[optind - 1]);
		default: return usage_error("snapshot", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return usage_error("snapshot", "expected one output directory");
	const char *outdir = argv[optind];
	/* Refused before reading the host; checked again when it is replaced. */
	char why[1024];
	rc = sp_stage_check(outdir, why, sizeof(why));
	if (rc)
		return usage_error("snapshot", "%s", why);

	struct host h;
	rc = host_open(&h, root);
	if (rc)
		return usage_error("snapshot", "--root %s: %s", root, strerror(-rc));
	if (host_record_start(&h)) {
		host_close(&h);
		return fail("snapshot", "out of memory");
	}
	rc = capture(&h, outdir);
	host_close(&h);
	return rc;
}
