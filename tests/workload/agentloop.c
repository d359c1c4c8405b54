/*
 * agentloop: the bundled "agent loop" workload, after the classic wakeup
 * microbenchmark.  A consumer thread blocks in epoll_wait, is woken by a
 * producer (eventfd, pipe, loopback UDP) or by a timerfd, spins for
 * --work-us and blocks again.  Per step it measures the wake latency
 *
 *	consumer CLOCK_MONOTONIC right after epoll_wait returns
 *	- producer CLOCK_MONOTONIC just before it signalled (timerfd: expiry)
 *
 * and keeps every sample, so the percentiles it prints are exact: they are
 * the ground truth `agentune diagnose` is checked against.  See README.md.
 *
 * Plain C + pthreads, no other libraries:
 *	gcc -O2 -Wall -Wextra -Werror -Wshadow -pthread agentloop.c -o agentloop
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/types.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define NSEC_PER_USEC	((int64_t)1000)
#define NSEC_PER_MSEC	((int64_t)1000000)
#define NSEC_PER_SEC	((int64_t)1000000000)
#define MAX_THREADS	1024
#define HOUR_US		((int64_t)3600000000)	/* bounds that keep ns in range */
#define DAY_MS		((int64_t)86400000)
/* eventfd carries no payload: the producer's stamps go through this ring. */
#define RING		1024
/* Longest a sleeping producer goes without looking at the stop flag. */
#define SLEEP_CHUNK_NS	(100 * NSEC_PER_MSEC)
/*
 * --pty-edit-bytes: the slave in canonical mode; the editing before each
 * stamp line is runs of 'x' ended by the KILL character (^U), which erases
 * the line so far: at most PTY_EDIT_RUN bytes in the line discipline's
 * buffer at a time, far below its 4095-byte line limit.
 */
#define PTY_KILL	0x15
#define PTY_EDIT_RUN	1000
#define PTY_EDIT_MAX	(1024 * 1024)
#define PTY_STAMP_LEN	17	/* 16 hex digits and '\n' */
#define EXIT_RUNTIME	1
#define EXIT_USAGE	2

enum wake { WAKE_EVENTFD, WAKE_PIPE, WAKE_UDP, WAKE_TIMERFD, WAKE_PTY };
static const char *const wake_names[] = { "eventfd", "pipe", "udp", "timerfd", "pty" };

/*
 * The kernel path each wake source takes to the consumer's wakeup, as the
 * tests expect diagnose to find it (tests/workload/README.md): the chain
 * kind, what names it (the waker's comm, the softirq, the work function)
 * and what the latency is measured from.
 */
struct wake_path {
	const char *kind, *via, *from;
};
static const struct wake_path wake_paths[] = {
	[WAKE_EVENTFD] = { "task", "agent-p", "send" },
	[WAKE_PIPE] = { "task", "agent-p", "send" },
	[WAKE_UDP] = { "softirq", "NET_RX", "send" },
	/* The timerfd's hrtimer callback wakes the epoll waiter directly. */
	[WAKE_TIMERFD] = { "timer", "timerfd_tmrproc", "expiry" },
	/*
	 * A write to a pty master only queues the flip buffer's work
	 * (tty_flip_buffer_push -> queue_work); the kworker running
	 * flush_to_ldisc hands the bytes to n_tty, which wakes the reader
	 * of the slave.
	 */
	[WAKE_PTY] = { "workqueue", "flush_to_ldisc", "send" },
};

struct cpulist {
	int n;
	int cpu[CPU_SETSIZE];
};

struct opts {
	enum wake wake;
	int64_t interval_ns;
	uint64_t steps;		/* measured steps per consumer, 0 = unbounded */
	double duration_s;	/* 0 = unbounded */
	int64_t work_ns;
	struct cpulist cpus;	/* consumers; n == 0: not pinned */
	struct cpulist pcpus;	/* producers; n == 0: chosen from cpus */
	int threads;
	bool json, quiet;
	uint64_t warmup;
	int64_t active_ns, pause_ns;	/* --pause-ms-every A:B, 0:0 = off */
	int64_t start_delay_ns;
	int64_t pty_edit;	/* --pty-edit-bytes: 0 = raw pty */
};

/* What every thread shares; written by main before the start barrier. */
struct shared {
	const struct opts *o;
	atomic_int stop;
	int stop_fd;		/* eventfd in every consumer's epoll set */
	int done_fd;		/* consumers add 1 when they finish */
	int64_t start_ns;
	pthread_barrier_t ready, go;
};

struct samples {
	int64_t *v;		/* wake latency, ns */
	size_t n, cap;
};

struct pair {
	int idx;
	struct shared *sh;
	int epfd;		/* consumer's epoll set */
	int rfd;		/* what the consumer reads (eventfd/pipe/udp/timerfd) */
	int wfd;		/* what the producer writes (-1 for timerfd) */
	char *line;		/* --pty-edit-bytes: the editing and the stamp line */
	size_t line_len;
	int ccpu, pcpu;		/* -1: not pinned */
	atomic_int ctid, ptid;
	atomic_int cdone;	/* consumer left its loop: producer stops */
	/*
	 * eventfd mode: the stamp of event number s is ring[s % RING] when
	 * tag[s % RING] == s.  The producer never overwrites an unconsumed
	 * slot, so the oldest pending stamp survives a consumer starved for
	 * more than RING periods.
	 */
	_Atomic int64_t ring[RING];
	_Atomic uint64_t tag[RING];
	_Atomic uint64_t acked;	/* events the consumer has consumed */
	uint64_t produced;	/* producer-private */
	uint64_t consumed;	/* events (or expirations) consumed so far */
	int64_t tbase;		/* timerfd: expiry j is at tbase + j * interval */
	/* results, read by main after join */
	struct samples s;
	uint64_t steps, missed, overrun, unstamped, dropped, sent;
	int err;		/* errno of a consumer failure, 0 = none */
	pthread_t ct, pt;
	bool has_ct, has_pt;
};

