/* libFuzzer harness: the host's path resolver over a generated tree
 * (fuzz_tree.h) of directories, files, link-files and symbolic links
 * (relative, absolute, dangling, looping, climbing out).  Whatever the
 * tree, a resolved path is canonical and inside the root, and reading a
 * path and its resolution gives the same bytes. */
#include "fuzz_tree.h"

static const char *const paths[] = {
	"a/b/c", "a/b/l", "a/x", "sys/class/net/eth0", "sys/devices/v/net/eth0/device",
	"a/lf", "b", "sys/bus/pci/drivers/d", "c/d/e", "a/b/m",
};

static const char *const probes[] = {
	"/a/b/c", "/a/b/l", "/a/b/l/c", "/a/x", "/a/x/y", "/sys/class/net/eth0/device",
	"/a/lf", "/a/lf/c", "/b", "/b/c", "/c/d/e", "/a/b/m", "/a/b/../x", "/../a",
};

static bool canonical(const char *p)
{
	if (p[0] != '/')
		return false;
	if (!strcmp(p, "/"))
		return true;
	size_t n = strlen(p);
	bool dot_end = (n >= 2 && !strcmp(p + n - 2, "/.")) || (n >= 3 && !strcmp(p + n - 3, "/.."));
	return !strstr(p, "//") && !strstr(p, "/./") && !strstr(p, "/../") && !dot_end &&
	       p[n - 1] != '/';
}

static void fuzz_one(const char *text, size_t size)
{
	struct host h;
	if (!fz_tree(text, size, paths, sizeof(paths) / sizeof(paths[0]), &h))
		return;
	char out[PATH_MAX], out2[PATH_MAX];
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		const char *p = probes[i];
		if (host_resolve(&h, p, out, sizeof(out)) == 0) {
			if (!canonical(out))
				__builtin_trap();
			size_t l1 = 0, l2 = 0;
			char *x = host_read(&h, p, &l1);
			/* A link-file read by its own name gives its text. */
			bool linkfile = x && (!strncmp(x, "../", 3) || !strncmp(x, "./", 2));
			char *y = x && !linkfile ? host_read(&h, out, &l2) : NULL;
			if (x && y && (l1 != l2 || memcmp(x, y, l1))) {
				fprintf(stderr, "%s (%zu bytes) and %s (%zu bytes) differ\n", p, l1,
					out, l2);
				__builtin_trap();
			}
			free(x);
			free(y);
		}
		if (host_link(&h, p, out2, sizeof(out2)) == 0 && !canonical(out2))
			__builtin_trap();
		if (host_link_target(&h, p, out2, sizeof(out2)) == 0 && !canonical(out2))
			__builtin_trap();
		struct strlist l;
		if (host_list(&h, p, &l) == 0)
			strlist_free(&l);
		host_exists(&h, p);
		host_is_dir(&h, p);
	}
	host_close(&h);
}
