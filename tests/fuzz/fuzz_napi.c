/* libFuzzer harness: napi_from_json (the snapshot's agentune/napi.json) on
 * arbitrary bytes.  A failed parse names a line and leaves no instance. */
#include "fuzz.h"
#include "inspect/net.h"

static void fuzz_one(const char *text, size_t size)
{
	(void)size;
	struct net n;
	memset(&n, 0, sizeof(n));
	struct parse_error err;
	memset(&err, 0, sizeof(err));
	int rc = napi_from_json(text, &n, &err);
	if (rc && (n.nnapi || n.napi))
		__builtin_trap();
	net_free(&n);
}