/* ---- small helpers ---------------------------------------------------- */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static struct timespec to_ts(int64_t ns)
{
	struct timespec ts = { ns / NSEC_PER_SEC, ns % NSEC_PER_SEC };

	return ts;
}

static pid_t my_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

__attribute__((noreturn, format(printf, 1, 2)))
static void die_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("agentloop: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see --help)\n", stderr);
	exit(EXIT_USAGE);
}

__attribute__((noreturn))
static void die_sys(const char *what)
{
	fprintf(stderr, "agentloop: %s: %s\n", what, strerror(errno));
	exit(EXIT_RUNTIME);
}

static bool stopping(const struct pair *p)
{
	return atomic_load_explicit(&p->sh->stop, memory_order_relaxed) ||
	       atomic_load_explicit(&p->cdone, memory_order_relaxed);
}

static void efd_add(int fd, uint64_t v)
{
	/* Only fails if the counter would overflow: not with these counts. */
	if (write(fd, &v, sizeof(v)) != sizeof(v))
		die_sys("eventfd write");
}

/* ---- option parsing --------------------------------------------------- */

static int64_t parse_int(const char *opt, const char *s, int64_t min, int64_t max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		die_usage("invalid value for %s: '%s' (integer %" PRId64 "..%" PRId64 ")",
			  opt, s, min, max);
	return v;
}

static double parse_seconds(const char *opt, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0 || v > 1e9)
		die_usage("invalid value for %s: '%s' (seconds >= 0)", opt, s);
	return v;
}

static enum wake parse_wake(const char *s)
{
	for (size_t i = 0; i < sizeof(wake_names) / sizeof(wake_names[0]); i++)
		if (!strcmp(s, wake_names[i]))
			return (enum wake)i;
	die_usage("invalid value for --wake: '%s' (eventfd|pipe|udp|timerfd|pty)", s);
	return WAKE_EVENTFD;
}

/* "3", "1,3" or "0-2,5": consumer/producer i gets entry i % n. */
static void parse_cpus(const char *opt, const char *s, struct cpulist *l)
{
	const char *p = s;

	l->n = 0;
	while (*p) {
		char *end;
		long a, b;

		errno = 0;
		a = strtol(p, &end, 10);
		if (errno || end == p || a < 0 || a >= CPU_SETSIZE)
			goto bad;
		b = a;
		if (*end == '-') {
			p = end + 1;
			b = strtol(p, &end, 10);
			if (errno || end == p || b < a || b >= CPU_SETSIZE)
				goto bad;
		}
		for (long c = a; c <= b && l->n < CPU_SETSIZE; c++)
			l->cpu[l->n++] = (int)c;
		if (*end == ',' && end[1])
			end++;
		else if (*end)
			goto bad;
		p = end;
	}
	if (l->n)
		return;
bad:
	die_usage("invalid value for %s: '%s' (CPU number or list like 1,3-4)", opt, s);
}

static void parse_pause(const char *s, struct opts *o)
{
	const char *bs;
	char *end;
	long long a, b;

	errno = 0;
	a = strtoll(s, &end, 10);
	if (errno || end == s || *end != ':' || a <= 0 || a > DAY_MS)
		goto bad;
	bs = end + 1;
	b = strtoll(bs, &end, 10);
	if (errno || end == bs || *end || b <= 0 || b > DAY_MS)
		goto bad;
	o->active_ns = a * NSEC_PER_MSEC;
	o->pause_ns = b * NSEC_PER_MSEC;
	return;
bad:
	die_usage("invalid value for --pause-ms-every: '%s' (A:B, milliseconds > 0)", s);
}

static void usage(void)
{
	puts("usage: agentloop [options]\n"
	     "  --wake eventfd|pipe|udp|timerfd|pty  how the consumer is woken (eventfd);\n"
	     "                      pty: through a kworker (flush_to_ldisc)\n"
	     "  --interval-us N     wakeup period (1000)\n"
	     "  --work-us N         busy work per step (100)\n"
	     "  --steps N           measured steps per consumer, 0 = no limit (0)\n"
	     "  --duration S        seconds, 0 = no limit (10)\n"
	     "  --warmup N          first N steps of each consumer not measured (100)\n"
	     "  --threads N         consumer/producer pairs (1)\n"
	     "  --cpu LIST          pin consumer i to LIST[i % n]\n"
	     "  --producer-cpu LIST pin producer i to LIST[i % n] (default: a CPU\n"
	     "                      no consumer uses, else the consumer's)\n"
	     "  --pause-ms-every A:B  run A ms, pause B ms, repeatedly\n"
	     "  --start-delay-ms N  wait N ms after the ready line, or until SIGUSR1 (0)\n"
	     "  --pty-edit-bytes N  pty: canonical mode, N bytes of line editing that\n"
	     "                      flush_to_ldisc processes before each stamp line (0)\n"
	     "  --json              final stats as one JSON object\n"
	     "  --quiet             no ready line on stderr");
}

static void check_cpus(const char *opt, const struct cpulist *l, const cpu_set_t *allowed)
{
	for (int i = 0; i < l->n; i++)
		if (!CPU_ISSET(l->cpu[i], allowed))
			die_usage("invalid value for %s: CPU %d is not online or not allowed",
				  opt, l->cpu[i]);
}

