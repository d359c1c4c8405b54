/* Tests of the window controller's files (winctl.c) without running it:
 * window.json read back (fields, the share correction for the time since
 * its last update, malformed files), window.pid (what counts as a live
 * controller), stopping one (a child of ours standing in for it) and the
 * refusals winctl_start gives before it forks.  Every test works in a
 * scratch run directory, never in /run/agentune. */
#include "testutil.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "tune/winctl.h"

struct ctx {
	char *run;                /* the run directory */
	char why[TEST_MSG];
	pid_t child;              /* a stand-in controller, killed by teardown */
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return -1;
	c->run = tree_new("winctl");
	chmod(c->run, 0700);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	if (c->child > 0) {
		kill(c->child, SIGKILL);
		waitpid(c->child, NULL, 0);
	}
	int rc = tree_free(c->run);
	free(c);
	return rc;
}

static bool run_has(const struct ctx *c, const char *name)
{
	char p[TEST_PATH];
	struct stat st;
	tpathf(p, "%s/%s", c->run, name);
	return lstat(p, &st) == 0;
}

static void put(const struct ctx *c, const char *name, const char *text)
{
	tree_put(c->run, name, text);
}

static void put_pidfile(const struct ctx *c, int pid, unsigned long long start)
{
	char line[64];
	snprintf(line, sizeof(line), "%d %llu\n", pid, start);
	put(c, WINCTL_PIDFILE, line);
}

/* A child of ours that sleeps until signalled, as the controller in
 * window.pid. */
static void stand_in(struct ctx *c)
{
	c->child = stand_in_controller(c->run);
}

/* A pid that was a process a moment ago and is gone. */
static int dead_pid(void)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return pid;
}

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void assert_close(double got, double want, double tol)
{
	if (!(got >= want - tol && got <= want + tol))
		fail_msg("got %.9g, want %.9g (+-%g)", got, want, tol);
}

/* The state file as the controller writes it (one line, its field order),
 * updated `ago` seconds before now. */
static void put_state(const struct ctx *c, int pid, double ago, double uptime,
		      const char *cpus)
{
	char text[4096];
	double now = wall_now();
	snprintf(text, sizeof(text),
		 "{\"pid\":%d,\"apply\":3,\"agent\":4242,\"agent_exited\":true,"
		 "\"started\":%.6f,\"updated\":%.6f,\"uptime_s\":%.6f,\"window_ms\":20,"
		 "\"budget_tokens\":1000,\"refill_per_s\":30,\"cost_per_window\":2,"
		 "\"tokens\":977,\"opened\":12,\"extended\":340,\"denied\":1,\"wakeups\":401,"
		 "\"cpus\":%s}\n",
		 pid, now - ago - uptime, now - ago, uptime, cpus);
	put(c, WINCTL_STATEFILE, text);
}

#define CPUS2                                                                                   \
	"[{\"cpu\":2,\"state\":\"open\",\"open_share\":0.5,\"opened\":7,\"extended\":300,"      \
	"\"denied\":1,\"steps\":90000},"                                                        \
	"{\"cpu\":3,\"state\":\"closed\",\"open_share\":0.5,\"opened\":5,\"extended\":40,"      \
	"\"denied\":0,\"steps\":1200}]"

/* ---------- window.json ---------- */

static void test_status_absent(void **state)
{
	struct ctx *c = *state;
	struct winctl_status st;
	memset(&st, 0x5a, sizeof(st));
	assert_int_equal(winctl_status_read(c->run, &st, c->why, sizeof(c->why)), 0);
	assert_false(st.present);
	assert_false(st.running);
	assert_int_equal(st.ncpu, 0);
	assert_int_equal(st.pid, 0);
	assert_int_equal(st.opened, 0);
	winctl_status_free(&st);
	/* Nor is a run directory that does not exist an error. */
	char absent[TEST_PATH];
	tpathf(absent, "%s/no/such/dir", c->run);
	assert_int_equal(winctl_status_read(absent, &st, c->why, sizeof(c->why)), 0);
	assert_false(st.present);
	winctl_status_free(&st);
}

