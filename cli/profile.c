/* agentune profile list | show NAME, and where profiles are looked up. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "cli.h"
#include "base/host.h"
#include "base/jsonw.h"
#include "tune/profile.h"
#include "tune/report_tune.h"

#define PROFILE_SHOW_SCHEMA "agentune.profile/1"

void usage_profile(FILE *out)
{
	fprintf(out,
		"Usage: agentune profile list [-j]\n"
		"       agentune profile show NAME|FILE [-j]\n\n"
		"Lists the profiles agentune finds (a user's in /etc/agentune/profiles first,\n"
		"then the shipped ones), or prints one profile file and the files it includes,\n"
		"after checking that every key is valid.\n\n"
		"  -j, --json   JSON output (list: schema " PROFILES_SCHEMA ", show: schema\n"
		"               " PROFILE_SHOW_SCHEMA ": each file's keys in order)\n");
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

/* inih handler: one {section, key, value} per key, in file order (a key
 * given twice, like [irq] move, appears twice). */
static int add_key(void *user, const char *section, const char *key, const char *value)
{
	jo *e = json_object_new_object();
	jw_put(e, "section", jw_str(section));
	jw_put(e, "key", jw_str(key));
	jw_put(e, "value", jw_str(value));
	json_object_array_add((jo *)user, e);
	return 1;
}

static int show_json(const struct profile *p)
{
	jo *o = json_object_new_object(), *files = json_object_new_array();
	jw_put(o, "schema", jw_str(PROFILE_SHOW_SCHEMA));
	jw_put(o, "name", jw_str(p->name));
	jw_put(o, "path", jw_str(p->path));
	jw_put(o, "summary", jw_str(p->summary));
	jw_put(o, "files", files);
	int rc = EXIT_OK;
	for (size_t i = 0; i < p->chain.n && rc == EXIT_OK; i++) {
		jo *f = json_object_new_object(), *keys = json_object_new_array();
		jw_put(f, "path", jw_str(p->chain.v[i]));
		jw_put(f, "keys", keys);
		json_object_array_add(files, f);
		if (ini_parse(p->chain.v[i], add_key, keys))
			rc = fail("profile", "%s: cannot be read again", p->chain.v[i]);
	}
	if (rc == EXIT_OK)
		jw_print(stdout, o);
	json_object_put(o);
	return rc;
}

static int show_profile(const struct profile_opts *o, const char *name, bool json)
{
	struct profile p;
	struct parse_error err;
	int rc = profile_load(name, o, &p, &err);
	if (rc) {
		char msg[PERR_TEXT_MAX];
		perr_format(&err, msg, sizeof(msg));
		return usage_error("profile", "%s", msg);
	}
	if (json) {
		rc = show_json(&p);
		profile_free(&p);
		return rc;
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
	if (optind < argc && !strcmp(argv[optind], "show") && optind + 2 != argc)
		return usage_error("profile", "show needs one profile NAME or FILE");
	if (optind < argc && strcmp(argv[optind], "list") && strcmp(argv[optind], "show"))
		return usage_error("profile", "unknown subcommand '%s' (list, show)", argv[optind]);
	bool list = optind + 1 == argc && !strcmp(argv[optind], "list");
	bool show = optind + 2 == argc && !strcmp(argv[optind], "show");
	if (!list && !show)
		return usage_error("profile", "list or show NAME");
	struct strlist dirs;
	if (profile_search_dirs(&dirs))
		return fail("profile", "out of memory");
	struct profile_opts o = { .dirs = (const char *const *)dirs.v, .ndirs = dirs.n };
	ret = list ? list_profiles(&o, json) : show_profile(&o, argv[optind + 1], json);
	strlist_free(&dirs);
	return ret;
}
