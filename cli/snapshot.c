/* agentune snapshot: copy every file inspect reads into DIR, under its
 * absolute path, plus the NAPI instances that only netlink tells. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "base/jsonw.h"
#include "base/safepath.h"
#include "inspect/model.h"

#define SNAPSHOT_SCHEMA "agentune.snapshot/1"

void usage_snapshot(FILE *out)
{
	fprintf(out,
		"Usage: agentune snapshot [-r DIR] [-j] OUTDIR\n\n"
		"Copies every procfs/sysfs file inspect reads into OUTDIR, keeping absolute\n"
		"paths, links and directory entries, and writes the NAPI instances (netlink)\n"
		"to OUTDIR" NAPI_SNAPSHOT_PATH ". 'agentune inspect --root OUTDIR' then prints\n"
		"the report this host gave, counters as they were.  OUTDIR must not exist or\n"
		"be an empty directory (not a symlink).  The capture is written into a new\n"
		"directory beside OUTDIR that only you can enter, and renamed to OUTDIR\n"
		"when complete; nothing in it is written through a symlink.\n\n"
		"  -r, --root DIR   snapshot another root (a snapshot of a snapshot)\n"
		"  -j, --json       a JSON summary of what was captured (schema " SNAPSHOT_SCHEMA ")\n");
}

/* What the snapshot holds: the entries written and what inspect found in
 * them (CPUs, IRQ lines, interfaces, NAPI instances). */
static void print_json(const struct host *h, const struct model *m, const char *root,
		       const char *outdir, bool napi)
{
	jo *o = json_object_new_object();
	jw_put(o, "schema", jw_str(SNAPSHOT_SCHEMA));
	jw_put(o, "root", jw_str(root));
	jw_put(o, "output", jw_str(outdir));
	jw_put(o, "entries", jw_uint(host_record_count(h)));
	jw_put(o, "cpus", jw_uint(m->topo.n));
	jw_put(o, "irq_lines", jw_uint(m->irqs.n));
	jw_put(o, "interfaces", jw_uint(m->net.n));
	jw_put(o, "napi_recorded", jw_bool(napi));
	jw_put(o, "napi_instances", napi ? jw_uint(m->net.nnapi) : NULL);
	jw_print(stdout, o);
	json_object_put(o);
}

/* Reads the host, then writes what was read into a fresh 0700 directory
 * beside outdir that nobody else can enter, and renames it to outdir: no
 * one can plant a link in it while it is written, and a failed capture
 * leaves nothing behind. */
static int capture(struct host *h, const char *root, const char *outdir, bool json)
{
	struct model m;
	if (model_read(h, &m))
		return fail("snapshot", "out of memory");
	int rc = 0;
	bool napi = h->live && m.net.napi_available;
	if (napi) {
		char *text = napi_to_json(&m.net);
		rc = text ? host_record_add(h, NAPI_SNAPSHOT_PATH, text, strlen(text)) : -ENOMEM;
		free(text);
	}
	if (rc) {
		model_free(&m);
		return fail("snapshot", "recording NAPI instances: %s", strerror(-rc));
	}
	struct sp_stage st;
	char why[1024];
	rc = sp_stage_begin(&st, outdir, why, sizeof(why));
	if (rc) {
		sp_stage_abort(&st);
		model_free(&m);
		return fail("snapshot", "%s", why);
	}
	const char *failed = NULL;
	rc = host_record_save_at(h, st.fd, &failed);
	if (rc) {
		sp_stage_abort(&st);
		model_free(&m);
		return fail("snapshot", "writing %s%s: %s", outdir, failed ? failed : "",
			    strerror(-rc));
	}
	rc = sp_stage_commit(&st, 0755, why, sizeof(why));
	sp_stage_abort(&st);
	if (rc) {
		model_free(&m);
		return fail("snapshot", "%s", why);
	}
	if (json)
		print_json(h, &m, root, outdir, napi);
	else
		printf("snapshot: %zu entries written to %s\n", host_record_count(h), outdir);
	model_free(&m);
	return EXIT_OK;
}

const struct option snapshot_longopts[] = {
	{ "root", required_argument, NULL, 'r' },
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 },
};
const char snapshot_shortopts[] = ":r:j";

int cmd_snapshot(int argc, char **argv)
{
	const char *root = "/";
	bool json = false;
	int c, rc;
	opterr = 0;
	while ((c = getopt_long(argc, argv, snapshot_shortopts, snapshot_longopts, NULL)) != -1) {
		switch (c) {
		case 'r': root = optarg; break;
		case 'j': json = true; break;
		case ':': return usage_error("snapshot", "option '%s' needs a value", argv[optind - 1]);
		default: return unknown_option("snapshot", argv[optind - 1]);
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
	rc = capture(&h, root, outdir, json);
	host_close(&h);
	return rc;
}
