/* plan: profiles resolved against fixture hosts into exact, ordered changes. */
#include "testutil.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include "base/cpumask.h"
#include "tune/knob.h"
#include "inspect/model.h"
#include "tune/plan.h"
#include "tune/profile.h"

/* ---------- fixture trees ---------- */

/* cp -a src dst (dst exists): files, directories and symbolic links. */
static void copy_dir(const char *src, const char *dst)
{
	DIR *d = opendir(src);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char s[TEST_PATH], t[TEST_PATH];
		tpathf(s, "%s/%s", src, e->d_name);
		tpathf(t, "%s/%s", dst, e->d_name);
		struct stat st;
		assert_int_equal(lstat(s, &st), 0);
		if (S_ISLNK(st.st_mode)) {
			char l[4096];
			ssize_t n = readlink(s, l, sizeof(l) - 1);
			assert_true(n > 0);
			l[n] = '\0';
			assert_int_equal(symlink(l, t), 0);
		} else if (S_ISDIR(st.st_mode)) {
			assert_int_equal(mkdir(t, 0755), 0);
			copy_dir(s, t);
		} else {
			FILE *in = fopen(s, "r"), *out = fopen(t, "w");
			assert_non_null(in);
			assert_non_null(out);
			char buf[8192];
			size_t n;
			while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
				assert_int_equal(fwrite(buf, 1, n, out), n);
			fclose(in);
			fclose(out);
		}
	}
	closedir(d);
}

/* A writable copy of tests/fixtures/name. */
static char *fixture_copy(const char *name)
{
	char *root = tree_new("plan");
	char src[TEST_PATH];
	tpathf(src, "%s/%s", FIXTURES, name);
	copy_dir(src, root);
	return root;
}

#define NIC_DEV "sys/devices/pci0000:3a/0000:3a:00.0/0000:3b:00.0"

/* nic-napi-8cpu with IRQ affinity files: IRQ 26 on 0-1,4-7 (housekeeping
 * for agent CPUs 2-3), 120 on 0-7, 121..128 each on CPU 0..7. */
static char *nic_tree(void)
{
	char *root = fixture_copy("nic-napi-8cpu");
	tree_put(root, "proc/irq/26/smp_affinity_list", "0-1,4-7\n");
	tree_put(root, "proc/irq/120/smp_affinity_list", "0-7\n");
	for (unsigned i = 0; i < 8; i++) {
		char rel[64], val[16];
		snprintf(rel, sizeof(rel), "proc/irq/%u/smp_affinity_list", 121 + i);
		snprintf(val, sizeof(val), "%u\n", i);
		tree_put(root, rel, val);
	}
	return root;
}

static void two_nodes(const char *root)
{
	tree_put(root, "sys/devices/system/node/node0/cpulist", "0-3\n");
	tree_put(root, "sys/devices/system/node/node1/cpulist", "4-7\n");
}

/* ---------- plans ---------- */

struct fx {
	char *root;               /* owned when tree */
	bool tree;
	char rootbuf[4096];
	char prof[TEST_PATH];
	struct host h;
	struct model m;
	struct profile p;
	struct plan pl;
	char why[512];
	bool loaded, built;
	bool qos_anyway;          /* plan_opts.qos_anyway (the tests' hook) */
};

static void fx_open(struct fx *f, char *root, bool tree)
{
	memset(f, 0, sizeof(*f));
	if (tree) {
		f->root = root;
	} else {
		copy_str(f->rootbuf, sizeof(f->rootbuf), root);
		f->root = f->rootbuf;
	}
	f->tree = tree;
	assert_int_equal(host_open(&f->h, root), 0);
	assert_int_equal(model_read(&f->h, &f->m), 0);
}

static void fx_tree(struct fx *f, char *root)
{
	fx_open(f, root, true);
}

static void fx_fixture(struct fx *f, const char *name)
{
	char r[TEST_PATH];
	tpathf(r, "%s/%s", FIXTURES, name);
	fx_open(f, r, false);
}

/* Writes the profile into a scratch directory and loads it. */
static void fx_profile(struct fx *f, const char *text)
{
	char *dir = tree_new("plan-prof");
	tpathf(f->prof, "%s/t.profile", dir);
	tree_put(dir, "t.profile", text);
	struct profile_opts po = { .dirs = NULL, .ndirs = 0, .check_safe = false };
	struct parse_error err;
	memset(&err, 0, sizeof(err));
	int rc = profile_load(f->prof, &po, &f->p, &err);
	if (rc)
		fprintf(stderr, "profile_load: %s:%d: %s\n", err.file, err.line, err.msg);
	assert_int_equal(rc, 0);
	f->loaded = true;
	/* The profile is in memory now; its file may go. */
	char keep[4200];
	copy_str(keep, sizeof(keep), f->prof);
	assert_int_equal(tree_free(dir), 0);
	copy_str(f->prof, sizeof(f->prof), keep);
}

/* plan_build with --pid (-1: none) and --cpus (NULL: none). */
static int fx_build(struct fx *f, int pid, const char *cpus)
{
	struct cpumask m;
	cpumask_init(&m);
	if (cpus)
		assert_int_equal(cpulist_parse(cpus, &m), 0);
	struct plan_opts o = { .pid = pid, .cpus = cpus ? &m : NULL, .qos_anyway = f->qos_anyway };
	int rc = plan_build(&f->h, &f->m, &f->p, &o, &f->pl, f->why, sizeof(f->why));
	cpumask_free(&m);
	f->built = true;
	if (rc)
		fprintf(stderr, "plan_build: %d %s\n", rc, f->why);
	for (size_t i = 0; getenv("PLAN_DEBUG") && i < f->pl.n; i++)
		fprintf(stderr, "  change %s %s: %s -> %s (%s) %s\n", knob_name(f->pl.c[i].ch.knob),
			f->pl.c[i].ch.target, f->pl.c[i].ch.old, f->pl.c[i].ch.new, f->pl.c[i].ch.source,
			f->pl.c[i].ch.label);
	for (size_t i = 0; getenv("PLAN_DEBUG") && i < f->pl.nnotes; i++)
		fprintf(stderr, "  note %s (%s)\n", f->pl.notes[i].text, f->pl.notes[i].source);
	return rc;
}

static void fx_close(struct fx *f)
{
	if (f->built)
		plan_free(&f->pl);
	if (f->loaded)
		profile_free(&f->p);
	model_free(&f->m);
	host_close(&f->h);
	if (f->tree)
		assert_int_equal(tree_free(f->root), 0);
}

static void src_at(const struct fx *f, int line, char *buf, size_t sz)
{
	snprintf(buf, sz, "%s:%d", f->prof, line);
}

static void check_change(const struct fx *f, size_t i, enum knob_kind k, const char *target,
			 const char *old, const char *new, int line)
{
	char src[TEST_PATH];
	assert_true(i < f->pl.n);
	const struct plan_change *c = &f->pl.c[i];
	if (c->ch.knob != k || strcmp(c->ch.target, target) || strcmp(c->ch.old, old) ||
	    strcmp(c->ch.new, new))
		fprintf(stderr, "change %zu: %s %s %s -> %s (%s)\n", i, knob_name(c->ch.knob),
			c->ch.target, c->ch.old, c->ch.new, c->ch.source);
	assert_int_equal(c->ch.knob, k);
	assert_string_equal(c->ch.target, target);
	assert_string_equal(c->ch.old, old);
	assert_string_equal(c->ch.new, new);
	src_at(f, line, src, sizeof(src));
	assert_string_equal(c->ch.source, src);
}

static const struct plan_note *find_note(const struct fx *f, const char *part)
{
	for (size_t i = 0; i < f->pl.nnotes; i++)
		if (strstr(f->pl.notes[i].text, part))
			return &f->pl.notes[i];
	return NULL;
}

static void check_note(const struct fx *f, const char *part, int line)
{
	const struct plan_note *n = find_note(f, part);
	if (!n)
		for (size_t i = 0; i < f->pl.nnotes; i++)
			fprintf(stderr, "note: %s\n", f->pl.notes[i].text);
	assert_non_null(n);
	if (line > 0) {
		char src[TEST_PATH];
		src_at(f, line, src, sizeof(src));
		assert_string_equal(n->source, src);
	}
}

