/* Shared helpers for the cmocka unit tests. */
#ifndef AGENTUNE_TESTUTIL_H
#define AGENTUNE_TESTUTIL_H

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "host.h"

/* The project's own fixture trees. */
#define FIXTURES SRCDIR "/tests/fixtures"
/* Real captures, read-only, beside the checkout. */
#define SHARED_HOSTS SRCDIR "/../shared/fixtures/hosts"

static inline int shared_available(void)
{
	struct stat st;
	return stat(SHARED_HOSTS, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Opens a host on the named shared capture; skips the test if ../shared is absent. */
#define OPEN_SHARED(h, name)                                                        \
	do {                                                                        \
		if (!shared_available()) {                                          \
			fprintf(stderr, "SKIP: %s not found\n", SHARED_HOSTS);     \
			skip();                                                     \
		}                                                                   \
		assert_int_equal(host_open((h), SHARED_HOSTS "/" name), 0);        \
	} while (0)

#define OPEN_FIXTURE(h, name) assert_int_equal(host_open((h), FIXTURES "/" name), 0)

/* Names of every shared capture (sorted). */
static inline int shared_hosts(struct host *probe, struct strlist *out)
{
	(void)probe;
	struct host h;
	if (host_open(&h, SHARED_HOSTS))
		return -1;
	int rc = host_list(&h, "/", out);
	host_close(&h);
	for (size_t i = 0; rc == 0 && i < out->n;) {
		char p[512];
		snprintf(p, sizeof(p), "%s/%s", SHARED_HOSTS, out->v[i]);
		struct stat st;
		if (stat(p, &st) || !S_ISDIR(st.st_mode)) {
			free(out->v[i]);
			memmove(&out->v[i], &out->v[i + 1], (out->n - i - 1) * sizeof(char *));
			out->n--;
		} else {
			i++;
		}
	}
	return rc;
}

/* cmocka prints TAP when asked; run-tests.sh counts it. */
#define RUN_TESTS(group)                                                            \
	int main(void)                                                              \
	{                                                                           \
		cmocka_set_message_output(CM_OUTPUT_TAP);                           \
		return cmocka_run_group_tests(group, NULL, NULL);                   \
	}

#endif
