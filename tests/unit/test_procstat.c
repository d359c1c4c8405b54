/* Unit tests: /proc/stat and /proc/PID/task/TID/stat, on inline texts,
 * small temporary trees, the shared captures and the live machine. */
#include "testutil.h"
#include "inspect/procstat.h"
#include "base/procfs_text.h"

#include <pthread.h>

/* A 4-CPU 6.x kernel, as fs/proc/stat.c prints it (intr cut short). */
static const char full_text[] =
	"cpu  407961 12 214821 1847009 24609 7 6015 215 30 4\n"
	"cpu0 139180 5 65826 1041957 3726 3 921 95 10 1\n"
	"cpu1 268781 7 148995 805052 20882 4 5093 120 20 3\n"
	"cpu2 0 0 0 0 0 0 0 0 0 0\n"
	"cpu3 18446744073709551615 1 2 3 4 5 6 7 8 9\n"
	"intr 34714497 0 0 0 0 0 0 0 0 0 1 1 15 0 0 0 0 2540 196\n"
	"ctxt 605444995\n"
	"btime 1717000000\n"
	"processes 17511\n"
	"procs_running 2\n"
	"procs_blocked 0\n"
	"softirq 9152387 0 2436791 112 50413 0 0 1297 3411018 0 3250756\n";

static void check_invariants(const struct procstat *s)
{
	assert_int_equal(s->all.cpu, UINT32_MAX);
	assert_true(s->n == 0 || s->cpu != NULL);
	for (size_t i = 0; i < s->n; i++) {
		if (i)
			assert_true(s->cpu[i].cpu > s->cpu[i - 1].cpu);
		assert_ptr_equal(procstat_cpu(s, s->cpu[i].cpu), &s->cpu[i]);
	}
}

static int parse_str(const char *text, struct procstat *out, struct parse_error *err)
{
	size_t len;
	char *buf = unterminated(text, &len);
	int rc = procstat_parse(buf, len, out, err);
	free(buf);
	if (!rc)
		check_invariants(out);
	return rc;
}

static void full_lines(void **state)
{
	struct procstat s;
	struct parse_error err;
	assert_int_equal(parse_str(full_text, &s, &err), 0);
	assert_int_equal(s.all.user, 407961);
	assert_int_equal(s.all.nice, 12);
	assert_int_equal(s.all.system, 214821);
	assert_int_equal(s.all.idle, 1847009);
	assert_int_equal(s.all.iowait, 24609);
	assert_int_equal(s.all.irq, 7);
	assert_int_equal(s.all.softirq, 6015);
	assert_int_equal(s.all.steal, 215);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.cpu[1].cpu, 1);
	assert_int_equal(s.cpu[1].user, 268781);
	assert_int_equal(s.cpu[1].steal, 120);
	assert_int_equal(s.cpu[2].idle, 0);
	assert_true(s.cpu[3].user == UINT64_MAX);
	assert_int_equal(s.cpu[3].steal, 7);
	assert_int_equal(s.ctxt, 605444995);
	procstat_free(&s);
	assert_int_equal(s.n, 0);
	assert_null(s.cpu);
	assert_true(s.ctxt == NA_U64);
	procstat_free(NULL);
}

/* Fewer columns before 2.6.33 (2.4: four; 2.6: seven; 2.6.11: eight),
 * more on a kernel newer than the reader. */
static void old_and_new_kernels(void **state)
{
	struct procstat s;
	struct parse_error err;
	assert_int_equal(parse_str("cpu  100 2 30 400\n"
				   "cpu0 60 1 20 200\n"
				   "cpu1 40 1 10 200\n"
				   "page 5741 1808\n"
				   "swap 1 0\n"
				   "intr 1462898 1 2 3\n"
				   "disk_io: (3,0):(1,2,3,4,5)\n"
				   "ctxt 1990473\n"
				   "btime 1062191376\n",
				   &s, &err),
			 0);
	assert_int_equal(s.all.idle, 400);
	assert_int_equal(s.all.iowait, 0);
	assert_int_equal(s.all.steal, 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.cpu[0].system, 20);
	assert_int_equal(s.cpu[0].irq, 0);
	assert_int_equal(s.ctxt, 1990473);
	procstat_free(&s);

	assert_int_equal(parse_str("cpu 1 2 3 4 5 6 7\ncpu0 1 2 3 4 5 6 7\n", &s, &err), 0);
	assert_int_equal(s.all.softirq, 7);
	assert_int_equal(s.all.steal, 0);
	assert_true(s.ctxt == NA_U64); /* no ctxt line */
	procstat_free(&s);

	assert_int_equal(parse_str("cpu 1 2 3 4 5 6 7 8\n", &s, &err), 0);
	assert_int_equal(s.all.steal, 8);
	assert_int_equal(s.n, 0);
	procstat_free(&s);

	/* twelve columns, tabs, CR, blank lines, leading spaces */
	assert_int_equal(parse_str("\n  cpu\t1 2 3 4 5 6 7 8 9 10 11 12\r\n\n"
				   "cpu0 1 2 3 4 5 6 7 8 9 10 11 12  \n"
				   "ctxt\t77 \n",
				   &s, &err),
			 0);
	assert_int_equal(s.all.steal, 8);
	assert_int_equal(s.cpu[0].user, 1);
	assert_int_equal(s.ctxt, 77);
	procstat_free(&s);
}

