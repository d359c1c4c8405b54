/* agentune profile list | show NAME, and where profiles are looked up. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "base/host.h"
#include "tune/profile.h"
#include "base/jsonw.h"
#include "tune/report_tune.h"

#ifndef AGENTUNE_DATADIR
#define AGENTUNE_DATADIR "/usr/local/share/agentune"
#endif

static void add_dir(struct profile_dirs *d, size_t *used, const char *dir)
{
	size_t len = strlen(dir) + 1;
	if (d->n >= PROFILE_DIRS_MAX || *used + len > sizeof(d->buf) || !*dir)
		return;
	memcpy(d->buf + *used, dir, len);
	d->dir[d->n++] = d->buf + *used;
	*used += len;
}

void profile_dirs_init(struct profile_dirs *d)
{
	size_t used = 0;
	d->n = 0;
	const char *env = getenv("AGENTUNE_PROFILE_PATH");
	if (env && *env) {
		char *copy = strdup(env), *save = NULL;
		for (char *s = copy ? strtok_r(copy, ":", &save) : NULL; s; s = strtok_r(NULL, ":", &save))
			add_dir(d, &used, s);
		free(copy);
	}
	add_dir(d, &used, "/etc/agentune/profiles");
	add_dir(d, &used, AGENTUNE_DATADIR "/profiles");
	/* Running from the source tree: build/agentune -> profiles/. */
	char exe[PATH_MAX], dir[PATH_MAX + 16];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		snprintf(dir, sizeof(dir), "%s/../profiles", dirname(exe));
		char real[PATH_MAX];
		if (realpath(dir, real))
			add_dir(d, &used, real);
	}
}

void usage_profile(FILE *out)
{
	fprintf(out,
		"Usage: agentune profile list [--json]\n"
		"       agentune profile show NAME|FILE\n\n"
		"Lists the profiles agentune finds (a user's in /etc/agentune/profiles first,\n"
		"then the shipped ones), or prints one profile file and the files it includes,\n"
		"after checking that every key is valid.\n\n"
		"  --json   JSON output (schema " PROFILES_SCHEMA ")\n");
}

static int list_profiles(const struct profile_opts *o, bool json)
{
	struct profile_info *v = NULL;
	size_t n = 0;
	if (profile_list(o, &v, &n))
		return fail("profile", "cannot list profiles: %s", strerror(errno));
	if (json) {
		struct json_object *obj = report_profiles_json(v, n);
		jw_print(stdout, obj);
		json_object_put(obj);
	} else {
		report_profiles_text(stdout, v, n);
	}
	free(v);
	return EXIT_OK;
}

static int show_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return fail("profile", "%s: %s", path, strerror(errno));
	printf("# %s\n", path);
	char line[4096];
	while (fgets(line, sizeof(line), f))
		fputs(line, stdout);
	fclose(f);
	return EXIT_OK;
}

static int show_profile(const struct profile_opts *o, const char *name)
{
	struct profile p;
	struct parse_error err;
	int rc = profile_load(name, o, &p, &err);
	if (rc) {
		char msg[PERR_TEXT_MAX];
		perr_format(&err, msg, sizeof(msg));
		return usage_error("profile", "%s", msg);
	}
	rc = EXIT_OK;
	for (size_t i = 0; i < p.chain.n && rc == EXIT_OK; i++) {
		if (i)
			putchar('\n');
		rc = show_file(p.chain.v[i]);
	}
	profile_free(&p);
	return rc;
}

int cmd_profile(int argc, char **argv)
{
	bool json;
	int ret = parse_json_only("profile", argc, argv, &json);
	if (ret)
		return ret;
	struct profile_dirs d;
	profile_dirs_init(&d);
	struct profile_opts o = { .dirs = d.dir, .ndirs = d.n };
	if (optind < argc && !strcmp(argv[optind], "list") && optind + 1 == argc)
		return list_profiles(&o, json);
	if (optind + 2 == argc && !strcmp(argv[optind], "show"))
		return show_profile(&o, argv[optind + 1]);
	if (optind < argc && !strcmp(argv[optind], "show"))
		return usage_error("profile", "show needs one profile NAME or FILE");
	if (optind < argc && strcmp(argv[optind], "list"))
		return usage_error("profile", "unknown subcommand '%s' (list, show)", argv[optind]);
	return usage_error("profile", "list or show NAME");
}
