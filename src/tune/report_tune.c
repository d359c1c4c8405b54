/* tune/report_tune: apply, revert, status and profile list reports. */
#include "tune/report_tune.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "base/cpumask.h"
#include "base/jsonw.h"

/* What every report says first of a change: which knob, on what. */
static jo *change_head_json(const struct change *c)
{
	jo *o = json_object_new_object();
	jw_put(o, "knob", jw_str(knob_name(c->knob)));
	jw_put(o, "target", jw_str(c->target));
	jw_put(o, "label", jw_str(c->label));
	return o;
}

/* ---------- apply ---------- */

/* The value before: what apply found (when it ran this far), else what
 * the plan found. */
static const char *value_before(const struct plan_change *pc, const struct tune_item *it)
{
	return it && it->ch.old[0] ? it->ch.old : pc->ch.old;
}

static jo *change_json(const struct plan_change *pc, const struct tune_item *it)
{
	const struct change *c = &pc->ch;
	jo *o = change_head_json(c);
	jw_put(o, "current", jw_str(value_before(pc, it)));
	jw_put(o, "new", jw_str(c->new));
	jw_put(o, "source", jw_str(c->source));
	jw_put(o, "optional", jw_bool(pc->optional));
	jw_put(o, "window", jw_bool(c->window));
	if (it) {
		jw_put(o, "state", jw_str(tune_state_name(it->state)));
		jw_put(o, "why", jw_known(it->why));
	}
	return o;
}

static jo *profile_json(const struct profile *p)
{
	jo *o = json_object_new_object();
	jw_put(o, "name", jw_str(p->name));
	jw_put(o, "path", jw_str(p->path));
	jw_put(o, "summary", jw_str(p->summary));
	jo *chain = json_object_new_array();
	for (size_t i = 0; i < p->chain.n; i++)
		json_object_array_add(chain, jw_str(p->chain.v[i]));
	jw_put(o, "files", chain);
	return o;
}

static bool plans_window(const struct plan *pl)
{
	for (size_t i = 0; i < pl->n; i++)
		if (pl->c[i].ch.knob == KNOB_WINDOW)
			return true;
	return false;
}

/* The resolved [pmqos] method, null when the profile keeps nothing warm. */
static jo *warm_json(const struct plan *pl)
{
	if (!pl->warm_set)
		return NULL;
	jo *o = json_object_new_object();
	jw_put(o, "method", jw_str(warm_method_name(pl->warm)));
	jw_put(o, "auto", jw_bool(pl->warm_auto));
	jw_put(o, "why", jw_known(pl->warm_why));
	jw_put(o, "poll_cpus", pl->warm == WARM_POLL ? jw_cpulist(&pl->poll_cpus) : NULL);
	jw_put(o, "poll", pl->warm == WARM_POLL ? jw_str(pl->poll_static ? "static" : "window") :
						  NULL);
	return o;
}

/* The controller's parameters when the plan starts one for windows, else
 * null. */
static jo *window_params_json(const struct plan *pl)
{
	if (!plans_window(pl) || (pl->warm == WARM_POLL && pl->poll_static))
		return NULL;
	const struct window_params *w = &pl->window;
	jo *o = json_object_new_object();
	jw_put(o, "window_ms", jw_int((int64_t)(w->window_ns / 1000000u)));
	jw_put(o, "budget_tokens", jw_int(w->budget_tokens));
	jw_put(o, "refill_per_s", jw_int(w->refill_per_s));
	jw_put(o, "cost_per_window", jw_int(w->cost_per_window));
	return o;
}

