/* agentune top: a live view of the agent's kernel path (options, batch
 * frames; the ncurses screen is cli/top_screen.c). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "top/top.h"
#include "top/top_view.h"
#include "top_screen.h"

#define MAX_PIDS 64
#define BATCH_IRQS 20           /* busiest IRQs a batch frame lists */

void usage_top(FILE *out)
{
	fprintf(out,
		"Usage: agentune top [-p PID]... [-d SECONDS] [-b] [-n FRAMES] [--no-bpf]\n"
		"                    [--width COLS] [-r DIR]\n\n"
		"A live view, refreshed every -d seconds: which CPUs take which interrupts\n"
		"and softirqs, how deep they sleep and under which PM QoS constraint, the\n"
		"busiest IRQs with their device and affinity, and for each --pid its steps/s,\n"
		"wake->run p50/p99 over the interval, idle-exit share, interference and the\n"
		"dominant cause (the diagnose BPF programs, aggregated in the kernel).\n\n"
		"  -p, --pid PID     follow this agent process (repeatable, up to %d)\n"
		"  -d, --delay S     seconds between refreshes (default 1, 0.1-3600)\n"
		"  -b, --batch       plain-text frames on stdout (no screen control)\n"
		"  -n, --frames N    stop after N frames\n"
		"      --no-bpf      procfs/sysfs only (the agent pane says what is missing)\n"
		"      --width COLS  batch line width (default: the terminal's, else 160)\n"
		"  -r, --root DIR    read procfs/sysfs under DIR (a snapshot; not with --pid)\n\n"
		"Keys: q quit, p pause, s sort column, Tab next pane, + / - interval,\n"
		"      arrows PgUp PgDn Home End scroll the pane, h help.\n",
		MAX_PIDS);
}

struct top_cli {
	int pids[MAX_PIDS];
	size_t npids;
	double delay;
	bool batch, no_bpf;
	unsigned long frames;      /* 0: until quit */
	unsigned long width;       /* 0: the terminal's */
	const char *root;
};

static bool parse_delay(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0.1 || v > 3600)
		return false;
	*out = v;
	return true;
}

/* -b, -d, -n and -p as in procps top(1). */
const struct option top_longopts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "delay", required_argument, NULL, 'd' },
	{ "batch", no_argument, NULL, 'b' },
	{ "frames", required_argument, NULL, 'n' },
	{ "no-bpf", no_argument, NULL, 'N' },
	{ "width", required_argument, NULL, 'w' },
	{ "root", required_argument, NULL, 'r' },
	{ NULL, 0, NULL, 0 },
};
const char top_shortopts[] = ":p:d:bn:r:";