static void parse_opts(int argc, char **argv, struct opts *o, const cpu_set_t *allowed)
{
	static const struct option lo[] = {
		{ "wake", required_argument, NULL, 'w' },
		{ "interval-us", required_argument, NULL, 'i' },
		{ "steps", required_argument, NULL, 's' },
		{ "duration", required_argument, NULL, 'd' },
		{ "work-us", required_argument, NULL, 'k' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "producer-cpu", required_argument, NULL, 'p' },
		{ "threads", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "warmup", required_argument, NULL, 'W' },
		{ "pause-ms-every", required_argument, NULL, 'P' },
		{ "start-delay-ms", required_argument, NULL, 'D' },
		{ "pty-edit-bytes", required_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	*o = (struct opts){
		.wake = WAKE_EVENTFD, .interval_ns = 1000 * NSEC_PER_USEC,
		.duration_s = 10, .work_ns = 100 * NSEC_PER_USEC, .threads = 1,
		.warmup = 100,
	};
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
		switch (c) {
		case 'w': o->wake = parse_wake(optarg); break;
		case 'i':
			o->interval_ns = parse_int("--interval-us", optarg, 1, HOUR_US) * NSEC_PER_USEC;
			break;
		case 's': o->steps = parse_int("--steps", optarg, 0, INT64_MAX / 2); break;
		case 'd': o->duration_s = parse_seconds("--duration", optarg); break;
		case 'k':
			o->work_ns = parse_int("--work-us", optarg, 0, HOUR_US) * NSEC_PER_USEC;
			break;
		case 'c': parse_cpus("--cpu", optarg, &o->cpus); break;
		case 'p': parse_cpus("--producer-cpu", optarg, &o->pcpus); break;
		case 't': o->threads = parse_int("--threads", optarg, 1, MAX_THREADS); break;
		case 'j': o->json = true; break;
		case 'q': o->quiet = true; break;
		case 'W': o->warmup = parse_int("--warmup", optarg, 0, INT64_MAX / 2); break;
		case 'P': parse_pause(optarg, o); break;
		case 'D':
			o->start_delay_ns = parse_int("--start-delay-ms", optarg, 0, DAY_MS) *
					    NSEC_PER_MSEC;
			break;
		case 'E':
			o->pty_edit = parse_int("--pty-edit-bytes", optarg, 0, PTY_EDIT_MAX);
			break;
		case 'h': usage(); exit(0);
		case ':': die_usage("option %s needs a value", argv[optind - 1]);
		default: die_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (o->pty_edit && o->wake != WAKE_PTY)
		die_usage("--pty-edit-bytes needs --wake pty (it is --wake %s)", wake_names[o->wake]);
	check_cpus("--cpu", &o->cpus, allowed);
	check_cpus("--producer-cpu", &o->pcpus, allowed);
}

/* ---- CPU placement ---------------------------------------------------- */

static bool in_list(const struct cpulist *l, int cpu)
{
	for (int i = 0; i < l->n; i++)
		if (l->cpu[i] == cpu)
			return true;
	return false;
}

/*
 * Producers default to CPUs no consumer is pinned to, so that a producer
 * never competes with its own consumer; with one CPU there is no choice.
 */
static void place(const struct opts *o, const cpu_set_t *allowed, struct pair *p, int i)
{
	struct cpulist free_cpus = { 0 };

	p->ccpu = o->cpus.n ? o->cpus.cpu[i % o->cpus.n] : -1;
	p->pcpu = -1;
	if (o->wake == WAKE_TIMERFD)
		return;
	if (o->pcpus.n) {
		p->pcpu = o->pcpus.cpu[i % o->pcpus.n];
		return;
	}
	if (!o->cpus.n)
		return;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, allowed) && !in_list(&o->cpus, c))
			free_cpus.cpu[free_cpus.n++] = c;
	p->pcpu = free_cpus.n ? free_cpus.cpu[i % free_cpus.n] : p->ccpu;
}

/* ---- the run schedule ------------------------------------------------- */

/* First instant >= t that is inside an active window of --pause-ms-every. */
static int64_t next_active(const struct shared *sh, int64_t t)
{
	const struct opts *o = sh->o;
	int64_t cycle = o->active_ns + o->pause_ns, off;

	if (!o->pause_ns || t < sh->start_ns)
		return t;
	off = (t - sh->start_ns) % cycle;
	return off < o->active_ns ? t : t - off + cycle;
}

/* Sleep until deadline in chunks, so a stop is seen within SLEEP_CHUNK_NS. */
static bool sleep_until(const struct pair *p, int64_t deadline)
{
	for (;;) {
		int64_t t = now_ns(), until = deadline;
		struct timespec ts;

		if (stopping(p))
			return false;
		if (t >= deadline)
			return true;
		if (deadline - t > SLEEP_CHUNK_NS)
			until = t + SLEEP_CHUNK_NS;
		ts = to_ts(until);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
}

/* ---- producer --------------------------------------------------------- */

/*
 * --pty-edit-bytes: the editing and then the stamp as a line of hex, in one
 * write.  Returns sizeof(int64_t) when the line went out whole.  Nothing
 * written (the master full): dropped.  Written in part: the rest is written
 * as room frees, so that no line is ever torn.
 */
static ssize_t write_line(struct pair *p, int64_t t)
{
	char hex[PTY_STAMP_LEN + 1];
	size_t off;
	ssize_t r;

	snprintf(hex, sizeof(hex), "%016" PRIx64 "\n", (uint64_t)t);
	memcpy(p->line + p->line_len - PTY_STAMP_LEN, hex, PTY_STAMP_LEN);
	r = write(p->wfd, p->line, p->line_len);
	if (r <= 0)
		return r;
	for (off = (size_t)r; off < p->line_len; ) {
		/*
		 * No POLLOUT to wait for: the master is woken for room only
		 * when the slave's reader reads, and the line is not whole.
		 */
		struct timespec pause = { 0, 20 * NSEC_PER_USEC };

		nanosleep(&pause, NULL);
		r = write(p->wfd, p->line + off, p->line_len - off);
		if (r > 0)
			off += (size_t)r;
		else if (r < 0 && errno != EAGAIN && errno != EINTR)
			return r;
		else if (stopping(p))
			return -1;
	}
	return sizeof(t);
}

/* Stamp, then signal: the stamp is the "sent" time of the wakeup. */
static void produce_one(struct pair *p, enum wake wake)
{
	int64_t t = now_ns();
	uint64_t seq = p->produced++, one = 1;
	ssize_t r;

	switch (wake) {
	case WAKE_EVENTFD:
		if (seq - atomic_load_explicit(&p->acked, memory_order_acquire) < RING) {
			atomic_store_explicit(&p->ring[seq % RING], t, memory_order_relaxed);
			atomic_store_explicit(&p->tag[seq % RING], seq, memory_order_release);
		}
		r = write(p->wfd, &one, sizeof(one));
		break;
	case WAKE_PTY:
		if (p->line) {
			r = write_line(p, t);
			break;
		}
		/* fall through */
	case WAKE_PIPE:
		r = write(p->wfd, &t, sizeof(t));
		break;
	default:
		r = send(p->wfd, &t, sizeof(t), MSG_DONTWAIT);
		break;
	}
	/* Non-blocking: a full pipe or socket buffer drops the event. */
	if (r == (ssize_t)sizeof(t))
		p->sent++;
	else
		p->dropped++;
}

static void *producer(void *arg)
{
	struct pair *p = arg;
	const struct opts *o = p->sh->o;
	int64_t deadline;

	atomic_store(&p->ptid, my_tid());
	/* The default 50 us timer slack would smear the send schedule. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	pthread_barrier_wait(&p->sh->ready);
	pthread_barrier_wait(&p->sh->go);
	deadline = p->sh->start_ns + o->interval_ns;
	for (;;) {
		deadline = next_active(p->sh, deadline);
		if (!sleep_until(p, deadline))
			break;
		produce_one(p, o->wake);
		deadline += o->interval_ns;
		/* Fell a whole period behind (stopped, preempted): resync. */
		if (deadline + o->interval_ns < now_ns())
			deadline = now_ns();
	}
	return NULL;
}

/* ---- consumer --------------------------------------------------------- */

/* The "work": spin on the clock, as an agent computing for work-us would. */
static void work(int64_t ns)
{
	int64_t end = now_ns() + ns;
	volatile uint64_t x = 0;

	while (now_ns() < end)
		for (int i = 0; i < 64; i++)
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
}

/*
 * Read every pending event; *first gets the stamp of the oldest one.  once:
 * a single read (pty: a read that finds the slave empty waits for the flip
 * buffer's work in flush_work, a second wakeup within the step; one read of
 * a raw pty returns everything the line discipline holds).
 */
static uint64_t drain_stream(int fd, bool dgram, bool once, int64_t *first)
{
	int64_t buf[512];
	uint64_t n = 0;

	for (bool more = true; more; more = !once) {
		ssize_t r = dgram ? recv(fd, buf, sizeof(buf[0]), MSG_DONTWAIT)
				  : read(fd, buf, sizeof(buf));

		if (r <= 0)
			break;
		if (!n)
			*first = buf[0];
		n += dgram ? 1 : (uint64_t)r / sizeof(buf[0]);
	}
	return n;
}

/*
 * --pty-edit-bytes: a canonical read returns one line, the oldest stamp.
 * Further complete lines (FIONREAD counts only those) are read too; a read
 * is never made on an empty slave (see drain_stream).
 */
static uint64_t drain_lines(int fd, int64_t *first)
{
	char buf[4096];
	uint64_t n = 0;
	int avail = 1;

	while (avail > 0) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r < PTY_STAMP_LEN)
			break;
		if (!n)
			*first = (int64_t)strtoull(buf + r - PTY_STAMP_LEN, NULL, 16);
		n++;
		if (ioctl(fd, FIONREAD, &avail))
			break;
	}
	return n;
}