static void expect_error(const char *text, int line, const char *what)
{
	struct procstat s;
	struct parse_error err;
	memset(&err, 0, sizeof(err));
	assert_parse_error(parse_str(text, &s, &err), &err, "/proc/stat", line, what);
	assert_int_equal(s.n, 0);
	assert_null(s.cpu);
	procstat_free(&s);
}

static void errors(void **state)
{
	expect_error("", 1, "no \"cpu\" line");
	expect_error("\n \n", 1, "no \"cpu\" line");
	expect_error("cpu0 1 2 3 4\nintr 5\nctxt 6\n", 1, "no \"cpu\" line");
	expect_error("cpufreq 1 2 3 4\n", 1, "no \"cpu\" line");
	expect_error("cpu 1 2 x 4\n", 1, "not a count (column 3)");
	expect_error("cpu 1 2 3 4\ncpu0 1 2 3 -4\n", 2, "not a count (column 4)");
	expect_error("cpu 1 2 3 4\ncpu0 1 2 3 4 5 6 7 8 9 10 11 x\n", 2,
		     "not a count (column 12)");
	expect_error("cpu 1 2 3 4 5x\n", 1, "not a count (column 5)");
	expect_error("cpu 1 2 3\n", 1, "3 counts, want at least 4");
	expect_error("cpu\n", 1, "0 counts");
	expect_error("cpu 1 2 3 4\n\ncpu0 18446744073709551616 1 2 3\n", 3,
		     "count out of range (column 1)");
	expect_error("cpu 1 2 3 4\ncpu65536 1 2 3 4\n", 2, "CPU number out of range");
	expect_error("cpu 1 2 3 4\ncpu99999999999999999999999 1 2 3 4\n", 2,
		     "CPU number out of range");
	expect_error("cpu 1 2 3 4\ncpu1 1 2 3 4\ncpu0 1 2 3 4\n", 3, "cpu0 after cpu1");
	expect_error("cpu 1 2 3 4\ncpu1 1 2 3 4\ncpu1 1 2 3 4\n", 3, "cpu1 after cpu1");
	expect_error("cpu 1 2 3 4\ncpu 1 2 3 4\n", 2, "second \"cpu\" line");
	expect_error("cpu 1 2 3 4\nctxt abc\n", 2, "ctxt is not a count");
	expect_error("cpu 1 2 3 4\nctxt\n", 2, "ctxt is not a count");
	expect_error("cpu 1 2 3 4\nctxt 5 6\n", 2, "ctxt is not a count");
}

