/* libFuzzer harness: profile_load of a chain of includes across files.  The
 * input fills a.profile, b.profile and c.profile in one directory (chunks
 * split at NUL, fuzz_tree.h); a.profile is loaded with that directory as
 * the only search directory, so include = b, include = c.profile, cycles
 * and depth all come from the input.  A loaded profile's chain names only
 * those files and respects PROFILE_MAX_DEPTH; a refused one says where. */
#include "fuzz_tree.h"
#include "tune/profile.h"

static const char *const paths[] = { "p/a.profile", "p/b.profile", "p/c.profile", "p/d" };

static void fuzz_one(const char *text, size_t size)
{
	struct host h;
	if (!fz_tree(text, size, paths, sizeof(paths) / sizeof(paths[0]), &h))
		return;
	host_close(&h);
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/p", fz_root);
	const char *dirs[] = { dir };
	struct profile_opts o = { .dirs = dirs, .ndirs = 1, .check_safe = false };
	struct profile p;
	struct parse_error err;
	memset(&err, 0, sizeof(err));
	int rc = profile_load("a", &o, &p, &err);
	if (rc == 0) {
		if (p.chain.n < 1 || p.chain.n > PROFILE_MAX_DEPTH || strcmp(p.name, "a"))
			__builtin_trap();
		profile_free(&p);
	} else if (!err.file[0] && rc != -ENOMEM) {
		__builtin_trap();
	}
}