/*
 * Consume what woke us.  Returns the number of events (0: spurious) and
 * the send time of the oldest unconsumed one, the one that did the waking.
 */
static uint64_t drain(struct pair *p, int64_t *sent)
{
	const struct opts *o = p->sh->o;
	uint64_t n = 0;

	switch (o->wake) {
	case WAKE_EVENTFD:
		if (read(p->rfd, &n, sizeof(n)) != sizeof(n))
			return 0;
		*sent = INT64_MAX;	/* stamp not stored: see struct pair */
		if (atomic_load_explicit(&p->tag[p->consumed % RING], memory_order_acquire) ==
		    p->consumed)
			*sent = atomic_load_explicit(&p->ring[p->consumed % RING],
						     memory_order_relaxed);
		atomic_store_explicit(&p->acked, p->consumed + n, memory_order_release);
		break;
	case WAKE_TIMERFD:
		if (read(p->rfd, &n, sizeof(n)) != sizeof(n))
			return 0;
		*sent = p->tbase + (int64_t)p->consumed * o->interval_ns;
		break;
	case WAKE_PTY:
		if (p->line) {
			n = drain_lines(p->rfd, sent);
			break;
		}
		/* fall through */
	default:
		n = drain_stream(p->rfd, o->wake == WAKE_UDP, o->wake == WAKE_PTY, sent);
		break;
	}
	p->consumed += n;
	return n;
}