jo *report_apply_json(const struct apply_report *a)
{
	jo *o = json_object_new_object();
	jw_put(o, "schema", jw_str(APPLY_SCHEMA));
	jw_put(o, "profile", profile_json(a->p));
	jw_put(o, "dry_run", jw_bool(a->dry_run));
	jw_put(o, "pid", jw_nonneg(a->pl->pid));
	jw_put(o, "agent_cpus", jw_cpulist(&a->pl->agent_cpus));
	jw_put(o, "housekeeping_cpus", jw_cpulist(&a->pl->housekeeping));
	jo *changes = json_object_new_array();
	for (size_t i = 0; i < a->pl->n; i++)
		json_object_array_add(changes, change_json(&a->pl->c[i],
							   a->r && i < a->r->n ? &a->r->it[i] : NULL));
	jw_put(o, "changes", changes);
	jo *notes = json_object_new_array();
	for (size_t i = 0; i < a->pl->nnotes; i++) {
		jo *n = json_object_new_object();
		jw_put(n, "text", jw_str(a->pl->notes[i].text));
		jw_put(n, "source", jw_str(a->pl->notes[i].source));
		json_object_array_add(notes, n);
	}
	jw_put(o, "notes", notes);
	jo *warn = json_object_new_array();
	for (size_t i = 0; a->warnings && i < a->warnings->n; i++)
		json_object_array_add(warn, jw_str(a->warnings->v[i]));
	jw_put(o, "warnings", warn);
	jw_put(o, "window", window_params_json(a->pl));
	jw_put(o, "warm", warm_json(a->pl));
	if (a->r) {
		jo *res = json_object_new_object();
		jw_put(res, "ok", jw_bool(a->r->ok));
		jw_put(res, "changed", jw_int((int64_t)a->r->done));
		jw_put(res, "undo_failed", jw_int((int64_t)a->r->undo_failed));
		jw_put(res, "why", jw_known(a->r->why));
		jw_put(res, "journal_error", jw_known(a->r->journal_why));
		jw_put(o, "result", res);
	}
	return o;
}

static void plan_header(FILE *out, const struct apply_report *a)
{
	const struct profile *p = a->p;
	fprintf(out, "Profile %s (%s)\n  %s\n", p->name, p->path, p->summary);
	for (size_t i = 1; i < p->chain.n; i++)
		fprintf(out, "  includes %s\n", p->chain.v[i]);
	char *agent = cpulist_str(&a->pl->agent_cpus), *hk = cpulist_str(&a->pl->housekeeping);
	fprintf(out, "Agent CPUs %s, housekeeping CPUs %s", agent ? agent : "?", hk ? hk : "?");
	if (a->pl->pid >= 0)
		fprintf(out, ", pid %d", a->pl->pid);
	fputc('\n', out);
	free(agent);
	free(hk);
}

static void change_line(FILE *out, const struct plan_change *pc, const struct tune_item *it)
{
	const struct change *c = &pc->ch;
	const char *old = value_before(pc, it);
	fprintf(out, "  %-13s %-34s %s -> %s", knob_name(c->knob), c->label, *old ? old : "(new)",
		c->new);
	fprintf(out, "   [%s]", c->source);
	if (it && it->state != TUNE_DONE && it->state != TUNE_WINDOW)
		fprintf(out, "  %s", tune_state_name(it->state));
	if (it && it->why[0])
		fprintf(out, ": %s", it->why);
	fputc('\n', out);
}

