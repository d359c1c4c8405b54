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
#include "inspect/target.h"
#include "tune/bootconf.h"
#include "top/top.h"
#include "top/top_export.h"
#include "top/top_view.h"
#include "top_screen.h"

#define MAX_PIDS 64
#define BATCH_IRQS 20           /* busiest IRQs a batch frame lists */

void usage_top(FILE *out)
{
	fprintf(out,
		"Usage: agentune top [-p PID]... [--unit NAME]... [--cgroup PATH]... [-d SECONDS]\n"
		"                    [-b] [-n FRAMES] [--no-bpf] [--width COLS] [-r DIR]\n"
		"                    [--format text|json|openmetrics|prometheus] [--textfile PATH.prom]\n\n"
		"A live view, refreshed every -d seconds: which CPUs take which interrupts\n"
		"and softirqs, how deep they sleep and under which PM QoS constraint, the\n"
		"busiest IRQs with their device and affinity, and for each --pid its steps/s,\n"
		"wake->run p50/p99 over the interval, idle-exit share, interference and the\n"
		"dominant cause (the diagnose BPF programs, aggregated in the kernel).\n\n"
		"  -p, --pid PID     follow this agent process (repeatable, up to %d)\n"
		"      --unit NAME   follow the processes of a systemd unit, now and later\n"
		"                    (NAME.service; repeatable)\n"
		"      --cgroup PATH follow the processes of a cgroup (/sys/fs/cgroup/... or a\n"
		"                    path inside a hierarchy; repeatable)\n"
		"  -d, --delay S     seconds between refreshes (default 1, 0.1-3600)\n"
		"  -b, --batch       plain-text frames on stdout (no screen control)\n"
		"  -n, --frames N    stop after N frames\n"
		"      --no-bpf      procfs/sysfs only (the agent pane says what is missing)\n"
		"      --width COLS  batch line width (default: the terminal's, else 160)\n"
		"  -r, --root DIR    read procfs/sysfs under DIR (a snapshot; not with --pid)\n"
		"      --format F    batch frames as text (default), json (one agentune.top/1\n"
		"                    object a line), openmetrics, or prometheus (text format)\n"
		"      --config FILE the agent named by unit = or cgroup = in FILE (as\n"
		"                    " BOOTCONF_DEFAULT "; agentune-metrics.service)\n"
		"      --textfile PATH.prom  write each frame's metrics to PATH atomically\n"
		"                    (node_exporter's textfile collector); no screen, and\n"
		"                    nothing on stdout unless --format is given\n\n"
		"Keys: q quit, p pause, s sort column, Tab next pane, + / - interval,\n"
		"      arrows PgUp PgDn Home End scroll the pane, h help.\n",
		MAX_PIDS);
}

enum top_out { OUT_TEXT, OUT_JSON, OUT_OPENMETRICS, OUT_PROMETHEUS, OUT_NONE };

struct top_cli {
	int pids[MAX_PIDS];
	size_t npids;
	const char *units[MAX_PIDS], *cgroups[MAX_PIDS];
	size_t nunits, ncgroups;
	enum top_out format;
	bool format_set;
	const char *textfile;
	struct bootconf conf;      /* --config: holds the unit and cgroup strings */
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

static int parse_format(const char *s, enum top_out *out)
{
	static const char *const names[] = { "text", "json", "openmetrics", "prometheus" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i])) {
			*out = (enum top_out)i;
			return 0;
		}
	return -1;
}