static bool add_sample(struct samples *s, int64_t v)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		int64_t *nv = realloc(s->v, cap * sizeof(*nv));

		if (!nv)
			return false;
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = v;
	return true;
}

static bool arm_timer(struct pair *p, int64_t first)
{
	struct itimerspec its = {
		.it_value = to_ts(first),
		.it_interval = to_ts(p->sh->o->interval_ns),
	};

	/* Re-arming resets the expiration count: the grid restarts at first. */
	p->tbase = first;
	p->consumed = 0;
	return timerfd_settime(p->rfd, TFD_TIMER_ABSTIME, &its, NULL) == 0;
}

/* timerfd: if the next expiry falls in a pause, move the grid past it. */
static bool timer_pause(struct pair *p)
{
	int64_t next = p->tbase + (int64_t)p->consumed * p->sh->o->interval_ns;
	int64_t act = next_active(p->sh, next);

	return act == next || arm_timer(p, act);
}

/* One step; returns false when the consumer should leave its loop. */
static bool step(struct pair *p)
{
	const struct opts *o = p->sh->o;
	struct epoll_event ev[2];
	int64_t woke, sent = 0;
	bool stop = false, blocked = false;
	uint64_t n;
	int r;

	/*
	 * Look first without blocking: an event that is already pending
	 * means the consumer is late and no wakeup happens.  Comparing stamps
	 * cannot tell, as an event stamped just before we block (a timer
	 * firing, a write in flight) still wakes us.
	 */
	r = epoll_wait(p->epfd, ev, 2, 0);
	if (r == 0) {
		blocked = true;
		r = epoll_wait(p->epfd, ev, 2, -1);
	}
	woke = now_ns();
	if (r < 0) {
		if (errno == EINTR)
			return true;
		p->err = errno;
		return false;
	}
	for (int i = 0; i < r; i++)
		stop |= ev[i].data.fd == p->sh->stop_fd;
	if (stop || atomic_load_explicit(&p->sh->stop, memory_order_relaxed))
		return false;
	n = drain(p, &sent);
	if (!n)
		return true;
	if (++p->steps > o->warmup) {
		p->missed += n - 1;
		if (!blocked)
			p->overrun++;
		else if (sent == INT64_MAX)
			p->unstamped++;
		else if (!add_sample(&p->s, woke - sent))
			return p->err = ENOMEM, false;
	}
	work(o->work_ns);
	if (o->steps && p->steps >= o->warmup + o->steps)
		return false;
	if (o->wake == WAKE_TIMERFD && !timer_pause(p))
		return p->err = errno, false;
	return true;
}

static void *consumer(void *arg)
{
	struct pair *p = arg;
	struct shared *sh = p->sh;

	atomic_store(&p->ctid, my_tid());
	pthread_barrier_wait(&sh->ready);
	pthread_barrier_wait(&sh->go);
	if (!atomic_load(&sh->stop)) {
		if (sh->o->wake == WAKE_TIMERFD &&
		    !arm_timer(p, next_active(sh, sh->start_ns + sh->o->interval_ns)))
			p->err = errno;
		while (!p->err && step(p))
			;
	}
	if (p->steps > sh->o->warmup)
		p->steps -= sh->o->warmup;
	else
		p->steps = 0;
	atomic_store(&p->cdone, 1);
	efd_add(sh->done_fd, 1);
	return NULL;
}

/* ---- setup ------------------------------------------------------------ */

static void epoll_add(int epfd, int fd, uint32_t flags)
{
	struct epoll_event ev = { .events = EPOLLIN | flags, .data.fd = fd };

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev))
		die_sys("epoll_ctl");
}

static void udp_pair(struct pair *p)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p->rfd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	p->wfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (p->rfd < 0 || p->wfd < 0)
		die_sys("socket");
	if (bind(p->rfd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(p->rfd, (struct sockaddr *)&a, &len) ||
	    connect(p->wfd, (struct sockaddr *)&a, sizeof(a)))
		die_sys("udp loopback setup");
}

/*
 * --pty-edit-bytes N: slow deferred work.  The slave in canonical mode
 * with echo (no signals, no extended editing), so n_tty edits and echoes
 * every byte inside flush_to_ldisc, and only a line's newline wakes the
 * reader.  Each step's write is N bytes of editing (runs of 'x', each
 * erased by KILL) and then the stamp line.  Nobody reads the master: once
 * its buffers are full (about 12 KB of echo, within the warmup) the echo
 * is dropped at output, but n_tty still records and commits it byte by
 * byte (echo_char, commit_echoes under output_lock), which is what makes
 * the work slow (~23 ns a byte on this project's VM, against ~3 without
 * echo), and no kworker runs for the master's side.  N stays under the
 * ~10 KB the master takes in one write: a longer one is written in parts
 * and handled by several runs of the work.
 */
static void pty_canonical(struct pair *p, struct termios *tio, int64_t edit)
{
	tio->c_lflag |= ICANON | ECHO;
	tio->c_cc[VKILL] = PTY_KILL;
	tio->c_cc[VEOF] = 0x04;
	tio->c_cc[VERASE] = 0x7f;
	tio->c_cc[VEOL] = 0;		/* 0: disabled */
	tio->c_cc[VEOL2] = 0;
	p->line_len = (size_t)edit + PTY_STAMP_LEN;
	p->line = malloc(p->line_len);
	if (!p->line)
		die_sys("pty line");
	for (int64_t i = 0; i < edit; i++)
		p->line[i] = (i % (PTY_EDIT_RUN + 1) == PTY_EDIT_RUN || i == edit - 1)
			     ? PTY_KILL : 'x';
}

