/* tune/report_tune: apply, revert, status and profile list reports. */
#include "tune/report_tune.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "base/cpumask.h"

typedef struct json_object jo;

static jo *jstr(const char *s)
{
	return json_object_new_string(s ? s : "");
}

static void put(jo *o, const char *k, jo *v)
{
	json_object_object_add(o, k, v);
}

static jo *jcpus(const struct cpumask *m)
{
	char *s = cpulist_str(m);
	jo *v = jstr(s);
	free(s);
	return v;
}

/* ---------- apply ---------- */

static jo *change_json(const struct plan_change *c, const struct tune_item *it)
{
	jo *o = json_object_new_object();
	put(o, "knob", jstr(knob_name(c->knob)));
	put(o, "target", jstr(c->target));
	put(o, "label", jstr(c->label));
	put(o, "current", jstr(it && it->old[0] ? it->old : c->old));
	put(o, "new", jstr(c->new));
	put(o, "source", jstr(c->source));
	put(o, "optional", json_object_new_boolean(c->optional));
	put(o, "window", json_object_new_boolean(c->window));
	if (it) {
		put(o, "state", jstr(tune_state_name(it->state)));
		put(o, "why", it->why[0] ? jstr(it->why) : NULL);
	}
	return o;
}

static jo *profile_json(const struct profile *p)
{
	jo *o = json_object_new_object();
	put(o, "name", jstr(p->name));
	put(o, "path", jstr(p->path));
	put(o, "summary", jstr(p->summary));
	jo *chain = json_object_new_array();
	for (size_t i = 0; i < p->chain.n; i++)
		json_object_array_add(chain, jstr(p->chain.v[i]));
	put(o, "files", chain);
	return o;
}

static bool plans_window(const struct plan *pl)
{
	for (size_t i = 0; i < pl->n; i++)
		if (pl->c[i].knob == KNOB_WINDOW)
			return true;
	return false;
}

/* The controller's parameters when the plan starts one, else null. */
static jo *window_params_json(const struct plan *pl)
{
	if (!plans_window(pl))
		return NULL;
	const struct window_params *w = &pl->window;
	jo *o = json_object_new_object();
	put(o, "window_ms", json_object_new_int64((int64_t)(w->window_ns / 1000000u)));
	put(o, "budget_tokens", json_object_new_int64(w->budget_tokens));
	put(o, "refill_per_s", json_object_new_int64(w->refill_per_s));
	put(o, "cost_per_window", json_object_new_int64(w->cost_per_window));
	return o;
}

