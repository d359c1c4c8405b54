/* libFuzzer harness: bootconf_load (/etc/agentune/agentune.conf) on arbitrary
 * bytes written to a file: never crashes, and a successful load holds only
 * values the keys allow (a unit name systemd accepts, bare or typed, an
 * absolute cgroup path without "..", not both). */
#include <stdio.h>
#include <unistd.h>

#include "fuzz.h"
#include "inspect/target.h"
#include "tune/bootconf.h"

static char file[64];

static void cleanup(void)
{
	unlink(file);
}

static const char *input_file(void)
{
	if (!file[0]) {
		int fd;

		snprintf(file, sizeof(file), "/tmp/fuzz-bootconf-XXXXXX");
		if ((fd = mkstemp(file)) < 0)
			__builtin_trap();
		close(fd);
		atexit(cleanup);
	}
	return file;
}

static void fuzz_one(const char *text, size_t size)
{
	const char *path = input_file();
	struct bootconf c;
	struct parse_error e;
	FILE *f = fopen(path, "w");

	if (!f || fwrite(text, 1, size, f) != size || fclose(f))
		__builtin_trap();
	if (bootconf_load(path, &c, &e))
		return;
	if (c.unit[0] && c.cgroup[0])
		__builtin_trap();
	if (c.unit[0]) {
		char full[TARGET_UNIT_MAX + 16];

		snprintf(full, sizeof(full), "%s%s", c.unit, strchr(c.unit, '.') ? "" : ".service");
		if (!target_unit_name_ok(full))
			__builtin_trap();
	}
	if (c.cgroup[0] && (c.cgroup[0] != '/' || strstr(c.cgroup, "..")))
		__builtin_trap();
}