static void check_mask(const struct cpumask *m, const char *want)
{
	char buf[256];
	cpulist_format(m, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

/* why = "PROFILE:LINE: ...what..." */
static void check_why(const struct fx *f, int line, const char *what)
{
	char src[TEST_PATH];
	if (line > 0) {
		src_at(f, line, src, sizeof(src));
		if (strncmp(f->why, src, strlen(src)) || f->why[strlen(src)] != ':')
			fprintf(stderr, "why: %s\nwant prefix %s\n", f->why, src);
		assert_true(!strncmp(f->why, src, strlen(src)));
		assert_int_equal(f->why[strlen(src)], ':');
	}
	if (!strstr(f->why, what))
		fprintf(stderr, "why: %s\n", f->why);
	assert_non_null(strstr(f->why, what));
}

static void fx_rebuild_prep(struct fx *f)
{
	if (f->built)
		plan_free(&f->pl);
	f->built = false;
	if (f->loaded)
		profile_free(&f->p);
	f->loaded = false;
}

/* ---------- agent and housekeeping CPUs ---------- */

static void test_cpus_auto_without_pid(void **state)
{
	(void)state;
	struct fx f;
	fx_fixture(&f, "nic-napi-8cpu");
	fx_profile(&f, "[agent]\ncpus = auto\n");
	assert_int_equal(fx_build(&f, -1, NULL), -EINVAL);
	check_why(&f, 2, "cpus = auto needs --pid or --cpus");
	assert_int_equal(f.pl.n, 0);
	assert_int_equal(f.pl.nnotes, 0);

	/* No cpus at all and no pid: nothing to go on either. */
	fx_rebuild_prep(&f);
	fx_profile(&f, "[irq]\nmove = all -> housekeeping\n");
	assert_int_equal(fx_build(&f, -1, NULL), -EINVAL);
	assert_non_null(strstr(f.why, "--cpus"));
	/* --cpus overrides cpus = auto. */
	fx_rebuild_prep(&f);
	fx_profile(&f, "[agent]\ncpus = auto\n");
	assert_int_equal(fx_build(&f, -1, "2-3"), 0);
	check_mask(&f.pl.agent_cpus, "2-3");
	check_mask(&f.pl.housekeeping, "0-1,4-7");
	assert_int_equal(f.pl.pid, -1);
	fx_close(&f);
}

static void test_cpus_auto_from_pid(void **state)
{
	(void)state;
	struct fx f;
	char *root = fixture_copy("nic-napi-8cpu");
	tree_put(root, "proc/4242/status", "Name:\tagent\nCpus_allowed:\tf0\n"
					   "Cpus_allowed_list:\t4-7\nMems_allowed_list:\t0\n");
	fx_tree(&f, root);
	fx_profile(&f, "[agent]\ncpus = auto\n");
	assert_int_equal(fx_build(&f, 4242, NULL), 0);
	check_mask(&f.pl.agent_cpus, "4-7");
	check_mask(&f.pl.housekeeping, "0-3");
	assert_int_equal(f.pl.pid, 4242);

	/* cpus unset with --pid: the same as auto. */
	fx_rebuild_prep(&f);
	fx_profile(&f, "[main]\nsummary = x\n");
	assert_int_equal(fx_build(&f, 4242, NULL), 0);
	check_mask(&f.pl.agent_cpus, "4-7");

	/* A process that is gone. */
	fx_rebuild_prep(&f);
	fx_profile(&f, "[agent]\ncpus = auto\n");
	assert_int_equal(fx_build(&f, 999, NULL), -ESRCH);
	assert_string_equal(f.why, "process 999 does not exist");
	fx_rebuild_prep(&f);
	fx_profile(&f, "[agent]\ncpus = 1\n");
	assert_int_equal(fx_build(&f, 31337, "2"), -ESRCH);
	assert_string_equal(f.why, "process 31337 does not exist");
	fx_close(&f);
}

static void test_agent_everywhere(void **state)
{
	(void)state;
	struct fx f;
	fx_fixture(&f, "nic-napi-8cpu");
	fx_profile(&f, "[agent]\ncpus = 0-7\n");
	assert_int_equal(fx_build(&f, -1, NULL), -EINVAL);
	check_why(&f, 2, "the agent may run on every CPU (0-7): nothing is left for "
			 "housekeeping; use --cpus");
	fx_rebuild_prep(&f);
	fx_profile(&f, "[main]\nsummary = x\n");
	assert_int_equal(fx_build(&f, -1, "0-7"), -EINVAL);
	assert_string_equal(f.why, "the agent may run on every CPU (0-7): nothing is left for "
				   "housekeeping; use --cpus");
	fx_close(&f);
}

static void test_cpus_offline_and_overlap(void **state)
{
	(void)state;
	struct fx f;
	fx_fixture(&f, "nic-napi-8cpu");
	fx_profile(&f, "[agent]\ncpus = 2-3\n");
	assert_int_equal(fx_build(&f, -1, "6-9"), -EINVAL);
	assert_string_equal(f.why, "--cpus: agent CPUs 8-9 are not online (online: 0-7)");

	fx_rebuild_prep(&f);
	fx_profile(&f, "[agent]\ncpus = 2-3,12\n");
	assert_int_equal(fx_build(&f, -1, NULL), -EINVAL);
	check_why(&f, 2, "agent CPUs 12 are not online (online: 0-7)");

	fx_rebuild_prep(&f);
	fx_profile(&f, "[agent]\ncpus = 2-3\nhousekeeping = 0-2\n");
	assert_int_equal(fx_build(&f, -1, NULL), -EINVAL);
	check_why(&f, 3, "housekeeping CPUs 2 are also agent CPUs");

	fx_rebuild_prep(&f);
	fx_profile(&f, "[agent]\ncpus = 2-3\nhousekeeping = 0-1,9\n");
	assert_int_equal(fx_build(&f, -1, NULL), -EINVAL);
	check_why(&f, 3, "housekeeping CPUs 9 are not online");

	fx_rebuild_prep(&f);
	fx_profile(&f, "[agent]\ncpus = 2-3\nhousekeeping = 0\n");
	assert_int_equal(fx_build(&f, -1, NULL), 0);
	check_mask(&f.pl.agent_cpus, "2-3");
	check_mask(&f.pl.housekeeping, "0");
	fx_close(&f);
}

/* ---------- [irq] ---------- */

static void test_irq_all_to_housekeeping(void **state)
{
	(void)state;
	struct fx f;
	fx_tree(&f, nic_tree());
	fx_profile(&f, "[agent]\n"
		       "cpus = 2-3\n"
		       "[irq]\n"
		       "move = all -> housekeeping\n");
	assert_int_equal(fx_build(&f, -1, "2-3"), 0);
	check_mask(&f.pl.agent_cpus, "2-3");
	check_mask(&f.pl.housekeeping, "0-1,4-7");
	assert_int_equal(f.pl.pid, -1);
	/* IRQ 26 is already on the housekeeping CPUs: left out. */
	assert_int_equal(f.pl.n, 9);
	check_change(&f, 0, KNOB_IRQ_AFFINITY, "120", "0-7", "0-1,4-7", 4);
	for (unsigned i = 0; i < 8; i++) {
		char target[8], old[8];
		snprintf(target, sizeof(target), "%u", 121 + i);
		snprintf(old, sizeof(old), "%u", i);
		check_change(&f, 1 + i, KNOB_IRQ_AFFINITY, target, old, "0-1,4-7", 4);
		assert_true(f.pl.c[1 + i].optional);
	}
	assert_true(f.pl.c[0].optional);
	assert_string_equal(f.pl.c[0].ch.label, "IRQ 120 ice-0000:3b:00.0:misc (ens1f0)");
	assert_string_equal(f.pl.c[1].ch.label, "IRQ 121 ice-ens1f0-TxRx-0 (ens1f0)");
	assert_int_equal(f.pl.nnotes, 0);

	/* The same from the profile's cpus, without --cpus. */
	fx_rebuild_prep(&f);
	fx_profile(&f, "[agent]\ncpus = 2-3\n[irq]\nmove = all -> housekeeping\n");
	assert_int_equal(fx_build(&f, -1, NULL), 0);
	assert_int_equal(f.pl.n, 9);
	check_change(&f, 8, KNOB_IRQ_AFFINITY, "128", "7", "0-1,4-7", 4);
	fx_close(&f);
}

static void test_irq_later_rule_wins(void **state)
{
	(void)state;
	struct fx f;
	fx_tree(&f, nic_tree());
	fx_profile(&f, "[irq]\n"
		       "move = all -> housekeeping\n"
		       "move = interface:ens1f0 -> 4-5\n"
		       "move = irq:121 -> housekeeping\n");
	assert_int_equal(fx_build(&f, -1, "2-3"), 0);
	assert_int_equal(f.pl.n, 9);
	check_change(&f, 0, KNOB_IRQ_AFFINITY, "120", "0-7", "4-5", 3);
	check_change(&f, 1, KNOB_IRQ_AFFINITY, "121", "0", "0-1,4-7", 4);
	static const char *const old[] = { "1", "2", "3", "4", "5", "6", "7" };
	for (unsigned i = 0; i < 7; i++) {
		char target[8];
		snprintf(target, sizeof(target), "%u", 122 + i);
		check_change(&f, 2 + i, KNOB_IRQ_AFFINITY, target, old[i], "4-5", 3);
	}
	/* Chosen by name, not by a broad selector: a refusal is an error. */
	for (size_t i = 0; i < f.pl.n; i++)
		assert_false(f.pl.c[i].optional);
	fx_close(&f);
}

static void test_irq_name_and_class_other(void **state)
{
	(void)state;
	struct fx f;
	fx_tree(&f, nic_tree());
	fx_profile(&f, "[irq]\n"
		       "move = name:ice-ens1f0-TxRx-[0-3] -> housekeeping\n"
		       "move = class:other -> 0\n"
		       "move = class:nvme -> 1\n");
	assert_int_equal(fx_build(&f, -1, "2-3"), 0);
	assert_int_equal(f.pl.n, 5);
	/* The PCIe port's PME IRQ (a bridge) is "other"; the NIC is not. */
	check_change(&f, 0, KNOB_IRQ_AFFINITY, "26", "0-1,4-7", "0", 3);
	assert_true(f.pl.c[0].optional);
	assert_string_equal(f.pl.c[0].ch.label, "IRQ 26 PCIe PME");
	check_change(&f, 1, KNOB_IRQ_AFFINITY, "121", "0", "0-1,4-7", 2);
	check_change(&f, 2, KNOB_IRQ_AFFINITY, "122", "1", "0-1,4-7", 2);
	check_change(&f, 3, KNOB_IRQ_AFFINITY, "123", "2", "0-1,4-7", 2);
	check_change(&f, 4, KNOB_IRQ_AFFINITY, "124", "3", "0-1,4-7", 2);
	assert_false(f.pl.c[4].optional);
	fx_close(&f);
}

static void test_irq_numa_local(void **state)
{
	(void)state;
	struct fx f;
	char *root = nic_tree();
	two_nodes(root);
	tree_put(root, NIC_DEV "/numa_node", "1\n");
	fx_tree(&f, root);
	fx_profile(&f, "[irq]\nmove = class:net -> numa-local\n");
	/* Node 1 is 4-7; less the agent's 4-5. */
	assert_int_equal(fx_build(&f, -1, "4-5"), 0);
	assert_int_equal(f.pl.n, 9);
	check_change(&f, 0, KNOB_IRQ_AFFINITY, "120", "0-7", "6-7", 2);
	check_change(&f, 1, KNOB_IRQ_AFFINITY, "121", "0", "6-7", 2);
	check_change(&f, 8, KNOB_IRQ_AFFINITY, "128", "7", "6-7", 2);
	assert_true(f.pl.c[0].optional);

	/* The agent owns the whole node: the IRQs stay NUMA-local anyway. */
	plan_free(&f.pl);
	assert_int_equal(fx_build(&f, -1, "4-7"), 0);
	check_mask(&f.pl.housekeeping, "0-3");
	assert_int_equal(f.pl.n, 9);
	check_change(&f, 0, KNOB_IRQ_AFFINITY, "120", "0-7", "4-7", 2);
	check_change(&f, 5, KNOB_IRQ_AFFINITY, "125", "4", "4-7", 2);
	fx_close(&f);
}

static void test_irq_numa_unknown(void **state)
{
	(void)state;
	struct fx f;
	/* No node, but the function's local_cpulist: that stands in. */
	char *root = nic_tree();
	tree_put(root, NIC_DEV "/numa_node", "-1\n");
	tree_put(root, NIC_DEV "/local_cpulist", "0-3\n");
	tree_put(root, NIC_DEV "/local_cpus", "0f\n");
	fx_tree(&f, root);
	fx_profile(&f, "[irq]\nmove = pci:0000:3b:00.0 -> numa-local\n");
	assert_int_equal(fx_build(&f, -1, "2-3"), 0);
	assert_int_equal(f.pl.n, 9);
	check_change(&f, 0, KNOB_IRQ_AFFINITY, "120", "0-7", "0-1", 2);
	check_change(&f, 2, KNOB_IRQ_AFFINITY, "122", "1", "0-1", 2);
	assert_false(f.pl.c[0].optional);
	fx_close(&f);

	/* Nothing at all known: housekeeping. */
	root = nic_tree();
	tree_put(root, NIC_DEV "/numa_node", "-1\n");
	char p[TEST_PATH];
	tpathf(p, "%s/%s/local_cpus", root, NIC_DEV);
	unlink(p);
	tpathf(p, "%s/%s/local_cpulist", root, NIC_DEV);
	unlink(p);
	fx_tree(&f, root);
	fx_profile(&f, "[irq]\nmove = pci:0000:3b:00.0 -> numa-local\n");
	assert_int_equal(fx_build(&f, -1, "2-3"), 0);
	assert_int_equal(f.pl.n, 9);
	check_change(&f, 0, KNOB_IRQ_AFFINITY, "120", "0-7", "0-1,4-7", 2);
	fx_close(&f);
}

static void test_irq_agent_node(void **state)
{
	(void)state;
	struct fx f;
	char *root = nic_tree();
	two_nodes(root);
	fx_tree(&f, root);
	fx_profile(&f, "[irq]\nmove = all -> agent-node\n");
	assert_int_equal(fx_build(&f, -1, "4-5"), 0);
	/* Housekeeping CPUs of node 1: 6-7, for every IRQ. */
	assert_int_equal(f.pl.n, 10);
	check_change(&f, 0, KNOB_IRQ_AFFINITY, "26", "0-1,4-7", "6-7", 2);
	check_change(&f, 1, KNOB_IRQ_AFFINITY, "120", "0-7", "6-7", 2);
	check_change(&f, 9, KNOB_IRQ_AFFINITY, "128", "7", "6-7", 2);

	/* No housekeeping CPU on the agent's node: housekeeping. */
	fx_rebuild_prep(&f);
	fx_profile(&f, "[agent]\nhousekeeping = 0-1\n[irq]\nmove = all -> agent-node\n");
	assert_int_equal(fx_build(&f, -1, "4-5"), 0);
	check_mask(&f.pl.housekeeping, "0-1");
	assert_int_equal(f.pl.n, 10);
	check_change(&f, 0, KNOB_IRQ_AFFINITY, "26", "0-1,4-7", "0-1", 4);
	check_change(&f, 1, KNOB_IRQ_AFFINITY, "120", "0-7", "0-1", 4);
	/* IRQ 122 is on CPU 1, within 0-1 but not equal: moved. */
	check_change(&f, 3, KNOB_IRQ_AFFINITY, "122", "1", "0-1", 4);
	fx_close(&f);
}

static void test_irq_selector_without_irq(void **state)
{
	(void)state;
	struct fx f;
	fx_tree(&f, nic_tree());
	fx_profile(&f, "[irq]\nmove = all -> housekeeping\nmove = interface:eth9 -> housekeeping\n");
	assert_int_equal(fx_build(&f, -1, "2-3"), -EINVAL);
	check_why(&f, 3, "[irq] move = interface:eth9 -> housekeeping: no IRQ of interface eth9 "
			 "on this host");
	assert_int_equal(f.pl.n, 0);

	fx_rebuild_prep(&f);
	fx_profile(&f, "[irq]\nmove = pci:0000:99:00.0 -> housekeeping\n");
	assert_int_equal(fx_build(&f, -1, "2-3"), -EINVAL);
	check_why(&f, 2, "no IRQ of PCI device 0000:99:00.0 on this host");

	fx_rebuild_prep(&f);
	fx_profile(&f, "[irq]\nmove = irq:999 -> housekeeping\n");
	assert_int_equal(fx_build(&f, -1, "2-3"), -EINVAL);
	check_why(&f, 2, "no IRQ 999 on this host");

	/* A name pattern that matches nothing is not an error. */
	fx_rebuild_prep(&f);
	fx_profile(&f, "[irq]\nmove = name:nvme* -> housekeeping\n");
	assert_int_equal(fx_build(&f, -1, "2-3"), 0);
	assert_int_equal(f.pl.n, 0);
	check_note(&f, "no IRQ on this host matches", 2);

	/* A target CPU list must be online. */
	fx_rebuild_prep(&f);
	fx_profile(&f, "[irq]\nmove = all -> 6-9\n");
	assert_int_equal(fx_build(&f, -1, "2-3"), -EINVAL);
	check_why(&f, 2, "CPUs 8-9 are not online");
	fx_close(&f);
}

static void test_irq_virtio_label(void **state)
{
	(void)state;
	struct fx f;
	char *root = fixture_copy("virtio-net-2cpu");
	static const unsigned irqs[] = { 24, 25, 26, 35, 36, 37, 38, 39 };
	for (size_t i = 0; i < ARRAY_SIZE(irqs); i++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "proc/irq/%u/smp_affinity_list", irqs[i]);
		tree_put(root, rel, "0-1\n");
	}
	fx_tree(&f, root);
	fx_profile(&f, "[irq]\nmove = interface:eth0 -> housekeeping\n");
	assert_int_equal(fx_build(&f, -1, "1"), 0);
	check_mask(&f.pl.housekeeping, "0");
	assert_int_equal(f.pl.n, 3);
	check_change(&f, 0, KNOB_IRQ_AFFINITY, "37", "0-1", "0", 2);
	check_change(&f, 1, KNOB_IRQ_AFFINITY, "38", "0-1", "0", 2);
	check_change(&f, 2, KNOB_IRQ_AFFINITY, "39", "0-1", "0", 2);
	assert_string_equal(f.pl.c[1].ch.label, "IRQ 38 virtio2-input.0 (eth0)");
	fx_close(&f);
}

static void test_irq_no_affinity_files(void **state)
{
	(void)state;
	struct fx f;
	fx_fixture(&f, "nic-napi-8cpu");
	fx_profile(&f, "[irq]\nmove = all -> housekeeping\n");
	assert_int_equal(fx_build(&f, -1, "2-3"), 0);
	assert_int_equal(f.pl.n, 0);
	check_note(&f, "[irq] not applicable: no /proc/irq/N/smp_affinity_list here "
		       "(10 IRQs matched)", 2);
	fx_close(&f);
}

/* ---------- [pmqos] and the cpufreq floor ---------- */

static void test_pmqos_static_na(void **state)
{
	(void)state;
	struct fx f;
	fx_fixture(&f, "acpi-cpufreq-4cpu");
	fx_profile(&f, "[pmqos]\nmode = static\nresume_latency_us = n/a\n");
	assert_int_equal(fx_build(&f, -1, "2-3"), 0);
	assert_int_equal(f.pl.n, 2);
	check_change(&f, 0, KNOB_PMQOS, "2", "0", "n/a", 3);
	check_change(&f, 1, KNOB_PMQOS, "3", "0", "n/a", 3);
	assert_string_equal(f.pl.c[0].ch.label, "cpu2");
	assert_false(f.pl.c[1].optional);
	assert_int_equal(f.pl.nnotes, 0);

	fx_rebuild_prep(&f);
	fx_profile(&f, "[pmqos]\nmode = static\nresume_latency_us = 20\n");
	assert_int_equal(fx_build(&f, -1, "1"), 0);
	assert_int_equal(f.pl.n, 1);
	check_change(&f, 0, KNOB_PMQOS, "1", "0", "20", 3);

	/* What already holds is left out, and the plan says so. */
	fx_rebuild_prep(&f);
	fx_profile(&f, "[pmqos]\nmode = static\nresume_latency_us = 0\n");
	assert_int_equal(fx_build(&f, -1, "1-2"), 0);
	assert_int_equal(f.pl.n, 0);
	check_note(&f, "[pmqos] every setting already holds", 2);

	/* mode = off: nothing. */
	fx_rebuild_prep(&f);
	fx_profile(&f, "[pmqos]\nmode = off\n");
	assert_int_equal(fx_build(&f, -1, "1-2"), 0);
	assert_int_equal(f.pl.n, 0);
	check_note(&f, "mode = off", 2);
	fx_close(&f);
}

static void test_pmqos_missing_files(void **state)
{
	(void)state;
	struct fx f;
	fx_fixture(&f, "nic-napi-8cpu");
	/* The hook plans qos where it changes nothing: the files are missing. */
	f.qos_anyway = true;
	fx_profile(&f, "[pmqos]\nmode = static\nmethod = qos\nresume_latency_us = n/a\n");
	assert_int_equal(fx_build(&f, -1, "2-3"), 0);
	assert_int_equal(f.pl.n, 0);
	check_note(&f, "PM QoS: not applicable on CPUs 2-3", 4);
	fx_close(&f);
}

static void test_cpufreq_floor(void **state)
{
	(void)state;
	struct fx f;
	fx_fixture(&f, "acpi-cpufreq-4cpu");
	fx_profile(&f, "[pmqos]\nmin_freq = max\n");
	assert_int_equal(fx_build(&f, -1, "2-3"), 0);
	assert_int_equal(f.pl.n, 2);
	check_change(&f, 0, KNOB_CPUFREQ_MIN, "policy2", "1400000", "3500000", 2);
	check_change(&f, 1, KNOB_CPUFREQ_MIN, "policy3", "1400000", "3500000", 2);
	assert_non_null(strstr(f.pl.c[0].ch.label, "policy2"));

	/* 1.4 GHz + 50% of the 2.1 GHz range. */
	fx_rebuild_prep(&f);
	fx_profile(&f, "[pmqos]\nmode = off\nmin_freq = 50%\n");
	assert_int_equal(fx_build(&f, -1, "3"), 0);
	assert_int_equal(f.pl.n, 1);
	check_change(&f, 0, KNOB_CPUFREQ_MIN, "policy3", "1400000", "2450000", 3);

	fx_rebuild_prep(&f);
	fx_profile(&f, "[pmqos]\nmin_freq = 2GHz\n");
	assert_int_equal(fx_build(&f, -1, "0"), 0);
	assert_int_equal(f.pl.n, 1);
	check_change(&f, 0, KNOB_CPUFREQ_MIN, "policy0", "1400000", "2000000", 2);

	/* Exactly the floor it has: nothing. */
	fx_rebuild_prep(&f);
	fx_profile(&f, "[pmqos]\nmin_freq = 1400000\n");
	assert_int_equal(fx_build(&f, -1, "0-2"), 0);
	assert_int_equal(f.pl.n, 0);
	check_note(&f, "[pmqos] every setting already holds", 2);
	fx_close(&f);
}

static void test_cpufreq_out_of_range(void **state)
{
	(void)state;
	struct fx f;
	fx_fixture(&f, "acpi-cpufreq-4cpu");
	fx_profile(&f, "[pmqos]\nmode = static\nresume_latency_us = n/a\nmin_freq = 5GHz\n");
	assert_int_equal(fx_build(&f, -1, "2-3"), -EINVAL);
	check_why(&f, 4, "min_freq = 5000000 kHz is above the maximum of policy2 (3500000 kHz)");
	assert_int_equal(f.pl.n, 0);

	fx_rebuild_prep(&f);
	fx_profile(&f, "[pmqos]\nmin_freq = 1GHz\n");
	assert_int_equal(fx_build(&f, -1, "1"), -EINVAL);
	check_why(&f, 2, "min_freq = 1000000 kHz is below the minimum of policy1 (1400000 kHz)");
	fx_close(&f);
}

static void test_cpufreq_absent(void **state)
{
	(void)state;
	struct fx f;
	fx_fixture(&f, "nic-napi-8cpu");
	fx_profile(&f, "[pmqos]\nmin_freq = max\n");
	assert_int_equal(fx_build(&f, -1, "2-3"), 0);
	assert_int_equal(f.pl.n, 0);
	assert_int_equal(f.pl.nnotes, 1);
	check_note(&f, "cpufreq floor: not applicable (no cpufreq on this host)", 2);
	assert_string_equal(f.pl.notes[0].text,
			    "cpufreq floor: not applicable (no cpufreq on this host)");
	fx_close(&f);
}

/* ---------- [pmqos] mode = window ---------- */

/* The run directory (AGENTUNE_RUN_DIR) every test of this file plans with:
 * a scratch one, so that a controller on this machine never changes a plan,
 * and a test can fake one. */
struct run {
	char *dir;
	char *saved;
	bool had;
	pid_t child;               /* the fake controller, killed by teardown */
};

static int run_setup(void **state)
{
	struct run *r = calloc(1, sizeof(*r));
	if (!r)
		return -1;
	const char *e = getenv("AGENTUNE_RUN_DIR");
	r->had = e != NULL;
	r->saved = e ? strdup(e) : NULL;
	r->dir = tree_new("plan-run");
	chmod(r->dir, 0700);
	setenv("AGENTUNE_RUN_DIR", r->dir, 1);
	*state = r;
	return 0;
}

static int run_teardown(void **state)
{
	struct run *r = *state;
	if (r->child > 0) {
		kill(r->child, SIGKILL);
		waitpid(r->child, NULL, 0);
	}
	if (r->had)
		setenv("AGENTUNE_RUN_DIR", r->saved, 1);
	else
		unsetenv("AGENTUNE_RUN_DIR");
	free(r->saved);
	int rc = tree_free(r->dir);
	free(r);
	return rc;
}

/* A child that sleeps until killed, named in window.pid as if it were
 * the controller of an earlier apply. */
static void fake_controller(struct run *r)
{
	r->child = stand_in_controller(r->dir);
}

static void check_window_change(const struct fx *f, size_t i, enum knob_kind k,
				const char *target, const char *old, const char *new, int line)
{
	check_change(f, i, k, target, old, new, line);
	assert_true(f->pl.c[i].ch.window);
	assert_false(f->pl.c[i].optional);
}

/* The last change starts the controller: stopped -> running, itself not
 * window-managed, from the mode line. */
static void check_controller_last(const struct fx *f, int line)
{
	assert_true(f->pl.n > 0);
	size_t last = f->pl.n - 1;
	check_change(f, last, KNOB_WINDOW, "pmqos", "stopped", "running", line);
	assert_false(f->pl.c[last].ch.window);
	assert_string_equal(f->pl.c[last].ch.label, "PM QoS window controller");
	for (size_t i = 0; i < last; i++)
		assert_int_not_equal(f->pl.c[i].ch.knob, KNOB_WINDOW);
}

static void test_pmqos_window_defaults(void **state)
{
	(void)state;
	struct fx f;
	fx_fixture(&f, "acpi-cpufreq-4cpu");
	fx_profile(&f, "[pmqos]\nmode = window\nresume_latency_us = 0\n");
	/* resume_latency_us = 0 is what they hold: nothing for a window. */
	assert_int_equal(fx_build(&f, -1, "2-3"), 0);
	assert_int_equal(f.pl.n, 0);
	check_note(&f, "[pmqos] every setting already holds", 2);

	/* Without resume_latency_us a window holds n/a. */
	fx_rebuild_prep(&f);
	fx_profile(&f, "[pmqos]\nmode = window\n");
	assert_int_equal(fx_build(&f, -1, "2-3"), 0);
	assert_int_equal(f.pl.n, 3);
	check_window_change(&f, 0, KNOB_PMQOS, "2", "0", "n/a", 2);
	check_window_change(&f, 1, KNOB_PMQOS, "3", "0", "n/a", 2);
	assert_string_equal(f.pl.c[0].ch.label, "cpu2 (window)");
	assert_string_equal(f.pl.c[1].ch.label, "cpu3 (window)");
	check_controller_last(&f, 2);
	assert_int_equal(f.pl.window.window_ns, (uint64_t)WINDOW_DEFAULT_MS * 1000000u);
	assert_int_equal(f.pl.window.window_ns, 20000000);
	assert_int_equal(f.pl.window.budget_tokens, WINDOW_DEFAULT_BUDGET);
	assert_int_equal(f.pl.window.refill_per_s, WINDOW_DEFAULT_REFILL);
	assert_int_equal(f.pl.window.cost_per_window, WINDOW_DEFAULT_COST);
	assert_int_equal(f.pl.nnotes, 0);
	char why[256];
	assert_int_equal(window_params_check(&f.pl.window, why, sizeof(why)), 0);
	fx_close(&f);
}

static void test_pmqos_window_profile_values(void **state)
{
	(void)state;
	struct fx f;
	fx_fixture(&f, "acpi-cpufreq-4cpu");
	fx_profile(&f, "[pmqos]\n"
		       "mode = window\n"
		       "resume_latency_us = 20\n"
		       "window_ms = 5ms\n"
		       "budget_tokens = 200\n"
		       "refill_per_s = 10\n"
		       "cost_per_window = 2\n"
		       "min_freq = max\n");
	assert_int_equal(fx_build(&f, -1, "1,3"), 0);
	assert_int_equal(f.pl.n, 5);
	check_window_change(&f, 0, KNOB_PMQOS, "1", "0", "20", 3);
	check_window_change(&f, 1, KNOB_PMQOS, "3", "0", "20", 3);
	/* The frequency floor is the controller's too. */
	check_window_change(&f, 2, KNOB_CPUFREQ_MIN, "policy1", "1400000", "3500000", 8);
	check_window_change(&f, 3, KNOB_CPUFREQ_MIN, "policy3", "1400000", "3500000", 8);
	assert_non_null(strstr(f.pl.c[2].ch.label, "policy1"));
	assert_non_null(strstr(f.pl.c[2].ch.label, "(window)"));
	check_controller_last(&f, 2);
	assert_int_equal(f.pl.window.window_ns, 5000000);
	assert_int_equal(f.pl.window.budget_tokens, 200);
	assert_int_equal(f.pl.window.refill_per_s, 10);
	assert_int_equal(f.pl.window.cost_per_window, 2);

	/* window_ms given in seconds. */
	fx_rebuild_prep(&f);
	fx_profile(&f, "[pmqos]\nmode = window\nwindow_ms = 1s\nrefill_per_s = 0\n");
	assert_int_equal(fx_build(&f, -1, "0"), 0);
	assert_int_equal(f.pl.n, 2);
	check_window_change(&f, 0, KNOB_PMQOS, "0", "0", "n/a", 2);
	check_controller_last(&f, 2);
	assert_int_equal(f.pl.window.window_ns, 1000000000);
	assert_int_equal(f.pl.window.refill_per_s, 0);
	assert_int_equal(f.pl.window.budget_tokens, WINDOW_DEFAULT_BUDGET);
	fx_close(&f);
}

/* The window keys mean nothing without mode = window: a note, no change. */
static void test_pmqos_window_keys_elsewhere(void **state)
{
	(void)state;
	struct fx f;
	fx_fixture(&f, "acpi-cpufreq-4cpu");
	fx_profile(&f, "[pmqos]\nmode = static\nresume_latency_us = n/a\nwindow_ms = 5\n");
	assert_int_equal(fx_build(&f, -1, "2"), 0);
	assert_int_equal(f.pl.n, 1);
	check_change(&f, 0, KNOB_PMQOS, "2", "0", "n/a", 3);
	assert_false(f.pl.c[0].ch.window);
	assert_string_equal(f.pl.c[0].ch.label, "cpu2");
	check_note(&f, "[pmqos] the window keys are used with mode = window only: not set", 4);
	/* A static plan starts no controller and has no parameters. */
	assert_int_equal(f.pl.window.window_ns, 0);

	fx_rebuild_prep(&f);
	fx_profile(&f, "[pmqos]\nmode = off\ncost_per_window = 3\n");
	assert_int_equal(fx_build(&f, -1, "2"), 0);
	assert_int_equal(f.pl.n, 0);
	check_note(&f, "the window keys are used with mode = window only", 3);

	fx_rebuild_prep(&f);
	fx_profile(&f, "[pmqos]\nbudget_tokens = 100\n");
	assert_int_equal(fx_build(&f, -1, "2"), 0);
	assert_int_equal(f.pl.n, 0);
	check_note(&f, "the window keys are used with mode = window only", 2);
	fx_close(&f);
}

/* A CPU that already holds the window's value needs no window; when none
 * needs one, no controller starts. */
static void test_pmqos_window_already_held(void **state)
{
	(void)state;
	struct fx f;
	char *root = fixture_copy("acpi-cpufreq-4cpu");
	tree_put(root, "sys/devices/system/cpu/cpu2/power/pm_qos_resume_latency_us", "n/a\n");
	tree_put(root, "sys/devices/system/cpu/cpu3/power/pm_qos_resume_latency_us", "n/a\n");
	fx_tree(&f, root);
	fx_profile(&f, "[pmqos]\nmode = window\n");
	assert_int_equal(fx_build(&f, -1, "2-3"), 0);
	assert_int_equal(f.pl.n, 0);
	check_note(&f, "[pmqos] every setting already holds", 2);

	/* One of two: that one only, then the controller. */
	fx_rebuild_prep(&f);
	fx_profile(&f, "[pmqos]\nmode = window\n");
	assert_int_equal(fx_build(&f, -1, "1-2"), 0);
	assert_int_equal(f.pl.n, 2);
	check_window_change(&f, 0, KNOB_PMQOS, "1", "0", "n/a", 2);
	check_controller_last(&f, 2);
	fx_close(&f);
}

/* No pm_qos file on the agent CPUs: nothing for a controller to do. */
static void test_pmqos_window_no_files(void **state)
{
	(void)state;
	struct fx f;
	fx_fixture(&f, "nic-napi-8cpu");
	f.qos_anyway = true;
	fx_profile(&f, "[pmqos]\nmode = window\nmethod = qos\n");
	assert_int_equal(fx_build(&f, -1, "2-3"), 0);
	assert_int_equal(f.pl.n, 0);
	check_note(&f, "PM QoS: not applicable on CPUs 2-3", 2);
	fx_close(&f);
}

/* ---------- [pmqos] method ---------- */

static size_t count_knob(const struct fx *f, enum knob_kind k)
{
	size_t n = 0;
	for (size_t i = 0; i < f->pl.n; i++)
		n += f->pl.c[i].ch.knob == k;
	return n;
}

/* auto: qos where the tree has idle states to avoid (acpi-cpufreq-4cpu:
 * C1 1 us, C2, C3), poll where it has none (nic-napi-8cpu: no cpuidle). */
static void test_method_auto(void **state)
{
	(void)state;
	struct fx f;
	fx_fixture(&f, "acpi-cpufreq-4cpu");
	fx_profile(&f, "[pmqos]\nmode = window\n");
	assert_int_equal(fx_build(&f, -1, "2"), 0);
	assert_true(f.pl.warm_set && f.pl.warm_auto);
	assert_int_equal(f.pl.warm, WARM_QOS);
	assert_non_null(strstr(f.pl.warm_why, "C3"));
	assert_int_equal(count_knob(&f, KNOB_PMQOS), 1);
	check_controller_last(&f, 2);
	fx_close(&f);

	fx_fixture(&f, "nic-napi-8cpu");
	fx_profile(&f, "[pmqos]\nmode = window\nresume_latency_us = n/a\n");
	assert_int_equal(fx_build(&f, -1, "2-3"), 0);
	assert_int_equal(f.pl.warm, WARM_POLL);
	assert_true(f.pl.warm_auto);
	assert_non_null(strstr(f.pl.warm_why, "no cpuidle"));
	/* Never a pm_qos change where it changes nothing; a tree gets no
	 * poll threads (they would spin on this machine's CPUs). */
	assert_int_equal(count_knob(&f, KNOB_PMQOS), 0);
	assert_int_equal(count_knob(&f, KNOB_WINDOW), 0);
	check_note(&f, "poll threads on CPU 2-3: not started under --root", 2);
	check_mask(&f.pl.poll_cpus, "2-3");
	assert_false(f.pl.poll_static);
	fx_close(&f);
}

/* method = qos where it changes nothing: a note with the reason, no change,
 * no controller; method = poll where qos would act: poll. */
static void test_method_explicit(void **state)
{
	(void)state;
	struct fx f;
	fx_fixture(&f, "nic-napi-8cpu");
	fx_profile(&f, "[pmqos]\nmode = window\nmethod = qos\nmin_freq = max\n");
	assert_int_equal(fx_build(&f, -1, "2"), 0);
	assert_int_equal(f.pl.warm, WARM_NONE);
	assert_false(f.pl.warm_auto);
	assert_int_equal(f.pl.n, 0);
	check_note(&f, "PM QoS: not planned, it changes nothing on this host: no cpuidle", 3);
	check_note(&f, "cpufreq floor: not applicable", 4);
	fx_close(&f);

	fx_fixture(&f, "acpi-cpufreq-4cpu");
	fx_profile(&f, "[pmqos]\nmode = static\nmethod = poll\nresume_latency_us = n/a\n");
	assert_int_equal(fx_build(&f, -1, "1"), 0);
	assert_int_equal(f.pl.warm, WARM_POLL);
	assert_true(f.pl.poll_static);
	assert_int_equal(count_knob(&f, KNOB_PMQOS), 0);
	check_note(&f, "resume_latency_us is not used with method = poll", 4);
	fx_close(&f);

	/* mode = off: the method is not used, and the plan says so. */
	fx_fixture(&f, "acpi-cpufreq-4cpu");
	fx_profile(&f, "[pmqos]\nmode = off\nmethod = poll\n");
	assert_int_equal(fx_build(&f, -1, "1"), 0);
	assert_false(f.pl.warm_set);
	assert_int_equal(f.pl.n, 0);
	check_note(&f, "[pmqos] method is used with mode = static or window only", 3);
	fx_close(&f);
}

/* The live host: the method follows from its idle states; poll is the
 * controller's change (its threads), never a pm_qos change. */
static void test_method_live(void **state)
{
	(void)state;
	if (geteuid())
		skip_because("not root: the live model needs root to read every file");
	struct fx f;
	fx_open(&f, "/", false);
	fx_profile(&f, "[pmqos]\nmode = window\n");
	struct cpumask on;
	cpumask_init(&on);
	model_cpus(&f.m, &on);
	if (cpumask_weight(&on) < 2) {
		cpumask_free(&on);
		fx_close(&f);
		skip_because("one online CPU: no housekeeping CPU is left");
	}
	char cpu[16];
	snprintf(cpu, sizeof(cpu), "%d", cpumask_next(&on, cpumask_next(&on, -1)));
	cpumask_free(&on);
	assert_int_equal(fx_build(&f, -1, cpu), 0);
	enum warm_method host = cpuidle_warm_method(&f.m.idle, &f.pl.agent_cpus, NULL, 0);
	assert_int_equal(f.pl.warm, host);
	if (host == WARM_POLL) {
		char label[64];
		snprintf(label, sizeof(label), "poll threads on CPU %s (window)", cpu);
		assert_int_equal(count_knob(&f, KNOB_PMQOS), 0);
		assert_int_equal(f.pl.n, 1);
		check_change(&f, 0, KNOB_WINDOW, "pmqos", "stopped", "running", 2);
		assert_string_equal(f.pl.c[0].ch.label, label);
	} else if (host == WARM_QOS) {
		assert_true(count_knob(&f, KNOB_PMQOS) + f.pl.nnotes >= 1);
	} else {
		check_note(&f, "neither method acts", 2);
	}
	fx_close(&f);
}

/* A controller of an earlier apply runs: a window profile leaves PM QoS to
 * it (a note), a static one is refused. */
static void test_pmqos_controller_running(void **state)
{
	struct run *r = *state;
	fake_controller(r);
	struct fx f;
	fx_fixture(&f, "acpi-cpufreq-4cpu");
	fx_profile(&f, "[napi]\n[pmqos]\nmode = window\nmin_freq = max\n");
	assert_int_equal(fx_build(&f, -1, "2-3"), 0);
	assert_int_equal(f.pl.n, 0);
	char want[160];
	snprintf(want, sizeof(want),
		 "PM QoS window: the controller of an earlier apply (pid %d) is running; "
		 "its windows stay as they are", (int)r->child);
	check_note(&f, want, 3);

	fx_rebuild_prep(&f);
	fx_profile(&f, "[pmqos]\nmode = static\nresume_latency_us = n/a\n");
	assert_int_equal(fx_build(&f, -1, "2-3"), -EINVAL);
	check_why(&f, 2, "revert it first");
	snprintf(want, sizeof(want), "the PM QoS window controller of an earlier apply (pid %d) "
		 "manages PM QoS here", (int)r->child);
	check_why(&f, 2, want);
	assert_int_equal(f.pl.n, 0);

	/* mode = off with a floor is not PM QoS's business: planned as usual. */
	fx_rebuild_prep(&f);
	fx_profile(&f, "[pmqos]\nmode = off\nmin_freq = max\n");
	assert_int_equal(fx_build(&f, -1, "3"), 0);
	assert_int_equal(f.pl.n, 1);
	check_change(&f, 0, KNOB_CPUFREQ_MIN, "policy3", "1400000", "3500000", 3);
	assert_false(f.pl.c[0].ch.window);

	/* The same pid file with another starttime (a recycled pid) is no
	 * controller: the static profile plans. */
	char line[64];
	snprintf(line, sizeof(line), "%d %llu\n", (int)r->child, starttime_of(r->child) + 1);
	tree_put(r->dir, "window.pid", line);
	fx_rebuild_prep(&f);
	fx_profile(&f, "[pmqos]\nmode = static\nresume_latency_us = n/a\n");
	assert_int_equal(fx_build(&f, -1, "2"), 0);
	assert_int_equal(f.pl.n, 1);
	check_change(&f, 0, KNOB_PMQOS, "2", "0", "n/a", 3);
	fx_close(&f);
}

/* ---------- [napi] ---------- */

static void test_napi_sysfs_fallback(void **state)
{
	(void)state;
	struct fx f;
	/* Not live: the saved NAPI dump is there, but writes go through sysfs. */
	fx_fixture(&f, "nic-napi-8cpu");
	assert_false(f.h.live);
	assert_true(f.m.net.napi_available);
	fx_profile(&f, "[napi]\n"
		       "interfaces = auto\n"
		       "defer_hard_irqs = 5\n"
		       "gro_flush_timeout = 100000\n");
	assert_int_equal(fx_build(&f, -1, "2-3"), 0);
	assert_int_equal(f.pl.n, 2);
	check_change(&f, 0, KNOB_NETDEV_ATTR, "ens1f0/napi_defer_hard_irqs", "2", "5", 3);
	check_change(&f, 1, KNOB_NETDEV_ATTR, "ens1f0/gro_flush_timeout", "200000", "100000", 4);

	/* Without interfaces =: auto, lo (virtual) left out; equal values too. */
	fx_rebuild_prep(&f);
	fx_profile(&f, "[napi]\ndefer_hard_irqs = 2\ngro_flush_timeout = 50us\n");
	assert_int_equal(fx_build(&f, -1, "2-3"), 0);
	assert_int_equal(f.pl.n, 1);
	check_change(&f, 0, KNOB_NETDEV_ATTR, "ens1f0/gro_flush_timeout", "200000", "50000", 3);

	/* A named interface that is not here. */
	fx_rebuild_prep(&f);
	fx_profile(&f, "[napi]\ninterfaces = ens1f0 eth9\ndefer_hard_irqs = 5\n");
	assert_int_equal(fx_build(&f, -1, "2-3"), -EINVAL);
	check_why(&f, 2, "no interface eth9 on this host");
	fx_close(&f);
}

static void test_napi_sysfs_missing(void **state)
{
	(void)state;
	struct fx f;
	char *root = fixture_copy("virtio-net-2cpu");
	char p[TEST_PATH];
	tpathf(p, "%s/sys/devices/pci0000:00/0000:00:03.0/virtio2/net/eth0/"
		 "gro_flush_timeout", root);
	assert_int_equal(unlink(p), 0);
	fx_tree(&f, root);
	fx_profile(&f, "[napi]\ninterfaces = eth0\ndefer_hard_irqs = 3\ngro_flush_timeout = 20us\n");
	assert_int_equal(fx_build(&f, -1, "1"), 0);
	assert_int_equal(f.pl.n, 1);
	check_change(&f, 0, KNOB_NETDEV_ATTR, "eth0/napi_defer_hard_irqs", "0", "3", 3);
	check_note(&f, "eth0 gro_flush_timeout: not applicable", 4);
	fx_close(&f);
}

static void test_sysctls(void **state)
{
	(void)state;
	struct fx f;
	char *root = fixture_copy("nic-napi-8cpu");
	char p[TEST_PATH];
	tpathf(p, "%s/proc/sys/net/core/busy_read", root);
	assert_int_equal(unlink(p), 0);
	fx_tree(&f, root);
	fx_profile(&f, "[napi]\n"
		       "netdev_budget = 600\n"
		       "netdev_budget_usecs = 2000\n"
		       "busy_poll = 50\n"
		       "busy_read = 50\n");
	assert_int_equal(fx_build(&f, -1, "2-3"), 0);
	assert_int_equal(f.pl.n, 2);
	check_change(&f, 0, KNOB_SYSCTL, "net.core.netdev_budget", "300", "600", 2);
	check_change(&f, 1, KNOB_SYSCTL, "net.core.busy_poll", "0", "50", 4);
	assert_string_equal(f.pl.c[1].ch.label, "net.core.busy_poll");
	check_note(&f, "net.core.busy_read: not applicable", 5);
	assert_int_equal(f.pl.nnotes, 1);
	fx_close(&f);
}

static void test_order_of_sections(void **state)
{
	(void)state;
	struct fx f;
	fx_tree(&f, nic_tree());
	/* Sections in the file in another order: the plan keeps its own. */
	fx_profile(&f, "[napi]\n"
		       "defer_hard_irqs = 4\n"
		       "netdev_budget = 400\n"
		       "[irq]\n"
		       "move = irq:128 -> housekeeping\n");
	assert_int_equal(fx_build(&f, -1, "7"), 0);
	assert_int_equal(f.pl.n, 3);
	check_change(&f, 0, KNOB_IRQ_AFFINITY, "128", "7", "0-6", 5);
	check_change(&f, 1, KNOB_SYSCTL, "net.core.netdev_budget", "300", "400", 3);
	check_change(&f, 2, KNOB_NETDEV_ATTR, "ens1f0/napi_defer_hard_irqs", "2", "4", 2);
	fx_close(&f);
}

/* ---------- [cgroup] ---------- */

/* nic-napi-8cpu (pure cgroup v2) with pid 4242 in /user.slice/s.scope. */
static char *v2_tree(const char *subtree_control, bool uclamp)
{
	char *root = fixture_copy("nic-napi-8cpu");
	tree_put(root, "proc/4242/status", "Name:\tagent\nCpus_allowed_list:\t0-7\n");
	tree_put(root, "proc/4242/stat", STAT_LINE(4242, 555));
	tree_put(root, "proc/4242/cgroup", "0::/user.slice/s.scope\n");
	if (uclamp)
		tree_put(root, "proc/sys/kernel/sched_util_clamp_min", "1024\n");
	tree_put(root, "sys/fs/cgroup/cgroup.subtree_control", subtree_control);
	tree_put(root, "sys/fs/cgroup/cpuset.mems.effective", "0\n");
	tree_put(root, "sys/fs/cgroup/cgroup.procs", "1\n2\n4242\n");
	tree_put(root, "sys/fs/cgroup/user.slice/cgroup.procs", "");
	tree_put(root, "sys/fs/cgroup/user.slice/cpuset.cpus", "\n");
	tree_put(root, "sys/fs/cgroup/user.slice/s.scope/cgroup.procs", "4242\n");
	return root;
}

static const char v2_profile[] = "[agent]\n"
				 "cpus = 2-3\n"
				 "[cgroup]\n"
				 "cpu_weight = 500\n"
				 "cpu_max = 50000 100000\n"
				 "cpuset = auto\n"
				 "uclamp_min = 20\n";

static void test_cgroup_v2(void **state)
{
	(void)state;
	struct fx f;
	fx_tree(&f, v2_tree("cpuset cpu io memory pids\n", true));
	fx_profile(&f, v2_profile);
	assert_int_equal(fx_build(&f, 4242, NULL), 0);
	assert_int_equal(f.pl.pid, 4242);
	assert_int_equal(f.pl.n, 7);
	check_change(&f, 0, KNOB_CGROUP_DIR, "/sys/fs/cgroup/agentune", "absent", "present", 4);
	check_change(&f, 1, KNOB_CGROUP_ATTR, "/sys/fs/cgroup/agentune/cpu.weight", "", "500", 4);
	check_change(&f, 2, KNOB_CGROUP_ATTR, "/sys/fs/cgroup/agentune/cpu.max", "",
		     "50000 100000", 5);
	check_change(&f, 3, KNOB_CGROUP_ATTR, "/sys/fs/cgroup/agentune/cpu.uclamp.min", "", "20.00",
		     7);
	check_change(&f, 4, KNOB_CGROUP_ATTR, "/sys/fs/cgroup/agentune/cpuset.cpus", "", "2-3", 6);
	check_change(&f, 5, KNOB_CGROUP_ATTR, "/sys/fs/cgroup/agentune/cpuset.mems", "", "0", 6);
	check_change(&f, 6, KNOB_CGROUP_PROCS, "4242@555:/sys/fs/cgroup", "/user.slice/s.scope",
		     "/agentune", 4);
	assert_non_null(strstr(f.pl.c[1].ch.label, "(new cgroup)"));
	assert_null(strstr(f.pl.c[6].ch.label, "(new cgroup)"));
	assert_int_equal(f.pl.nnotes, 0);
	fx_close(&f);
}

static void test_cgroup_v2_controller_off(void **state)
{
	(void)state;
	struct fx f;
	/* cpu not delegated to children, and a kernel without uclamp. */
	fx_tree(&f, v2_tree("cpuset io memory\n", false));
	fx_profile(&f, v2_profile);
	assert_int_equal(fx_build(&f, 4242, NULL), 0);
	assert_int_equal(f.pl.n, 4);
	check_change(&f, 0, KNOB_CGROUP_DIR, "/sys/fs/cgroup/agentune", "absent", "present", 4);
	check_change(&f, 1, KNOB_CGROUP_ATTR, "/sys/fs/cgroup/agentune/cpuset.cpus", "", "2-3", 6);
	check_change(&f, 2, KNOB_CGROUP_ATTR, "/sys/fs/cgroup/agentune/cpuset.mems", "", "0", 6);
	check_change(&f, 3, KNOB_CGROUP_PROCS, "4242@555:/sys/fs/cgroup", "/user.slice/s.scope",
		     "/agentune", 4);
	check_note(&f, "cpu controller not enabled for children of /sys/fs/cgroup: skipped", 4);
	check_note(&f, "uclamp_min: not applicable", 7);
	fx_close(&f);
}

static void test_cgroup_v2_existing(void **state)
{
	(void)state;
	struct fx f;
	char *root = v2_tree("cpuset cpu io memory pids\n", true);
	tree_put(root, "sys/fs/cgroup/agentune/cgroup.procs", "4242\n");
	tree_put(root, "sys/fs/cgroup/agentune/cpu.weight", "500\n");
	tree_put(root, "sys/fs/cgroup/agentune/cpu.max", "max 100000\n");
	tree_put(root, "sys/fs/cgroup/agentune/cpu.uclamp.min", "0.00\n");
	tree_put(root, "sys/fs/cgroup/agentune/cpuset.cpus", "2-3\n");
	tree_put(root, "sys/fs/cgroup/agentune/cpuset.mems", "0\n");
	tree_put(root, "proc/4242/cgroup", "0::/agentune\n");
	fx_tree(&f, root);
	fx_profile(&f, v2_profile);
	/* A second apply over the first: only what differs. */
	assert_int_equal(fx_build(&f, 4242, NULL), 0);
	assert_int_equal(f.pl.n, 2);
	check_change(&f, 0, KNOB_CGROUP_ATTR, "/sys/fs/cgroup/agentune/cpu.max", "max 100000",
		     "50000 100000", 5);
	check_change(&f, 1, KNOB_CGROUP_ATTR, "/sys/fs/cgroup/agentune/cpu.uclamp.min", "0.00",
		     "20.00", 7);
	assert_null(strstr(f.pl.c[0].ch.label, "(new cgroup)"));
	fx_close(&f);
}

static void test_cgroup_without_pid(void **state)
{
	(void)state;
	struct fx f;
	fx_tree(&f, v2_tree("cpuset cpu\n", true));
	fx_profile(&f, v2_profile);
	assert_int_equal(fx_build(&f, -1, NULL), 0);
	assert_int_equal(f.pl.n, 0);
	assert_int_equal(f.pl.nnotes, 1);
	check_note(&f, "cgroup settings skipped: no --pid", 4);
	fx_close(&f);
}

/* virtio-net-2cpu: hybrid, cpu and cpuset on their own v1 hierarchies. */
static void test_cgroup_v1_hybrid(void **state)
{
	(void)state;
	struct fx f;
	char *root = fixture_copy("virtio-net-2cpu");
	tree_put(root, "proc/77/status", "Name:\tagent\nCpus_allowed_list:\t0-1\n");
	tree_put(root, "proc/77/stat", STAT_LINE(77, 777));
	tree_put(root, "proc/77/cgroup", "8:pids:/\n3:cpuset:/\n1:cpu:/\n0::/\n");
	tree_put(root, "sys/fs/cgroup/cpu/cgroup.procs", "1\n77\n");
	tree_put(root, "sys/fs/cgroup/cpu/cpu.shares", "1024\n");
	tree_put(root, "sys/fs/cgroup/cpuset/cgroup.procs", "1\n77\n");
	tree_put(root, "sys/fs/cgroup/cpuset/cpuset.cpus", "0-1\n");
	tree_put(root, "sys/fs/cgroup/cpuset/cpuset.mems", "0\n");
	tree_put(root, "sys/fs/cgroup/cpuset/system.slice/cpuset.cpus", "0-1\n");
	tree_put(root, "sys/fs/cgroup/cpuset/system.slice/bar.service/cpuset.cpus", "0\n");
	tree_put(root, "sys/fs/cgroup/cpuset/system.slice/foo.service/cpuset.cpus", "0-1\n");
	tree_put(root, "sys/fs/cgroup/cpuset/user.slice/cpuset.cpus", "0\n");
	fx_tree(&f, root);
	assert_int_equal(f.m.cgroup.mode, CGROUP_HYBRID);
	fx_profile(&f, "[cgroup]\n"
		       "cpu_weight = 200\n"
		       "cpu_max = max\n"
		       "cpuset = 1\n"
		       "isolate = yes\n");
	assert_int_equal(fx_build(&f, 77, "1"), 0);
	assert_int_equal(f.pl.n, 11);
	check_change(&f, 0, KNOB_CGROUP_DIR, "/sys/fs/cgroup/cpu/agentune", "absent", "present", 2);
	check_change(&f, 1, KNOB_CGROUP_ATTR, "/sys/fs/cgroup/cpu/agentune/cpu.shares", "", "2048",
		     2);
	check_change(&f, 2, KNOB_CGROUP_ATTR, "/sys/fs/cgroup/cpu/agentune/cpu.cfs_period_us", "",
		     "100000", 3);
	check_change(&f, 3, KNOB_CGROUP_ATTR, "/sys/fs/cgroup/cpu/agentune/cpu.cfs_quota_us", "",
		     "-1", 3);
	check_change(&f, 4, KNOB_CGROUP_DIR, "/sys/fs/cgroup/cpuset/agentune", "absent", "present",
		     2);
	check_change(&f, 5, KNOB_CGROUP_ATTR, "/sys/fs/cgroup/cpuset/agentune/cpuset.cpus", "", "1",
		     4);
	check_change(&f, 6, KNOB_CGROUP_ATTR, "/sys/fs/cgroup/cpuset/agentune/cpuset.mems", "", "0",
		     4);
	check_change(&f, 7, KNOB_CGROUP_PROCS, "77@777:/sys/fs/cgroup/cpu", "/", "/agentune", 2);
	check_change(&f, 8, KNOB_CGROUP_PROCS, "77@777:/sys/fs/cgroup/cpuset", "/", "/agentune", 2);
	/* isolate: v1 children before their parent; those within
	 * housekeeping already (bar.service, user.slice) left alone. */
	check_change(&f, 9, KNOB_CGROUP_ATTR,
		     "/sys/fs/cgroup/cpuset/system.slice/foo.service/cpuset.cpus", "0-1", "0", 5);
	check_change(&f, 10, KNOB_CGROUP_ATTR, "/sys/fs/cgroup/cpuset/system.slice/cpuset.cpus",
		     "0-1", "0", 5);
	check_note(&f, "1 process in the root cpuset cannot be moved by a cgroup; for full "
		       "isolation boot with isolcpus=/nohz_full=", 5);
	assert_int_equal(f.pl.nnotes, 1);
	fx_close(&f);
}

static void test_cgroup_v1_uclamp_and_existing_dir(void **state)
{
	(void)state;
	struct fx f;
	char *root = fixture_copy("virtio-net-2cpu");
	tree_put(root, "proc/77/status", "Name:\tagent\nCpus_allowed_list:\t0-1\n");
	tree_put(root, "proc/77/stat", STAT_LINE(77, 777));
	tree_put(root, "proc/77/cgroup", "3:cpuset:/\n1:cpu:/agentune\n0::/\n");
	tree_put(root, "proc/sys/kernel/sched_util_clamp_min", "1024\n");
	tree_put(root, "sys/fs/cgroup/cpu/cgroup.procs", "1\n");
	tree_put(root, "sys/fs/cgroup/cpu/agentune/cgroup.procs", "77\n");
	tree_put(root, "sys/fs/cgroup/cpu/agentune/cpu.shares", "1024\n");
	tree_put(root, "sys/fs/cgroup/cpu/agentune/cpu.uclamp.min", "0.00\n");
	fx_tree(&f, root);
	fx_profile(&f, "[cgroup]\nname = agentune\ncpu_weight = 1\nuclamp_min = max\n");
	assert_int_equal(fx_build(&f, 77, "1"), 0);
	/* shares = 1 * 1024 / 100 = 10; the process is already there. */
	assert_int_equal(f.pl.n, 2);
	check_change(&f, 0, KNOB_CGROUP_ATTR, "/sys/fs/cgroup/cpu/agentune/cpu.shares", "1024",
		     "10", 3);
	check_change(&f, 1, KNOB_CGROUP_ATTR, "/sys/fs/cgroup/cpu/agentune/cpu.uclamp.min", "0.00",
		     "max", 4);
	fx_close(&f);
}

/* ---------- [agent] timer_slack_ns ---------- */

static void put_task(const char *root, int pid, int tid, const char *comm, unsigned start,
		     const char *slack)
{
	char p[128], line[256];
	snprintf(p, sizeof(p), "proc/%d/task/%d/stat", pid, tid);
	snprintf(line, sizeof(line), "%d (%s) S 1 1 1 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 3 0 %u 0 0\n",
		 tid, comm, start);
	tree_put(root, p, line);
	snprintf(p, sizeof(p), "proc/%d/timerslack_ns", tid);
	tree_put(root, p, slack);
}

/* Each thread of --pid, one change each with its start time, the main
 * thread first; one already at the value and a real-time one (0) left
 * out, the latter with a note; threads started later: a note. */
static void test_timer_slack(void **state)
{
	(void)state;
	struct fx f;
	char *root = fixture_copy("virtio-net-2cpu");
	tree_put(root, "proc/77/status", "Name:\tagent\nCpus_allowed_list:\t0-1\n");
	tree_put(root, "proc/77/stat", STAT_LINE(77, 777));
	put_task(root, 77, 77, "agent", 777, "50000\n");
	put_task(root, 77, 80, "agent-c0", 790, "50000\n");
	put_task(root, 77, 81, "agent-p0", 791, "1\n");
	put_task(root, 77, 82, "agent-rt", 792, "0\n");
	fx_tree(&f, root);
	fx_profile(&f, "[agent]\ncpus = 1\ntimer_slack_ns = 1\n");
	assert_int_equal(fx_build(&f, 77, NULL), 0);
	assert_int_equal(f.pl.n, 2);
	check_change(&f, 0, KNOB_TIMER_SLACK, "77/77@777", "50000", "1", 3);
	check_change(&f, 1, KNOB_TIMER_SLACK, "77/80@790", "50000", "1", 3);
	assert_string_equal(f.pl.c[1].ch.label, "thread 80 (agent-c0) of pid 77");
	check_note(&f, "timer slack: thread 82 runs under a real-time policy, where no timer slack "
		       "applies (it reads 0): left as it is", 3);
	check_note(&f, "threads it starts later copy the slack of the thread that starts them, "
		       "and revert does not reach them", 3);
	fx_close(&f);

	/* without --pid: a note, no change */
	root = fixture_copy("virtio-net-2cpu");
	fx_tree(&f, root);
	fx_profile(&f, "[agent]\ncpus = 1\ntimer_slack_ns = 2us\n");
	assert_int_equal(fx_build(&f, -1, NULL), 0);
	assert_int_equal(f.pl.n, 0);
	check_note(&f, "[agent] timer_slack_ns: skipped: no --pid", 3);
	fx_close(&f);

	/* a tree without the process's task directory: a note, not a failure */
	root = fixture_copy("virtio-net-2cpu");
	tree_put(root, "proc/77/status", "Name:\tagent\nCpus_allowed_list:\t0-1\n");
	tree_put(root, "proc/77/stat", STAT_LINE(77, 777));
	fx_tree(&f, root);
	fx_profile(&f, "[agent]\ncpus = 1\ntimer_slack_ns = 1\n");
	assert_int_equal(fx_build(&f, 77, NULL), 0);
	assert_int_equal(f.pl.n, 0);
	check_note(&f, "[agent] timer_slack_ns: skipped: cannot list the threads of process 77 "
		       "(/proc/77/task: No such file or directory)", 3);
	fx_close(&f);

	/* every thread already there */
	root = fixture_copy("virtio-net-2cpu");
	tree_put(root, "proc/77/status", "Name:\tagent\nCpus_allowed_list:\t0-1\n");
	tree_put(root, "proc/77/stat", STAT_LINE(77, 777));
	put_task(root, 77, 77, "agent", 777, "2000\n");
	fx_tree(&f, root);
	fx_profile(&f, "[agent]\ncpus = 1\ntimer_slack_ns = 2us\n");
	assert_int_equal(fx_build(&f, 77, NULL), 0);
	assert_int_equal(f.pl.n, 0);
	check_note(&f, "[agent] timer_slack_ns: every thread already holds 2000 ns", 3);
	fx_close(&f);
}

/* ---------- every shared capture ---------- */

static void test_shared_hosts(void **state)
{
	(void)state;
	struct shared_iter it;
	/* First, before anything is allocated: it skips without ../shared. */
	shared_first(&it);
	char *dir = tree_new("plan-prof");
	char prof[TEST_PATH];
	tpathf(prof, "%s/t.profile", dir);
	tree_put(dir, "t.profile", "[irq]\n"
				   "move = all -> housekeeping\n"
				   "move = class:net -> numa-local\n"
				   "move = class:nvme -> agent-node\n"
				   "[napi]\n"
				   "netdev_budget = 600\n"
				   "defer_hard_irqs = 2\n"
				   "[pmqos]\n"
				   "mode = static\n"
				   "resume_latency_us = n/a\n"
				   "min_freq = 50%\n");
	struct profile_opts po = { 0 };
	struct parse_error err;
	struct profile p;
	assert_int_equal(profile_load(prof, &po, &p, &err), 0);
	size_t hosts = 0, planned = 0;
	while (shared_next(&it)) {
		struct model m;
		assert_int_equal(model_read(&it.h, &m), 0);
		struct cpumask online, agent;
		cpumask_init(&online);
		cpumask_init(&agent);
		model_cpus(&m, &online);
		int last = -1;
		for (int c = cpumask_next(&online, -1); c >= 0; c = cpumask_next(&online, c))
			last = c;
		if (last >= 0)
			cpumask_set(&agent, (unsigned)last);
		struct plan_opts o = { .pid = -1, .cpus = &agent };
		struct plan pl;
		char why[512];
		int rc = plan_build(&it.h, &m, &p, &o, &pl, why, sizeof(why));
		hosts++;
		if (cpumask_weight(&online) < 2) {
			/* One CPU (or none known): nothing for housekeeping. */
			assert_int_equal(rc, -EINVAL);
			assert_true(why[0] != '\0');
			assert_int_equal(pl.n, 0);
		} else {
			if (rc)
				fprintf(stderr, "%s: %s\n", it.name, why);
			assert_int_equal(rc, 0);
			planned++;
			assert_true(cpumask_equal(&pl.agent_cpus, &agent));
			assert_false(cpumask_intersects(&pl.agent_cpus, &pl.housekeeping));
			assert_false(cpumask_empty(&pl.housekeeping));
			for (size_t i = 0; i < pl.n; i++) {
				char w[256];
				assert_true(knob_valid(pl.c[i].ch.knob, pl.c[i].ch.target, pl.c[i].ch.new,
						       w, sizeof(w)));
				assert_false(knob_same(pl.c[i].ch.knob, pl.c[i].ch.old, pl.c[i].ch.new));
				assert_non_null(strstr(pl.c[i].ch.source, ":"));
			}
			for (size_t i = 0; i < pl.nnotes; i++)
				assert_true(pl.notes[i].text[0] != '\0');
			if (getenv("PLAN_DEBUG")) {
				fprintf(stderr, "%s: %zu changes\n", it.name, pl.n);
				for (size_t i = 0; i < pl.n && i < 4; i++)
					fprintf(stderr, "  %s %s: %s -> %s\n",
						knob_name(pl.c[i].ch.knob), pl.c[i].ch.target,
						pl.c[i].ch.old, pl.c[i].ch.new);
				for (size_t i = 0; i < pl.nnotes; i++)
					fprintf(stderr, "  note %s\n", pl.notes[i].text);
			}
			/* A floor only where cpufreq exists. */
			bool floor = false;
			for (size_t i = 0; i < pl.n; i++)
				floor |= pl.c[i].ch.knob == KNOB_CPUFREQ_MIN;
			if (!m.freq.available)
				assert_false(floor);
		}
		plan_free(&pl);
		cpumask_free(&online);
		cpumask_free(&agent);
		model_free(&m);
	}
	assert_true(hosts > 20);
	assert_true(planned > 15);
	profile_free(&p);
	assert_int_equal(tree_free(dir), 0);
}

static void test_plan_free_twice(void **state)
{
	(void)state;
	struct plan pl;
	memset(&pl, 0, sizeof(pl));
	plan_free(&pl);
	assert_int_equal(pl.pid, -1);
	plan_free(&pl);
	plan_free(NULL);
	assert_null(pl.c);
	assert_int_equal(pl.n, 0);
}

/* Every test plans with a scratch AGENTUNE_RUN_DIR. */
#define T(f) cmocka_unit_test_setup_teardown(f, run_setup, run_teardown)

static const struct CMUnitTest tests[] = {
	T(test_cpus_auto_without_pid),
	T(test_cpus_auto_from_pid),
	T(test_agent_everywhere),
	T(test_cpus_offline_and_overlap),
	T(test_irq_all_to_housekeeping),
	T(test_irq_later_rule_wins),
	T(test_irq_name_and_class_other),
	T(test_irq_numa_local),
	T(test_irq_numa_unknown),
	T(test_irq_agent_node),
	T(test_irq_selector_without_irq),
	T(test_irq_virtio_label),
	T(test_irq_no_affinity_files),
	T(test_pmqos_static_na),
	T(test_pmqos_missing_files),
	T(test_cpufreq_floor),
	T(test_cpufreq_out_of_range),
	T(test_cpufreq_absent),
	T(test_pmqos_window_defaults),
	T(test_pmqos_window_profile_values),
	T(test_pmqos_window_keys_elsewhere),
	T(test_pmqos_window_already_held),
	T(test_pmqos_window_no_files),
	T(test_pmqos_controller_running),
	T(test_method_auto),
	T(test_method_explicit),
	T(test_method_live),
	T(test_napi_sysfs_fallback),
	T(test_napi_sysfs_missing),
	T(test_sysctls),
	T(test_order_of_sections),
	T(test_cgroup_v2),
	T(test_cgroup_v2_controller_off),
	T(test_cgroup_v2_existing),
	T(test_cgroup_without_pid),
	T(test_cgroup_v1_hybrid),
	T(test_cgroup_v1_uclamp_and_existing_dir),
	T(test_timer_slack),
	T(test_shared_hosts),
	T(test_plan_free_twice),
};

RUN_TESTS(tests)
