/* tune/tune: apply a plan under the journal, revert it, report its status. */
#include "tune/tune.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
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

static struct tune_item *add_item(struct tune_result *r, enum knob_kind k, const char *target,
				  const char *label, const char *source)
{
	struct tune_item *v = grow(r->it, r->n + 1, &r->cap, sizeof(*v), 16);
	if (!v)
		return NULL;
	r->it = v;
	struct tune_item *it = &v[r->n++];
	memset(it, 0, sizeof(*it));
	it->knob = k;
	copy_str(it->target, sizeof(it->target), target);
	copy_str(it->label, sizeof(it->label), label);
	copy_str(it->source, sizeof(it->source), source);
	return it;
}

void tune_result_free(struct tune_result *r)
{
	free(r->it);
	memset(r, 0, sizeof(*r));
}

/* Writes val and reads it back.  0, or -errno with why. */
static int write_verified(const struct host *h, enum knob_kind k, const char *target,
			  const char *val, char *why, size_t sz)
{
	char back[KNOB_VAL_MAX];
	int rc = knob_write(h, k, target, val, why, sz);
	if (rc)
		return rc;
	rc = knob_read(h, k, target, back, sizeof(back));
	if (rc) {
		snprintf(why, sz, "wrote %s but cannot read it back: %s", val, strerror(-rc));
		return rc;
	}
	if (!knob_same(k, back, val)) {
		snprintf(why, sz, "wrote %s but it reads back as %s", val, back);
		return -EIO;
	}
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
		const struct journal_entry *e = &j->e[i];
		if (e->knob == KNOB_CGROUP_DIR && !strcmp(e->old, "absent") &&
		    strlen(e->target) == len && !strncmp(e->target, target, len))
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
		bool unsure = it->state == TUNE_FAILED || it->state == TUNE_WINDOW;
		if (entry_of[i] < 0 || (it->state != TUNE_DONE && !unsure))
			continue;
		if (in_created_cgroup(j, it->knob, it->target)) {
			if (it->state == TUNE_DONE)
				it->state = TUNE_UNDONE;
			continue;
		}
		char now[KNOB_VAL_MAX], why[320];
		/* A failed write may have landed; a window value is the
		 * controller's, which has been stopped by now (newer first). */
		if (unsure && !knob_read(h, it->knob, it->target, now, sizeof(now)) &&
		    knob_same(it->knob, now, it->old)) {
			if (it->state == TUNE_WINDOW)
				it->state = TUNE_UNDONE;
			continue;
		}
		if (write_verified(h, it->knob, it->target, it->old, why, sizeof(why))) {
			size_t len = strlen(it->why);
			snprintf(it->why + len, sizeof(it->why) - len, "%scould not be undone: %s",
				 len ? "; " : "", why);
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
 * marks (the records before first_entry are other applies' and stay). */
static void drop_apply_records(struct journal *j, size_t first_entry, const bool *keep_new,
			       char *why, size_t sz)
{
	bool *keep = calloc(j->n ? j->n : 1, sizeof(*keep));
	if (!keep)
		return;
	for (size_t i = 0; i < j->n; i++)
		keep[i] = i < first_entry || keep_new[i - first_entry];
	journal_rewrite(j, keep, why, sz);
	free(keep);
}

static struct journal_apply apply_record(const struct journal *j,
					 const struct tune_apply_opts *o, const struct host *h)
{
	struct journal_apply a = { 0 };
	a.apply = j->napplies ? j->applies[j->napplies - 1].apply + 1 : 1;
	copy_str(a.profile, sizeof(a.profile), o->profile ? o->profile : "");
	copy_str(a.path, sizeof(a.path), o->profile_path ? o->profile_path : "");
	copy_str(a.cpus, sizeof(a.cpus), o->cpus ? o->cpus : "");
	copy_str(a.root, sizeof(a.root), h->root);
	a.pid = o->pid;
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
		if (it->knob != k || it->state != TUNE_WINDOW)
			continue;
		struct winctl_knob *v = grow(*out, *n, &cap, sizeof(*v), 8);
		if (!v)
			return -ENOMEM;
		*out = v;
		struct winctl_knob *w = &v[(*n)++];
		copy_str(w->target, sizeof(w->target), it->target);
		copy_str(w->value, sizeof(w->value), it->new);
		copy_str(w->original, sizeof(w->original), it->old);
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
	};
	copy_str(cfg.run_dir, sizeof(cfg.run_dir), j->dir);
	int rc = window_knobs(r, KNOB_PMQOS, &cfg.cpu, &cfg.ncpu);
	if (!rc)
		rc = window_knobs(r, KNOB_CPUFREQ_MIN, &cfg.policy, &cfg.npolicy);
	if (rc)
		snprintf(why, sz, "out of memory");
	else if (!cfg.ncpu)
		rc = -EINVAL, snprintf(why, sz, "no CPU to manage: every agent CPU already "
						"holds the window's PM QoS value");
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
static int carry_out(const struct apply_ctx *a, const struct plan_change *c,
		     struct tune_item *it)
{
	if (c->window) {
		it->state = TUNE_WINDOW;
		return 0;
	}
	if (c->knob != KNOB_WINDOW)
		return write_verified(a->h, c->knob, c->target, c->new, it->why,
				      sizeof(it->why));
	int rc = start_controller(a->h, a->j, a->pl, a->r, a->apply, it->why, sizeof(it->why));
	char back[KNOB_VAL_MAX];
	if (!rc && (knob_read(a->h, c->knob, c->target, back, sizeof(back)) ||
		    strcmp(back, "running"))) {
		snprintf(it->why, sizeof(it->why), "the window controller started, then stopped");
		rc = -ESRCH;
	}
	return rc;
}

/* One change: fresh read, journal, write, verify.  0, 1 when nothing had
 * to be done or an optional change was refused, -1 on failure. */
static int apply_one(const struct apply_ctx *a, const struct plan_change *c,
		     struct tune_item *it, bool *journaled)
{
	const struct host *h = a->h;
	struct journal *j = a->j;
	unsigned apply = a->apply;
	*journaled = false;
	int rc = knob_read(h, c->knob, c->target, it->old, sizeof(it->old));
	if (rc) {
		snprintf(it->why, sizeof(it->why), "cannot read it: %s", strerror(-rc));
		return -1;
	}
	if (knob_same(c->knob, it->old, c->new)) {
		it->state = TUNE_UNCHANGED;
		return 1;
	}
	struct journal_entry e = { .apply = apply, .knob = c->knob };
	copy_str(e.target, sizeof(e.target), c->target);
	copy_str(e.old, sizeof(e.old), it->old);
	copy_str(e.new, sizeof(e.new), c->new);
	copy_str(e.label, sizeof(e.label), c->label);
	copy_str(e.source, sizeof(e.source), c->source);
	e.window = c->window;
	char why[320];
	if (journal_add_change(j, &e, why, sizeof(why))) {
		snprintf(it->why, sizeof(it->why), "journal: %s", why);
		return -1;
	}
	*journaled = true;
	rc = carry_out(a, c, it);
	/* Kernel-managed IRQs refuse any change (EPERM from procfs, EIO from
	 * chips that cannot move them): under a broad selector that is not
	 * this profile's business, so the IRQ is skipped and reported. */
	if ((rc == -EIO || rc == -EPERM) && c->optional && c->knob == KNOB_IRQ_AFFINITY) {
		char now[KNOB_VAL_MAX];
		if (!knob_read(h, c->knob, c->target, now, sizeof(now)) &&
		    knob_same(c->knob, now, it->old)) {
			it->state = TUNE_SKIPPED;
			return 1;
		}
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
		const struct plan_change *c = &pl->c[i];
		struct tune_item *it = add_item(r, c->knob, c->target, c->label, c->source);
		if (!it)
			return;
		copy_str(it->new, sizeof(it->new), c->new);
		it->state = TUNE_NOT_RUN;
	}
}

/* The journal keeps this apply's records only while they describe a change
 * that holds (or one that could not be undone); an apply record left
 * without changes goes too. */
static void settle_journal(struct journal *j, size_t first_entry, bool *keep,
			   const long *entry_of, const struct tune_result *r, bool failed)
{
	char why[320];
	for (size_t i = 0; !failed && i < r->n; i++)
		if (r->it[i].state == TUNE_DONE || r->it[i].state == TUNE_WINDOW)
			keep[(size_t)entry_of[i] - first_entry] = true;
	bool rewrite = failed || j->n == first_entry;
	for (size_t i = first_entry; i < j->n; i++)
		rewrite |= !keep[i - first_entry];
	if (rewrite)
		drop_apply_records(j, first_entry, keep, why, sizeof(why));
}

int tune_apply(const struct host *h, struct journal *j, const struct plan *pl,
	       const struct tune_apply_opts *o, struct tune_result *r)
{
	memset(r, 0, sizeof(*r));
	r->ok = true;
	if (!pl->n)
		return 0;
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
		drop_apply_records(j, first_entry, NULL, scratch, sizeof(scratch));
		return -ENOMEM;
	}
	for (size_t i = 0; i < pl->n; i++)
		entry_of[i] = -1;
	unsigned long writes = 0;
	int result = 0;
	const struct apply_ctx actx = { .h = h, .j = j, .pl = pl, .r = r, .apply = a.apply };
	for (size_t i = 0; i < pl->n && !result; i++) {
		const struct plan_change *c = &pl->c[i];
		struct tune_item *it = add_item(r, c->knob, c->target, c->label, c->source);
		if (!it) {
			result = -ENOMEM;
			break;
		}
		copy_str(it->new, sizeof(it->new), c->new);
		bool journaled;
		int rc = apply_one(&actx, c, it, &journaled);
		if (journaled)
			entry_of[i] = (long)(j->n - 1);
		if (rc < 0) {
			it->state = TUNE_FAILED;
			result = -1;
		}
		r->done += rc == 0;
		/* a journaled write is one recorded and attempted: made, or
		 * refused by a kernel-managed IRQ and skipped */
		if (journaled && o->exit_after && ++writes == o->exit_after)
			_exit(86);
	}
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

/* ---------- revert ---------- */

/* In a dry run nothing is written, so a later (older) record of the same
 * target must see the value the newer one would have restored. */
static const char *simulated(const struct tune_result *r, enum knob_kind k, const char *target)
{
	for (size_t i = r->n; i-- > 0;) {
		const struct tune_item *it = &r->it[i];
		if (it->knob == k && !strcmp(it->target, target) &&
		    (it->state == TUNE_RESTORED || it->state == TUNE_FORCED))
			return it->old;
	}
	return NULL;
}

/* Decides and (unless dry_run) carries out one record.  Returns whether
 * its record must stay in the journal. */
static bool revert_one(const struct host *h, const struct journal *j,
		       const struct journal_entry *e, bool force, bool dry_run,
		       struct tune_result *r, struct tune_item *it)
{
	copy_str(it->old, sizeof(it->old), e->old);
	copy_str(it->new, sizeof(it->new), e->new);
	if (in_created_cgroup(j, e->knob, e->target)) {
		it->state = TUNE_WITH_CGROUP;
		copy_str(it->now, sizeof(it->now), e->new);
		return false;
	}
	const char *sim = dry_run ? simulated(r, e->knob, e->target) : NULL;
	int rc = sim ? 0 : knob_read(h, e->knob, e->target, it->now, sizeof(it->now));
	if (sim)
		copy_str(it->now, sizeof(it->now), sim);
	if (rc == -ENOENT) {
		it->state = TUNE_GONE;
		it->now[0] = '\0';
		return false;
	}
	if (rc) {
		it->state = TUNE_FAILED;
		snprintf(it->why, sizeof(it->why), "cannot read it: %s", strerror(-rc));
		return true;
	}
	if (knob_same(e->knob, it->now, e->old)) {
		it->state = TUNE_ORIGINAL;
		return false;
	}
	bool ours = knob_same(e->knob, it->now, e->new);
	if (!ours && !force) {
		it->state = TUNE_DRIFTED;
		snprintf(it->why, sizeof(it->why),
			 "changed by someone else since (now %s, agentune wrote %s): left as it is; "
			 "--force restores %s", it->now, e->new, e->old);
		return true;
	}
	it->state = ours ? TUNE_RESTORED : TUNE_FORCED;
	if (dry_run)
		return false;
	if (write_verified(h, e->knob, e->target, e->old, it->why, sizeof(it->why))) {
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
		const struct journal_entry *e = &j->e[i];
		struct tune_item *it = add_item(r, e->knob, e->target, e->label, e->source);
		if (!it) {
			free(keep);
			return -ENOMEM;
		}
		keep[i] = revert_one(h, j, e, force, dry_run, r, it);
		/* A controller that died (kill -9) left its pid and state
		 * files: they go with its record. */
		if (e->knob == KNOB_WINDOW && it->state == TUNE_ORIGINAL && !dry_run)
			winctl_stop(j->dir, it->why, sizeof(it->why));
		if (it->state == TUNE_FAILED)
			r->ok = false;
		if (it->state == TUNE_RESTORED || it->state == TUNE_FORCED)
			r->done++;
	}
	int rc = dry_run ? 0 : journal_rewrite(j, keep, why, sz);
	free(keep);
	return rc;
}

/* ---------- status ---------- */

/* Whether a newer record of the same knob and target follows record i. */
static bool superseded(const struct journal *j, size_t i)
{
	for (size_t k = i + 1; k < j->n; k++)
		if (j->e[k].knob == j->e[i].knob && !strcmp(j->e[k].target, j->e[i].target))
			return true;
	return false;
}

int tune_status(const struct host *h, const struct journal *j, struct tune_result *r)
{
	memset(r, 0, sizeof(*r));
	r->ok = true;
	for (size_t i = 0; i < j->n; i++) {
		const struct journal_entry *e = &j->e[i];
		if (superseded(j, i))
			continue;
		struct tune_item *it = add_item(r, e->knob, e->target, e->label, e->source);
		if (!it)
			return -ENOMEM;
		const struct journal_entry *first = journal_first(j, e->knob, e->target);
		copy_str(it->old, sizeof(it->old), first ? first->old : e->old);
		copy_str(it->new, sizeof(it->new), e->new);
		int rc = knob_read(h, e->knob, e->target, it->now, sizeof(it->now));
		if (rc == -ENOENT) {
			it->state = TUNE_GONE;
			it->now[0] = '\0';
		} else if (rc) {
			it->state = TUNE_FAILED;
			snprintf(it->why, sizeof(it->why), "cannot read it: %s", strerror(-rc));
		} else if (e->window) {
			bool open = knob_same(e->knob, it->now, e->new);
			bool closed = knob_same(e->knob, it->now, it->old);
			it->state = open || closed ? TUNE_WINDOW : TUNE_DRIFTED;
			if (open || closed)
				copy_str(it->why, sizeof(it->why), open ? "window open" : "window closed");
		} else {
			it->state = knob_same(e->knob, it->now, e->new) ? TUNE_OK : TUNE_DRIFTED;
		}
		if (e->knob == KNOB_WINDOW && it->state == TUNE_DRIFTED)
			copy_str(it->why, sizeof(it->why), "the controller is not running (killed?); "
							   "revert restores what it managed");
		if (it->state != TUNE_OK && it->state != TUNE_WINDOW)
			r->ok = false;
	}
	return 0;
}