void report_apply_text(FILE *out, const struct apply_report *a)
{
	plan_header(out, a);
	if (!a->pl->n)
		fprintf(out, "\nNothing to change: every setting already holds the profile's value.\n");
	else
		fprintf(out, "\n%s (%zu change%s, knob, target, current -> new, [profile line]):\n",
			a->dry_run ? "Plan, not applied (--dry-run)" : "Plan", a->pl->n,
			a->pl->n == 1 ? "" : "s");
	for (size_t i = 0; i < a->pl->n; i++)
		change_line(out, &a->pl->c[i], a->r && i < a->r->n ? &a->r->it[i] : NULL);
	const struct plan *pl = a->pl;
	if (pl->warm_set)
		fprintf(out, "\nWarm method: %s%s: %s\n", warm_method_name(pl->warm),
			pl->warm_auto ? " (auto)" : "", pl->warm_why);
	bool poll = pl->warm == WARM_POLL && plans_window(pl);
	if (poll && pl->poll_static)
		fprintf(out, "Poll threads: one per agent CPU, SCHED_IDLE, threads of the "
			"controller, held while the profile is applied (not on a CPU that does not "
			"idle).\n");
	else if (poll)
		fprintf(out, "Poll threads: one per agent CPU, SCHED_IDLE, threads of the "
			"controller, running while a window is open: while the agent steps, for %"
			PRIu64 " ms after each step; budget %" PRId64 " tokens, refill %" PRId64
			"/s, %" PRId64 " per window.\n",
			pl->window.window_ns / 1000000u, pl->window.budget_tokens,
			pl->window.refill_per_s, pl->window.cost_per_window);
	else if (plans_window(pl))
		fprintf(out, "\nPM QoS window: the values marked (window) are written by the "
			"controller while the agent steps, for %" PRIu64 " ms after each step; "
			"budget %" PRId64 " tokens, refill %" PRId64 "/s, %" PRId64 " per window.\n",
			pl->window.window_ns / 1000000u, pl->window.budget_tokens,
			pl->window.refill_per_s, pl->window.cost_per_window);
	if (a->pl->nnotes)
		fprintf(out, "\nNotes:\n");
	for (size_t i = 0; i < a->pl->nnotes; i++)
		fprintf(out, "  - %s   [%s]\n", a->pl->notes[i].text, a->pl->notes[i].source);
	if (a->warnings && a->warnings->n)
		fprintf(out, "\nWarnings:\n");
	for (size_t i = 0; a->warnings && i < a->warnings->n; i++)
		fprintf(out, "  ! %s\n", a->warnings->v[i]);
	if (!a->r)
		return;
	size_t skipped = 0;
	for (size_t i = 0; i < a->r->n; i++)
		skipped += a->r->it[i].state == TUNE_SKIPPED;
	if (!a->r->ok && a->r->why[0])
		fprintf(out, "\nApply FAILED before any change: %s. Nothing was changed.\n",
			a->r->why);
	else if (a->r->ok)
		fprintf(out, "\nApplied: %zu setting%s changed%s; `agentune revert` restores them.\n",
			a->r->done, a->r->done == 1 ? "" : "s",
			skipped ? " (and the IRQs marked skipped refused by the kernel)" : "");
	else if (a->r->undo_failed)
		fprintf(out, "\nApply FAILED and %zu change%s could not be undone: the journal keeps "
			"them; run `agentune revert`.\n", a->r->undo_failed,
			a->r->undo_failed == 1 ? "" : "s");
	else
		fprintf(out, "\nApply FAILED: every change it made was undone; the host is as it was.\n");
	if (a->r->journal_why[0])
		fprintf(out, "Journal NOT settled: %s.\n", a->r->journal_why);
}

/* ---------- revert ---------- */

static jo *item_json(const struct tune_item *it, bool with_now)
{
	jo *o = change_head_json(&it->ch);
	jw_put(o, "original", jw_str(it->ch.old));
	jw_put(o, "applied", jw_str(it->ch.new));
	if (with_now)
		jw_put(o, "current", it->state == TUNE_GONE ? NULL : jw_str(it->now));
	jw_put(o, "state", jw_str(tune_state_name(it->state)));
	jw_put(o, "source", jw_str(it->ch.source));
	jw_put(o, "why", jw_known(it->why));
	return o;
}

jo *report_revert_json(const struct tune_result *r, bool dry_run, bool force)
{
	jo *o = json_object_new_object();
	jw_put(o, "schema", jw_str(REVERT_SCHEMA));
	jw_put(o, "dry_run", jw_bool(dry_run));
	jw_put(o, "force", jw_bool(force));
	jw_put(o, "ok", jw_bool(r->ok));
	jw_put(o, "restored", jw_int((int64_t)r->done));
	jo *items = json_object_new_array();
	for (size_t i = 0; i < r->n; i++)
		json_object_array_add(items, item_json(&r->it[i], true));
	jw_put(o, "settings", items);
	return o;
}

