/* agentune snapshot: copy every file inspect reads into DIR, under its
 * absolute path, plus the NAPI instances that only netlink tells. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "inspect/model.h"

void usage_snapshot(FILE *out)
{
	fprintf(out,
		"Usage: agentune snapshot [--root DIR] OUTDIR\n\n"
		"Copies every procfs/sysfs file inspect reads into OUTDIR, keeping absolute\n"
		"paths, links and directory entries, and writes the NAPI instances (netlink)\n"
		"to OUTDIR" NAPI_SNAPSHOT_PATH ". 'agentune inspect --root OUTDIR' then prints\n"
		"the report this host gave, counters as they were.  OUTDIR must not exist or\n"
		"be empty.\n\n"
		"  --root DIR   snapshot another root (a snapshot of a snapshot)\n");
}

static bool dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return false;
	struct dirent *de;
	bool empty = true;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = false;
	closedir(d);
	return empty;
}

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
	const char *failed = NULL;
	rc = host_record_save(h, outdir, &failed);
	if (rc)
		return fail("snapshot", "writing %s%s: %s", outdir, failed ? failed : "", strerror(-rc));
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
	int c;
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
	struct stat st;
	if (stat(outdir, &st) == 0 && (!S_ISDIR(st.st_mode) || !dir_is_empty(outdir)))
		return usage_error("snapshot", "%s exists and is not an empty directory", outdir);

	struct host h;
	int rc = host_open(&h, root);
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