static int parse_opts(int argc, char **argv, struct top_cli *o)
{
	unsigned long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->delay = 1;
	o->root = "/";
	opterr = 0;
	while ((c = getopt_long(argc, argv, top_shortopts, top_longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!parse_uint_opt(optarg, 1, 4194304, &v))
				return usage_error("top", "--pid: '%s' is not a process id", optarg);
			if (o->npids == MAX_PIDS)
				return usage_error("top", "--pid: at most %d processes", MAX_PIDS);
			o->pids[o->npids++] = (int)v;
			break;
		case 'd':
			if (!parse_delay(optarg, &o->delay))
				return usage_error("top", "-d: '%s' is not a number of seconds (0.1-3600)", optarg);
			break;
		case 'b': o->batch = true; break;
		case 'n':
			if (!parse_uint_opt(optarg, 1, 100000000, &o->frames))
				return usage_error("top", "-n: '%s' is not a number of frames (1-100000000)", optarg);
			break;
		case 'N': o->no_bpf = true; break;
		case 'w':
			if (!parse_uint_opt(optarg, 20, 1000, &o->width))
				return usage_error("top", "--width: '%s' is not a width (20-1000)", optarg);
			break;
		case 'r': o->root = optarg; break;
		case ':': return usage_error("top", "option '%s' needs a value", argv[optind - 1]);
		default: return unknown_option("top", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("top", "unexpected argument '%s'", argv[optind]);
	if (o->npids && strcmp(o->root, "/"))
		return usage_error("top", "--pid needs the live host, not --root %s", o->root);
	return EXIT_OK;
}

/* Batch width: --width, else the terminal's, else 160. */
static unsigned batch_width(const struct top_cli *o)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS");
	unsigned long v;

	if (o->width)
		return (unsigned)o->width;
	if (cols && parse_uint_opt(cols, 20, 1000, &v))
		return (unsigned)v;
	if (isatty(STDOUT_FILENO) && !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col >= 20)
		return ws.ws_col;
	return 160;
}

static void print_lines(const struct top_lines *l, size_t from, size_t to)
{
	for (size_t i = from; i < to && i < l->n; i++)
		printf("%s\n", l->line[i]);
}

/* One pane of a batch frame: title, column header, rows; the IRQ pane is
 * cut to the busiest BATCH_IRQS with a line for the rest. */
static void print_pane(const struct top_frame *f, enum top_pane pane, unsigned width)
{
	struct top_lines l = {0};
	char title[512];
	size_t rows;

	top_pane_title(f, pane, 0, width, title, sizeof(title));
	printf("%s\n", title);
	top_render_pane(f, pane, 0, width, &l);
	rows = l.n ? l.n - 1 : 0;
	if (pane == PANE_IRQ && rows > BATCH_IRQS) {
		double rest = 0;

		print_lines(&l, 0, 1 + BATCH_IRQS);
		for (size_t i = BATCH_IRQS; i < f->nirqs; i++)
			rest += f->irqs[i].rate;
		printf("... %zu more IRQs with a rate, %.0f/s together\n", rows - BATCH_IRQS, rest);
	} else {
		print_lines(&l, 0, l.n);
	}
	top_lines_free(&l);
}

static void print_frame(const struct top_frame *f, unsigned width)
{
	struct top_lines hdr = {0};

	top_render_header(f, width, &hdr);
	print_lines(&hdr, 0, hdr.n);
	top_lines_free(&hdr);
	for (int p = 0; p < PANE_MAX; p++) {
		printf("\n");
		print_pane(f, (enum top_pane)p, width);
	}
	printf("\n");
	fflush(stdout);
}

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - floor(s)) * 1e9) };

	while (!stop_requested && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int run_batch(struct top_source *src, const struct top_cli *o)
{
	struct top_frame f = {0};
	unsigned width = batch_width(o);
	int e = 0;

	for (unsigned long n = 0; !stop_requested && (!o->frames || n < o->frames); n++) {
		sleep_s(o->delay);
		if (stop_requested)
			break;
		if ((e = top_source_sample(src, &f)))
			break;
		print_frame(&f, width);
	}
	top_frame_free(&f);
	return e ? fail("top", "reading the host: %s", strerror(-e)) : EXIT_OK;
}

int cmd_top(int argc, char **argv)
{
	struct top_cli o;
	struct host h;
	struct top_source *src;
	struct top_opts to = {0};
	struct sigaction sa = { .sa_handler = on_stop };
	char err[256];
	int rc;

	if ((rc = parse_opts(argc, argv, &o)) != EXIT_OK)
		return rc;
	if ((rc = host_open(&h, o.root)))
		return usage_error("top", "--root %s: %s", o.root, strerror(-rc));
	to.host = &h;
	to.pids = o.pids;
	to.npids = o.npids;
	to.no_bpf = o.no_bpf;
	if (!(src = top_source_open(&to, err, sizeof(err)))) {
		rc = errno == ESRCH ? usage_error("top", "--pid: %s", err) : fail("top", "%s", err);
		host_close(&h);
		return rc;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (o.batch)
		rc = run_batch(src, &o);
	else
		rc = top_screen_run(src, o.delay, o.frames, &stop_requested);
	top_source_close(src);
	host_close(&h);
	return rc;
}