/* Lines the reader does not know are skipped whatever they hold. */
static void garbage(void **state)
{
	static const char junk[] = "cpu 1 2 3 4\n\xff\xfe garbage (((\n\x01\x02\n"
				   "intr x y z\nbtime -1\n";
	struct procstat s;
	struct parse_error err;
	size_t len = sizeof(junk) - 1;
	char *buf = malloc(len);
	assert_non_null(buf);
	memcpy(buf, junk, len);
	assert_int_equal(procstat_parse(buf, len, &s, &err), 0);
	assert_int_equal(s.all.idle, 4);
	procstat_free(&s);
	free(buf);

	/* An embedded NUL is not white space: "cpu\0" is no label. */
	static const char nul[] = "cpu\0 1 2 3 4\n";
	buf = malloc(sizeof(nul) - 1);
	memcpy(buf, nul, sizeof(nul) - 1);
	assert_int_equal(procstat_parse(buf, sizeof(nul) - 1, &s, &err), -EINVAL);
	free(buf);

	/* Random bytes, some of them kernel-like: never a crash, a sane result. */
	uint64_t x = 88172645463325252ull;
	static const char alphabet[] = "cpu0123456789 \n\txt";
	for (int round = 0; round < 3000; round++) {
		char text[96];
		size_t n = (size_t)(round % 95);
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			text[i] = round % 3 ? alphabet[x % (sizeof(alphabet) - 1)] : (char)x;
		}
		buf = malloc(n ? n : 1);
		memcpy(buf, text, n);
		memset(&err, 0, sizeof(err));
		int rc = procstat_parse(buf, n, &s, &err);
		free(buf);
		if (rc == 0) {
			check_invariants(&s);
		} else {
			assert_int_equal(rc, -EINVAL);
			assert_string_equal(err.file, "/proc/stat");
			assert_true(err.line >= 1);
			assert_int_equal(s.n, 0);
			assert_null(s.cpu);
		}
		procstat_free(&s);
	}
}

/* Every prefix of a real file: a cut inside a cpu line still parses when it
 * keeps four counts (the rest reads 0) and fails on that line otherwise. */
static void truncated(void **state)
{
	size_t total = strlen(full_text);
	for (size_t len = 0; len <= total; len++) {
		struct procstat s;
		struct parse_error err;
		char *buf = malloc(len ? len : 1);
		memcpy(buf, full_text, len);
		memset(&err, 0, sizeof(err));
		int rc = procstat_parse(buf, len, &s, &err);
		free(buf);
		if (rc) {
			assert_int_equal(rc, -EINVAL);
			assert_true(err.line >= 1 && err.line <= 7);
		} else {
			check_invariants(&s);
			assert_true(s.n <= 4);
		}
		procstat_free(&s);
	}
	struct procstat s;
	struct parse_error err;
	const char *cut = strstr(full_text, "cpu1 268781 7 148995 805052 20");
	size_t len = (size_t)(cut - full_text) + strlen("cpu1 268781 7 148995 805052 20");
	char *buf = malloc(len);
	memcpy(buf, full_text, len);
	assert_int_equal(procstat_parse(buf, len, &s, &err), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.cpu[1].idle, 805052);
	assert_int_equal(s.cpu[1].iowait, 20); /* "20882" cut to "20" */
	assert_int_equal(s.cpu[1].irq, 0);
	assert_true(s.ctxt == NA_U64);
	procstat_free(&s);
	len = (size_t)(cut - full_text) + strlen("cpu1 268781 7 14");
	assert_parse_error(procstat_parse(buf, len, &s, &err), &err, "/proc/stat", 3,
			   "3 counts");
	free(buf);
}

static void huge_counts(void **state)
{
	struct procstat s;
	struct parse_error err;
	assert_int_equal(parse_str("cpu 18446744073709551615 18446744073709551615 0 "
				   "00000000000000000000000000000000000000007\n"
				   "ctxt 18446744073709551615\n",
				   &s, &err),
			 0);
	assert_true(s.all.user == UINT64_MAX && s.all.nice == UINT64_MAX);
	assert_int_equal(s.all.idle, 7);
	assert_true(s.ctxt == UINT64_MAX);
	/* The sums wrap: UINT64_MAX * 2 + 7 */
	assert_true(cpu_times_busy(&s.all) == UINT64_MAX - 1);
	assert_true(cpu_times_total(&s.all) == 5);
	procstat_free(&s);
	expect_error("cpu 1 2 3 4\nctxt 18446744073709551616\n", 2, "ctxt");
}

/* Offline CPUs have no line. */
static void offline_cpus(void **state)
{
	struct procstat s;
	struct parse_error err;
	assert_int_equal(parse_str("cpu 4 4 4 4\ncpu0 1 1 1 1\ncpu1 1 1 1 1\n"
				   "cpu4 1 1 1 1\ncpu7 1 1 1 10\ncpu65535 1 2 3 4\n",
				   &s, &err),
			 0);
	assert_int_equal(s.n, 5);
	assert_null(procstat_cpu(&s, 2));
	assert_null(procstat_cpu(&s, 3));
	assert_null(procstat_cpu(&s, 8));
	assert_null(procstat_cpu(&s, UINT32_MAX));
	assert_int_equal(procstat_cpu(&s, 7)->idle, 10);
	assert_int_equal(procstat_cpu(&s, 65535)->system, 3);
	assert_int_equal(procstat_cpu(&s, 0)->cpu, 0);
	procstat_free(&s);

	assert_int_equal(parse_str("cpu 4 4 4 4\n", &s, &err), 0);
	assert_int_equal(s.n, 0);
	assert_null(procstat_cpu(&s, 0));
	procstat_free(&s);
}

