/* agentune inspect: the host report with findings. */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "base/jsonw.h"
#include "inspect/findings.h"
#include "inspect/model.h"
#include "inspect/report_json.h"
#include "inspect/report_text.h"

void usage_inspect(FILE *out)
{
	fprintf(out,
		"Usage: agentune inspect [-r DIR] [-j] [-s MS]\n\n"
		"Reports CPUs and topology, cpufreq, cpuidle and PM QoS, interrupts (with the\n"
		"PCI device, MSI-X vector, interface and NAPI instance behind each), softirqs,\n"
		"softnet, network settings, cgroups and irqbalance/tuned, then findings: what\n"
		"delays an agent loop's wakeups and the profile knob that addresses it.\n\n"
		"  -r, --root DIR   read procfs/sysfs under DIR (a snapshot or a fixture tree);\n"
		"                   a DIR that holds none of what inspect reads is an error\n"
		"  -j, --json       JSON output (schema agentune.inspect/1, docs/json-schema.md)\n"
		"  -s, --sample MS  read the counters twice, MS milliseconds apart (1-60000),\n"
		"                   and show per-CPU IRQ and softirq rates\n");
}

/* The roots of what inspect reads: a --root that has none of them is not a
 * host root or a snapshot (a typo, the wrong directory), and a report of
 * "nothing found" there would read like a healthy host. */
static const char *const read_roots[] = {
	"/proc/stat", "/proc/interrupts", "/proc/softirqs", "/proc/net/softnet_stat",
	"/sys/devices/system/cpu", "/sys/class/net", "/sys/fs/cgroup",
};

static bool holds_something(const struct host *h)
{
	for (size_t i = 0; i < sizeof(read_roots) / sizeof(read_roots[0]); i++)
		if (host_exists(h, read_roots[i]))
			return true;
	return false;
}

const struct option inspect_longopts[] = {
	{ "root", required_argument, NULL, 'r' },
	{ "json", no_argument, NULL, 'j' },
	{ "sample", required_argument, NULL, 's' },
	{ NULL, 0, NULL, 0 },
};
const char inspect_shortopts[] = ":r:js:";

int cmd_inspect(int argc, char **argv)
{
	const char *root = "/";
	bool json = false;
	unsigned long sample = 0;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, inspect_shortopts, inspect_longopts, NULL)) != -1) {
		switch (c) {
		case 'r': root = optarg; break;
		case 'j': json = true; break;
		case 's':
			if (!parse_uint_opt(optarg, 1, 60000, &sample))
				return usage_error("inspect", "--sample: '%s' is not a number of milliseconds (1-60000)", optarg);
			break;
		case ':': return usage_error("inspect", "option '%s' needs a value", argv[optind - 1]);
		default: return unknown_option("inspect", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("inspect", "unexpected argument '%s'", argv[optind]);

	struct host h;
	int rc = host_open(&h, root);
	if (rc)
		return usage_error("inspect", "--root %s: %s", root, strerror(-rc));
	if (!host_is_dir(&h, "/")) {
		host_close(&h);
		return usage_error("inspect", "--root %s: not a directory", root);
	}
	if (!holds_something(&h)) {
		host_close(&h);
		return usage_error("inspect", "--root %s holds none of what inspect reads (/proc/stat, "
				   "/proc/interrupts, /sys/devices/system/cpu, ...): not a host root or a snapshot",
				   root);
	}
	struct model m;
	struct findings f;
	if (model_read(&h, &m)) {
		host_close(&h);
		return fail("inspect", "out of memory");
	}
	if (sample)
		model_sample(&h, &m, (unsigned)sample);
	findings_eval(&m, &f);
	rc = EXIT_OK;
	if (json) {
		struct json_object *o = report_inspect_json(&m, &f);
		if (jw_print(stdout, o))
			rc = EXIT_FAIL;
		json_object_put(o);
	} else {
		report_inspect_text(stdout, &m, &f);
	}
	if (fflush(stdout))
		rc = EXIT_FAIL;
	findings_free(&f);
	model_free(&m);
	host_close(&h);
	return rc;
}