/*
 * A pty pair in raw mode: the producer writes stamps to the master, the
 * consumer reads them from the slave.  Raw, so every byte passes as it is
 * (no line discipline editing, no echo back to the master, no signals);
 * canonical with --pty-edit-bytes (pty_canonical).
 */
static void pty_pair(struct pair *p, int64_t edit)
{
	struct termios tio;
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	const char *name;

	if (m < 0 || grantpt(m) || unlockpt(m) || !(name = ptsname(m)))
		die_sys("pty master");
	p->wfd = m;
	p->rfd = open(name, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (p->rfd < 0)
		die_sys(name);
	if (tcgetattr(p->rfd, &tio))
		die_sys("tcgetattr");
	cfmakeraw(&tio);
	if (edit)
		pty_canonical(p, &tio, edit);
	if (tcsetattr(p->rfd, TCSANOW, &tio))
		die_sys("tcsetattr");
}

static void open_fds(struct pair *p, const struct opts *o, int stop_fd)
{
	enum wake wake = o->wake;
	int fds[2];

	p->wfd = -1;
	switch (wake) {
	case WAKE_EVENTFD:
		p->rfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		p->wfd = p->rfd;
		break;
	case WAKE_PIPE:
		if (pipe2(fds, O_NONBLOCK | O_CLOEXEC))
			die_sys("pipe");
		p->rfd = fds[0];
		p->wfd = fds[1];
		break;
	case WAKE_UDP:
		udp_pair(p);
		break;
	case WAKE_TIMERFD:
		p->rfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		break;
	case WAKE_PTY:
		pty_pair(p, o->pty_edit);
		break;
	}
	if (p->rfd < 0)
		die_sys(wake_names[wake]);
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (p->epfd < 0)
		die_sys("epoll_create1");
	/*
	 * pty edge-triggered: a level-triggered item is polled again by
	 * every epoll_wait, and n_tty's poll on an empty slave waits for the
	 * flip buffer's work (flush_work), so the consumer would also be woken
	 * by wq_barrier_func.  Edge-triggered, it is polled only after the
	 * line discipline woke it; drain() reads all there is.
	 */
	epoll_add(p->epfd, p->rfd, wake == WAKE_PTY ? EPOLLET : 0);
	epoll_add(p->epfd, stop_fd, 0);
}

/* Preallocate (and touch) the samples so the loop does not page-fault. */
static void prealloc(struct pair *p, const struct opts *o)
{
	double est = 65536;

	if (o->steps)
		est = (double)o->steps;
	else if (o->duration_s > 0)
		est = o->duration_s * 1e9 / (double)o->interval_ns * 1.05 + 1024;
	if (est > 64e6)		/* 512 MiB: grow past it instead */
		est = 64e6;
	p->s.cap = (size_t)est;
	p->s.v = malloc(p->s.cap * sizeof(*p->s.v));
	if (!p->s.v)
		die_sys("samples");
	/* Not 0: the compiler would turn malloc + memset(0) into calloc. */
	memset(p->s.v, 0xff, p->s.cap * sizeof(*p->s.v));
}

static void start_thread(pthread_t *t, int cpu, void *(*fn)(void *), void *arg,
			 const char *name)
{
	pthread_attr_t attr;
	cpu_set_t set;
	int err;

	pthread_attr_init(&attr);
	if (cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	}
	err = pthread_create(t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	if (err) {
		errno = err;
		die_sys("pthread_create");
	}
	pthread_setname_np(*t, name);
}

/* ---- statistics and output -------------------------------------------- */

struct summary {
	size_t count;
	double min, p50, p90, p99, p999, max;	/* us */
	double mean;				/* us, negatives counted as 0 like pct() */
};

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/*
 * Nearest-rank percentile of sorted v, q in thousandths (999 = p99.9): the
 * smallest sample that at least q/1000 of the samples are <= to.
 */
static double pct(const int64_t *v, size_t n, unsigned int q)
{
	size_t rank = (q * (n / 1000)) + (q * (n % 1000) + 999) / 1000;

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return (double)(v[rank - 1] < 0 ? 0 : v[rank - 1]) / NSEC_PER_USEC;
}

static struct summary summarize(int64_t *v, size_t n)
{
	struct summary s = { .count = n };
	double sum = 0;

	if (!n)
		return s;
	for (size_t i = 0; i < n; i++)
		sum += (double)(v[i] < 0 ? 0 : v[i]);
	s.mean = sum / (double)n / NSEC_PER_USEC;
	qsort(v, n, sizeof(*v), cmp_i64);
	s.min = pct(v, n, 0);
	s.p50 = pct(v, n, 500);
	s.p90 = pct(v, n, 900);
	s.p99 = pct(v, n, 990);
	s.p999 = pct(v, n, 999);
	s.max = pct(v, n, 1000);
	return s;
}

struct totals {
	uint64_t steps, missed, overrun, unstamped, dropped, sent;
	double elapsed_s;
	struct summary all;
};

static void print_cpus(const struct pair *p, int n, bool producer, bool json)
{
	const char *sep = "";

	for (int i = 0; i < n; i++) {
		int c = producer ? p[i].pcpu : p[i].ccpu;

		if (c < 0)
			printf("%s%s", sep, json ? "null" : "any");
		else
			printf("%s%d", sep, c);
		sep = ",";
	}
}

static void text_summary(const char *label, const struct summary *s)
{
	if (!s->count) {
		printf("%s: no samples\n", label);
		return;
	}
	printf("%s: min %.1f p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f max %.1f\n", label,
	       s->min, s->p50, s->p90, s->p99, s->p999, s->max);
}

static void print_text(const struct opts *o, const struct pair *p,
		       const struct summary *per, const struct totals *t)
{
	printf("agentloop: wake=%s steps=%" PRIu64 " work_us=%" PRId64
	       " interval_us=%" PRId64 " cpu=", wake_names[o->wake], t->steps,
	       o->work_ns / NSEC_PER_USEC, o->interval_ns / NSEC_PER_USEC);
	print_cpus(p, o->threads, false, false);
	if (o->wake != WAKE_TIMERFD) {
		printf(" producer_cpu=");
		print_cpus(p, o->threads, true, false);
	}
	printf(" threads=%d\n", o->threads);
	text_summary("wake latency us", &t->all);
	printf("samples %zu missed %" PRIu64 " overrun %" PRIu64 " unstamped %" PRIu64
	       " dropped %" PRIu64 " warmup %" PRIu64 " duration_s %.3f\n", t->all.count,
	       t->missed, t->overrun, t->unstamped, t->dropped, o->warmup, t->elapsed_s);
	for (int i = 0; o->threads > 1 && i < o->threads; i++) {
		char label[64];

		snprintf(label, sizeof(label), "  agent-c%d tid %d wake latency us", i,
			 atomic_load(&p[i].ctid));
		text_summary(label, &per[i]);
	}
}

static void json_summary(const struct summary *s)
{
	if (!s->count) {
		printf("{\"count\":0,\"min\":null,\"p50\":null,\"p90\":null,\"p99\":null,"
		       "\"p999\":null,\"max\":null,\"mean\":null}");
		return;
	}
	printf("{\"count\":%zu,\"min\":%.3f,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,"
	       "\"p999\":%.3f,\"max\":%.3f,\"mean\":%.3f}", s->count, s->min, s->p50, s->p90,
	       s->p99, s->p999, s->max, s->mean);
}

static void print_json(const struct opts *o, const struct pair *p,
		       const struct summary *per, const struct totals *t)
{
	printf("{\"wake\":\"%s\",\"steps\":%" PRIu64 ",\"samples\":%zu,\"missed\":%" PRIu64
	       ",\"overrun\":%" PRIu64 ",\"unstamped\":%" PRIu64 ",\"dropped\":%" PRIu64
	       ",\"sent\":%" PRIu64 ",\"warmup\":%" PRIu64 ",\"work_us\":%" PRId64
	       ",\"interval_us\":%" PRId64 ",\"pty_edit_bytes\":%" PRId64
	       ",\"threads\":%d,\"duration_s\":%.3f,\"wake_latency_us\":",
	       wake_names[o->wake], t->steps, t->all.count, t->missed, t->overrun,
	       t->unstamped, t->dropped, t->sent, o->warmup, o->work_ns / NSEC_PER_USEC,
	       o->interval_ns / NSEC_PER_USEC, o->pty_edit, o->threads, t->elapsed_s);
	json_summary(&t->all);
	printf(",\"latency_from\":\"%s\",\"path\":{\"kind\":\"%s\",\"via\":\"%s\"}",
	       wake_paths[o->wake].from, wake_paths[o->wake].kind, wake_paths[o->wake].via);
	printf(",\"pid\":%d,\"consumer_tids\":[", (int)getpid());
	for (int i = 0; i < o->threads; i++)
		printf("%s%d", i ? "," : "", atomic_load(&p[i].ctid));
	printf("],\"producer_tids\":[");
	for (int i = 0; o->wake != WAKE_TIMERFD && i < o->threads; i++)
		printf("%s%d", i ? "," : "", atomic_load(&p[i].ptid));
	printf("],\"consumer_cpus\":[");
	print_cpus(p, o->threads, false, true);
	printf("],\"producer_cpus\":[");
	if (o->wake != WAKE_TIMERFD)
		print_cpus(p, o->threads, true, true);
	printf("],\"per_thread\":[");
	for (int i = 0; i < o->threads; i++) {
		printf("%s{\"tid\":%d,\"steps\":%" PRIu64 ",\"missed\":%" PRIu64
		       ",\"overrun\":%" PRIu64 ",\"wake_latency_us\":", i ? "," : "",
		       atomic_load(&p[i].ctid), p[i].steps, p[i].missed, p[i].overrun);
		json_summary(&per[i]);
		printf("}");
	}
	printf("]}\n");
}

static int report(const struct opts *o, struct pair *p, double elapsed_s)
{
	struct summary *per = calloc((unsigned int)o->threads, sizeof(*per));
	struct totals t = { .elapsed_s = elapsed_s };
	size_t total = 0;
	int64_t *all;
	int err = 0;

	for (int i = 0; i < o->threads; i++)
		total += p[i].s.n;
	all = malloc((total ? total : 1) * sizeof(*all));
	if (!per || !all)
		die_sys("report");
	total = 0;
	for (int i = 0; i < o->threads; i++) {
		memcpy(all + total, p[i].s.v, p[i].s.n * sizeof(*all));
		total += p[i].s.n;
		per[i] = summarize(p[i].s.v, p[i].s.n);
		t.steps += p[i].steps;
		t.missed += p[i].missed;
		t.overrun += p[i].overrun;
		t.unstamped += p[i].unstamped;
		t.dropped += p[i].dropped;
		t.sent += p[i].sent;
		if (p[i].err)
			err = p[i].err;
	}
	t.all = summarize(all, total);
	if (o->json)
		print_json(o, p, per, &t);
	else
		print_text(o, p, per, &t);
	fflush(stdout);
	free(all);
	free(per);
	if (err)
		fprintf(stderr, "agentloop: a consumer failed: %s\n", strerror(err));
	return err ? EXIT_RUNTIME : 0;
}

/* ---- main ------------------------------------------------------------- */

/*
 * Wait for a signal, every consumer finishing, or the deadline (-1: none).
 * Returns true if the run should stop early (signal or all done).
 */
/* Waits for the deadline (false), a stop signal or every consumer done
 * (true).  SIGUSR1 counts as the deadline when usr1_ends is set (it ends
 * the start delay) and is ignored otherwise. */
static bool wait_main(int sfd, int done_fd, int nthreads, int64_t deadline, uint64_t *done,
		      bool usr1_ends)
{
	struct pollfd pfd[2] = { { sfd, POLLIN, 0 }, { done_fd, POLLIN, 0 } };

	for (;;) {
		int timeout = -1;
		uint64_t v;

		if (deadline >= 0) {
			int64_t left = deadline - now_ns();

			if (left <= 0)
				return false;
			timeout = (int)((left + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC);
			if (timeout > 1000)
				timeout = 1000;
		}
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR)
			die_sys("poll");
		if (pfd[0].revents) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) != sizeof(si) || si.ssi_signo != SIGUSR1)
				return true;
			if (usr1_ends)
				return false;
			continue;
		}
		if (pfd[1].revents && read(done_fd, &v, sizeof(v)) == sizeof(v)) {
			*done += v;
			if (*done >= (uint64_t)nthreads)
				return true;
		}
	}
}

