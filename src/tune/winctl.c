/* tune/winctl: the PM QoS window controller (see winctl.h). */
#include "tune/winctl.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <linux/capability.h>

#include <bpf/libbpf.h>
#include <json-c/json.h>
#include <linux/types.h>

#include "base/cpumask.h"
#include "base/errmsg.h"
#include "base/jsonw.h"
#include "base/util.h"
#include "inspect/procstat.h"
#include "tune/ctllog.h"
#include "tune/journal.h"
#include "tune/pollthread.h"
#include "stepwatch.h"
#include "stepwatch.skel.h"

#define STOP_GRACE_MS 3000
#define READY_TIMEOUT_MS 15000
/* uid and gid the controller runs as after its set-up (nobody, nogroup) */
#define WINCTL_UID 65534
#define STATE_EVERY_NS 1000000000ull   /* state file at most once a second while extending */

/* ---------- files in the run directory ---------- */

/* Far beyond what the controller writes (window.json: about 150 bytes per
 * CPU, 8192 CPUs): a bigger file is not its, and is not read. */
#define PIDFILE_MAX 96
#define STATEFILE_MAX (4u << 20)
/* A reader that catches window.json half written reads it again, every
 * 2 ms for up to a second: the writer is a nice-19 thread, which a loaded
 * CPU can keep off for tens of milliseconds in the middle of its write
 * (poll.bats saw "not valid JSON" with 5 tries in 10 ms). */
#define TORN_RETRIES 500