jo *report_apply_json(const struct apply_report *a)
{
	jo *o = json_object_new_object();
	put(o, "schema", jstr(APPLY_SCHEMA));
	put(o, "profile", profile_json(a->p));
	put(o, "dry_run", json_object_new_boolean(a->dry_run));
	put(o, "pid", a->pl->pid >= 0 ? json_object_new_int(a->pl->pid) : NULL);
	put(o, "agent_cpus", jcpus(&a->pl->agent_cpus));
	put(o, "housekeeping_cpus", jcpus(&a->pl->housekeeping));
	jo *changes = json_object_new_array();
	for (size_t i = 0; i < a->pl->n; i++)
		json_object_array_add(changes, change_json(&a->pl->c[i],
							   a->r && i < a->r->n ? &a->r->it[i] : NULL));
	put(o, "changes", changes);
	jo *notes = json_object_new_array();
	for (size_t i = 0; i < a->pl->nnotes; i++) {
		jo *n = json_object_new_object();
		put(n, "text", jstr(a->pl->notes[i].text));
		put(n, "source", jstr(a->pl->notes[i].source));
		json_object_array_add(notes, n);
	}
	put(o, "notes", notes);
	jo *warn = json_object_new_array();
	for (size_t i = 0; a->warnings && i < a->warnings->n; i++)
		json_object_array_add(warn, jstr(a->warnings->v[i]));
	put(o, "warnings", warn);
	put(o, "window", window_params_json(a->pl));
	if (a->r) {
		jo *res = json_object_new_object();
		put(res, "ok", json_object_new_boolean(a->r->ok));
		put(res, "changed", json_object_new_int64((int64_t)a->r->done));
		put(res, "undo_failed", json_object_new_int64((int64_t)a->r->undo_failed));
		put(res, "why", a->r->why[0] ? jstr(a->r->why) : NULL);
		put(o, "result", res);
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

static void change_line(FILE *out, const struct plan_change *c, const struct tune_item *it)
{
	const char *old = it && it->old[0] ? it->old : c->old;
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
	if (plans_window(a->pl))
		fprintf(out, "\nPM QoS window: the values marked (window) are written by the "
			"controller while the agent steps, for %" PRIu64 " ms after each step; "
			"budget %" PRId64 " tokens, refill %" PRId64 "/s, %" PRId64 " per window.\n",
			a->pl->window.window_ns / 1000000u, a->pl->window.budget_tokens,
			a->pl->window.refill_per_s, a->pl->window.cost_per_window);
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
}

/* ---------- revert ---------- */

static jo *item_json(const struct tune_item *it, bool with_now)
{
	jo *o = json_object_new_object();
	put(o, "knob", jstr(knob_name(it->knob)));
	put(o, "target", jstr(it->target));
	put(o, "label", jstr(it->label));
	put(o, "original", jstr(it->old));
	put(o, "applied", jstr(it->new));
	if (with_now)
		put(o, "current", it->state == TUNE_GONE ? NULL : jstr(it->now));
	put(o, "state", jstr(tune_state_name(it->state)));
	put(o, "source", jstr(it->source));
	put(o, "why", it->why[0] ? jstr(it->why) : NULL);
	return o;
}

jo *report_revert_json(const struct tune_result *r, bool dry_run, bool force)
{
	jo *o = json_object_new_object();
	put(o, "schema", jstr(REVERT_SCHEMA));
	put(o, "dry_run", json_object_new_boolean(dry_run));
	put(o, "force", json_object_new_boolean(force));
	put(o, "ok", json_object_new_boolean(r->ok));
	put(o, "restored", json_object_new_int64((int64_t)r->done));
	jo *items = json_object_new_array();
	for (size_t i = 0; i < r->n; i++)
		json_object_array_add(items, item_json(&r->it[i], true));
	put(o, "settings", items);
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
			knob_name(it->knob), it->label, it->state == TUNE_GONE ? "(gone)" : it->now,
			it->old);
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
	put(o, "pid", json_object_new_int(w->pid));
	put(o, "running", json_object_new_boolean(w->running));
	put(o, "apply", json_object_new_int((int)w->apply));
	put(o, "agent", w->agent > 0 ? json_object_new_int(w->agent) : NULL);
	put(o, "agent_exited", json_object_new_boolean(w->agent_exited));
	put(o, "uptime_s", json_object_new_double(w->uptime_s));
	put(o, "window_ms", json_object_new_int64((int64_t)w->window_ms));
	put(o, "tokens", json_object_new_int64(w->tokens));
	put(o, "budget_tokens", json_object_new_int64(w->budget_tokens));
	put(o, "refill_per_s", json_object_new_int64(w->refill_per_s));
	put(o, "cost_per_window", json_object_new_int64(w->cost_per_window));
	put(o, "windows_opened", json_object_new_int64((int64_t)w->opened));
	put(o, "windows_extended", json_object_new_int64((int64_t)w->extended));
	put(o, "windows_denied", json_object_new_int64((int64_t)w->denied));
	put(o, "wakeups", json_object_new_int64((int64_t)w->wakeups));
	jo *cpus = json_object_new_array();
	for (size_t i = 0; i < w->ncpu; i++) {
		const struct winctl_cpu_status *c = &w->cpu[i];
		jo *x = json_object_new_object();
		put(x, "cpu", json_object_new_int((int)c->cpu));
		put(x, "state", jstr(c->state));
		put(x, "open_share", json_object_new_double(c->open_share));
		put(x, "opened", json_object_new_int64((int64_t)c->opened));
		put(x, "extended", json_object_new_int64((int64_t)c->extended));
		put(x, "denied", json_object_new_int64((int64_t)c->denied));
		put(x, "steps", json_object_new_int64((int64_t)c->steps));
		json_object_array_add(cpus, x);
	}
	put(o, "cpus", cpus);
	return o;
}

jo *report_status_json(const struct journal *j, const struct tune_result *r,
		       const struct winctl_status *w)
{
	jo *o = json_object_new_object();
	put(o, "schema", jstr(STATUS_SCHEMA));
	put(o, "applied", json_object_new_boolean(j->n > 0));
	jo *applies = json_object_new_array();
	for (size_t i = 0; i < j->napplies; i++) {
		const struct journal_apply *a = &j->applies[i];
		jo *x = json_object_new_object();
		put(x, "apply", json_object_new_int((int)a->apply));
		put(x, "profile", jstr(a->profile));
		put(x, "path", jstr(a->path));
		put(x, "pid", a->pid >= 0 ? json_object_new_int(a->pid) : NULL);
		put(x, "cpus", jstr(a->cpus));
		put(x, "root", jstr(a->root));
		put(x, "time", json_object_new_int64(a->time));
		json_object_array_add(applies, x);
	}
	put(o, "applies", applies);
	size_t count[TUNE_WINDOW + 1] = { 0 };
	jo *items = json_object_new_array();
	for (size_t i = 0; i < r->n; i++) {
		json_object_array_add(items, item_json(&r->it[i], true));
		count[r->it[i].state]++;
	}
	put(o, "settings", items);
	jo *sum = json_object_new_object();
	put(sum, "ok", json_object_new_int64((int64_t)count[TUNE_OK]));
	put(sum, "drifted", json_object_new_int64((int64_t)count[TUNE_DRIFTED]));
	put(sum, "gone", json_object_new_int64((int64_t)count[TUNE_GONE]));
	put(sum, "unreadable", json_object_new_int64((int64_t)count[TUNE_FAILED]));
	put(sum, "window", json_object_new_int64((int64_t)count[TUNE_WINDOW]));
	put(o, "summary", sum);
	put(o, "window_controller", controller_json(w));
	return o;
}

static void controller_text(FILE *out, const struct winctl_status *w)
{
	if (!w || !w->present)
		return;
	fprintf(out, "\nPM QoS window controller: pid %d, %s", w->pid,
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
	fprintf(out, "  %-5s %-8s %-12s %-8s %-9s %-7s %s\n", "CPU", "WINDOW", "OPEN-SHARE",
		"OPENED", "EXTENDED", "DENIED", "STEPS");
	for (size_t i = 0; i < w->ncpu; i++) {
		const struct winctl_cpu_status *c = &w->cpu[i];
		fprintf(out, "  %-5u %-8s %10.1f%%  %-8" PRIu64 " %-9" PRIu64 " %-7" PRIu64
			" %" PRIu64 "\n", c->cpu, c->state, 100 * c->open_share, c->opened,
			c->extended, c->denied, c->steps);
	}
}

void report_status_text(FILE *out, const struct journal *j, const struct tune_result *r,
			const struct winctl_status *w)
{
	if (!j->n) {
		fprintf(out, "Nothing applied (journal %s/%s is empty or absent).\n", j->dir,
			JOURNAL_FILE);
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
			knob_name(it->knob), it->label, it->old, it->new,
			it->state == TUNE_GONE ? "(gone)" : it->now);
		if (it->state == TUNE_WINDOW || (it->state == TUNE_DRIFTED && it->why[0]))
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
	put(o, "schema", jstr(PROFILES_SCHEMA));
	jo *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		jo *x = json_object_new_object();
		put(x, "name", jstr(v[i].name));
		put(x, "summary", jstr(v[i].summary));
		put(x, "path", jstr(v[i].path));
		json_object_array_add(arr, x);
	}
	put(o, "profiles", arr);
	return o;
}

void report_profiles_text(FILE *out, const struct profile_info *v, size_t n)
{
	if (!n)
		fprintf(out, "No profiles found.\n");
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%-16s %s\n                 (%s)\n", v[i].name, v[i].summary, v[i].path);
}