static void test_status_malformed(void **state)
{
	struct ctx *c = *state;
	static const struct {
		const char *text, *what;
	} bad[] = {
		{ "{\"pid\":12,", "not valid JSON" },
		{ "pid 12\n", "not valid JSON" },
		{ "", "not valid JSON" },
		{ "[1,2]\n", "not a JSON object" },
		{ "\"running\"\n", "not a JSON object" },
	};
	char path[TEST_PATH];
	tpathf(path, "%s/window.json", c->run);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		put(c, WINCTL_STATEFILE, bad[i].text);
		struct winctl_status st;
		c->why[0] = '\0';
		int rc = winctl_status_read(c->run, &st, c->why, sizeof(c->why));
		char want[TEST_MSG];
		tpathf(want, "%s: %s", path, bad[i].what);
		if (rc != -EINVAL || strcmp(c->why, want))
			fprintf(stderr, "case %zu: rc %d why \"%s\"\n", i, rc, c->why);
		assert_int_equal(rc, -EINVAL);
		assert_string_equal(c->why, want);
		assert_int_equal(st.ncpu, 0);
		assert_null(st.cpu);
		winctl_status_free(&st);
	}
}

/* Every field back; the pid in it is no controller (no window.pid). */
static void test_status_fields(void **state)
{
	struct ctx *c = *state;
	put_state(c, getpid(), 0, 100, CPUS2);
	struct winctl_status st;
	assert_int_equal(winctl_status_read(c->run, &st, c->why, sizeof(c->why)), 0);
	assert_true(st.present);
	assert_false(st.running);
	assert_int_equal(st.pid, getpid());
	assert_int_equal(st.apply, 3);
	assert_int_equal(st.agent, 4242);
	assert_true(st.agent_exited);
	int64_t now = (int64_t)wall_now();
	assert_true(st.updated >= now - 2 && st.updated <= now);
	assert_true(st.started >= now - 102 && st.started <= now - 99);
	/* Not running: the uptime is the file's. */
	assert_close(st.uptime_s, 100, 1e-9);
	assert_int_equal(st.window_ms, 20);
	assert_int_equal(st.budget_tokens, 1000);
	assert_int_equal(st.refill_per_s, 30);
	assert_int_equal(st.cost_per_window, 2);
	assert_int_equal(st.tokens, 977);
	assert_int_equal(st.opened, 12);
	assert_int_equal(st.extended, 340);
	assert_int_equal(st.denied, 1);
	assert_int_equal(st.wakeups, 401);
	assert_int_equal(st.ncpu, 2);
	assert_int_equal(st.cpu[0].cpu, 2);
	assert_string_equal(st.cpu[0].state, "open");
	assert_int_equal(st.cpu[0].opened, 7);
	assert_int_equal(st.cpu[0].extended, 300);
	assert_int_equal(st.cpu[0].denied, 1);
	assert_int_equal(st.cpu[0].steps, 90000);
	assert_int_equal(st.cpu[1].cpu, 3);
	assert_string_equal(st.cpu[1].state, "closed");
	assert_int_equal(st.cpu[1].opened, 5);
	assert_int_equal(st.cpu[1].steps, 1200);
	/* Written just now: the shares as they were. */
	assert_close(st.cpu[0].open_share, 0.5, 1e-3);
	assert_close(st.cpu[1].open_share, 0.5, 1e-3);
	winctl_status_free(&st);
	assert_null(st.cpu);
	assert_int_equal(st.ncpu, 0);
	assert_false(st.present);
}

/* The time since "updated" counts as it was then: an open window has been
 * open since, a closed one closed (share_now). */