void report_revert_text(FILE *out, const struct tune_result *r, bool dry_run)
{
	if (!r->n) {
		fprintf(out, "Nothing to revert.\n");
		return;
	}
	size_t left = 0;
	fprintf(out, "%s (newest first):\n", dry_run ? "Would revert (--dry-run)" : "Revert");
	for (size_t i = 0; i < r->n; i++) {
		const struct tune_item *it = &r->it[i];
		fprintf(out, "  %-9s %-13s %-34s %s -> %s", tune_state_name(it->state),
			knob_name(it->ch.knob), it->ch.label, it->state == TUNE_GONE ? "(gone)" : it->now,
			it->ch.old);
		if (it->why[0])
			fprintf(out, ": %s", it->why);
		fputc('\n', out);
		left += it->state == TUNE_DRIFTED || it->state == TUNE_FAILED;
	}
	fprintf(out, "\n%zu setting%s %s", r->done, r->done == 1 ? "" : "s",
		dry_run ? "would be restored" : "restored");
	if (left)
		fprintf(out, "; %zu left in the journal (see above)", left);
	fprintf(out, ".\n");
}

/* ---------- status ---------- */

static void time_text(int64_t t, char *buf, size_t sz)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!localtime_r(&tt, &tm) || !strftime(buf, sz, "%Y-%m-%d %H:%M:%S %Z", &tm))
		snprintf(buf, sz, "%lld", (long long)t);
}

static jo *controller_json(const struct winctl_status *w)
{
	if (!w || !w->present)
		return NULL;
	jo *o = json_object_new_object();
	jw_put(o, "pid", jw_int(w->pid));
	jw_put(o, "running", jw_bool(w->running));
	jw_put(o, "apply", jw_int((int)w->apply));
	jw_put(o, "agent", w->agent > 0 ? jw_int(w->agent) : NULL);
	jw_put(o, "agent_exited", jw_bool(w->agent_exited));
	jw_put(o, "uptime_s", jw_double(w->uptime_s));
	jw_put(o, "window_ms", jw_int((int64_t)w->window_ms));
	jw_put(o, "tokens", jw_int(w->tokens));
	jw_put(o, "budget_tokens", jw_int(w->budget_tokens));
	jw_put(o, "refill_per_s", jw_int(w->refill_per_s));
	jw_put(o, "cost_per_window", jw_int(w->cost_per_window));
	jw_put(o, "windows_opened", jw_int((int64_t)w->opened));
	jw_put(o, "windows_extended", jw_int((int64_t)w->extended));
	jw_put(o, "windows_denied", jw_int((int64_t)w->denied));
	jw_put(o, "wakeups", jw_int((int64_t)w->wakeups));
	bool poll = !strcmp(w->method, "poll");
	jw_put(o, "method", jw_str(w->method));
	jw_put(o, "poll", poll ? jw_str(w->poll_static ? "static" : "window") : NULL);
	jw_put(o, "poll_cpu_s", poll ? jw_double(w->poll_cpu_s) : NULL);
	jo *cpus = json_object_new_array();
	for (size_t i = 0; i < w->ncpu; i++) {
		const struct winctl_cpu_status *c = &w->cpu[i];
		jo *x = json_object_new_object();
		jw_put(x, "cpu", jw_int((int)c->cpu));
		jw_put(x, "state", jw_str(c->state));
		jw_put(x, "open_share", jw_double(c->open_share));
		jw_put(x, "opened", jw_int((int64_t)c->opened));
		jw_put(x, "extended", jw_int((int64_t)c->extended));
		jw_put(x, "denied", jw_int((int64_t)c->denied));
		jw_put(x, "steps", jw_int((int64_t)c->steps));
		if (poll) {
			jw_put(x, "poll_thread", jw_bool(c->poll_thread));
			jw_put(x, "busy", jw_bool(c->busy));
			jw_put(x, "idle_share", jw_double(c->idle_share));
			jw_put(x, "poll_cpu_s", jw_double(c->poll_cpu_s));
		}
		json_object_array_add(cpus, x);
	}
	jw_put(o, "cpus", cpus);
	return o;
}