static void print_ready(const struct opts *o, const struct pair *p)
{
	fprintf(stderr, "agentloop: pid %d consumer tids ", (int)getpid());
	for (int i = 0; i < o->threads; i++)
		fprintf(stderr, "%s%d", i ? "," : "", atomic_load(&p[i].ctid));
	fprintf(stderr, " ready\n");
	fflush(stderr);
}

static void spawn(struct shared *sh, struct pair *p, const cpu_set_t *allowed)
{
	const struct opts *o = sh->o;
	unsigned int n = o->threads * (o->wake == WAKE_TIMERFD ? 1 : 2) + 1;
	char name[32];	/* "agent-c1023": within the 15-char thread name limit */

	pthread_barrier_init(&sh->ready, NULL, n);
	pthread_barrier_init(&sh->go, NULL, n);
	for (int i = 0; i < o->threads; i++) {
		p[i].idx = i;
		p[i].sh = sh;
		place(o, allowed, &p[i], i);
		open_fds(&p[i], o, sh->stop_fd);
		prealloc(&p[i], o);
		for (int j = 0; j < RING; j++)
			atomic_init(&p[i].tag[j], UINT64_MAX);
		snprintf(name, sizeof(name), "agent-c%d", i);
		start_thread(&p[i].ct, p[i].ccpu, consumer, &p[i], name);
		p[i].has_ct = true;
		if (o->wake == WAKE_TIMERFD)
			continue;
		snprintf(name, sizeof(name), "agent-p%d", i);
		start_thread(&p[i].pt, p[i].pcpu, producer, &p[i], name);
		p[i].has_pt = true;
	}
}