static void arithmetic(void **state)
{
	struct cpu_times t = { .user = 100, .nice = 20, .system = 30, .idle = 1000,
			       .iowait = 50, .irq = 3, .softirq = 7, .steal = 11 };
	assert_int_equal(cpu_times_busy(&t), 100 + 20 + 30 + 3 + 7 + 11);
	assert_int_equal(cpu_times_total(&t), 171 + 1000 + 50);

	/* guest and guest_nice are inside user and nice: not added again */
	struct procstat s;
	struct parse_error err;
	assert_int_equal(parse_str("cpu 100 20 30 1000 50 3 7 11 90 15\n", &s, &err), 0);
	assert_int_equal(cpu_times_busy(&s.all), 171);
	assert_int_equal(cpu_times_total(&s.all), 1221);
	procstat_free(&s);

	/* Two samples across a wrap of the sum: the difference is still right. */
	struct cpu_times a = { .user = UINT64_MAX - 10, .idle = 5 };
	struct cpu_times b = { .user = UINT64_MAX - 10, .system = 30, .idle = 25 };
	assert_int_equal(cpu_times_busy(&b) - cpu_times_busy(&a), 30);
	assert_int_equal(cpu_times_total(&b) - cpu_times_total(&a), 50);
}

static void read_tree(void **state)
{
	char *dir = tree_new("procstat");
	struct host h;
	struct procstat s;
	struct parse_error err;
	assert_int_equal(host_open(&h, dir), 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(procstat_read(&h, &s, &err), -ENOENT);
	assert_string_equal(err.file, "/proc/stat");
	assert_int_equal(err.line, 0);
	assert_int_equal(s.n, 0);
	procstat_free(&s);

	tree_put(dir, "proc/stat", full_text);
	assert_int_equal(procstat_read(&h, &s, &err), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.cpu[0].user, 139180);
	assert_int_equal(s.ctxt, 605444995);
	procstat_free(&s);

	tree_put(dir, "proc/stat", "intr 1\n");
	assert_parse_error(procstat_read(&h, &s, &err), &err, "/proc/stat", 1, "no \"cpu\"");
	host_close(&h);
	tree_free(dir);
}

/* No capture holds /proc/stat today: reading one is -ENOENT or a sane file. */
static void shared_all(void **state)
{
	struct shared_iter it;
	for (shared_first(&it); shared_next(&it);) {
		struct procstat s;
		struct parse_error err;
		int rc = procstat_read(&it.h, &s, &err);
		assert_int_equal(rc, host_exists(&it.h, "/proc/stat") ? 0 : -ENOENT);
		if (!rc)
			check_invariants(&s);
		procstat_free(&s);
	}
}

static void live_stat(void **state)
{
	struct host h;
	struct procstat a, b;
	struct parse_error err;
	long nconf = sysconf(_SC_NPROCESSORS_CONF);
	assert_int_equal(host_open(&h, "/"), 0);
	assert_int_equal(procstat_read(&h, &a, &err), 0);
	check_invariants(&a);
	assert_true(a.n >= 1 && a.n <= (size_t)nconf);
	assert_true(a.cpu[a.n - 1].cpu < (unsigned)nconf);
	assert_true(a.ctxt != NA_U64 && a.ctxt > 0);
	assert_true(cpu_times_total(&a.all) > 0);
	assert_true(cpu_times_busy(&a.all) < cpu_times_total(&a.all));
	assert_int_equal(procstat_read(&h, &b, &err), 0);
	assert_true(b.ctxt >= a.ctxt);
	assert_true(cpu_times_total(&b.all) >= cpu_times_total(&a.all));
	procstat_free(&a);
	procstat_free(&b);
	host_close(&h);
}

/* ---- task_stat_parse ---- */

static int task_str(const char *text, struct task_stat *t)
{
	size_t len;
	char *buf = unterminated(text, &len);
	int rc = task_stat_parse(buf, len, t);
	free(buf);
	return rc;
}

/* 52 fields as 6.x prints them: utime 17, stime 5, processor 3. */
#define TASK_TAIL                                                                   \
	" S 1 1234 1234 0 -1 4194560 1534 0 0 0 17 5 0 0 20 0 3 0 12345 123456789 "  \
	"1234 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 3 0 0 0 0 0 "      \
	"94175707237424 94175707239040 94176176164864 140726386825867 "             \
	"140726386825887 140726386825887 140726386827243 0\n"

static void task_full(void **state)
{
	struct task_stat t;
	assert_int_equal(task_str("1234 (agent-worker)" TASK_TAIL, &t), 0);
	assert_int_equal(t.tid, 1234);
	assert_string_equal(t.comm, "agent-worker");
	assert_int_equal(t.state, 'S');
	assert_int_equal(t.utime, 17);
	assert_int_equal(t.stime, 5);
	assert_int_equal(t.cpu, 3);

	/* the same without its '\n' */
	char line[512];
	snprintf(line, sizeof(line), "%s", "7 (x)" TASK_TAIL);
	line[strlen(line) - 1] = '\0';
	assert_int_equal(task_str(line, &t), 0);
	assert_int_equal(t.cpu, 3);
	assert_string_equal(t.comm, "x");
}

static void task_odd_comm(void **state)
{
	struct task_stat t;
	assert_int_equal(task_str("42 ((a) b))" TASK_TAIL, &t), 0);
	assert_string_equal(t.comm, "(a) b)");
	assert_int_equal(t.utime, 17);
	assert_int_equal(t.cpu, 3);
	assert_int_equal(task_str("42 (my thread 2)" TASK_TAIL, &t), 0);
	assert_string_equal(t.comm, "my thread 2");
	assert_int_equal(task_str("42 () R 1 2 3 4 5 6 7 8 9 10 11 9 8\n", &t), 0);
	assert_string_equal(t.comm, "");
	assert_int_equal(t.state, 'R');
	/* a name with a newline (prctl allows it; stat prints it raw) */
	assert_int_equal(task_str("42 (a\nb) S 1 2 3 4 5 6 7 8 9 10 11 9 8\n", &t), 0);
	assert_string_equal(t.comm, "a\nb");
	assert_int_equal(t.stime, 9);
	/* ") R 1 ..." inside a name: the last ')' ends it */
	assert_int_equal(task_str("42 (x) R 1 2) D 1 2 3 4 5 6 7 8 9 10 11 12 13\n", &t), 0);
	assert_string_equal(t.comm, "x) R 1 2");
	assert_int_equal(t.state, 'D');
	assert_int_equal(t.utime, 11);
	/* a kthread name longer than TASK_COMM_LEN is cut */
	assert_int_equal(task_str("9 (kworker/u16:3-events_unbound)" TASK_TAIL, &t), 0);
	assert_string_equal(t.comm, "kworker/u16:3-e");
}

static void task_short(void **state)
{
	struct task_stat t;
	/* up to stime: no processor */
	assert_int_equal(task_str("5 (a) S 1 2 3 4 5 6 7 8 9 10 11 12\n", &t), 0);
	assert_int_equal(t.utime, 11);
	assert_int_equal(t.stime, 12);
	assert_int_equal(t.cpu, -1);
	/* up to exit_signal (field 38) */
	assert_int_equal(task_str("5 (a) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 "
				  "21 22 23 24 25 26 27 28 29 30 31 32 33 34 35",
				  &t),
			 0);
	assert_int_equal(t.cpu, -1);
	/* and with processor */
	assert_int_equal(task_str("5 (a) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 "
				  "21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36",
				  &t),
			 0);
	assert_int_equal(t.cpu, 36);
	/* stime missing */
	assert_int_equal(task_str("5 (a) S 1 2 3 4 5 6 7 8 9 10 11\n", &t), -EINVAL);
	assert_int_equal(task_str("5 (a) S\n", &t), -EINVAL);
	assert_int_equal(task_str("5 (a)", &t), -EINVAL);
	/* the fields end with the line */
	assert_int_equal(task_str("5 (a) S 1 2 3 4 5 6 7 8 9 10\n11 12\n", &t), -EINVAL);
}

static void task_garbage(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"garbage",
		"12 (x",
		"12 x) S 1 2 3 4 5 6 7 8 9 10 11 12",
		"(x) S 1 2 3 4 5 6 7 8 9 10 11 12",
		"-1 (x) S 1 2 3 4 5 6 7 8 9 10 11 12",
		"0 (x) S 1 2 3 4 5 6 7 8 9 10 11 12",
		"2147483648 (x) S 1 2 3 4 5 6 7 8 9 10 11 12",
		"12x (x) S 1 2 3 4 5 6 7 8 9 10 11 12",
		"12 13 (x) S 1 2 3 4 5 6 7 8 9 10 11 12",
		"12 (x) SS 1 2 3 4 5 6 7 8 9 10 11 12",
		"12 (x) S 1 2 3 4 5 6 7 8 9 10 zz 12",
		"12 (x) S 1 2 3 4 5 6 7 8 9 10 11 -12",
		"12 (x) S 1 2 3 4 5 6 7 8 9 10 11 99999999999999999999999",
		"5 (a) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 "
		"21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 cpu",
		"5 (a) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 "
		"21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 65536",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct task_stat t;
		if (task_str(bad[i], &t) != -EINVAL)
			fprintf(stderr, "accepted: %s\n", bad[i]);
		assert_int_equal(task_stat_parse(bad[i], strlen(bad[i]), &t), -EINVAL);
	}
	/* binary bytes and NULs, with an exact length */
	static const char bin[] = "12 (\0\xff) \x01 1 2 3 4 5 6 7 8 9 10 11 12";
	struct task_stat t;
	assert_int_equal(task_stat_parse(bin, sizeof(bin) - 1, &t), 0);
	assert_int_equal(t.state, '\x01');
	assert_int_equal(t.comm[1], '\xff');
	/* the same cut before its ')' */
	assert_int_equal(task_stat_parse(bin, 5, &t), -EINVAL);
	assert_int_equal(task_stat_parse(bin, 0, &t), -EINVAL);
}