static void test_status_share_since_update(void **state)
{
	struct ctx *c = *state;
	/* A live controller updated 100 s ago after 100 s of uptime with half
	 * of it open: open (0.5*100 + 100) / 200 = 0.75, closed 0.5*100 / 200. */
	stand_in(c);
	put_state(c, c->child, 100, 100, CPUS2);
	struct winctl_status st;
	assert_int_equal(winctl_status_read(c->run, &st, c->why, sizeof(c->why)), 0);
	assert_int_equal(st.ncpu, 2);
	assert_close(st.cpu[0].open_share, 0.75, 1e-3);
	assert_close(st.cpu[1].open_share, 0.25, 1e-3);
	assert_close(st.uptime_s, 200, 1e-2);
	winctl_status_free(&st);

	/* 300 s ago after 100 s, a quarter open: open (25 + 300) / 400,
	 * closed 25 / 400; a third state (budget) counts as closed. */
	put_state(c, c->child, 300, 100,
		  "[{\"cpu\":0,\"state\":\"open\",\"open_share\":0.25},"
		  "{\"cpu\":1,\"state\":\"closed\",\"open_share\":0.25},"
		  "{\"cpu\":5,\"state\":\"budget\",\"open_share\":0.25}]");
	assert_int_equal(winctl_status_read(c->run, &st, c->why, sizeof(c->why)), 0);
	assert_int_equal(st.ncpu, 3);
	assert_close(st.cpu[0].open_share, 325.0 / 400, 1e-3);
	assert_close(st.cpu[1].open_share, 25.0 / 400, 1e-3);
	assert_close(st.cpu[2].open_share, 25.0 / 400, 1e-3);
	assert_int_equal(st.cpu[2].cpu, 5);
	assert_string_equal(st.cpu[2].state, "budget");
	winctl_status_free(&st);

	/* A controller that is not running: its figures as it wrote them. */
	put_state(c, getpid(), 100, 100, CPUS2);
	assert_int_equal(winctl_status_read(c->run, &st, c->why, sizeof(c->why)), 0);
	assert_false(st.running);
	assert_close(st.cpu[0].open_share, 0.5, 1e-9);
	assert_close(st.uptime_s, 100, 1e-9);
	winctl_status_free(&st);

	/* An "updated" in the future (a clock set back) adds nothing. */
	put_state(c, c->child, -1000, 100, CPUS2);
	assert_int_equal(winctl_status_read(c->run, &st, c->why, sizeof(c->why)), 0);
	assert_close(st.cpu[0].open_share, 0.5, 1e-9);
	assert_close(st.cpu[1].open_share, 0.5, 1e-9);
	winctl_status_free(&st);

	/* No uptime and no time since: 0, not a division by zero. */
	put_state(c, getpid(), -1000, 0, CPUS2);
	assert_int_equal(winctl_status_read(c->run, &st, c->why, sizeof(c->why)), 0);
	assert_close(st.cpu[0].open_share, 0, 0);
	assert_close(st.cpu[1].open_share, 0, 0);
	winctl_status_free(&st);
}

/* With window.pid naming the file's pid as a live process: running, and
 * the uptime runs on to now. */
static void test_status_running(void **state)
{
	struct ctx *c = *state;
	stand_in(c);
	put_state(c, c->child, 50, 100, CPUS2);
	struct winctl_status st;
	assert_int_equal(winctl_status_read(c->run, &st, c->why, sizeof(c->why)), 0);
	assert_true(st.running);
	assert_int_equal(st.pid, c->child);
	assert_close(st.uptime_s, 150, 1e-2);
	/* open (50 + 50) / 150, closed 50 / 150 */
	assert_close(st.cpu[0].open_share, 100.0 / 150, 1e-3);
	assert_close(st.cpu[1].open_share, 50.0 / 150, 1e-3);
	winctl_status_free(&st);

	/* The file names another pid than window.pid: not that controller's. */
	put_state(c, c->child + 1, 50, 100, CPUS2);
	assert_int_equal(winctl_status_read(c->run, &st, c->why, sizeof(c->why)), 0);
	assert_false(st.running);
	assert_close(st.uptime_s, 100, 1e-9);
	winctl_status_free(&st);
}

/* Odd but valid JSON: missing fields are 0, "cpus" not an array is none,
 * a long state is cut to fit. */
static void test_status_sparse(void **state)
{
	struct ctx *c = *state;
	put(c, WINCTL_STATEFILE,
	    "{\"pid\":5,\"cpus\":{\"cpu\":1},\"future_field\":[1,2,3]}");
	struct winctl_status st;
	assert_int_equal(winctl_status_read(c->run, &st, c->why, sizeof(c->why)), 0);
	assert_true(st.present);
	assert_int_equal(st.pid, 5);
	assert_int_equal(st.ncpu, 0);
	assert_int_equal(st.window_ms, 0);
	assert_false(st.agent_exited);
	winctl_status_free(&st);

	put(c, WINCTL_STATEFILE,
	    "{\"cpus\":[{\"cpu\":9,\"state\":\"a-state-name-far-too-long\"},7,{}]}");
	assert_int_equal(winctl_status_read(c->run, &st, c->why, sizeof(c->why)), 0);
	assert_int_equal(st.ncpu, 3);
	assert_int_equal(st.cpu[0].cpu, 9);
	assert_string_equal(st.cpu[0].state, "a-state-name-fa");
	assert_int_equal(st.cpu[1].cpu, 0);
	assert_string_equal(st.cpu[1].state, "");
	assert_string_equal(st.cpu[2].state, "");
	winctl_status_free(&st);
}

/* Issue 15 (defect 8): the run directory's files are read through its
 * descriptor, never through a symlink, and with a size cap. */
