/* tune/tune: apply a plan under the journal, revert it, report its status. */
#include "tune/tune.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/errmsg.h"
#include "base/util.h"
#include "tune/knob_cgroup.h"
#include "tune/winctl.h"

static const char *const state_names[] = {
	[TUNE_DONE] = "done",         [TUNE_UNCHANGED] = "unchanged",
	[TUNE_SKIPPED] = "skipped",   [TUNE_FAILED] = "failed",
	[TUNE_UNDONE] = "undone",     [TUNE_NOT_RUN] = "not-run",
	[TUNE_RESTORED] = "restored", [TUNE_ORIGINAL] = "original",
	[TUNE_GONE] = "gone",         [TUNE_DRIFTED] = "drifted",
	[TUNE_FORCED] = "forced",     [TUNE_OK] = "ok",
	[TUNE_WITH_CGROUP] = "with-cgroup", [TUNE_WINDOW] = "window",
};

const char *tune_state_name(enum tune_state s)
{
	return s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

/* A new item about the change ch (its values included; callers set them
 * to what they found). */
static struct tune_item *add_item(struct tune_result *r, const struct change *ch)
{
	struct tune_item *v = grow(r->it, r->n + 1, &r->cap, sizeof(*v), 16);
	if (!v)
		return NULL;
	r->it = v;
	struct tune_item *it = &v[r->n++];
	memset(it, 0, sizeof(*it));
	it->ch = *ch;
	return it;
}

void tune_result_free(struct tune_result *r)
{
	free(r->it);
	memset(r, 0, sizeof(*r));
}

/* ---------- what a change acts on: a knob, or the window controller ---------- */

/* The current value of the change's target: a knob's, or for the window
 * controller whether it runs ("running" | "stopped"), as winctl tells from
 * the run directory (the journal's).  0 or -errno (-ENOENT: gone). */
static int setting_read(const struct host *h, const struct journal *j, enum knob_kind k,
			const char *target, char *val, size_t sz)
{
	if (k != KNOB_WINDOW)
		return knob_read(h, k, target, val, sz);
	/* A live process whatever the host root: apply starts it on this
	 * machine. */
	copy_str(val, sz, winctl_state_at(j->dirfd, NULL));
	return 0;
}

/* Writes a knob, or stops the window controller ("stopped"); the
 * controller is started by apply only, with its plan (start_controller). */
static int setting_write(const struct host *h, const struct journal *j, enum knob_kind k,
			 const char *target, const char *val, char *why, size_t sz)
{
	if (k != KNOB_WINDOW)
		return knob_write(h, k, target, val, why, sz);
	if (!strcmp(val, "stopped"))
		return winctl_stop_at(j->dirfd, why, sz);
	return errmsg(why, sz, -EOPNOTSUPP,
		      "the PM QoS window controller is started by apply, with its profile");
}

/* "cannot read PATH: reason" (the path when the knob has a file). */
static void read_error(char *why, size_t sz, enum knob_kind k, const char *target, int rc)
{
	char path[PATH_MAX];
	knob_path(k, target, path, sizeof(path));
	if (path[0])
		errmsg(why, sz, rc, "cannot read %s: %s", path, host_strerror(rc));
	else
		errmsg(why, sz, rc, "cannot read it: %s", host_strerror(rc));
}

/* Writes val and reads it back.  0, or -errno with why. */
static int write_verified(const struct host *h, const struct journal *j, enum knob_kind k,
			  const char *target, const char *val, char *why, size_t sz)
{
	char back[KNOB_VAL_MAX];
	int rc = setting_write(h, j, k, target, val, why, sz);
	if (rc)
		return rc;
	rc = setting_read(h, j, k, target, back, sizeof(back));
	if (rc)
		return errmsg(why, sz, rc, "wrote %s but cannot read it back: %s", val,
			      host_strerror(rc));
	if (!knob_same(k, back, val))
		return errmsg(why, sz, -EIO, "wrote %s but it reads back as %s", val, back);
	return 0;
}

/* An attribute of a cgroup directory that a journaled change created: it
 * goes away with the directory, and its "original" (often empty, as a new
 * v1 cpuset's CPUs are) cannot be written back. */
static bool in_created_cgroup(const struct journal *j, enum knob_kind k, const char *target)
{
	if (k != KNOB_CGROUP_ATTR)
		return false;
	const char *slash = strrchr(target, '/');
	if (!slash)
		return false;
	size_t len = (size_t)(slash - target);
	for (size_t i = 0; i < j->n; i++) {
		const struct change *c = &j->e[i].ch;
		if (c->knob == KNOB_CGROUP_DIR && !strcmp(c->old, "absent") &&
		    strlen(c->target) == len && !strncmp(c->target, target, len))
			return true;
	}
	return false;
}

/* ---------- apply ---------- */

/* Undoes what this apply changed, newest first: the changes made and a
 * failed one whose write may have landed (it was journaled).  Returns how
 * many could not be restored; their journal records must stay. */
static size_t undo(const struct host *h, const struct journal *j, struct tune_result *r,
		   bool *keep, const long *entry_of, size_t first_entry)
{
	size_t failed = 0;
	for (size_t i = r->n; i-- > 0;) {
		struct tune_item *it = &r->it[i];
		const struct change *c = &it->ch;
		bool unsure = it->state == TUNE_FAILED || it->state == TUNE_WINDOW;
		if (entry_of[i] < 0 || (it->state != TUNE_DONE && !unsure))
			continue;
		if (in_created_cgroup(j, c->knob, c->target)) {
			if (it->state == TUNE_DONE)
				it->state = TUNE_UNDONE;
			continue;
		}
		char now[KNOB_VAL_MAX], why[320];
		/* A failed write may have landed; a window value is the
		 * controller's, which has been stopped by now (newer first). */
		if (unsure && !setting_read(h, j, c->knob, c->target, now, sizeof(now)) &&
		    knob_same(c->knob, now, c->old)) {
			if (it->state == TUNE_WINDOW)
				it->state = TUNE_UNDONE;
			continue;
		}
		if (write_verified(h, j, c->knob, c->target, c->old, why, sizeof(why))) {
			errmsg_append(it->why, sizeof(it->why), "could not be undone: %s", why);
			keep[(size_t)entry_of[i] - first_entry] = true;
			failed++;
			continue;
		}
		if (it->state == TUNE_DONE || it->state == TUNE_WINDOW)
			it->state = TUNE_UNDONE;
	}
	return failed;
}

/* Rewrites the journal without this apply's records except those keep_new
 * marks (the records before first_entry are other applies' and stay).
 * Dropping all of them cuts the file back, which a full disk cannot stop.
 * 0 or -errno with why: the journal then still holds the records (as
 * revert understands them: a change undone reads its original value and
 * its record is dropped; status says "original"). */
static int drop_apply_records(struct journal *j, size_t first_entry, const bool *keep_new,
			      char *why, size_t sz)
{
	bool all = true;
	for (size_t i = first_entry; keep_new && i < j->n; i++)
		all &= !keep_new[i - first_entry];
	if (all)
		return journal_drop_last_apply(j, first_entry, why, sz);
	bool *keep = calloc(j->n ? j->n : 1, sizeof(*keep));
	if (!keep)
		return errmsg(why, sz, -ENOMEM, "out of memory");
	for (size_t i = 0; i < j->n; i++)
		keep[i] = i < first_entry || keep_new[i - first_entry];
	int rc = journal_rewrite(j, keep, why, sz);
	free(keep);
	return rc;
}

static struct journal_apply apply_record(const struct journal *j,
					 const struct tune_apply_opts *o, const struct host *h)
{
	struct journal_apply a = { 0 };
	a.apply = j->napplies ? j->applies[j->napplies - 1].apply + 1 : 1;
	copy_str(a.profile, sizeof(a.profile), o->profile ? o->profile : "");
	copy_str(a.path, sizeof(a.path), o->profile_path ? o->profile_path : "");
	copy_str(a.cpus, sizeof(a.cpus), o->cpus ? o->cpus : ""); /* length checked */
	copy_str(a.root, sizeof(a.root), h->root);
	a.root_id_set = host_root_id(h, &a.root_dev, &a.root_ino) == 0;
	a.pid = o->pid;
	a.pid_start = o->pid > 0 ? o->pid_start : 0;
	a.time = (int64_t)time(NULL);
	a.by = (int)getpid();
	return a;
}

/* The window-managed changes journaled so far (state TUNE_WINDOW) of
 * knob k, as the controller's {target, value, original} list. */
static int window_knobs(const struct tune_result *r, enum knob_kind k, struct winctl_knob **out,
			size_t *n)
{
	*out = NULL;
	*n = 0;
	size_t cap = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct tune_item *it = &r->it[i];
		if (it->ch.knob != k || it->state != TUNE_WINDOW)
			continue;
		struct winctl_knob *v = grow(*out, *n, &cap, sizeof(*v), 8);
		if (!v)
			return -ENOMEM;
		*out = v;
		struct winctl_knob *w = &v[(*n)++];
		copy_str(w->target, sizeof(w->target), it->ch.target);
		copy_str(w->value, sizeof(w->value), it->ch.new);
		copy_str(w->original, sizeof(w->original), it->ch.old);
	}
	return 0;
}