/* ---- task_list_read ---- */

static void put_task(const char *dir, int pid, const char *tid, const char *text)
{
	char rel[128];
	snprintf(rel, sizeof(rel), "proc/%d/task/%s/stat", pid, tid);
	tree_put(dir, rel, text);
}

static void tasks_tree(void **state)
{
	char *dir = tree_new("tasks");
	struct host h;
	struct task_list l;
	put_task(dir, 999, "999", "999 (main) S 1 2 3 4 5 6 7 8 9 10 100 200 13 14 15 16 17 18 19 "
				  "20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 2 0\n");
	put_task(dir, 999, "1003", "1003 (worker 2) R 1 2 3 4 5 6 7 8 9 10 5 6\n");
	put_task(dir, 999, "1000", "1000 (io)) D 1 2 3 4 5 6 7 8 9 10 0 1 13 14 15 16 17 18 "
				   "19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 1\n");
	put_task(dir, 999, "1001", "garbage\n");            /* not a stat: left out */
	put_task(dir, 999, "1002", "1010 (x) S 1 2 3 4 5 6 7 8 9 10 11 12\n"); /* not its own */
	put_task(dir, 999, "abc", "7 (x) S 1 2 3 4 5 6 7 8 9 10 11 12\n");
	tree_dir(dir, "proc/999/task/1004");                /* exited before its stat was read */
	tree_dir(dir, "proc/555");                          /* no task/ */
	assert_int_equal(host_open(&h, dir), 0);

	assert_int_equal(task_list_read(&h, 999, &l), 0);
	assert_int_equal(l.pid, 999);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.t[0].tid, 999);
	assert_string_equal(l.t[0].comm, "main");
	assert_int_equal(l.t[0].utime, 100);
	assert_int_equal(l.t[0].stime, 200);
	assert_int_equal(l.t[0].cpu, 2);
	assert_int_equal(l.t[1].tid, 1000);
	assert_string_equal(l.t[1].comm, "io)");
	assert_int_equal(l.t[1].state, 'D');
	assert_int_equal(l.t[1].cpu, 1);
	assert_int_equal(l.t[2].tid, 1003);
	assert_string_equal(l.t[2].comm, "worker 2");
	assert_int_equal(l.t[2].cpu, -1);
	task_list_free(&l);
	assert_int_equal(l.n, 0);
	assert_null(l.t);
	task_list_free(NULL);

	static const int gone[] = { 555, 556, 0, -1 };
	for (size_t i = 0; i < ARRAY_SIZE(gone); i++) {
		assert_int_equal(task_list_read(&h, gone[i], &l), -ESRCH);
		assert_int_equal(l.n, 0);
		assert_null(l.t);
		task_list_free(&l);
	}

	/* an empty task/ (the process is exiting): no threads, not an error */
	tree_dir(dir, "proc/777/task");
	assert_int_equal(task_list_read(&h, 777, &l), 0);
	assert_int_equal(l.n, 0);
	task_list_free(&l);
	host_close(&h);
	tree_free(dir);
}