static void test_files_not_followed(void **state)
{
	struct ctx *c = *state;
	char p[TEST_PATH], target[TEST_PATH];
	/* A valid state file and a pid file naming a live process elsewhere,
	 * reached through links planted in the run directory. */
	stand_in(c);
	put_state(c, c->child, 0, 10, CPUS2);
	tpathf(p, "%s/%s", c->run, WINCTL_STATEFILE);
	tpathf(target, "%s/elsewhere.json", c->run);
	assert_int_equal(rename(p, target), 0);
	assert_int_equal(symlink(target, p), 0);
	struct winctl_status st;
	assert_int_equal(winctl_status_read(c->run, &st, c->why, sizeof(c->why)), -EPERM);
	char want[TEST_MSG];
	tpathf(want, "%s: not a regular file: refusing it", p);
	assert_string_equal(c->why, want);
	assert_false(st.present);
	winctl_status_free(&st);

	tpathf(p, "%s/%s", c->run, WINCTL_PIDFILE);
	tpathf(target, "%s/elsewhere.pid", c->run);
	assert_int_equal(rename(p, target), 0);
	assert_int_equal(symlink(target, p), 0);
	int pid;
	assert_string_equal(winctl_state(c->run, &pid), "stopped");
	assert_int_equal(pid, -1);
	/* stopping does not follow it either: the link goes, the live
	 * process named behind it stays */
	assert_int_equal(winctl_stop(c->run, c->why, sizeof(c->why)), 0);
	assert_false(run_has(c, WINCTL_PIDFILE));
	assert_int_equal(kill(c->child, 0), 0);
	assert_true(run_has(c, "elsewhere.pid"));

	/* The run directory itself a symlink: nothing read through it. */
	char link[TEST_PATH];
	tpathf(link, "%s-link", c->run);
	assert_int_equal(symlink(c->run, link), 0);
	tpathf(p, "%s/%s", c->run, WINCTL_PIDFILE);
	assert_int_equal(rename(target, p), 0);
	assert_string_equal(winctl_state(c->run, &pid), "running");
	assert_string_equal(winctl_state(link, &pid), "stopped");
	assert_int_equal(unlink(link), 0);
}

static void test_files_capped(void **state)
{
	struct ctx *c = *state;
	/* A state file bigger than any the controller writes: refused, not
	 * read into memory. */
	size_t big = 5u << 20;
	char *text = malloc(big + 1);
	assert_non_null(text);
	memset(text, ' ', big);
	text[0] = '{';
	text[big - 2] = '}';
	text[big - 1] = '\n';
	text[big] = '\0';
	put(c, WINCTL_STATEFILE, text);
	free(text);
	struct winctl_status st;
	assert_int_equal(winctl_status_read(c->run, &st, c->why, sizeof(c->why)), -EFBIG);
	assert_non_null(strstr(c->why, "larger than any state the controller writes"));
	winctl_status_free(&st);
	/* A pid file with a live pid after a long run of blanks: not read. */
	char line[256];
	memset(line, ' ', sizeof(line));
	snprintf(line + 150, sizeof(line) - 150, "%d %llu\n", (int)getpid(),
		 starttime_of(getpid()));
	put(c, WINCTL_PIDFILE, line);
	assert_string_equal(winctl_state(c->run, NULL), "stopped");
}

/* A state file caught half written (seq and seq_end differ) is read again,
 * then refused; a whole one is read. */
static void test_status_torn(void **state)
{
	struct ctx *c = *state;
	put(c, WINCTL_STATEFILE, "{\"seq\":8,\"pid\":5,\"opened\":3,\"seq_end\":7}\n");
	struct winctl_status st;
	assert_int_equal(winctl_status_read(c->run, &st, c->why, sizeof(c->why)), -EINVAL);
	assert_non_null(strstr(c->why, "window.json: caught half written"));
	assert_false(st.present);
	winctl_status_free(&st);
	put(c, WINCTL_STATEFILE, "{\"seq\":8,\"pid\":5,\"opened\":3,\"seq_end\":8}\n");
	assert_int_equal(winctl_status_read(c->run, &st, c->why, sizeof(c->why)), 0);
	assert_true(st.present);
	assert_int_equal(st.opened, 3);
	winctl_status_free(&st);
}

/* ---------- window.pid ---------- */

