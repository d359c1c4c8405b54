/* libFuzzer harness: winctl_status_read (window.json of the run directory,
 * as status and top read it) on arbitrary bytes, with window.pid beside it
 * from the second chunk (fuzz_tree.h).  Either it is refused with a reason
 * or what it holds is within its own bounds. */
#include "fuzz_tree.h"
#include "tune/winctl.h"

static const char *const paths[] = { "run/window.json", "run/window.pid" };

static void fuzz_one(const char *text, size_t size)
{
	struct host h;
	if (!fz_tree(text, size, paths, sizeof(paths) / sizeof(paths[0]), &h))
		return;
	host_close(&h);
	char dir[PATH_MAX], why[512] = "";
	snprintf(dir, sizeof(dir), "%s/run", fz_root);
	struct winctl_status st;
	int rc = winctl_status_read(dir, &st, why, sizeof(why));
	if (rc == 0) {
		if (st.ncpu && !st.cpu)
			__builtin_trap();
		for (size_t i = 0; i < st.ncpu; i++)
			if (!memchr(st.cpu[i].state, 0, sizeof(st.cpu[i].state)))
				__builtin_trap();
		winctl_status_free(&st);
	} else if (!why[0]) {
		__builtin_trap();
	}
}