jo *report_status_json(const struct journal *j, const struct tune_result *r,
		       const struct winctl_status *w)
{
	jo *o = json_object_new_object();
	jw_put(o, "schema", jw_str(STATUS_SCHEMA));
	jw_put(o, "applied", jw_bool(j->n > 0));
	jo *applies = json_object_new_array();
	for (size_t i = 0; i < j->napplies; i++) {
		const struct journal_apply *a = &j->applies[i];
		jo *x = json_object_new_object();
		jw_put(x, "apply", jw_int((int)a->apply));
		jw_put(x, "profile", jw_str(a->profile));
		jw_put(x, "path", jw_str(a->path));
		jw_put(x, "pid", jw_nonneg(a->pid));
		jw_put(x, "cpus", jw_str(a->cpus));
		jw_put(x, "root", jw_str(a->root));
		jw_put(x, "time", jw_int(a->time));
		json_object_array_add(applies, x);
	}
	jw_put(o, "applies", applies);
	size_t count[TUNE_WINDOW + 1] = { 0 };
	jo *items = json_object_new_array();
	for (size_t i = 0; i < r->n; i++) {
		json_object_array_add(items, item_json(&r->it[i], true));
		count[r->it[i].state]++;
	}
	jw_put(o, "settings", items);
	jo *sum = json_object_new_object();
	jw_put(sum, "ok", jw_int((int64_t)count[TUNE_OK]));
	jw_put(sum, "drifted", jw_int((int64_t)count[TUNE_DRIFTED]));
	jw_put(sum, "gone", jw_int((int64_t)count[TUNE_GONE]));
	jw_put(sum, "original", jw_int((int64_t)count[TUNE_ORIGINAL]));
	jw_put(sum, "unreadable", jw_int((int64_t)count[TUNE_FAILED]));
	jw_put(sum, "window", jw_int((int64_t)count[TUNE_WINDOW]));
	jw_put(o, "summary", sum);
	jw_put(o, "window_controller", controller_json(w));
	return o;
}

static void controller_text(FILE *out, const struct winctl_status *w)
{
	if (!w || !w->present)
		return;
	bool poll = !strcmp(w->method, "poll");
	fprintf(out, "\n%s: pid %d, %s",
		!poll ? "PM QoS window controller" :
		w->poll_static ? "Warm controller (method poll, static)" :
				 "Warm controller (method poll, window)", w->pid,
		w->running ? "running" : "NOT running (revert restores what it managed)");
	if (w->agent > 0)
		fprintf(out, ", agent pid %d%s", w->agent, w->agent_exited ? " (exited)" : "");
	else
		fprintf(out, ", agent: any user task on its CPUs");
	fprintf(out, "\n  up %.0f s, window %" PRIu64 " ms; windows opened %" PRIu64
		", extended %" PRIu64 ", denied %" PRIu64 "; tokens left %" PRId64 " of %" PRId64
		" (refill %" PRId64 "/s, %" PRId64 " per window); %" PRIu64 " wakeups\n",
		w->uptime_s, w->window_ms, w->opened, w->extended, w->denied, w->tokens,
		w->budget_tokens, w->refill_per_s, w->cost_per_window, w->wakeups);
	if (poll)
		fprintf(out, "  poll threads' CPU time %.2f s (SCHED_IDLE: time the CPUs would have "
			"spent idle)\n", w->poll_cpu_s);
	fprintf(out, "  %-5s %-8s %-12s %-8s %-9s %-7s %s%s\n", "CPU", "WINDOW", "OPEN-SHARE",
		"OPENED", "EXTENDED", "DENIED", poll ? "STEPS    " : "STEPS",
		poll ? "POLL  IDLE   POLL-CPU" : "");
	for (size_t i = 0; i < w->ncpu; i++) {
		const struct winctl_cpu_status *c = &w->cpu[i];
		fprintf(out, "  %-5u %-8s %10.1f%%  %-8" PRIu64 " %-9" PRIu64 " %-7" PRIu64
			" %-8" PRIu64, c->cpu, c->state, 100 * c->open_share, c->opened,
			c->extended, c->denied, c->steps);
		if (poll)
			fprintf(out, " %-5s %5.1f%% %7.2fs", c->poll_thread ? "yes" :
				c->busy ? "busy" : "no", 100 * c->idle_share, c->poll_cpu_s);
		fputc('\n', out);
	}
}