/* The run directory itself: never through a symlink.  fd or -errno. */
static int open_run_dir(const char *dir)
{
	if (!dir || !*dir)
		return -EINVAL;
	int fd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* A file of the run directory: opened from its descriptor, never through a
 * symlink, only a regular file (O_NONBLOCK: a planted FIFO cannot hang
 * us).  fd or -errno (-EPERM: something else is there). */
static int open_run_file(int dirfd, const char *name, int flags)
{
	int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
	if (fd < 0)
		return errno == ELOOP ? -EPERM : -errno;
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

/* ---------- the pid file ---------- */

/* starttime of a live (not zombie) process, 0 when it is gone. */
static uint64_t start_of(int pid)
{
	struct host live;
	char path[64];
	uint64_t start = 0;
	if (pid <= 0 || host_open(&live, "/"))
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	size_t len = 0;
	char *buf = host_read(&live, path, &len);
	struct task_stat ts;
	if (buf && !task_stat_parse(buf, len, &ts) && ts.state != 'Z' && ts.state != 'X')
		start = ts.starttime;
	free(buf);
	host_close(&live);
	return start;
}

static bool read_pidfile(int dirfd, int *pid, uint64_t *start)
{
	int fd = open_run_file(dirfd, WINCTL_PIDFILE, O_RDONLY);
	if (fd < 0)
		return false;
	char *buf = NULL;
	size_t len = 0;
	bool ok = !fd_read_whole(fd, PIDFILE_MAX, &buf, &len) &&
		  sscanf(buf, "%d %" SCNu64, pid, start) == 2 && *pid > 0;
	free(buf);
	close(fd);
	return ok;
}

const char *winctl_state_at(int dirfd, int *pid)
{
	int p;
	uint64_t start;
	if (pid)
		*pid = -1;
	if (dirfd < 0 || !read_pidfile(dirfd, &p, &start) || !start || start_of(p) != start)
		return "stopped";
	if (pid)
		*pid = p;
	return "running";
}

const char *winctl_state(const char *run_dir, int *pid)
{
	int dirfd = open_run_dir(run_dir);
	const char *s = winctl_state_at(dirfd, pid);
	if (dirfd >= 0)
		close(dirfd);
	return s;
}

/* Makes what was written, created or renamed in the directory durable. */
static void sync_dir(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Writes name in the directory through a temporary file, fsync and a
 * rename: durable once it returns 0. */
static int write_durable(int dirfd, const char *name, const char *text)
{
	char tmp[64];
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	unlinkat(dirfd, tmp, 0);
	int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	size_t len = strlen(text);
	int rc = write(fd, text, len) == (ssize_t)len ? 0 : -EIO;
	if (!rc && fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && renameat(dirfd, tmp, dirfd, name))
		rc = -errno;
	if (rc)
		unlinkat(dirfd, tmp, 0);
	else
		sync_dir(dirfd);
	return rc;
}

/* ---------- stopping ---------- */

static bool gone(int pid, uint64_t start)
{
	if (start_of(pid) == start)
		return false;
	/* Our own child (apply undoing its start) is a zombie now: reaped
	 * here, after the look, so it cannot die between the two. */
	waitpid(pid, NULL, WNOHANG);
	return true;
}

static bool wait_gone(int pid, uint64_t start, int ms)
{
	for (int t = 0; t < ms; t += 10) {
		if (gone(pid, start))
			return true;
		usleep(10000);
	}
	return gone(pid, start);
}

static void remove_files(int dirfd)
{
	unlinkat(dirfd, WINCTL_PIDFILE, 0);
	unlinkat(dirfd, WINCTL_STATEFILE, 0);
}

int winctl_stop_at(int dirfd, char *why, size_t sz)
{
	int pid;
	uint64_t start;
	if (dirfd < 0)
		return 0;
	if (!read_pidfile(dirfd, &pid, &start) || !start || start_of(pid) != start) {
		remove_files(dirfd);
		return 0;
	}
	/* SIGTERM: it closes its windows (writes the originals back) first. */
	if (kill(pid, SIGTERM) && errno != ESRCH)
		return errmsg(why, sz, -errno, "cannot stop the window controller (pid %d): %s", pid,
			      strerror(errno));
	if (!wait_gone(pid, start, STOP_GRACE_MS)) {
		kill(pid, SIGKILL);
		if (!wait_gone(pid, start, 2000)) {
			return errmsg(why, sz, -ETIMEDOUT, "the window controller (pid %d) does not exit",
				      pid);
		}
	}
	remove_files(dirfd);
	return 0;
}

int winctl_stop(const char *run_dir, char *why, size_t sz)
{
	int dirfd = open_run_dir(run_dir);
	int rc = winctl_stop_at(dirfd, why, sz);
	if (dirfd >= 0)
		close(dirfd);
	return rc;
}

/* ---------- the running controller ---------- */

/* The state file is written by a thread of its own, so that a slow file
 * system (a run directory on a disk that blocks a rename for a second)
 * never delays a deadline: the loop hands it the latest text and goes on. */
struct state_writer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *pending;                        /* the newest text not written yet */
	bool stop, running;
	int fd;                               /* window.json, rewritten in place */
};

struct ctl {
	const struct host *h;
	const struct winctl_config *c;
	struct stepwatch_bpf *skel;
	struct ring_buffer *rb;
	struct window_sm sm;
	const struct winctl_knob **knob_of;   /* by CPU number */
	bool *drifted, *failed;               /* by CPU number */
	int *qos_fd, *online_fd;              /* by CPU number, -1 none */
	int *floor_fd;                        /* by policy (c->policy index) */
	size_t nslots;
	int tfd, sfd, pidfd, epfd;
	int dirfd;                            /* the run directory (not ours to close) */
	struct state_writer w;
	uint64_t wakeups, last_state_ns, seq;
	struct window_totals last_totals;
	double started_wall;
	bool agent_exited;
	bool exhausted;                       /* budget-exhausted logged, no window since */
	/* Tests (AGENTUNE_FAULT_WINDOW_WRITE=N): the Nth PM QoS write fails
	 * with EIO, so that the failure path can be seen from outside. */
	unsigned long fault_at, qos_writes;
	/* method = poll, by CPU number */
	struct pollthread *poll;
	bool *want, *busy;                    /* wanted (open / static); too busy */
	double *idle_share;
	uint64_t *idle_prev, *poll_prev;      /* at the last sample */
	uint64_t sample_at;                   /* mono ns of the last sample */
	bool measured;                        /* one sample done: busy is known */
	int statfd, sample_tfd;               /* /proc/stat; the sampling timer */
	bool sampling;                        /* the sampling timer is armed */
	long hz;                              /* USER_HZ of /proc/stat */
	unsigned min_idle_pct;                /* the rule's threshold */
};

static double wall_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile struct stepwatch_cpu *slot(struct ctl *x, unsigned cpu)
{
	return &x->skel->bss->cpus[cpu];
}

/* ---------- the knobs, through descriptors opened before the drop ---------- */

/* A knob's file under the host root, opened while the controller still has
 * its privileges: writing through the descriptor needs none.  -1 when it
 * is absent (or cannot be opened: a write then fails as "error"). */
static int open_knob(const struct host *h, const char *path, int flags)
{
	char canon[PATH_MAX];
	if (host_resolve(h, path, canon, sizeof(canon)))
		return -1;
	const char *rel = canon[0] == '/' ? canon + 1 : canon;
	return openat(h->rootfd, *rel ? rel : ".", flags | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
}

/* The file's value, trimmed.  sysfs answers a read at offset 0 afresh. */
static int fd_read(int fd, char *val, size_t sz)
{
	if (fd < 0)
		return -ENOENT;
	ssize_t n = pread(fd, val, sz - 1, 0);
	if (n < 0)
		return -errno;
	val[n] = '\0';
	val[strcspn(val, "\n")] = '\0';
	return 0;
}

/* As knob_write writes it (with a newline); a tree's regular file is cut
 * to it (sysfs ignores the offset and has no length to cut). */
static int fd_write(const struct ctl *x, int fd, const char *val)
{
	char line[KNOB_VAL_MAX + 2];
	int len = snprintf(line, sizeof(line), "%s\n", val);
	if (fd < 0)
		return -ENOENT;
	if (pwrite(fd, line, (size_t)len, 0) != len)
		return errno ? -errno : -EIO;
	if (!x->h->live && ftruncate(fd, len))
		return -errno;
	return 0;
}

/* A PM QoS write, or the failure a test asked for. */
static int qos_write(struct ctl *x, unsigned cpu, const char *val)
{
	if (x->fault_at && ++x->qos_writes == x->fault_at)
		return -EIO;
	return fd_write(x, x->qos_fd[cpu], val);
}

static unsigned long fault_from_env(void)
{
	const char *s = getenv("AGENTUNE_FAULT_WINDOW_WRITE");
	char *end;
	unsigned long n = s ? strtoul(s, &end, 10) : 0;
	return s && *s && !*end ? n : 0;
}

/* SCHED_IDLE yields only to tasks of the same scheduling group.  The
 * controller's setsid() gave it an autogroup of its own (where the kernel
 * has autogroups on, and the controller is in the root cpu cgroup), which
 * competes with the agent's as an equal: a poll thread alone in it would
 * take half of a CPU the agent wants.  Nice 19 for the autogroup makes its
 * weight 15 against a nice-0 group's 1024 (about 1.4% of a contended CPU);
 * the controller's own thread shares that weight, which only matters when
 * the housekeeping CPUs are saturated.  No autogroup: nothing to do. */
static void poll_autogroup_nice(void)
{
	int fd = open("/proc/self/autogroup", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, "19", 2) != 2)
		ctllog(LOG_WARNING, "cannot lower the autogroup's weight (%s): a poll thread may "
		       "take up to half of a CPU the agent wants", strerror(errno));
	close(fd);
}

/* Tests only (AGENTUNE_POLL_MIN_IDLE_PCT=0..100): the poll rule's
 * threshold, so that a test can put a poll thread beside a busy agent and
 * see that it yields. */
static unsigned min_idle_from_env(void)
{
	const char *s = getenv("AGENTUNE_POLL_MIN_IDLE_PCT");
	char *end;
	unsigned long n = s ? strtoul(s, &end, 10) : 0;
	return s && *s && !*end && n <= 100 ? (unsigned)n : POLL_MIN_IDLE_PCT;
}

static bool cpu_online(const struct ctl *x, unsigned cpu)
{
	char v[16];
	/* No online file (cpu0 on many machines): always online. */
	return cpu >= x->nslots || fd_read(x->online_fd[cpu], v, sizeof(v)) || strcmp(v, "0");
}

/* The CPU holds our value or its original; anything else is someone
 * else's setting, which we leave alone from then on. */
static bool still_ours(struct ctl *x, unsigned cpu, const struct winctl_knob *k)
{
	char now[KNOB_VAL_MAX];
	if (fd_read(x->qos_fd[cpu], now, sizeof(now)))
		return false;
	if (knob_same(KNOB_PMQOS, now, k->value) || knob_same(KNOB_PMQOS, now, k->original))
		return true;
	x->drifted[cpu] = true;
	return false;
}

/* ---------- method = poll ---------- */

static void write_state(struct ctl *x, uint64_t now);
static void poll_timer_update(struct ctl *x);

/* A poll thread where one is wanted, measured idle enough, and the agent
 * lives; none anywhere else. */
static void poll_apply(struct ctl *x, unsigned cpu)
{
	struct pollthread *p = &x->poll[cpu];
	bool run = x->want[cpu] && x->measured && !x->busy[cpu] && !x->agent_exited &&
		   cpu_online(x, cpu);
	if (!run) {
		pollthread_stop(p);
		return;
	}
	int rc = pollthread_start(p);
	if (rc && !x->failed[cpu])
		ctllog(LOG_ERR, "cpu%u: cannot start the poll thread: %s", cpu, strerror(-rc));
	x->failed[cpu] = rc != 0;
}

static void poll_stop_all(struct ctl *x)
{
	for (size_t cpu = 0; x->poll && cpu < x->nslots; cpu++) {
		x->want[cpu] = false;
		pollthread_stop(&x->poll[cpu]);
	}
	poll_timer_update(x);
}

/* /proc/stat, read afresh through the descriptor opened at set-up. */
static char *read_procstat(struct ctl *x)
{
	size_t cap = 16384, len = 0;
	char *buf = malloc(cap);
	if (!buf || x->statfd < 0 || lseek(x->statfd, 0, SEEK_SET) < 0) {
		free(buf);
		return NULL;
	}
	for (;;) {
		if (len + 1 >= cap) {
			char *b = cap < (64u << 20) ? realloc(buf, cap * 2) : NULL;
			if (!b)
				break;
			buf = b;
			cap *= 2;
		}
		ssize_t n = read(x->statfd, buf + len, cap - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

/* Each poll CPU's idle share since the last sample (pollthread.h, the
 * rule): sets busy[] and, after the first sample, measured. */
static void poll_measure(struct ctl *x, uint64_t now)
{
	char *text = read_procstat(x);
	bool first = !x->sample_at;
	uint64_t interval = now - x->sample_at;
	for (size_t cpu = 0; cpu < x->nslots; cpu++) {
		if (!x->knob_of[cpu])
			continue;
		uint64_t idle = 0, polled = pollthread_cpu_ns(&x->poll[cpu]);
		bool ok = procstat_cpu_idle_ns(text, (unsigned)cpu, x->hz, &idle);
		if (!first) {
			uint64_t di = ok && idle >= x->idle_prev[cpu] ? idle - x->idle_prev[cpu] : 0;
			x->idle_share[cpu] = poll_idle_share(di, polled - x->poll_prev[cpu], interval);
			bool busy = poll_cpu_busy(x->idle_share[cpu], x->min_idle_pct, x->busy[cpu]);
			if (busy != x->busy[cpu])
				ctllog(LOG_INFO, "cpu%u: idle %.0f%% of the last %llu ms: %s", (unsigned)cpu,
				       x->idle_share[cpu] * 100, (unsigned long long)(interval / 1000000),
				       busy ? "too busy to poll" : "polled again");
			x->busy[cpu] = busy;
		}
		x->idle_prev[cpu] = idle;
		x->poll_prev[cpu] = polled;
	}
	free(text);
	x->sample_at = now;
	if (!first)
		x->measured = true;
}

/* Every POLL_SAMPLE_MS while some CPU wants a poll thread: the idle shares
 * decide which CPUs may have one. */
static void poll_sample(struct ctl *x, uint64_t now)
{
	bool was = x->measured;
	poll_measure(x, now);
	if (!x->measured)
		return;
	for (size_t cpu = 0; cpu < x->nslots; cpu++)
		if (x->knob_of[cpu])
			poll_apply(x, (unsigned)cpu);
	/* The poll threads' time and the idle shares, for status and top:
	 * at most once a second (and at once after the first sample). */
	if (!was || now - x->last_state_ns >= STATE_EVERY_NS)
		write_state(x, now);
}

static bool poll_wanted(const struct ctl *x)
{
	for (size_t cpu = 0; x->want && cpu < x->nslots; cpu++)
		if (x->knob_of[cpu] && x->want[cpu])
			return true;
	return false;
}

/* The sampling timer runs only while some CPU wants a poll thread (a
 * window open, or static): a controller whose agent pauses does not wake
 * 4 times a second to measure CPUs it would not poll anyway. */
static void poll_timer_update(struct ctl *x)
{
	bool on = poll_wanted(x);
	if (x->sample_tfd < 0 || on == x->sampling)
		return;
	long ns = on ? POLL_SAMPLE_MS * 1000000L : 0;
	struct itimerspec its = { .it_value = { .tv_nsec = ns }, .it_interval = { .tv_nsec = ns } };
	if (!timerfd_settime(x->sample_tfd, 0, &its, NULL))
		x->sampling = on;
}

static bool op_open(void *ctx, unsigned cpu)
{
	struct ctl *x = ctx;
	const struct winctl_knob *k = cpu < x->nslots ? x->knob_of[cpu] : NULL;
	if (x->c->poll) {
		if (!k || !cpu_online(x, cpu))
			return false;
		x->want[cpu] = true;
		if (!x->sampling) {
			/* No window was open, so no sample since the last
			 * close: the idle share since then (if that is long
			 * enough to say anything) decides this window. */
			uint64_t now = mono_ns();
			if (now - x->sample_at >= POLL_SAMPLE_MS * 1000000ull)
				poll_measure(x, now);
			poll_timer_update(x);
		}
		poll_apply(x, cpu);
		return true;
	}
	if (!k || x->drifted[cpu] || !cpu_online(x, cpu) || !still_ours(x, cpu, k))
		return false;
	int rc = qos_write(x, cpu, k->value);
	x->failed[cpu] = rc != 0;
	if (x->failed[cpu])
		ctllog(LOG_ERR, "cpu%u: opening the window failed: %s", cpu, strerror(-rc));
	return !x->failed[cpu];
}

static void op_close(void *ctx, unsigned cpu)
{
	struct ctl *x = ctx;
	const struct winctl_knob *k = cpu < x->nslots ? x->knob_of[cpu] : NULL;
	if (x->c->poll && k) {
		x->want[cpu] = false;
		pollthread_stop(&x->poll[cpu]);
		poll_timer_update(x);
		return;
	}
	if (!k || !still_ours(x, cpu, k))
		return;
	/* An offline CPU's file may refuse: revert tries again. */
	int rc = qos_write(x, cpu, k->original);
	x->failed[cpu] = rc != 0;
	if (x->failed[cpu])
		ctllog(LOG_ERR, "cpu%u: closing the window failed (revert writes it again): %s",
		       cpu, strerror(-rc));
}

static void op_floor(void *ctx, unsigned policy, bool on)
{
	struct ctl *x = ctx;
	if (policy >= x->c->npolicy)
		return;
	const struct winctl_knob *k = &x->c->policy[policy];
	char now[KNOB_VAL_MAX];
	if (fd_read(x->floor_fd[policy], now, sizeof(now)) ||
	    !(knob_same(KNOB_CPUFREQ_MIN, now, k->value) ||
	      knob_same(KNOB_CPUFREQ_MIN, now, k->original)))
		return;
	int rc = fd_write(x, x->floor_fd[policy], on ? k->value : k->original);
	if (rc)
		ctllog(LOG_ERR, "%s: %s the cpufreq floor failed: %s", k->target,
		       on ? "raising" : "lowering", strerror(-rc));
}

static uint64_t op_last_step(void *ctx, unsigned cpu)
{
	struct ctl *x = ctx;
	return cpu < x->nslots ? slot(x, cpu)->last_step_ns : 0;
}

/* notify = 1, then look whether a step came in the meantime (in which case
 * the BPF side may or may not have sent an event: a duplicate is ignored). */
static bool op_rearm(void *ctx, unsigned cpu, uint64_t since)
{
	struct ctl *x = ctx;
	if (cpu >= x->nslots || x->drifted[cpu] || x->agent_exited)
		return false;
	volatile struct stepwatch_cpu *s = slot(x, cpu);
	s->notify = 1;
	__sync_synchronize();
	uint64_t last = s->last_step_ns;
	if (!last || last < since)
		return false;
	s->notify = 0;
	return true;
}

static const struct window_ops ops = {
	.open = op_open, .close = op_close, .floor = op_floor,
	.last_step = op_last_step, .rearm = op_rearm,
};

/* ---------- the state writer ---------- */

/* In place (the controller can no longer create files in the run
 * directory): the text, then the length.  A reader that catches it half
 * written sees seq and seq_end differ, or no valid JSON, and reads again. */
static void put_state(int fd, const char *text)
{
	size_t len = strlen(text);
	if (pwrite(fd, text, len, 0) == (ssize_t)len)
		(void)!ftruncate(fd, (off_t)len);
}

static void *writer_main(void *arg)
{
	struct state_writer *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->pending && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		char *text = w->pending;
		w->pending = NULL;
		if (!text && w->stop)
			break;
		pthread_mutex_unlock(&w->mu);
		put_state(w->fd, text);
		free(text);
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Hands text (malloc'd) to the writer, replacing a text it has not
 * written yet; without a thread, writes it here. */
static void writer_post(struct state_writer *w, char *text)
{
	if (!text)
		return;
	if (!w->running) {
		if (w->fd >= 0)
			put_state(w->fd, text);
		free(text);
		return;
	}
	pthread_mutex_lock(&w->mu);
	free(w->pending);
	w->pending = text;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static int writer_start(struct state_writer *w)
{
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	int rc = -pthread_create(&w->thread, NULL, writer_main, w);
	w->running = rc == 0;
	return rc;
}

/* Writes what is pending and ends the thread. */
static void writer_stop(struct state_writer *w)
{
	if (w->running) {
		pthread_mutex_lock(&w->mu);
		w->stop = true;
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
		w->running = false;
	}
	free(w->pending);
	w->pending = NULL;
}

/* ---------- the state file ---------- */

static const char *cpu_state(const struct ctl *x, unsigned cpu)
{
	if (x->drifted[cpu])
		return "drifted";
	if (x->failed[cpu])
		return "error";
	/* A static poll has no windows: whether the CPU is polled. */
	if (x->c->poll && x->c->poll_static)
		return x->poll[cpu].running ? "polling" : x->busy[cpu] ? "busy" :
		       x->agent_exited ? "closed" : "waiting";
	return window_state_name(x->sm.cpu[cpu].state);
}

static json_object *cpu_json(struct ctl *x, unsigned cpu, uint64_t now)
{
	const struct window_cpu *w = &x->sm.cpu[cpu];
	json_object *o = json_object_new_object();
	jw_put(o, "cpu", jw_int(cpu));
	jw_put(o, "state", jw_str(cpu_state(x, cpu)));
	jw_put(o, "open_share", jw_double(window_open_share(&x->sm, cpu, now)));
	jw_put(o, "opened", jw_int((int64_t)w->opened));
	jw_put(o, "extended", jw_int((int64_t)w->extended));
	jw_put(o, "denied", jw_int((int64_t)w->denied));
	jw_put(o, "steps", jw_int((int64_t)slot(x, cpu)->steps));
	if (x->c->poll) {
		jw_put(o, "poll_thread", jw_bool(x->poll[cpu].running));
		jw_put(o, "busy", jw_bool(x->busy[cpu]));
		jw_put(o, "idle_share", x->measured ? jw_double(x->idle_share[cpu]) : NULL);
		jw_put(o, "poll_cpu_s", jw_double((double)pollthread_cpu_ns(&x->poll[cpu]) / 1e9));
	}
	return o;
}

static void write_state(struct ctl *x, uint64_t now)
{
	const struct window_params *p = &x->c->params;
	struct window_totals t;
	window_totals(&x->sm, &t);
	json_object *o = json_object_new_object(), *cpus = json_object_new_array();
	x->seq++;
	jw_put(o, "seq", jw_int((int64_t)x->seq));
	jw_put(o, "pid", jw_int(getpid()));
	jw_put(o, "apply", jw_int(x->c->apply));
	jw_put(o, "agent", jw_int(x->c->pid));
	jw_put(o, "agent_exited", jw_bool(x->agent_exited));
	jw_put(o, "started", jw_double(x->started_wall));
	jw_put(o, "updated", jw_double(wall_s()));
	jw_put(o, "uptime_s", jw_double((double)(now - x->sm.started_at) / 1e9));
	jw_put(o, "window_ms", jw_int((int64_t)(p->window_ns / 1000000u)));
	jw_put(o, "budget_tokens", jw_int(p->budget_tokens));
	jw_put(o, "refill_per_s", jw_int(p->refill_per_s));
	jw_put(o, "cost_per_window", jw_int(p->cost_per_window));
	jw_put(o, "tokens", jw_int(window_tokens(&x->sm, 0, now)));
	jw_put(o, "opened", jw_int((int64_t)t.opened));
	jw_put(o, "extended", jw_int((int64_t)t.extended));
	jw_put(o, "denied", jw_int((int64_t)t.denied));
	jw_put(o, "wakeups", jw_int((int64_t)x->wakeups));
	jw_put(o, "method", jw_str(x->c->poll ? "poll" : "qos"));
	if (x->c->poll) {
		uint64_t ns = 0;
		for (size_t cpu = 0; cpu < x->nslots; cpu++)
			if (x->knob_of[cpu])
				ns += pollthread_cpu_ns(&x->poll[cpu]);
		jw_put(o, "poll", jw_str(x->c->poll_static ? "static" : "window"));
		jw_put(o, "poll_cpu_s", jw_double((double)ns / 1e9));
	}
	for (size_t cpu = 0; cpu < x->nslots; cpu++)
		if (x->knob_of[cpu])
			json_object_array_add(cpus, cpu_json(x, (unsigned)cpu, now));
	jw_put(o, "cpus", cpus);
	/* last: a reader compares it with seq (put_state) */
	jw_put(o, "seq_end", jw_int((int64_t)x->seq));
	const char *s = jw_line(o);
	char *line = NULL;
	if (!s || asprintf(&line, "%s\n", s) < 0)
		line = NULL;
	writer_post(&x->w, line);
	json_object_put(o);
	x->last_state_ns = now;
	x->last_totals = t;
}

/* On every open, close and denial; while windows are only extended, at
 * most once a second. */
static void maybe_write_state(struct ctl *x, uint64_t now)
{
	struct window_totals t;
	window_totals(&x->sm, &t);
	/* Once per run of denials: the first since a window last opened. */
	if (t.opened != x->last_totals.opened)
		x->exhausted = false;
	if (t.denied != x->last_totals.denied && !x->exhausted) {
		x->exhausted = true;
		ctllog(LOG_WARNING, "token budget exhausted: %" PRId64 " of %" PRId64 " tokens "
		       "left, %" PRIu64 " windows denied so far; windows wait for the refill (%"
		       PRId64 "/s)", window_tokens(&x->sm, 0, now), x->c->params.budget_tokens,
		       t.denied, x->c->params.refill_per_s);
	}
	bool changed = t.opened != x->last_totals.opened || t.closed != x->last_totals.closed ||
		       t.denied != x->last_totals.denied;
	if (changed || (t.extended != x->last_totals.extended &&
			now - x->last_state_ns >= STATE_EVERY_NS))
		write_state(x, now);
}

/* ---------- set-up ---------- */


static int on_event(void *ctx, void *data, size_t len)
{
	struct ctl *x = ctx;
	const struct stepwatch_event *ev = data;
	if (len >= sizeof(*ev) && !x->agent_exited)
		window_step(&x->sm, ev->cpu, mono_ns());
	return 0;
}

/* tp_btf first, raw_tp where BTF-typed tracepoints do not load. */
static int load_bpf(struct ctl *x, bool raw, char *why, size_t sz)
{
	struct stepwatch_bpf *s = stepwatch_bpf__open();
	if (!s)
		return errmsg(why, sz, -errno, "cannot open the step watcher BPF object: %s", strerror(errno));
	s->rodata->targ_tgid = x->c->pid > 0 ? (uint32_t)x->c->pid : 0;
	s->rodata->follow_children = x->c->follow_children;
	s->rodata->self_tgid = (uint32_t)getpid();
	struct bpf_program *btf[] = { s->progs.btf_sched_switch, s->progs.btf_sched_process_fork,
				      s->progs.btf_sched_process_exit };
	struct bpf_program *rawp[] = { s->progs.raw_sched_switch, s->progs.raw_sched_process_fork,
				       s->progs.raw_sched_process_exit };
	for (size_t i = 0; i < ARRAY_SIZE(btf); i++) {
		bpf_program__set_autoload(btf[i], !raw);
		bpf_program__set_autoload(rawp[i], raw);
	}
	int err = stepwatch_bpf__load(s);
	if (!err) {
		for (size_t cpu = 0; cpu < x->nslots; cpu++)
			if (x->knob_of[cpu]) {
				s->bss->cpus[cpu].in_scope = 1;
				/* A static poll counts steps but opens no window. */
				s->bss->cpus[cpu].notify = !(x->c->poll && x->c->poll_static);
			}
		err = stepwatch_bpf__attach(s);
	}
	if (err) {
		errmsg(why, sz, 0, "cannot %s the step watcher BPF programs (%s): %s",
		    s->links.btf_sched_switch || s->links.raw_sched_switch ? "attach" : "load",
		    raw ? "raw_tp" : "tp_btf", strerror(-err));
		stepwatch_bpf__destroy(s);
		return err;
	}
	x->skel = s;
	return 0;
}

/* Which policy (index into c->policy) covers each managed CPU. */
static int policies_of(struct ctl *x, int *pol)
{
	for (size_t i = 0; i < x->nslots; i++)
		pol[i] = -1;
	for (size_t p = 0; p < x->c->npolicy; p++) {
		char path[160];
		struct cpumask m;
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpufreq/%s/related_cpus",
			 x->c->policy[p].target);
		/* Whole, however many CPUs: a fixed buffer would cut the list. */
		char *list = host_read(x->h, path, NULL);
		if (!list)
			continue;
		cpumask_init(&m);
		int prc = cpulist_parse(list, &m);
		free(list);
		if (!prc)
			for (int cpu = cpumask_next(&m, -1); cpu >= 0; cpu = cpumask_next(&m, cpu))
				if ((size_t)cpu < x->nslots)
					pol[cpu] = (int)p;
		cpumask_free(&m);
	}
	return 0;
}

static int map_cpus(struct ctl *x, char *why, size_t sz)
{
	unsigned max = 0;
	for (size_t i = 0; i < x->c->ncpu; i++) {
		uint64_t cpu;
		if (!parse_u64(x->c->cpu[i].target, &cpu) || cpu >= STEPWATCH_MAX_CPUS)
			return errmsg(why, sz, -EINVAL, "CPU %s: not a CPU the controller can watch (0..%d)",
				   x->c->cpu[i].target, STEPWATCH_MAX_CPUS - 1);
		if (cpu + 1 > max)
			max = (unsigned)cpu + 1;
	}
	x->nslots = max;
	x->knob_of = calloc(max ? max : 1, sizeof(*x->knob_of));
	x->drifted = calloc(max ? max : 1, sizeof(bool));
	x->failed = calloc(max ? max : 1, sizeof(bool));
	if (!x->knob_of || !x->drifted || !x->failed)
		return errmsg(why, sz, -ENOMEM, "out of memory");
	if (x->c->poll) {
		size_t n = max ? max : 1;
		x->poll = calloc(n, sizeof(*x->poll));
		x->want = calloc(n, sizeof(bool));
		x->busy = calloc(n, sizeof(bool));
		x->idle_share = calloc(n, sizeof(double));
		x->idle_prev = calloc(n, sizeof(uint64_t));
		x->poll_prev = calloc(n, sizeof(uint64_t));
		if (!x->poll || !x->want || !x->busy || !x->idle_share || !x->idle_prev ||
		    !x->poll_prev)
			return errmsg(why, sz, -ENOMEM, "out of memory");
		for (size_t cpu = 0; cpu < n; cpu++) {
			x->poll[cpu].cpu = (unsigned)cpu;
			x->poll[cpu].clock = (clockid_t)-1;
		}
	}
	for (size_t i = 0; i < x->c->ncpu; i++) {
		size_t cpu = strtoul(x->c->cpu[i].target, NULL, 10);
		x->knob_of[cpu] = &x->c->cpu[i];
		if (x->c->poll && x->c->poll_static)
			x->want[cpu] = true;
	}
	return 0;
}

static int setup_sm(struct ctl *x, char *why, size_t sz)
{
	int *pol = calloc(x->nslots ? x->nslots : 1, sizeof(*pol));
	if (!pol)
		return errmsg(why, sz, -ENOMEM, "out of memory");
	policies_of(x, pol);
	int rc = window_init(&x->sm, &x->c->params, x->nslots, 1, x->c->npolicy, &ops, x,
			     mono_ns());
	for (size_t cpu = 0; !rc && cpu < x->nslots; cpu++)
		if (x->knob_of[cpu])
			rc = window_cpu_setup(&x->sm, (unsigned)cpu, 0, pol[cpu]);
	free(pol);
	if (rc)
		errmsg(why, sz, 0, "window parameters: %s", strerror(-rc));
	return rc;
}

static int add_fd(struct ctl *x, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	return epoll_ctl(x->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int setup_fds(struct ctl *x, char *why, size_t sz)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	x->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	x->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	x->epfd = epoll_create1(EPOLL_CLOEXEC);
	x->rb = ring_buffer__new(bpf_map__fd(x->skel->maps.events), on_event, x, NULL);
	if (x->sfd < 0 || x->tfd < 0 || x->epfd < 0 || !x->rb)
		return errmsg(why, sz, -errno, "cannot set up the controller's descriptors: %s",
			   strerror(errno));
	if (x->c->pid > 0) {
		x->pidfd = (int)syscall(SYS_pidfd_open, x->c->pid, 0);
		if (x->pidfd < 0)
			return errmsg(why, sz, -errno, "agent process %d: %s", x->c->pid, strerror(errno));
	}
	int rc = add_fd(x, x->sfd);
	if (!rc)
		rc = add_fd(x, x->tfd);
	if (!rc)
		rc = add_fd(x, ring_buffer__epoll_fd(x->rb));
	if (!rc && x->pidfd >= 0)
		rc = add_fd(x, x->pidfd);
	if (!rc && x->c->poll) {
		/* Armed while a CPU wants a poll thread (poll_timer_update):
		 * from the start when static. */
		x->sample_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		rc = x->sample_tfd < 0 ? -errno : add_fd(x, x->sample_tfd);
		if (!rc) {
			poll_timer_update(x);
			if (poll_wanted(x) && !x->sampling)
				rc = -errno;
		}
	}
	if (rc)
		errmsg(why, sz, 0, "epoll: %s", strerror(-rc));
	return rc;
}

static int write_pidfile(const struct ctl *x, char *why, size_t sz)
{
	char line[64];
	uint64_t start = start_of(getpid());
	snprintf(line, sizeof(line), "%d %" PRIu64 "\n", (int)getpid(), start);
	int rc = start ? write_durable(x->dirfd, WINCTL_PIDFILE, line) : -ESRCH;
	if (rc)
		errmsg(why, sz, 0, "cannot write %s/%s: %s", x->c->run_dir, WINCTL_PIDFILE, strerror(-rc));
	return rc;
}

static int *fd_array(size_t n)
{
	int *v = malloc((n ? n : 1) * sizeof(*v));
	for (size_t i = 0; v && i < (n ? n : 1); i++)
		v[i] = -1;
	return v;
}

/* Every file the controller writes or reads while it runs, opened now,
 * while it may: the managed CPUs' pm_qos_resume_latency_us and online,
 * the policies' scaling_min_freq. */
static int open_knobs(struct ctl *x, char *why, size_t sz)
{
	char path[PATH_MAX];
	x->qos_fd = fd_array(x->nslots);
	x->online_fd = fd_array(x->nslots);
	x->floor_fd = fd_array(x->c->npolicy);
	if (!x->qos_fd || !x->online_fd || !x->floor_fd)
		return errmsg(why, sz, -ENOMEM, "out of memory");
	for (size_t cpu = 0; cpu < x->nslots; cpu++) {
		if (!x->knob_of[cpu])
			continue;
		knob_path(KNOB_PMQOS, x->knob_of[cpu]->target, path, sizeof(path));
		/* A poll writes no PM QoS value. */
		x->qos_fd[cpu] = x->c->poll ? -1 : open_knob(x->h, path, O_RDWR);
		if (!x->c->poll && x->qos_fd[cpu] < 0)
			return errmsg(why, sz, -errno, "cannot open %s: %s", path, strerror(errno));
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%zu/online", cpu);
		x->online_fd[cpu] = open_knob(x->h, path, O_RDONLY);
	}
	for (size_t p = 0; p < x->c->npolicy; p++) {
		knob_path(KNOB_CPUFREQ_MIN, x->c->policy[p].target, path, sizeof(path));
		x->floor_fd[p] = open_knob(x->h, path, O_RDWR);
		if (x->floor_fd[p] < 0)
			return errmsg(why, sz, -errno, "cannot open %s: %s", path, strerror(errno));
	}
	if (x->c->poll) {
		poll_autogroup_nice();
		/* RLIMIT_NICE 1 (nice 19): what lets pollthread_stop make a
		 * poll thread SCHED_OTHER again once privileges are gone. */
		struct rlimit rl;
		if (!getrlimit(RLIMIT_NICE, &rl) && rl.rlim_cur < 1) {
			rl.rlim_cur = 1;
			if (rl.rlim_max < 1)
				rl.rlim_max = 1;
			setrlimit(RLIMIT_NICE, &rl);
		}
		/* The idle time the poll rule samples (pollthread.h). */
		x->statfd = open_knob(x->h, "/proc/stat", O_RDONLY);
		x->hz = sysconf(_SC_CLK_TCK);
		x->min_idle_pct = min_idle_from_env();
		if (x->statfd < 0)
			return errmsg(why, sz, -errno, "cannot open /proc/stat (the poll threads' "
				      "idle rule needs it): %s", strerror(errno));
		poll_sample(x, mono_ns());
	}
	return 0;
}

/* window.json, created now (afterwards the controller cannot create files)
 * and rewritten in place through this descriptor. */
static int open_statefile(struct ctl *x, char *why, size_t sz)
{
	int fd = open_run_file(x->dirfd, WINCTL_STATEFILE, O_RDWR | O_CREAT | O_TRUNC);
	if (fd < 0)
		return errmsg(why, sz, fd, "cannot create %s/%s: %s", x->c->run_dir, WINCTL_STATEFILE,
			      fd == -EPERM ? "something other than a regular file is there" :
					     strerror(-fd));
	x->w.fd = fd;
	return 0;
}

/* The proof that it may act: the journal, read under the lock apply holds
 * (and handed down), names this controller -- its apply's
 * {window_controller: stopped -> running} is the latest record of the
 * controller.  Without it the controller would be one that revert cannot
 * know of. */
static int check_record(const struct ctl *x, char *why, size_t sz)
{
	struct journal j;
	memset(&j, 0, sizeof(j));
	j.lockfd = j.fd = -1;
	copy_str(j.dir, sizeof(j.dir), x->c->run_dir);
	j.dirfd = fcntl(x->dirfd, F_DUPFD_CLOEXEC, 0);
	int rc = j.dirfd < 0 ? errmsg(why, sz, -errno, "run directory: %s", strerror(errno))
			     : journal_load(&j, why, sz);
	bool found = false;
	for (size_t i = j.n; !rc && i-- > 0;) {
		const struct journal_entry *e = &j.e[i];
		if (e->ch.knob != KNOB_WINDOW)
			continue;
		found = e->apply == x->c->apply && !strcmp(e->ch.new, "running");
		break;
	}
	journal_close(&j);
	if (!rc && !found)
		rc = errmsg(why, sz, -ESTALE, "the journal in %s does not record this controller "
					      "(apply %u): not starting",
			    x->c->run_dir, x->c->apply);
	return rc;
}

/* After set-up the controller needs no privilege: it writes through the
 * descriptors opened above, reads mmapped BPF memory and its ring buffer.
 * As root it becomes nobody (65534) with no capability, an empty bounding
 * set, no supplementary groups; not dumpable (so the other processes of
 * that uid can neither ptrace it nor read its /proc files); and
 * PR_SET_NO_NEW_PRIVS, so nothing it could exec gains any.  Changing its
 * credentials also clears PR_SET_PDEATHSIG. */
static int drop_privileges(char *why, size_t sz)
{
	if (geteuid() == 0) {
		for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
			if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0))
				return errmsg(why, sz, -errno, "cannot drop capability %d: %s", cap,
					      strerror(errno));
		if (setgroups(0, NULL) || setresgid(WINCTL_UID, WINCTL_UID, WINCTL_UID) ||
		    setresuid(WINCTL_UID, WINCTL_UID, WINCTL_UID))
			return errmsg(why, sz, -errno, "cannot become uid %d: %s", WINCTL_UID,
				      strerror(errno));
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	}
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct none[2];
	memset(none, 0, sizeof(none));
	if (syscall(SYS_capset, &hdr, none) ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return errmsg(why, sz, -errno, "cannot drop capabilities: %s", strerror(errno));
	if (getuid() == 0 || geteuid() == 0 || getgid() == 0 || getegid() == 0)
		return errmsg(why, sz, -EPERM, "still uid or gid 0 after dropping privileges");
	return 0;
}

/* The controller runs off the CPUs it manages where there are others: its
 * own wakeups there would be what the agent's windows are for. */
static void keep_off_managed(const struct ctl *x)
{
	/* Sized from the possible CPUs, not CPU_SETSIZE (1024): a larger
	 * host would make sched_getaffinity fail with EINVAL. */
	int ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		return;
	size_t nbits = (size_t)ncpu > x->nslots ? (size_t)ncpu : x->nslots;
	cpu_set_t *off = CPU_ALLOC(nbits);
	size_t size = CPU_ALLOC_SIZE(nbits);
	if (!off)
		return;
	if (!sched_getaffinity(0, size, off)) {
		for (size_t cpu = 0; cpu < x->nslots; cpu++)
			if (x->knob_of[cpu])
				CPU_CLR_S(cpu, size, off);
		if (CPU_COUNT_S(size, off))
			sched_setaffinity(0, size, off);
	}
	CPU_FREE(off);
}

/* Everything up to the point where the controller may outlive apply:
 * attached, its files open, window.pid durable and its journal record
 * seen.  *pidfile tells whether window.pid was written (to remove on a
 * failure after it). */
static int setup(struct ctl *x, bool *pidfile, char *why, size_t sz)
{
	int rc = window_params_check(&x->c->params, why, sz);
	if (!rc)
		rc = map_cpus(x, why, sz);
	if (!rc)
		keep_off_managed(x);
	if (!rc && load_bpf(x, false, why, sz))
		rc = load_bpf(x, true, why, sz);
	if (!rc)
		rc = setup_sm(x, why, sz);
	if (!rc)
		rc = setup_fds(x, why, sz);
	if (!rc)
		rc = open_knobs(x, why, sz);
	if (!rc)
		rc = open_statefile(x, why, sz);
	if (!rc)
		rc = write_pidfile(x, why, sz);
	*pidfile = !rc;
	if (!rc)
		rc = check_record(x, why, sz);
	if (!rc)
		rc = drop_privileges(why, sz);
	return rc;
}

static void close_fds(int *fd, size_t n)
{
	for (size_t i = 0; fd && i < n; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	free(fd);
}

static void teardown(struct ctl *x)
{
	poll_stop_all(x);
	writer_stop(&x->w);
	if (x->w.fd >= 0)
		close(x->w.fd);
	ring_buffer__free(x->rb);
	stepwatch_bpf__destroy(x->skel);
	window_free(&x->sm);
	for (int *fd = &x->tfd; fd <= &x->epfd; fd++)
		if (*fd >= 0)
			close(*fd);
	close_fds(x->qos_fd, x->nslots);
	close_fds(x->online_fd, x->nslots);
	close_fds(x->floor_fd, x->c->npolicy);
	free(x->knob_of);
	free(x->drifted);
	free(x->failed);
	free(x->poll);
	free(x->want);
	free(x->busy);
	free(x->idle_share);
	free(x->idle_prev);
	free(x->poll_prev);
	if (x->statfd >= 0)
		close(x->statfd);
	if (x->sample_tfd >= 0)
		close(x->sample_tfd);
}

/* ---------- the loop ---------- */

static void arm_timer(struct ctl *x)
{
	uint64_t d = window_next_deadline(&x->sm);
	struct itimerspec its = { 0 };
	if (d) {
		its.it_value.tv_sec = (time_t)(d / 1000000000ull);
		its.it_value.tv_nsec = (long)(d % 1000000000ull);
	}
	timerfd_settime(x->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* The agent is gone: close everything and keep the BPF side quiet. */
static void agent_gone(struct ctl *x, uint64_t now)
{
	x->agent_exited = true;
	for (size_t cpu = 0; cpu < x->nslots; cpu++) {
		slot(x, (unsigned)cpu)->notify = 0;
		slot(x, (unsigned)cpu)->in_scope = 0;
	}
	window_close_all(&x->sm, now, false);
	poll_stop_all(x);
	epoll_ctl(x->epfd, EPOLL_CTL_DEL, x->pidfd, NULL);
	if (x->sample_tfd >= 0)
		epoll_ctl(x->epfd, EPOLL_CTL_DEL, x->sample_tfd, NULL);
	write_state(x, now);
}

/* Before the deadlines are served: a CPU that went offline closes (and is
 * re-armed, so that its first step once it is back opens a window). */
static void check_offline(struct ctl *x, uint64_t now)
{
	for (size_t cpu = 0; cpu < x->nslots; cpu++) {
		const struct window_cpu *w = &x->sm.cpu[cpu];
		if (w->state == WINDOW_OPEN && w->deadline <= now && !cpu_online(x, (unsigned)cpu))
			window_cpu_offline(&x->sm, (unsigned)cpu, now);
	}
}

/* Serves one ready descriptor; false when the controller must stop. */
static bool serve(struct ctl *x, int fd)
{
	uint64_t now = mono_ns();
	if (fd == x->sfd) {
		struct signalfd_siginfo si;
		return read(x->sfd, &si, sizeof(si)) != (ssize_t)sizeof(si);
	}
	if (fd == x->tfd) {
		uint64_t n;
		if (read(x->tfd, &n, sizeof(n)) < 0 && errno == EAGAIN)
			return true;
		check_offline(x, now);
		window_tick(&x->sm, now);
	} else if (fd == x->pidfd) {
		agent_gone(x, now);
	} else if (fd == x->sample_tfd) {
		uint64_t n;
		if (read(x->sample_tfd, &n, sizeof(n)) < 0 && errno == EAGAIN)
			return true;
		poll_sample(x, now);
	} else {
		ring_buffer__consume(x->rb);
	}
	maybe_write_state(x, mono_ns());
	return true;
}

static void loop(struct ctl *x)
{
	for (;;) {
		arm_timer(x);
		struct epoll_event ev[5];
		int n = epoll_wait(x->epfd, ev, 5, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;
		x->wakeups++;
		for (int i = 0; i < n; i++)
			if (!serve(x, ev[i].data.fd))
				return;
	}
}

static void report(int fd, const char *fmt, const char *why)
{
	if (fd < 0)
		return;
	dprintf(fd, fmt, why);
	close(fd);
}

int winctl_run(const struct host *h, const struct winctl_config *c, int ready_fd)
{
	struct ctl x = { .h = h, .c = c, .tfd = -1, .sfd = -1, .pidfd = -1, .epfd = -1,
			 .dirfd = c->run_dirfd, .w = { .fd = -1 }, .statfd = -1, .sample_tfd = -1 };
	char why[512] = "";
	int own_dirfd = -1;
	bool pidfile = false;
	x.started_wall = wall_s();
	x.fault_at = fault_from_env();
	ctllog_open();
	if (x.dirfd < 0)
		x.dirfd = own_dirfd = open_run_dir(c->run_dir);
	int rc = x.dirfd < 0 ? errmsg(why, sizeof(why), x.dirfd, "cannot open %s: %s", c->run_dir,
				      strerror(-x.dirfd))
			     : setup(&x, &pidfile, why, sizeof(why));
	if (!rc && writer_start(&x.w))
		rc = errmsg(why, sizeof(why), -EAGAIN, "cannot start the state writer thread");
	if (rc) {
		ctllog(LOG_ERR, "not started: %s", why);
		if (pidfile)
			unlinkat(x.dirfd, WINCTL_PIDFILE, 0);
		report(ready_fd, "error: %s\n", why);
		teardown(&x);
		ctllog_close();
		return 1;
	}
	/* Findable (window.pid) and journaled: from here it outlives apply,
	 * whose lock it no longer needs to hold. */
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	write_state(&x, mono_ns());
	ctllog(LOG_INFO, "started: agent pid %d, %zu CPUs, window %" PRIu64 " ms, budget %"
	       PRId64 " tokens (refill %" PRId64 "/s, %" PRId64 " per window)%s", x.c->pid,
	       x.c->ncpu, x.c->params.window_ns / 1000000, x.c->params.budget_tokens,
	       x.c->params.refill_per_s, x.c->params.cost_per_window,
	       !x.c->poll ? "" : x.c->poll_static ? "; method poll, static" : "; method poll");
	report(ready_fd, "%s\n", "ok");
	loop(&x);
	window_close_all(&x.sm, mono_ns(), false);
	poll_stop_all(&x);
	write_state(&x, mono_ns());
	struct window_totals t;
	window_totals(&x.sm, &t);
	ctllog(LOG_INFO, "stopped: windows opened %" PRIu64 ", extended %" PRIu64 ", denied %"
	       PRIu64 "%s", t.opened, t.extended, t.denied,
	       x.agent_exited ? " (the agent had exited)" : "");
	teardown(&x);
	ctllog_close();
	if (own_dirfd >= 0)
		close(own_dirfd);
	return 0;
}

/* ---------- starting ---------- */

/* In the child: its own session, stdio on /dev/null, and of the parent's
 * descriptors only the ready pipe (3), the run directory (4) and, while it
 * starts, the journal's lock (5): the lock apply holds, shared, so that no
 * revert can run until the controller is findable or dead. */
static void become_daemon(int ready, int dirfd, int lockfd)
{
	setsid();
	if (chdir("/"))
		_exit(1);
	int r = fcntl(ready, F_DUPFD_CLOEXEC, 10), d = fcntl(dirfd, F_DUPFD_CLOEXEC, 10);
	int l = lockfd >= 0 ? fcntl(lockfd, F_DUPFD_CLOEXEC, 10) : -1;
	if (r < 0 || d < 0 || (lockfd >= 0 && l < 0))
		_exit(1);
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	if (dup2(r, 3) < 0 || dup2(d, 4) < 0 || (l >= 0 && dup2(l, 5) < 0))
		_exit(1);
	syscall(SYS_close_range, l >= 0 ? 6u : 5u, ~0u, 0u);
	libbpf_set_print(NULL);
}

/* Reads the child's one line.  0 for "ok". */
static int wait_ready(int fd, pid_t child, char *why, size_t sz)
{
	char buf[600] = "";
	size_t n = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	while (n < sizeof(buf) - 1 && poll(&p, 1, READY_TIMEOUT_MS) > 0) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(buf, '\n', n))
			break;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (!strcmp(buf, "ok"))
		return 0;
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	if (!strncmp(buf, "error: ", 7))
		errmsg(why, sz, 0, "window controller: %s", buf + 7);
	else
		errmsg(why, sz, 0, "window controller: exited before it was ready");
	return -EIO;
}

/* The child until it runs winctl_run: it dies with the apply that forks it
 * (PR_SET_PDEATHSIG, which fires when the forking thread exits; apply is
 * single-threaded) until winctl_run has made it findable. */
static void child_main(const struct host *h, const struct winctl_config *c, pid_t parent,
		       int ready_r, int ready_w, int dirfd)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) || getppid() != parent)
		_exit(1);   /* apply died before the signal was armed */
	close(ready_r);
	become_daemon(ready_w, dirfd, c->lock_fd);
	struct winctl_config own_c = *c;
	own_c.run_dirfd = 4;
	own_c.lock_fd = c->lock_fd >= 0 ? 5 : -1;
	/* The parent's host descriptor did not survive the close above. */
	struct host own;
	if (host_open(&own, h->root)) {
		report(3, "error: %s\n", "cannot open the host root");
		_exit(1);
	}
	_exit(winctl_run(&own, &own_c, 3));
}

int winctl_start(const struct host *h, const struct winctl_config *c, char *why, size_t sz)
{
	int pid, own_dirfd = -1, dirfd = c->run_dirfd;
	if (dirfd < 0) {
		dirfd = own_dirfd = open_run_dir(c->run_dir);
		if (dirfd < 0)
			return errmsg(why, sz, dirfd, "run directory %s: %s", c->run_dir,
				      strerror(-dirfd));
	}
	int rc = 0;
	if (!strcmp(winctl_state_at(dirfd, &pid), "running"))
		rc = errmsg(why, sz, -EEXIST, "a window controller is already running (pid %d)", pid);
	if (!rc)
		rc = window_params_check(&c->params, why, sz);
	if (!rc && c->pid > 0 && kill(c->pid, 0) && errno == ESRCH)
		rc = errmsg(why, sz, -ESRCH, "agent process %d does not exist", c->pid);
	int fds[2];
	if (!rc && pipe2(fds, O_CLOEXEC))
		rc = errmsg(why, sz, -errno, "pipe: %s", strerror(errno));
	if (rc) {
		if (own_dirfd >= 0)
			close(own_dirfd);
		return rc;
	}
	fflush(NULL);
	pid_t parent = getpid();
	pid_t child = fork();
	if (child == 0)
		child_main(h, c, parent, fds[0], fds[1], dirfd);
	if (child < 0)
		rc = errmsg(why, sz, -errno, "fork: %s", strerror(errno));
	close(fds[1]);
	if (!rc)
		rc = wait_ready(fds[0], child, why, sz);
	close(fds[0]);
	if (own_dirfd >= 0)
		close(own_dirfd);
	return rc;
}

/* ---------- reading the state file ---------- */

static int64_t get_i(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

static double get_d(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_double(v) : 0;
}

/* The shares as of now: the time since the last update counts as it was
 * then (a window open then is open still, closed ones stay closed). */
static double share_now(double share, double uptime, double since, const char *state)
{
	double total = uptime + (since > 0 ? since : 0);
	if (total <= 0)
		return 0;
	double open = share * uptime + (!strcmp(state, "open") && since > 0 ? since : 0);
	return open / total;
}

static int read_cpus(json_object *arr, struct winctl_status *st, double since)
{
	size_t n = json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
	st->cpu = calloc(n ? n : 1, sizeof(*st->cpu));
	if (!st->cpu)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i), *v;
		struct winctl_cpu_status *c = &st->cpu[st->ncpu++];
		c->cpu = (unsigned)get_i(o, "cpu");
		if (json_object_object_get_ex(o, "state", &v))
			copy_str(c->state, sizeof(c->state), json_object_get_string(v));
		c->open_share = share_now(get_d(o, "open_share"), st->uptime_s, since, c->state);
		c->opened = (uint64_t)get_i(o, "opened");
		c->extended = (uint64_t)get_i(o, "extended");
		c->denied = (uint64_t)get_i(o, "denied");
		c->steps = (uint64_t)get_i(o, "steps");
		c->poll_thread = json_object_object_get_ex(o, "poll_thread", &v) &&
				 json_object_get_boolean(v);
		c->busy = json_object_object_get_ex(o, "busy", &v) && json_object_get_boolean(v);
		c->idle_share = get_d(o, "idle_share");
		c->poll_cpu_s = get_d(o, "poll_cpu_s");
	}
	return 0;
}

/* window.json parsed: 0, -ENOENT (absent), -EAGAIN (caught half
 * written), -EINVAL / -EFBIG / -EPERM with why. */
static int parse_statefile(int dirfd, const char *path, json_object **out, char *why, size_t sz)
{
	*out = NULL;
	int fd = open_run_file(dirfd, WINCTL_STATEFILE, O_RDONLY);
	if (fd == -ENOENT)
		return -ENOENT;
	if (fd < 0)
		return errmsg(why, sz, fd, "%s: %s", path,
			      fd == -EPERM ? "not a regular file: refusing it" : strerror(-fd));
	char *buf = NULL;
	size_t len = 0;
	int rc = fd_read_whole(fd, STATEFILE_MAX, &buf, &len);
	close(fd);
	if (rc)
		return errmsg(why, sz, rc, "%s: %s", path,
			      rc == -EFBIG ? "larger than any state the controller writes" :
					     strerror(-rc));
	json_object *o = json_tokener_parse(buf);
	free(buf);
	if (!o)
		return errmsg(why, sz, -EAGAIN, "%s: not valid JSON", path);
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return errmsg(why, sz, -EINVAL, "%s: not a JSON object", path);
	}
	json_object *a, *b;
	if (json_object_object_get_ex(o, "seq", &a) && json_object_object_get_ex(o, "seq_end", &b) &&
	    json_object_get_int64(a) != json_object_get_int64(b)) {
		json_object_put(o);
		return errmsg(why, sz, -EAGAIN, "%s: caught half written", path);
	}
	*out = o;
	return 0;
}

int winctl_status_read_at(int dirfd, const char *run_dir, struct winctl_status *st, char *why,
			  size_t sz)
{
	memset(st, 0, sizeof(*st));
	if (dirfd < 0)
		return 0;
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", run_dir, WINCTL_STATEFILE);
	json_object *o = NULL;
	/* The controller rewrites it in place: a read that catches it
	 * half written is made again. */
	int rc = -EAGAIN;
	for (int i = 0; rc == -EAGAIN && i < TORN_RETRIES; i++) {
		if (i)
			usleep(2000);
		rc = parse_statefile(dirfd, path, &o, why, sz);
	}
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc == -EAGAIN ? -EINVAL : rc;
	st->present = true;
	st->pid = (int)get_i(o, "pid");
	st->agent = (int)get_i(o, "agent");
	st->apply = (unsigned)get_i(o, "apply");
	json_object *v;
	st->agent_exited = json_object_object_get_ex(o, "agent_exited", &v) &&
			   json_object_get_boolean(v);
	st->started = (int64_t)get_d(o, "started");
	double updated = get_d(o, "updated"), since = wall_s() - updated;
	st->updated = (int64_t)updated;
	st->uptime_s = get_d(o, "uptime_s");
	st->window_ms = (uint64_t)get_i(o, "window_ms");
	st->tokens = get_i(o, "tokens");
	st->budget_tokens = get_i(o, "budget_tokens");
	st->refill_per_s = get_i(o, "refill_per_s");
	st->cost_per_window = get_i(o, "cost_per_window");
	st->opened = (uint64_t)get_i(o, "opened");
	st->extended = (uint64_t)get_i(o, "extended");
	st->denied = (uint64_t)get_i(o, "denied");
	st->wakeups = (uint64_t)get_i(o, "wakeups");
	/* An older controller's file has no method: it was qos. */
	copy_str(st->method, sizeof(st->method), "qos");
	if (json_object_object_get_ex(o, "method", &v) && json_object_is_type(v, json_type_string))
		copy_str(st->method, sizeof(st->method), json_object_get_string(v));
	st->poll_static = json_object_object_get_ex(o, "poll", &v) &&
			  json_object_is_type(v, json_type_string) &&
			  !strcmp(json_object_get_string(v), "static");
	st->poll_cpu_s = get_d(o, "poll_cpu_s");
	int pid;
	st->running = !strcmp(winctl_state_at(dirfd, &pid), "running") && pid == st->pid;
	/* A dead controller's figures stop where it wrote them last. */
	if (!st->running)
		since = 0;
	rc = json_object_object_get_ex(o, "cpus", &v) ? read_cpus(v, st, since) : 0;
	st->uptime_s += since > 0 ? since : 0;
	json_object_put(o);
	return rc;
}

int winctl_status_read(const char *run_dir, struct winctl_status *st, char *why, size_t sz)
{
	int dirfd = open_run_dir(run_dir);
	int rc = winctl_status_read_at(dirfd, run_dir, st, why, sz);
	if (dirfd >= 0)
		close(dirfd);
	return rc;
}

void winctl_status_free(struct winctl_status *st)
{
	free(st->cpu);
	memset(st, 0, sizeof(*st));
}