/* --config FILE: its unit = or cgroup = is one more agent to follow. */
static int config_agent(const char *path, struct top_cli *o)
{
	struct bootconf *conf = &o->conf;
	struct parse_error err;
	char msg[PERR_TEXT_MAX];

	if (bootconf_load(path, conf, &err)) {
		perr_format(&err, msg, sizeof(msg));
		return usage_error("top", "--config: %s", msg);
	}
	if (conf->unit[0] && o->nunits < MAX_PIDS)
		o->units[o->nunits++] = conf->unit;
	if (conf->cgroup[0] && o->ncgroups < MAX_PIDS)
		o->cgroups[o->ncgroups++] = conf->cgroup;
	return EXIT_OK;
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
	{ "unit", required_argument, NULL, 'U' },
	{ "cgroup", required_argument, NULL, 'G' },
	{ "format", required_argument, NULL, 'F' },
	{ "textfile", required_argument, NULL, 'T' },
	{ "config", required_argument, NULL, 'C' },
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
		case 'U':
			if (o->nunits == MAX_PIDS)
				return usage_error("top", "--unit: at most %d units", MAX_PIDS);
			o->units[o->nunits++] = optarg;
			break;
		case 'G':
			if (o->ncgroups == MAX_PIDS)
				return usage_error("top", "--cgroup: at most %d cgroups", MAX_PIDS);
			o->cgroups[o->ncgroups++] = optarg;
			break;
		case 'F':
			if (parse_format(optarg, &o->format))
				return usage_error("top", "--format: '%s' is not text, json, openmetrics "
						   "or prometheus", optarg);
			o->format_set = true;
			break;
		case 'C':
			if (config_agent(optarg, o) != EXIT_OK)
				return EXIT_USAGE;
			break;
		case 'T':
			if (strlen(optarg) < 6 || strcmp(optarg + strlen(optarg) - 5, ".prom"))
				return usage_error("top", "--textfile: '%s' does not end in .prom (the "
						   "textfile collector reads only *.prom files)", optarg);
			o->textfile = optarg;
			break;
		case ':': return usage_error("top", "option '%s' needs a value", argv[optind - 1]);
		default: return unknown_option("top", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("top", "unexpected argument '%s'", argv[optind]);
	if (o->npids && strcmp(o->root, "/"))
		return usage_error("top", "--pid needs the live host, not --root %s", o->root);
	if ((o->nunits || o->ncgroups) && strcmp(o->root, "/"))
		return usage_error("top", "--unit and --cgroup need the live host, not --root %s",
				   o->root);
	if (o->npids + o->nunits + o->ncgroups > MAX_PIDS)
		return usage_error("top", "at most %d agents (--pid, --unit, --cgroup together)",
				   MAX_PIDS);
	/* A textfile is for a collector: no screen, stdout only when asked. */
	if (o->textfile) {
		o->batch = true;
		if (!o->format_set)
			o->format = OUT_NONE;
	}
	if (o->format_set && !o->batch)
		return usage_error("top", "--format needs -b (or --textfile)");
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

/* One frame on stdout in the format asked for; 0 or -EIO. */
static int emit_frame(const struct top_frame *f, const struct top_cli *o, unsigned width)
{
	switch (o->format) {
	case OUT_TEXT: print_frame(f, width); return ferror(stdout) ? -EIO : 0;
	case OUT_JSON: return top_export_json(f, stdout);
	case OUT_OPENMETRICS: return top_export_metrics(f, TOP_OPENMETRICS, stdout);
	case OUT_PROMETHEUS: return top_export_metrics(f, TOP_PROMETHEUS, stdout);
	case OUT_NONE: break;
	}
	return 0;
}

static int run_batch(struct top_source *src, const struct top_cli *o)
{
	struct top_frame f = {0};
	unsigned width = batch_width(o);
	char why[512];
	int e = 0;

	for (unsigned long n = 0; !stop_requested && (!o->frames || n < o->frames); n++) {
		sleep_s(o->delay);
		if (stop_requested)
			break;
		if ((e = top_source_sample(src, &f)))
			break;
		if (emit_frame(&f, o, width)) {
			top_frame_free(&f);
			return fail("top", "writing to stdout: %s", strerror(EIO));
		}
		if (o->textfile && top_textfile_write(&f, o->textfile, why, sizeof(why))) {
			top_frame_free(&f);
			return fail("top", "--textfile: %s", why);
		}
	}
	top_frame_free(&f);
	return e ? fail("top", "reading the host: %s", strerror(-e)) : EXIT_OK;
}

/* --unit and --cgroup resolved (inspect/target.h); an error is a usage error. */
static int resolve_targets(const struct host *h, const struct top_cli *o, struct target *t)
{
	char why[1024];

	for (size_t i = 0; i < o->nunits; i++)
		if (target_unit(h, o->units[i], &t[i], why, sizeof(why)))
			return usage_error("top", "--unit: %s", why);
	for (size_t i = 0; i < o->ncgroups; i++)
		if (target_cgroup(h, o->cgroups[i], &t[o->nunits + i], why, sizeof(why)))
			return usage_error("top", "%s", why);
	return EXIT_OK;
}

int cmd_top(int argc, char **argv)
{
	struct top_cli o;
	struct host h;
	struct top_source *src;
	struct top_opts to = {0};
	struct sigaction sa = { .sa_handler = on_stop };
	struct target *targets;
	char err[1024];
	int rc;

	if ((rc = parse_opts(argc, argv, &o)) != EXIT_OK)
		return rc;
	if ((rc = host_open(&h, o.root)))
		return usage_error("top", "--root %s: %s", o.root, strerror(-rc));
	if (!(targets = calloc(o.nunits + o.ncgroups + 1, sizeof(*targets)))) {
		host_close(&h);
		return fail("top", "out of memory");
	}
	if ((rc = resolve_targets(&h, &o, targets)) != EXIT_OK) {
		free(targets);
		host_close(&h);
		return rc;
	}
	to.host = &h;
	to.pids = o.pids;
	to.npids = o.npids;
	to.targets = targets;
	to.ntargets = o.nunits + o.ncgroups;
	to.no_bpf = o.no_bpf;
	if (!(src = top_source_open(&to, err, sizeof(err)))) {
		rc = errno == ESRCH ? usage_error("top", "%s", err) : fail("top", "%s", err);
		free(targets);
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
	free(targets);
	host_close(&h);
	return rc;
}
