/* bench/emptytp: attach empty BPF programs to the named tracepoints and wait.
 *
 *	emptytp [--raw-tp] TRACEPOINT...
 *
 * TRACEPOINT is "sched_switch" or "sched:sched_switch" (the category is
 * dropped: BTF and raw tracepoints are named without it).  Prints
 * "emptytp: ready, N of M attached (KIND)" on stdout once every program is
 * attached, one line on stderr per tracepoint it could not attach (with the
 * reason), then waits for SIGINT or SIGTERM and detaches.  Exit 1 when
 * nothing could be attached, 2 on bad usage.  Used by tests/bench/run.sh.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "emptytp.skel.h"

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static const char *tp_name(const char *arg)
{
	const char *colon = strchr(arg, ':');

	return colon ? colon + 1 : arg;
}

/* tp_btf: one skeleton instance per tracepoint, bound to it at load. */
static bool attach_btf(const char *tp, struct emptytp_bpf **out)
{
	struct emptytp_bpf *s = emptytp_bpf__open();
	int err;

	if (!s) {
		fprintf(stderr, "emptytp: %s: open: %s\n", tp, strerror(errno));
		return false;
	}
	bpf_program__set_autoload(s->progs.empty_raw, false);
	err = bpf_program__set_attach_target(s->progs.empty_btf, 0, tp);
	if (!err)
		err = emptytp_bpf__load(s);
	if (!err) {
		s->links.empty_btf = bpf_program__attach(s->progs.empty_btf);
		err = s->links.empty_btf ? 0 : -errno;
	}
	if (err) {
		fprintf(stderr, "emptytp: %s: tp_btf: %s\n", tp, strerror(-err));
		emptytp_bpf__destroy(s);
		return false;
	}
	*out = s;
	return true;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

int main(int argc, char **argv)
{
	bool raw = argc > 1 && !strcmp(argv[1], "--raw-tp");
	int first = raw ? 2 : 1, n = argc - first, ok = 0;
	struct emptytp_bpf **inst = calloc(n > 0 ? n : 1, sizeof(*inst));
	struct bpf_link **links = calloc(n > 0 ? n : 1, sizeof(*links));
	struct emptytp_bpf *shared = NULL;

	if (n <= 0 || !inst || !links) {
		fprintf(stderr, "usage: emptytp [--raw-tp] TRACEPOINT...\n");
		return 2;
	}
	libbpf_set_print(quiet_print);
	if (raw) {
		shared = emptytp_bpf__open();
		if (shared)
			bpf_program__set_autoload(shared->progs.empty_btf, false);
		if (!shared || emptytp_bpf__load(shared)) {
			fprintf(stderr, "emptytp: loading the raw_tp program: %s\n", strerror(errno));
			return 1;
		}
	}
	for (int i = 0; i < n; i++) {
		const char *tp = tp_name(argv[first + i]);

		if (!raw) {
			ok += attach_btf(tp, &inst[i]);
			continue;
		}
		links[i] = bpf_program__attach_raw_tracepoint(shared->progs.empty_raw, tp);
		if (links[i])
			ok++;
		else
			fprintf(stderr, "emptytp: %s: raw_tp: %s\n", tp, strerror(errno));
	}
	if (!ok) {
		fprintf(stderr, "emptytp: no tracepoint attached\n");
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("emptytp: ready, %d of %d attached (%s)\n", ok, n, raw ? "raw_tp" : "tp_btf");
	fflush(stdout);
	while (!stop)
		pause();
	for (int i = 0; i < n; i++) {
		bpf_link__destroy(links[i]);
		emptytp_bpf__destroy(inst[i]);
	}
	emptytp_bpf__destroy(shared);
	free(inst);
	free(links);
	return 0;
}