void report_status_text(FILE *out, const struct journal *j, const struct tune_result *r,
			const struct winctl_status *w)
{
	if (!j->n) {
		fprintf(out, "Nothing applied (journal %s/%s is empty or absent).\n", j->dir,
			JOURNAL_FILE);
		/* but a controller that no record names is shown */
		if (!r->n)
			return;
	}
	for (size_t i = 0; i < j->napplies; i++) {
		const struct journal_apply *a = &j->applies[i];
		char when[64];
		time_text(a->time, when, sizeof(when));
		fprintf(out, "Applied %s (%s) at %s", a->profile, a->path, when);
		if (a->pid >= 0)
			fprintf(out, " for pid %d", a->pid);
		fprintf(out, " on CPUs %s%s%s\n", a->cpus, strcmp(a->root, "/") ? ", root " : "",
			strcmp(a->root, "/") ? a->root : "");
	}
	size_t bad = 0;
	fprintf(out, "\n  %-8s %-13s %-34s %-12s %-12s %s\n", "STATE", "KNOB", "TARGET", "ORIGINAL",
		"APPLIED", "NOW");
	for (size_t i = 0; i < r->n; i++) {
		const struct tune_item *it = &r->it[i];
		fprintf(out, "  %-8s %-13s %-34s %-12s %-12s %s", tune_state_name(it->state),
			knob_name(it->ch.knob), it->ch.label, it->ch.old, it->ch.new,
			it->state == TUNE_GONE ? "(gone)" : it->now);
		if (it->state == TUNE_WINDOW || it->state == TUNE_ORIGINAL ||
		    (it->state == TUNE_DRIFTED && it->why[0]))
			fprintf(out, " (%s)", it->why);
		fputc('\n', out);
		bad += it->state != TUNE_OK && it->state != TUNE_WINDOW;
	}
	fprintf(out, "\n%zu setting%s, %zu ok, %zu not as applied.\n", r->n, r->n == 1 ? "" : "s",
		r->n - bad, bad);
	controller_text(out, w);
}

/* ---------- profiles ---------- */

jo *report_profiles_json(const struct profile_info *v, size_t n)
{
	jo *o = json_object_new_object();
	jw_put(o, "schema", jw_str(PROFILES_SCHEMA));
	jo *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		jo *x = json_object_new_object();
		jw_put(x, "name", jw_str(v[i].name));
		jw_put(x, "summary", jw_str(v[i].summary));
		jw_put(x, "path", jw_str(v[i].path));
		json_object_array_add(arr, x);
	}
	jw_put(o, "profiles", arr);
	return o;
}

void report_profiles_text(FILE *out, const struct profile_info *v, size_t n)
{
	if (!n)
		fprintf(out, "No profiles found.\n");
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%-16s %s\n                 (%s)\n", v[i].name, v[i].summary, v[i].path);
}