/* method = poll: one {CPU, "poll"} per CPU that gets a poll thread; no
 * file behind it, nothing to restore. */
static int poll_knobs(const struct cpumask *cpus, struct winctl_knob **out, size_t *n)
{
	*n = 0;
	*out = calloc(cpumask_weight(cpus) + 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (int cpu = cpumask_next(cpus, -1); cpu >= 0; cpu = cpumask_next(cpus, cpu)) {
		struct winctl_knob *w = &(*out)[(*n)++];
		snprintf(w->target, sizeof(w->target), "%d", cpu);
		copy_str(w->value, sizeof(w->value), "poll");
	}
	return 0;
}

/* The window_controller change: starts the controller on the CPUs and
 * policies this apply journaled for it. */
static int start_controller(const struct host *h, const struct journal *j,
			    const struct plan *pl, const struct tune_result *r, unsigned apply,
			    char *why, size_t sz)
{
	struct winctl_config cfg = {
		.params = pl->window, .pid = pl->pid, .follow_children = true, .apply = apply,
		/* the child holds the lock with us until it is findable */
		.run_dirfd = j->dirfd, .lock_fd = j->lockfd,
	};
	copy_str(cfg.run_dir, sizeof(cfg.run_dir), j->dir);
	cfg.poll = pl->warm == WARM_POLL;
	cfg.poll_static = cfg.poll && pl->poll_static;
	int rc = cfg.poll ? poll_knobs(&pl->poll_cpus, &cfg.cpu, &cfg.ncpu)
			  : window_knobs(r, KNOB_PMQOS, &cfg.cpu, &cfg.ncpu);
	if (!rc)
		rc = window_knobs(r, KNOB_CPUFREQ_MIN, &cfg.policy, &cfg.npolicy);
	if (rc)
		errmsg(why, sz, rc, "out of memory");
	else if (!cfg.ncpu)
		rc = errmsg(why, sz, -EINVAL, cfg.poll ? "no CPU to poll" :
					      "no CPU to manage: every agent CPU already holds "
					      "the window's PM QoS value");
	else
		rc = winctl_start(h, &cfg, why, sz);
	free(cfg.cpu);
	free(cfg.policy);
	return rc;
}

struct apply_ctx {
	const struct host *h;
	struct journal *j;
	const struct plan *pl;
	const struct tune_result *r;
	unsigned apply;
};

/* Makes the journaled change c: a write read back, the controller's start,
 * or nothing for a window-managed value (the controller writes it). */
static int carry_out(const struct apply_ctx *a, const struct change *c, struct tune_item *it)
{
	if (c->window) {
		it->state = TUNE_WINDOW;
		return 0;
	}
	if (c->knob != KNOB_WINDOW)
		return write_verified(a->h, a->j, c->knob, c->target, c->new, it->why,
				      sizeof(it->why));
	int rc = start_controller(a->h, a->j, a->pl, a->r, a->apply, it->why, sizeof(it->why));
	char back[KNOB_VAL_MAX];
	if (!rc && (setting_read(a->h, a->j, c->knob, c->target, back, sizeof(back)) ||
		    strcmp(back, "running")))
		rc = errmsg(it->why, sizeof(it->why), -ESRCH,
			    "the window controller started, then stopped");
	return rc;
}

/* Kernel-managed IRQs refuse any change (EPERM from procfs, EIO from chips
 * that cannot move them): under a broad selector that is not this
 * profile's business, so the IRQ is skipped and reported, provided it
 * still holds what it held. */
static bool refused_optional_irq(const struct apply_ctx *a, const struct plan_change *pc,
				 int rc, const struct tune_item *it)
{
	const struct change *c = &pc->ch;
	char now[KNOB_VAL_MAX];
	return (rc == -EIO || rc == -EPERM) && pc->optional && c->knob == KNOB_IRQ_AFFINITY &&
	       !knob_read(a->h, c->knob, c->target, now, sizeof(now)) &&
	       knob_same(c->knob, now, it->ch.old);
}

/* One change: fresh read, journal, write, verify.  0, 1 when nothing had
 * to be done or an optional change was refused, -1 on failure. */
static int apply_one(const struct apply_ctx *a, const struct plan_change *pc,
		     struct tune_item *it, bool *journaled)
{
	const struct change *c = &pc->ch;
	*journaled = false;
	int rc = setting_read(a->h, a->j, c->knob, c->target, it->ch.old, sizeof(it->ch.old));
	if (rc) {
		read_error(it->why, sizeof(it->why), c->knob, c->target, rc);
		return -1;
	}
	if (knob_same(c->knob, it->ch.old, c->new)) {
		it->state = TUNE_UNCHANGED;
		return 1;
	}
	/* The journal holds the value just read, not the plan's older one. */
	struct journal_entry e = { .apply = a->apply, .ch = it->ch };
	char why[320];
	if (journal_add_change(a->j, &e, why, sizeof(why))) {
		errmsg(it->why, sizeof(it->why), 0, "journal: %s", why);
		return -1;
	}
	*journaled = true;
	rc = carry_out(a, c, it);
	if (refused_optional_irq(a, pc, rc, it)) {
		it->state = TUNE_SKIPPED;
		return 1;
	}
	if (rc)
		return -1;
	if (!c->window)
		it->state = TUNE_DONE;
	return 0;
}

/* The changes a failure stopped short of, listed for the report. */
static void mark_not_run(struct tune_result *r, const struct plan *pl)
{
	for (size_t i = r->n; i < pl->n; i++) {
		struct tune_item *it = add_item(r, &pl->c[i].ch);
		if (!it)
			return;
		it->ch.old[0] = '\0';
		it->state = TUNE_NOT_RUN;
	}
}

/* The journal keeps this apply's records only while they describe a change
 * that holds (or one that could not be undone); an apply record left
 * without changes goes too. */
static void settle_journal(struct journal *j, size_t first_entry, bool *keep,
			   const long *entry_of, struct tune_result *r, bool failed)
{
	char why[320];
	for (size_t i = 0; !failed && i < r->n; i++)
		if (r->it[i].state == TUNE_DONE || r->it[i].state == TUNE_WINDOW)
			keep[(size_t)entry_of[i] - first_entry] = true;
	bool rewrite = failed || j->n == first_entry;
	for (size_t i = first_entry; i < j->n; i++)
		rewrite |= !keep[i - first_entry];
	if (rewrite && drop_apply_records(j, first_entry, keep, why, sizeof(why)))
		errmsg(r->journal_why, sizeof(r->journal_why), 0,
		       "%s; the journal still holds this apply's records, those of changes undone "
		       "or not made included: `agentune revert` drops them", why);
}

/* Journals and makes each change of the plan in turn, until one fails.
 * entry_of[i]: the journal index of change i's record (-1: none).
 * 0, -1 on a failure, -ENOMEM. */
static int apply_changes(const struct apply_ctx *actx, const struct tune_apply_opts *o,
			 struct tune_result *r, long *entry_of)
{
	unsigned long writes = 0;
	for (size_t i = 0; i < actx->pl->n; i++) {
		struct tune_item *it = add_item(r, &actx->pl->c[i].ch);
		if (!it)
			return -ENOMEM;
		it->ch.old[0] = '\0';
		bool journaled;
		int rc = apply_one(actx, &actx->pl->c[i], it, &journaled);
		if (journaled)
			entry_of[i] = (long)(actx->j->n - 1);
		r->done += rc == 0;
		/* a journaled write is one recorded and attempted: made, or
		 * refused by a kernel-managed IRQ and skipped */
		if (journaled && o->exit_after && ++writes == o->exit_after)
			_exit(86);
		if (rc < 0) {
			it->state = TUNE_FAILED;
			return -1;
		}
	}
	return 0;
}

int tune_apply(const struct host *h, struct journal *j, const struct plan *pl,
	       const struct tune_apply_opts *o, struct tune_result *r)
{
	memset(r, 0, sizeof(*r));
	r->ok = true;
	if (!pl->n)
		return 0;
	if (o->cpus && strlen(o->cpus) >= sizeof(((struct journal_apply *)0)->cpus)) {
		r->ok = false;
		errmsg(r->why, sizeof(r->why), 0, "the agent CPU list is %zu bytes, more than the "
		       "journal holds (%zu)", strlen(o->cpus), sizeof(((struct journal_apply *)0)->cpus) - 1);
		return -EOVERFLOW;
	}
	struct journal_apply a = apply_record(j, o, h);
	if (journal_add_apply(j, &a, r->why, sizeof(r->why))) {
		r->ok = false;
		return -EIO;
	}
	size_t first_entry = j->n;
	long *entry_of = malloc(pl->n * sizeof(*entry_of));
	bool *keep = calloc(pl->n, sizeof(*keep));
	if (!entry_of || !keep) {
		free(entry_of);
		free(keep);
		char scratch[320];
		r->ok = false;
		copy_str(r->why, sizeof(r->why), "out of memory");
		/* nothing was journaled yet but the apply record: it goes */
		if (journal_drop_last_apply(j, first_entry, scratch, sizeof(scratch)))
			errmsg(r->journal_why, sizeof(r->journal_why), 0, "%s", scratch);
		return -ENOMEM;
	}
	for (size_t i = 0; i < pl->n; i++)
		entry_of[i] = -1;
	const struct apply_ctx actx = { .h = h, .j = j, .pl = pl, .r = r, .apply = a.apply };
	int result = apply_changes(&actx, o, r, entry_of);
	if (result) {
		mark_not_run(r, pl);
		r->undo_failed = undo(h, j, r, keep, entry_of, first_entry);
		r->done = 0;
	}
	settle_journal(j, first_entry, keep, entry_of, r, result != 0);
	free(entry_of);
	free(keep);
	r->ok = !result;
	return result;
}

/* ---------- a controller the journal does not record ---------- */

static bool journal_has_controller(const struct journal *j)
{
	for (size_t i = 0; i < j->n; i++)
		if (j->e[i].ch.knob == KNOB_WINDOW)
			return true;
	return false;
}

int tune_unjournaled_controller(const struct journal *j, bool stop, struct tune_result *r)
{
	int pid;
	if (j->dirfd < 0 || journal_has_controller(j) ||
	    strcmp(winctl_state_at(j->dirfd, &pid), "running"))
		return 0;
	struct change ch = { .knob = KNOB_WINDOW };
	copy_str(ch.target, sizeof(ch.target), KNOB_WINDOW_TARGET);
	copy_str(ch.old, sizeof(ch.old), "stopped");
	copy_str(ch.new, sizeof(ch.new), "running");
	snprintf(ch.label, sizeof(ch.label), "PM QoS window controller (pid %d, not in the journal)",
		 pid);
	struct tune_item *it = add_item(r, &ch);
	if (!it)
		return -ENOMEM;
	copy_str(it->now, sizeof(it->now), "running");
	if (!stop) {
		it->state = TUNE_DRIFTED;
		r->ok = false;
		snprintf(it->why, sizeof(it->why),
			 "a window controller (pid %d) runs that no journal record names: "
			 "revert stops it", pid);
		return 1;
	}
	it->state = TUNE_RESTORED;
	if (winctl_stop_at(j->dirfd, it->why, sizeof(it->why))) {
		it->state = TUNE_FAILED;
		r->ok = false;
	} else {
		copy_str(it->now, sizeof(it->now), "stopped");
		r->done++;
	}
	return 1;
}

/* ---------- revert ---------- */

/* In a dry run nothing is written, so a later (older) record of the same
 * target must see the value the newer one would have restored. */
static const char *simulated(const struct tune_result *r, const struct change *c)
{
	for (size_t i = r->n; i-- > 0;) {
		const struct tune_item *it = &r->it[i];
		if (change_same_target(&it->ch, c) &&
		    (it->state == TUNE_RESTORED || it->state == TUNE_FORCED))
			return it->ch.old;
	}
	return NULL;
}

/* Decides and (unless dry_run) carries out one record.  Returns whether
 * its record must stay in the journal. */
static bool revert_one(const struct host *h, const struct journal *j, const struct change *e,
		       bool force, bool dry_run, struct tune_result *r, struct tune_item *it)
{
	if (in_created_cgroup(j, e->knob, e->target)) {
		it->state = TUNE_WITH_CGROUP;
		copy_str(it->now, sizeof(it->now), e->new);
		return false;
	}
	const char *sim = dry_run ? simulated(r, e) : NULL;
	int rc = sim ? 0 : setting_read(h, j, e->knob, e->target, it->now, sizeof(it->now));
	if (sim)
		copy_str(it->now, sizeof(it->now), sim);
	if (rc == -ENOENT) {
		it->state = TUNE_GONE;
		it->now[0] = '\0';
		/* A thread's slack dies with it: skipped, not an error. */
		if (e->knob == KNOB_TIMER_SLACK)
			copy_str(it->why, sizeof(it->why), "the thread has exited: nothing to restore");
		return false;
	}
	if (rc) {
		it->state = TUNE_FAILED;
		read_error(it->why, sizeof(it->why), e->knob, e->target, rc);
		return true;
	}
	if (knob_same(e->knob, it->now, e->old)) {
		it->state = TUNE_ORIGINAL;
		return false;
	}
	bool ours = knob_same(e->knob, it->now, e->new);
	/* A record of an older agentune names a pid without its start time:
	 * that pid may be another process by now, which --force must not
	 * move. */
	if (!ours && force && e->knob == KNOB_CGROUP_PROCS && !knob_procs_has_start(e->target)) {
		it->state = TUNE_DRIFTED;
		errmsg(it->why, sizeof(it->why), 0,
		       "in %s, not where agentune put it (%s); recorded without its start time, "
		       "so pid %.*s may be another process now: --force leaves it alone",
		       it->now, e->new, (int)strcspn(e->target, ":"), e->target);
		return true;
	}
	if (!ours && !force) {
		it->state = TUNE_DRIFTED;
		errmsg(it->why, sizeof(it->why), 0,
		       "changed by someone else since (now %s, agentune wrote %s): left as it is; "
		       "--force restores %s", it->now, e->new, e->old);
		return true;
	}
	it->state = ours ? TUNE_RESTORED : TUNE_FORCED;
	if (dry_run)
		return false;
	if (write_verified(h, j, e->knob, e->target, e->old, it->why, sizeof(it->why))) {
		it->state = TUNE_FAILED;
		return true;
	}
	return false;
}

int tune_revert(const struct host *h, struct journal *j, bool force, bool dry_run,
		struct tune_result *r, char *why, size_t sz)
{
	memset(r, 0, sizeof(*r));
	r->ok = true;
	bool *keep = calloc(j->n ? j->n : 1, sizeof(*keep));
	if (!keep)
		return -ENOMEM;
	for (size_t i = j->n; i-- > 0;) {
		const struct change *e = &j->e[i].ch;
		struct tune_item *it = add_item(r, e);
		if (!it) {
			free(keep);
			return -ENOMEM;
		}
		keep[i] = revert_one(h, j, e, force, dry_run, r, it);
		/* A controller that died (kill -9) left its pid and state
		 * files: they go with its record. */
		if (e->knob == KNOB_WINDOW && it->state == TUNE_ORIGINAL && !dry_run)
			winctl_stop_at(j->dirfd, it->why, sizeof(it->why));
		if (it->state == TUNE_FAILED)
			r->ok = false;
		if (it->state == TUNE_RESTORED || it->state == TUNE_FORCED)
			r->done++;
	}
	int rc = dry_run ? 0 : journal_rewrite(j, keep, why, sz);
	free(keep);
	if (!rc && tune_unjournaled_controller(j, !dry_run, r) < 0)
		rc = errmsg(why, sz, -ENOMEM, "out of memory");
	return rc;
}

/* ---------- status ---------- */

/* Whether a newer record of the same knob and target follows record i. */
static bool superseded(const struct journal *j, size_t i)
{
	for (size_t k = i + 1; k < j->n; k++)
		if (change_same_target(&j->e[k].ch, &j->e[i].ch))
			return true;
	return false;
}

/* What status says of one setting: its latest record e, read now. */
static void status_one(const struct host *h, const struct journal *j, const struct change *e,
		       struct tune_item *it)
{
	int rc = setting_read(h, j, e->knob, e->target, it->now, sizeof(it->now));
	if (rc == -ENOENT) {
		it->state = TUNE_GONE;
		it->now[0] = '\0';
	} else if (rc) {
		it->state = TUNE_FAILED;
		read_error(it->why, sizeof(it->why), e->knob, e->target, rc);
	} else if (e->window) {
		bool open = knob_same(e->knob, it->now, e->new);
		bool closed = knob_same(e->knob, it->now, it->ch.old);
		it->state = open || closed ? TUNE_WINDOW : TUNE_DRIFTED;
		if (open || closed)
			copy_str(it->why, sizeof(it->why), open ? "window open" : "window closed");
		if (open && strcmp(winctl_state_at(j->dirfd, NULL), "running")) {
			it->state = TUNE_DRIFTED;
			tune_window_leftover_why(e, it->ch.old, it->why, sizeof(it->why));
		}
	} else if (knob_same(e->knob, it->now, e->new)) {
		it->state = TUNE_OK;
	} else if (e->knob != KNOB_WINDOW && knob_same(e->knob, it->now, it->ch.old)) {
		/* Back to the original: undone by an apply that could not
		 * rewrite its journal (a full disk), or reset by someone. */
		it->state = TUNE_ORIGINAL;
		copy_str(it->why, sizeof(it->why), "holds its original value again; "
						   "`agentune revert` drops the record");
	} else {
		it->state = TUNE_DRIFTED;
	}
	if (e->knob == KNOB_WINDOW && it->state == TUNE_DRIFTED)
		copy_str(it->why, sizeof(it->why), "the controller is not running (killed?); "
						   "revert restores what it managed");
}

void tune_window_leftover_why(const struct change *e, const char *original, char *why,
			      size_t sz)
{
	snprintf(why, sz, "holds the window's value %s, but no window controller is running "
			  "(killed?): it stays there until `agentune revert` restores %s",
		 e->new, original);
}

int tune_window_leftovers(const struct host *h, const struct journal *j, struct strlist *out)
{
	if (!strcmp(winctl_state_at(j->dirfd, NULL), "running"))
		return 0;
	for (size_t i = 0; i < j->n; i++) {
		const struct change *e = &j->e[i].ch;
		char now[KNOB_VAL_MAX], why[400], line[600];
		if (!e->window || superseded(j, i) || knob_read(h, e->knob, e->target, now, sizeof(now)) ||
		    !knob_same(e->knob, now, e->new))
			continue;
		const struct journal_entry *first = journal_first(j, e->knob, e->target);
		tune_window_leftover_why(e, first ? first->ch.old : e->old, why, sizeof(why));
		snprintf(line, sizeof(line), "%s: %s", e->label, why);
		if (strlist_add(out, line))
			return -ENOMEM;
	}
	return 0;
}

int tune_status(const struct host *h, const struct journal *j, struct tune_result *r)
{
	memset(r, 0, sizeof(*r));
	r->ok = true;
	for (size_t i = 0; i < j->n; i++) {
		const struct change *e = &j->e[i].ch;
		if (superseded(j, i))
			continue;
		struct tune_item *it = add_item(r, e);
		if (!it)
			return -ENOMEM;
		/* The original is the first record's old value. */
		const struct journal_entry *first = journal_first(j, e->knob, e->target);
		copy_str(it->ch.old, sizeof(it->ch.old), first ? first->ch.old : e->old);
		status_one(h, j, e, it);
		if (it->state != TUNE_OK && it->state != TUNE_WINDOW)
			r->ok = false;
	}
	return tune_unjournaled_controller(j, false, r) < 0 ? -ENOMEM : 0;
}