static void test_state(void **state)
{
	struct ctx *c = *state;
	int pid = 77;
	assert_string_equal(winctl_state(c->run, &pid), "stopped");
	assert_int_equal(pid, -1);
	assert_string_equal(winctl_state(NULL, &pid), "stopped");
	assert_string_equal(winctl_state(c->run, NULL), "stopped");

	static const char *const garbage[] = {
		"", "\n", "garbage\n", "12\n", "-5 100\n", "0 100\n", "abc 100\n", "\x01\x02\x03",
	};
	for (size_t i = 0; i < ARRAY_SIZE(garbage); i++) {
		put(c, WINCTL_PIDFILE, garbage[i]);
		pid = 77;
		assert_string_equal(winctl_state(c->run, &pid), "stopped");
		assert_int_equal(pid, -1);
	}
	/* Gone, or recycled (another starttime), or no starttime at all. */
	put_pidfile(c, dead_pid(), 12345);
	assert_string_equal(winctl_state(c->run, &pid), "stopped");
	unsigned long long me = starttime_of(getpid());
	assert_true(me > 0);
	put_pidfile(c, getpid(), me + 1);
	assert_string_equal(winctl_state(c->run, &pid), "stopped");
	assert_int_equal(pid, -1);
	put_pidfile(c, getpid(), 0);
	assert_string_equal(winctl_state(c->run, &pid), "stopped");
	/* A live process with its own starttime: running, with its pid. */
	put_pidfile(c, getpid(), me);
	assert_string_equal(winctl_state(c->run, &pid), "running");
	assert_int_equal(pid, getpid());
	/* A zombie is not running. */
	stand_in(c);
	kill(c->child, SIGKILL);
	siginfo_t si;
	assert_int_equal(waitid(P_PID, (id_t)c->child, &si, WEXITED | WNOWAIT), 0);
	assert_string_equal(winctl_state(c->run, &pid), "stopped");
	assert_int_equal(waitpid(c->child, NULL, 0), c->child);
	c->child = 0;
}

/* ---------- stopping ---------- */

static void test_stop_none(void **state)
{
	struct ctx *c = *state;
	/* Nothing at all. */
	assert_int_equal(winctl_stop(c->run, c->why, sizeof(c->why)), 0);
	/* A garbage pid file and a state file: both go, nothing else does. */
	put(c, WINCTL_PIDFILE, "garbage\n");
	put(c, WINCTL_STATEFILE, "{\"pid\":1}\n");
	put(c, "journal", "");
	assert_int_equal(winctl_stop(c->run, c->why, sizeof(c->why)), 0);
	assert_false(run_has(c, WINCTL_PIDFILE));
	assert_false(run_has(c, WINCTL_STATEFILE));
	assert_true(run_has(c, "journal"));
	/* A stale one (killed controller). */
	put_pidfile(c, dead_pid(), 999);
	put(c, WINCTL_STATEFILE, "{\"pid\":1}\n");
	assert_int_equal(winctl_stop(c->run, c->why, sizeof(c->why)), 0);
	assert_false(run_has(c, WINCTL_PIDFILE));
	assert_false(run_has(c, WINCTL_STATEFILE));
}

static void test_stop_live(void **state)
{
	struct ctx *c = *state;
	stand_in(c);
	put(c, WINCTL_STATEFILE, "{\"pid\":1}\n");
	int pid;
	assert_string_equal(winctl_state(c->run, &pid), "running");
	assert_int_equal(pid, c->child);
	double t0 = mono_s();
	assert_int_equal(winctl_stop(c->run, c->why, sizeof(c->why)), 0);
	assert_true(mono_s() - t0 < 3.0);
	/* Gone and reaped (it is our child: winctl_stop waited for it). */
	errno = 0;
	assert_int_equal(kill(c->child, 0), -1);
	assert_int_equal(errno, ESRCH);
	c->child = 0;
	assert_false(run_has(c, WINCTL_PIDFILE));
	assert_false(run_has(c, WINCTL_STATEFILE));
	assert_string_equal(winctl_state(c->run, &pid), "stopped");
}