static void cleanup(struct shared *sh, struct pair *p)
{
	for (int i = 0; i < sh->o->threads; i++) {
		if (p[i].wfd >= 0 && p[i].wfd != p[i].rfd)
			close(p[i].wfd);
		close(p[i].rfd);
		close(p[i].epfd);
		free(p[i].s.v);
		free(p[i].line);
	}
	pthread_barrier_destroy(&sh->ready);
	pthread_barrier_destroy(&sh->go);
	close(sh->stop_fd);
	close(sh->done_fd);
	free(p);
}

int main(int argc, char **argv)
{
	struct shared sh = { 0 };
	struct opts o;
	struct pair *p;
	cpu_set_t allowed;
	sigset_t sigs;
	uint64_t done = 0;
	int64_t deadline = -1, end_ns;
	bool early = false;
	int sfd, rc;

	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		die_sys("sched_getaffinity");
	parse_opts(argc, argv, &o, &allowed);
	sh.o = &o;

	/* Signals go to a signalfd in main; threads inherit the blocked mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	sh.stop_fd = eventfd(0, EFD_CLOEXEC);
	sh.done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	p = calloc((unsigned int)o.threads, sizeof(*p));
	if (sfd < 0 || sh.stop_fd < 0 || sh.done_fd < 0 || !p)
		die_sys("setup");

	spawn(&sh, p, &allowed);
	pthread_barrier_wait(&sh.ready);
	if (!o.quiet)
		print_ready(&o, p);
	if (o.start_delay_ns)
		early = wait_main(sfd, sh.done_fd, o.threads, now_ns() + o.start_delay_ns, &done,
				  true);
	if (early)
		atomic_store(&sh.stop, 1);
	sh.start_ns = now_ns();
	pthread_barrier_wait(&sh.go);	/* also publishes start_ns */

	if (o.duration_s > 0)
		deadline = sh.start_ns + (int64_t)(o.duration_s * NSEC_PER_SEC);
	if (!early)
		wait_main(sfd, sh.done_fd, o.threads, deadline, &done, false);
	end_ns = now_ns();
	atomic_store(&sh.stop, 1);
	efd_add(sh.stop_fd, 1);
	for (int i = 0; i < o.threads; i++) {
		if (p[i].has_ct)
			pthread_join(p[i].ct, NULL);
		if (p[i].has_pt)
			pthread_join(p[i].pt, NULL);
	}
	rc = report(&o, p, (double)(end_ns - sh.start_ns) / NSEC_PER_SEC);
	cleanup(&sh, p);
	close(sfd);
	return rc;
}