static int pipe_fd[2];
static pid_t other_tid;

static void *idle_thread(void *arg)
{
	char c;
	__atomic_store_n(&other_tid, gettid(), __ATOMIC_SEQ_CST);
	while (read(pipe_fd[0], &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

/* This process: our own thread and a second one that waits on a pipe. */
static void tasks_live(void **state)
{
	struct host h;
	struct task_list l;
	pthread_t th;
	long nconf = sysconf(_SC_NPROCESSORS_CONF);

	assert_int_equal(pipe(pipe_fd), 0);
	assert_int_equal(pthread_create(&th, NULL, idle_thread, NULL), 0);
	while (!__atomic_load_n(&other_tid, __ATOMIC_SEQ_CST))
		usleep(1000);
	assert_int_equal(host_open(&h, "/"), 0);
	assert_int_equal(task_list_read(&h, getpid(), &l), 0);
	assert_int_equal(l.pid, getpid());
	assert_true(l.n >= 2);
	bool self = false, second = false, main_thread = false;
	for (size_t i = 0; i < l.n; i++) {
		if (i)
			assert_true(l.t[i].tid > l.t[i - 1].tid);
		assert_true(l.t[i].cpu >= 0 && l.t[i].cpu < nconf);
		if (l.t[i].tid == gettid()) {
			self = true;
			assert_int_equal(l.t[i].state, 'R'); /* it is reading its own stat */
		}
		second |= l.t[i].tid == other_tid;
		main_thread |= l.t[i].tid == getpid();
	}
	assert_true(self && second && main_thread);
	task_list_free(&l);

	assert_int_equal(write(pipe_fd[1], "x", 1), 1);
	assert_int_equal(pthread_join(th, NULL), 0);
	close(pipe_fd[0]);
	close(pipe_fd[1]);
	/* a pid that cannot exist (past pid_max's limit) */
	assert_int_equal(task_list_read(&h, 0x7ffffff0, &l), -ESRCH);
	task_list_free(&l);
	host_close(&h);
}

/* pt_status_field: a last line without '\n' (fuzz_procpid found the loop
 * stepping past it with arithmetic on NULL), a value that does not fit
 * (an error, never cut). */
static void status_fields(void **state)
{
	char *root = tree_new("status");
	struct host h;
	char v[16];
	tree_put(root, "proc/7/status", "Name:\tagent\nCpus_allowed_list:\t0-1");
	assert_int_equal(host_open(&h, root), 0);
	assert_int_equal(pt_status_field(&h, 7, "Cpus_allowed_list", v, sizeof(v)), 0);
	assert_string_equal(v, "0-1");
	assert_int_equal(pt_status_field(&h, 7, "Tgid", v, sizeof(v)), -ENODATA);
	tree_put(root, "proc/7/status", "Name:\tagent\nCpus_allowed_list:\t0,2,4,6,8,10,12,14\n");
	assert_int_equal(pt_status_field(&h, 7, "Cpus_allowed_list", v, sizeof(v)), -EOVERFLOW);
	assert_string_equal(v, "");
	assert_int_equal(pt_status_field(&h, 8, "Name", v, sizeof(v)), -ENOENT);
	host_close(&h);
	assert_int_equal(tree_free(root), 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(status_fields),
	cmocka_unit_test(full_lines),
	cmocka_unit_test(old_and_new_kernels),
	cmocka_unit_test(errors),
	cmocka_unit_test(garbage),
	cmocka_unit_test(truncated),
	cmocka_unit_test(huge_counts),
	cmocka_unit_test(offline_cpus),
	cmocka_unit_test(arithmetic),
	cmocka_unit_test(read_tree),
	cmocka_unit_test(shared_all),
	cmocka_unit_test(live_stat),
	cmocka_unit_test(task_full),
	cmocka_unit_test(task_odd_comm),
	cmocka_unit_test(task_short),
	cmocka_unit_test(task_garbage),
	cmocka_unit_test(tasks_tree),
	cmocka_unit_test(tasks_live),
};

RUN_TESTS(tests)