/* One that ignores SIGTERM is killed after the 3 s grace, and reaped. */
static void test_stop_stubborn(void **state)
{
	struct ctx *c = *state;
	c->child = fork();
	assert_true(c->child >= 0);
	if (c->child == 0) {
		signal(SIGTERM, SIG_IGN);
		for (;;)
			pause();
	}
	/* Until the child has set SIG_IGN a SIGTERM would kill it: wait. */
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)c->child);
	for (int i = 0; i < 500; i++) {
		FILE *fp = fopen(path, "r");
		bool ignoring = false;
		while (fp && fgets(line, sizeof(line), fp))
			if (!strncmp(line, "SigIgn:", 7))
				ignoring = strtoull(line + 7, NULL, 16) & (1ull << (SIGTERM - 1));
		if (fp)
			fclose(fp);
		if (ignoring)
			break;
		usleep(10000);
	}
	put_pidfile(c, c->child, starttime_of(c->child));
	assert_string_equal(winctl_state(c->run, NULL), "running");
	double t0 = mono_s();
	assert_int_equal(winctl_stop(c->run, c->why, sizeof(c->why)), 0);
	double took = mono_s() - t0;
	assert_true(took >= 2.9 && took < 6.0);
	errno = 0;
	assert_int_equal(kill(c->child, 0), -1);
	assert_int_equal(errno, ESRCH);
	c->child = 0;
	assert_false(run_has(c, WINCTL_PIDFILE));
}

/* ---------- what winctl_start refuses before it forks ---------- */

static struct winctl_config config(const struct ctx *c, int agent)
{
	struct winctl_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.params = (struct window_params){ .window_ns = 20000000, .budget_tokens = 1000,
					     .refill_per_s = 30, .cost_per_window = 1 };
	cfg.pid = agent;
	cfg.run_dirfd = cfg.lock_fd = -1;
	copy_str(cfg.run_dir, sizeof(cfg.run_dir), c->run);
	return cfg;
}

static void test_start_refusals(void **state)
{
	struct ctx *c = *state;
	struct host h;
	assert_int_equal(host_open(&h, c->run), 0);
	/* A controller already runs. */
	stand_in(c);
	struct winctl_config cfg = config(c, getpid());
	assert_int_equal(winctl_start(&h, &cfg, c->why, sizeof(c->why)), -EEXIST);
	char want[TEST_MSG];
	snprintf(want, sizeof(want), "a window controller is already running (pid %d)",
		 (int)c->child);
	assert_string_equal(c->why, want);
	kill(c->child, SIGKILL);
	waitpid(c->child, NULL, 0);
	c->child = 0;
	char p[TEST_PATH];
	tpathf(p, "%s/%s", c->run, WINCTL_PIDFILE);
	assert_int_equal(unlink(p), 0);

	/* Parameters window.h refuses. */
	cfg.params.window_ns = 0;
	assert_int_equal(winctl_start(&h, &cfg, c->why, sizeof(c->why)), -EINVAL);
	assert_non_null(strstr(c->why, "window_ns"));
	cfg = config(c, getpid());
	cfg.params.cost_per_window = 2000;
	assert_int_equal(winctl_start(&h, &cfg, c->why, sizeof(c->why)), -EINVAL);
	assert_non_null(strstr(c->why, "cost_per_window (2000) is larger than budget_tokens"));

	/* An agent that does not exist. */
	int gone = dead_pid();
	cfg = config(c, gone);
	assert_int_equal(winctl_start(&h, &cfg, c->why, sizeof(c->why)), -ESRCH);
	snprintf(want, sizeof(want), "agent process %d does not exist", gone);
	assert_string_equal(c->why, want);
	/* Nothing was started, nothing written. */
	assert_false(run_has(c, WINCTL_PIDFILE));
	assert_false(run_has(c, WINCTL_STATEFILE));
	host_close(&h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_status_absent, setup, teardown),
	cmocka_unit_test_setup_teardown(test_status_malformed, setup, teardown),
	cmocka_unit_test_setup_teardown(test_status_fields, setup, teardown),
	cmocka_unit_test_setup_teardown(test_status_share_since_update, setup, teardown),
	cmocka_unit_test_setup_teardown(test_status_running, setup, teardown),
	cmocka_unit_test_setup_teardown(test_status_sparse, setup, teardown),
	cmocka_unit_test_setup_teardown(test_files_not_followed, setup, teardown),
	cmocka_unit_test_setup_teardown(test_files_capped, setup, teardown),
	cmocka_unit_test_setup_teardown(test_status_torn, setup, teardown),
	cmocka_unit_test_setup_teardown(test_state, setup, teardown),
	cmocka_unit_test_setup_teardown(test_stop_none, setup, teardown),
	cmocka_unit_test_setup_teardown(test_stop_live, setup, teardown),
	cmocka_unit_test_setup_teardown(test_stop_stubborn, setup, teardown),
	cmocka_unit_test_setup_teardown(test_start_refusals, setup, teardown),
};

RUN_TESTS(tests)
