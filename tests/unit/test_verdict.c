/* Unit tests: how a step's delay is split into causes (diag_step_causes,
 * diag_fit_window in bpf/diagnose.h, shared with the kernel) and the verdict
 * over all steps and over the tail (no BPF needed: synthetic steps). */
#include "testutil.h"
#include "diagnose/report_diag.h"
#include "diagnose/verdict.h"

#define US 1000ull
#define TARGET 500                 /* the target's tgid in these tests */
#define SELF 600                   /* agentune's */

static struct step_event blank(void)
{
	struct step_event e;
	memset(&e, 0, sizeof(e));
	e.pid = TARGET;
	e.tid = TARGET + 1;
	e.cpu = e.prev_cpu = 1;
	e.chain.kind = CHAIN_TASK;
	e.chain.irq = e.chain.softirq = DIAG_NONE;
	e.chain.origin_cpu = 0;
	return e;
}

static void set_task(struct diag_task_time *t, uint32_t pid, uint32_t tgid, const char *comm,
		     uint64_t ns)
{
	t->pid = pid;
	t->tgid = tgid;
	t->ns = ns;
	snprintf(t->comm, sizeof(t->comm), "%s", comm);
}

/* A step that queued `ns` behind `comm` (pid) on its CPU. */
static struct step_event queued(const char *comm, uint32_t pid, uint64_t ns)
{
	struct step_event e = blank();
	e.wait.total_ns = ns;
	e.wait.task_ns = ns;
	set_task(&e.wait.top[0], pid, pid, comm, ns);
	diag_fit_window(&e.wait);
	e.stage_ns[STAGE_WAKE_RUN] = ns;
	diag_step_causes(&e);
	return e;
}

static struct step_event idle(uint64_t ns)
{
	struct step_event e = blank();
	e.wait.total_ns = ns;
	e.wait.idle_ns = ns;
	diag_fit_window(&e.wait);
	e.stage_ns[STAGE_WAKE_RUN] = ns;
	diag_step_causes(&e);
	return e;
}

/* A step woken on a CPU kept warm: a SCHED_IDLE task held it for `warm`
 * ns (what the kernel side puts in wait.warm_ns), `rest` ns the switch. */
static struct step_event warm(uint64_t warm_ns, uint64_t rest)
{
	struct step_event e = blank();
	e.wait.total_ns = warm_ns + rest;
	e.wait.warm_ns = warm_ns;
	diag_fit_window(&e.wait);
	e.stage_ns[STAGE_WAKE_RUN] = warm_ns + rest;
	diag_step_causes(&e);
	return e;
}

/* A result whose kernel sums are those of `all` (n steps) and whose kept
 * slow steps are `slow` (sorted slowest first by the caller). */
static void result(struct probe_result *r, struct step_event *all, size_t n,
		   struct step_event *slow, size_t nslow)
{
	static struct probe_thread th = { .tid = TARGET + 1, .tgid = TARGET };
	memset(r, 0, sizeof(*r));
	r->steps = n;
	r->self_tgid = SELF;
	r->threads = &th;
	r->nthreads = 1;
	for (size_t i = 0; i < n; i++) {
		for (int c = 0; c < CAUSE_MAX; c++) {
			r->sums.ns[c] += all[i].cause_ns[c];
			r->sums.steps[c] += all[i].cause_ns[c] != 0;
		}
		r->sums.warm_ns += all[i].wait.warm_ns;      /* as add_sums() does */
		r->sums.warm_steps += all[i].wait.warm_ns != 0;
	}
	r->slow = slow;
	r->nslow = nslow;
}

static const struct verdict_cause *find(const struct verdict_set *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->cause[i].id, id))
			return &s->cause[i];
	return NULL;
}

/* ---- one step's split ------------------------------------------------------ */

static void chain_kinds_pick_the_cause(void **state)
{
	struct step_event e = blank();
	e.stage_ns[STAGE_COMPLETION] = 40 * US;

	e.chain.kind = CHAIN_SOFTIRQ;
	diag_step_causes(&e);
	assert_int_equal(e.cause_ns[CAUSE_COMPLETION], 40 * US);
	assert_int_equal(e.cause_ns[CAUSE_SOFTIRQ_DEFERRAL], 0);

	e.chain.flags = CHF_KSOFTIRQD;
	diag_step_causes(&e);
	assert_int_equal(e.cause_ns[CAUSE_SOFTIRQ_DEFERRAL], 40 * US);
	assert_int_equal(e.cause_ns[CAUSE_COMPLETION], 0);

	e.chain.flags = 0;
	e.chain.kind = CHAIN_WORKQUEUE;
	diag_step_causes(&e);
	assert_int_equal(e.cause_ns[CAUSE_DEFERRED_WORK], 40 * US);

	e.chain.kind = CHAIN_TIMER;
	diag_step_causes(&e);
	assert_int_equal(e.cause_ns[CAUSE_TIMER_LATENESS], 40 * US);
	assert_int_equal(e.delay_ns, 40 * US);
}

/* Throttled time comes first; the parts that overlap it are scaled into
 * what is left; the rest is unattributed. */
static void window_fit_throttle_first(void **state)
{
	struct diag_window w;
	memset(&w, 0, sizeof(w));
	w.total_ns = 100 * US;
	w.throttle_ns = 80 * US;
	w.idle_ns = 40 * US;             /* idle while throttled: mostly throttling */
	w.task_ns = 40 * US;
	diag_fit_window(&w);
	assert_int_equal(w.throttle_ns, 80 * US);
	assert_int_equal(w.idle_ns + w.task_ns + w.unattributed_ns, 20 * US);
	assert_true(w.idle_ns >= 9 * US && w.idle_ns <= 10 * US);

	memset(&w, 0, sizeof(w));
	w.total_ns = 100 * US;
	w.irq_ns = 10 * US;
	w.task_ns = 60 * US;
	diag_fit_window(&w);
	assert_int_equal(w.unattributed_ns, 30 * US);
	assert_int_equal(w.task_ns, 60 * US);

	/* Throttling longer than the window is capped at it. */
	memset(&w, 0, sizeof(w));
	w.total_ns = 10 * US;
	w.throttle_ns = 90 * US;
	diag_fit_window(&w);
	assert_int_equal(w.throttle_ns, 10 * US);
	assert_int_equal(w.unattributed_ns, 0);
}

static void step_causes_sum_to_delay(void **state)
{
	struct step_event e = blank();
	e.stage_ns[STAGE_COMPLETION] = 5 * US;
	e.wait = (struct diag_window){ .total_ns = 50 * US, .idle_ns = 20 * US, .irq_ns = 5 * US,
				       .task_ns = 10 * US, .own_ns = 5 * US };
	diag_fit_window(&e.wait);
	e.pre = (struct diag_window){ .total_ns = 30 * US, .throttle_ns = 30 * US };
	diag_fit_window(&e.pre);
	e.run_softirq_ns = 3 * US;
	e.stage_ns[STAGE_RUN] = 100 * US;
	e.freq_khz = 1500000;
	e.freq_max_khz = 3000000;
	diag_step_causes(&e);
	assert_int_equal(e.cause_ns[CAUSE_IDLE_EXIT], 20 * US);
	assert_int_equal(e.cause_ns[CAUSE_QUEUE], 15 * US);       /* own threads queue too */
	assert_int_equal(e.cause_ns[CAUSE_UNATTRIBUTED], 10 * US);
	assert_int_equal(e.cause_ns[CAUSE_THROTTLE], 30 * US);
	assert_int_equal(e.cause_ns[CAUSE_SOFTIRQ], 3 * US);
	assert_true(e.cause_ns[CAUSE_FREQUENCY] >= 49 * US && e.cause_ns[CAUSE_FREQUENCY] <= 50 * US);
	uint64_t sum = 0;
	for (int c = 0; c < CAUSE_MAX; c++)
		sum += e.cause_ns[c];
	assert_int_equal(sum, e.delay_ns);
	assert_int_equal(verdict_step_delay(&e), e.delay_ns);
}

/* ---- the verdict ----------------------------------------------------------- */

/* Idle exit is most of every step's delay; one outlier queued long.  The
 * verdict over all steps says idle-exit, the tail's says queueing. */
static void all_and_tail_rank_separately(void **state)
{
	enum { N = 200 };
	struct step_event all[N], slow[3];
	for (int i = 0; i < N - 1; i++)
		all[i] = idle(50 * US);
	all[N - 1] = queued("hog", 900, 2000 * US);
	slow[0] = all[N - 1];
	slow[1] = idle(50 * US);
	slow[2] = idle(50 * US);
	struct probe_result r;
	result(&r, all, N, slow, 3);
	struct verdict v;
	verdict_eval(&r, NULL, &v);

	assert_int_equal(v.all.steps, N);
	assert_string_equal(v.all.cause[0].id, "idle-exit");
	assert_int_equal(v.all.cause[0].steps, N - 1);
	assert_string_equal(v.all.cause[1].id, "queueing");
	assert_int_equal(v.all.total_ns, (N - 1) * 50 * US + 2000 * US);
	double sum = 0;
	for (size_t i = 0; i < v.all.n; i++)
		sum += v.all.cause[i].share;
	assert_true(sum > 0.999 && sum < 1.001);

	/* 200 steps: the tail above the p99 is the 2 slowest. */
	assert_int_equal(v.tail.steps, 2);
	assert_false(v.tail.truncated);
	assert_int_equal(v.tail.threshold_ns, 50 * US);
	assert_string_equal(v.tail.cause[0].id, "queueing");
	assert_true(v.tail.cause[0].share > 0.95);
	assert_int_equal(v.tail.cause[0].nculprits, 1);
	assert_string_equal(v.tail.cause[0].culprit[0].comm, "hog");
	assert_non_null(strstr(v.tail.cause[0].evidence, "'hog' (pid 900)"));
}

/* The task named is the one that held the CPU longest summed over the
 * steps, not the one that ran last or longest once; the target's own
 * threads and agentune's are never named. */
static void culprits_summed_own_threads_never(void **state)
{
	struct step_event s[4];
	for (int i = 0; i < 3; i++) {
		s[i] = blank();
		s[i].wait.total_ns = 1400 * US;
		s[i].wait.task_ns = 1000 * US;
		s[i].wait.own_ns = 400 * US;
		set_task(&s[i].wait.top[0], 901, 901, "steady", 1000 * US);
		diag_fit_window(&s[i].wait);
		diag_step_causes(&s[i]);
	}
	/* The slowest step: a one-off 2 ms task ran last; agentune's own
	 * thread and a sibling thread of the target are in the slots. */
	s[3] = blank();
	s[3].wait.total_ns = 2600 * US;
	s[3].wait.task_ns = 2600 * US;
	set_task(&s[3].wait.top[0], 902, 902, "oneoff", 2000 * US);
	set_task(&s[3].wait.top[1], SELF + 1, SELF, "agentune", 300 * US);
	set_task(&s[3].wait.top[2], TARGET + 2, TARGET, "agent-p0", 300 * US);
	diag_fit_window(&s[3].wait);
	diag_step_causes(&s[3]);
	struct step_event slow[4] = { s[3], s[0], s[1], s[2] };

	struct probe_result r;
	result(&r, s, 4, slow, 4);
	r.steps = 400;                  /* the tail: 4 steps */
	/* The kernel's culprits for all steps, as the probe reads them. */
	struct probe_culprit cul[4] = {
		{ .pid = 901, .tgid = 901, .comm = "steady", .queue_ns = 3000 * US, .steps = 3 },
		{ .pid = 902, .tgid = 902, .comm = "oneoff", .queue_ns = 2000 * US, .steps = 1 },
		{ .pid = SELF + 1, .tgid = SELF, .comm = "agentune", .queue_ns = 9000 * US },
		{ .pid = TARGET + 2, .tgid = TARGET, .comm = "agent-p0", .queue_ns = 9000 * US },
	};
	r.culprits = cul;
	r.nculprits = 4;
	struct verdict v;
	verdict_eval(&r, NULL, &v);

	for (int k = 0; k < 2; k++) {
		const struct verdict_set *set = k ? &v.tail : &v.all;
		const struct verdict_cause *q = find(set, "queueing");
		assert_non_null(q);
		assert_int_equal(q->nculprits, 2);
		assert_string_equal(q->culprit[0].comm, "steady");
		assert_int_equal(q->culprit[0].ns, 3000 * US);
		assert_string_equal(q->culprit[1].comm, "oneoff");
		assert_null(strstr(q->evidence, "agentune"));
		assert_null(strstr(q->evidence, "agent-p0"));
	}
}

/* Waiting behind ksoftirqd is softirq work on the agent's CPU: it counts
 * as softirq-interference (over all steps and in the tail), ksoftirqd is
 * never a queueing culprit, and a real task beside it still is. */
static void ksoftirqd_is_softirq_not_queueing(void **state)
{
	struct step_event s[2];
	for (int i = 0; i < 2; i++) {
		s[i] = blank();
		s[i].wait.total_ns = 1000 * US;
		s[i].wait.task_ns = 1000 * US;
		set_task(&s[i].wait.top[0], 15, 15, "ksoftirqd/1", 800 * US);
		set_task(&s[i].wait.top[1], 903, 903, "hog", 200 * US);
		diag_fit_window(&s[i].wait);
		diag_step_causes(&s[i]);
	}
	struct probe_result r;
	result(&r, s, 2, s, 2);
	r.steps = 100;                  /* the tail: 1 step */
	struct probe_culprit cul[2] = {
		{ .pid = 15, .tgid = 15, .comm = "ksoftirqd/1", .queue_ns = 1600 * US, .steps = 2 },
		{ .pid = 903, .tgid = 903, .comm = "hog", .queue_ns = 400 * US, .steps = 2 },
	};
	r.culprits = cul;
	r.nculprits = 2;
	struct verdict v;
	verdict_eval(&r, NULL, &v);

	const struct verdict_set *sets[2] = { &v.all, &v.tail };
	const uint64_t steps[2] = { 2, 1 };
	for (int k = 0; k < 2; k++) {
		const struct verdict_cause *si = find(sets[k], "softirq-interference");
		const struct verdict_cause *q = find(sets[k], "queueing");
		assert_non_null(si);
		assert_non_null(q);
		assert_int_equal(si->ns, 800 * US * steps[k]);
		assert_int_equal(si->steps, steps[k]);
		assert_int_equal(q->ns, 200 * US * steps[k]);
		assert_string_equal(sets[k]->cause[0].id, "softirq-interference");
		assert_int_equal(q->nculprits, 1);
		assert_string_equal(q->culprit[0].comm, "hog");
	}
}

/* A fix is offered only where it can act: no PM QoS limit without idle
 * states; throttling points at the quota. */
static void no_fix_that_cannot_act(void **state)
{
	struct step_event all[2] = { idle(80 * US), blank() };
	all[1].wait.total_ns = all[1].wait.throttle_ns = 90000 * US;
	diag_fit_window(&all[1].wait);
	diag_step_causes(&all[1]);
	struct step_event slow[2] = { all[1], all[0] };
	struct probe_result r;
	result(&r, all, 2, slow, 2);
	struct verdict_host h;
	memset(&h, 0, sizeof(h));
	snprintf(h.idle_why, sizeof(h.idle_why), "no cpuidle driver");
	snprintf(h.cgroup, sizeof(h.cgroup), "/agent (v1)");
	snprintf(h.cpu_quota, sizeof(h.cpu_quota), "cpu.cfs_quota_us 10000 per cpu.cfs_period_us 100000");
	struct verdict v;
	verdict_eval(&r, &h, &v);

	assert_string_equal(v.all.cause[0].id, "cgroup-throttling");
	assert_string_equal(v.all.cause[0].knob, "[cgroup] cpu_max");
	assert_non_null(strstr(v.all.cause[0].evidence, "cfs_quota_us 10000"));
	assert_int_equal(v.all.cause[0].nculprits, 0);
	const struct verdict_cause *ie = find(&v.all, "idle-exit");
	assert_non_null(ie);
	assert_string_equal(ie->knob, "");
	assert_non_null(strstr(ie->evidence, "no PM QoS fix: no cpuidle driver"));

	h.idle_states = true;
	verdict_eval(&r, &h, &v);
	ie = find(&v.all, "idle-exit");
	assert_non_null(strstr(ie->knob, "[pmqos]"));
}

static void no_steps_no_causes(void **state)
{
	struct probe_result r;
	memset(&r, 0, sizeof(r));
	struct verdict v;
	verdict_eval(&r, NULL, &v);
	assert_int_equal(v.all.n, 0);
	assert_int_equal(v.tail.n, 0);
	assert_int_equal(v.all.total_ns, 0);
	assert_int_equal(v.tail.steps, 0);
}

/* Fewer steps kept than the tail has: said, not hidden. */
static void tail_truncated_is_said(void **state)
{
	struct step_event s = queued("hog", 900, 100 * US);
	struct probe_result r;
	result(&r, &s, 1, &s, 1);
	r.steps = 1000;                 /* the tail should have 10 */
	struct verdict v;
	verdict_eval(&r, NULL, &v);
	assert_int_equal(v.tail.steps, 1);
	assert_true(v.tail.truncated);
}

static void migrations_are_counted(void **state)
{
	struct step_event ev[2] = { queued("x", 900, 1000), queued("x", 900, 1000) };
	ev[1].prev_cpu = 0;
	struct probe_result r;
	result(&r, ev, 2, ev, 2);
	r.steps = 200;
	struct verdict v;
	verdict_eval(&r, NULL, &v);
	assert_int_equal(v.migrated, 1);
}

static struct json_object *path(struct json_object *o, const char *const *keys)
{
	for (; o && *keys; keys++) {
		struct json_object *x = NULL;
		if (json_object_is_type(o, json_type_array))
			x = json_object_array_get_idx(o, (size_t)atoi(*keys));
		else
			json_object_object_get_ex(o, *keys, &x);
		o = x;
	}
	return o;
}

#define P(o, ...) path((o), (const char *const[]){ __VA_ARGS__, NULL })

/* The JSON contract of agentune.diagnose/2 (docs/json-schema.md) that
 * other tools and tests read: names, types, nulls. */
static void json_contract(void **state)
{
	struct step_event s[2];
	s[0] = queued("hog", 900, 300 * US);
	s[0].chain.kind = CHAIN_SOFTIRQ;
	s[0].chain.irq = 38;
	s[0].chain.softirq = DIAG_SOFTIRQ_NET_RX;
	s[0].chain.origin_cpu = 0;
	s[0].chain.flags = CHF_NAPI_SEEN | CHF_NAPI_FULL;
	s[0].wake_cpu = 0;
	snprintf(s[0].irq_name, sizeof(s[0].irq_name), "virtio2-input.0");
	snprintf(s[0].napi_dev, sizeof(s[0].napi_dev), "eth0");
	s[0].stage_ns[STAGE_COMPLETION] = 12 * US;
	diag_step_causes(&s[0]);
	s[1] = idle(30 * US);
	struct probe_result r;
	result(&r, s, 2, s, 2);
	struct probe_culprit cul = { .pid = 900, .tgid = 900, .comm = "hog", .queue_ns = 300 * US,
				     .steps = 1 };
	r.culprits = &cul;
	r.nculprits = 1;
	for (unsigned k = 0; k < STAGE_MAX; k++)
		r.stages[k].available = true;
	struct verdict v;
	verdict_eval(&r, NULL, &v);
	struct diag_report d = { .pid = TARGET, .slowest = 10, .r = &r, .v = &v, .duration_s = 1 };
	struct json_object *j = report_diag_json(&d);

	assert_string_equal(json_object_get_string(P(j, "schema")), "agentune.diagnose/2");
	for (const char *const *st = (const char *const[]){ "completion", "wake_run", "idle_exit",
		"queue", "irq", "softirq", "throttle", "unattributed", "run", NULL }; *st; st++) {
		assert_non_null(P(j, "stages", *st, "p99_us"));
		assert_non_null(P(j, "stages", *st, "available"));
	}
	for (int k = 0; k < 2; k++) {
		const char *set = k ? "tail" : "all";
		assert_true(json_object_is_type(P(j, "verdict", set, "steps"), json_type_int));
		assert_non_null(P(j, "verdict", set, "total_delay_us"));
		assert_string_equal(json_object_get_string(P(j, "verdict", set, "causes", "0", "cause")),
				    "queueing");
		assert_string_equal(json_object_get_string(P(j, "verdict", set, "causes", "0", "culprits",
							     "0", "comm")), "hog");
		assert_int_equal(json_object_get_int(P(j, "verdict", set, "causes", "0", "culprits", "0",
						       "pid")), 900);
		assert_non_null(P(j, "verdict", set, "causes", "0", "culprits", "0", "us"));
	}
	/* idle-exit without a host that can act: knob null, no culprits. */
	struct json_object *causes = P(j, "verdict", "all", "causes");
	for (size_t i = 0; i < json_object_array_length(causes); i++) {
		struct json_object *c = json_object_array_get_idx(causes, i);
		if (strcmp(json_object_get_string(P(c, "cause")), "idle-exit"))
			continue;
		assert_true(json_object_is_type(P(c, "knob"), json_type_null));
		assert_int_equal(json_object_array_length(P(c, "culprits")), 0);
	}
	struct json_object *ch = P(j, "slowest", "0", "chain");
	assert_string_equal(json_object_get_string(P(ch, "kind")), "softirq");
	assert_int_equal(json_object_get_int(P(ch, "irq")), 38);
	assert_string_equal(json_object_get_string(P(ch, "irq_name")), "virtio2-input.0");
	assert_true(json_object_is_type(P(ch, "vector"), json_type_null));
	assert_string_equal(json_object_get_string(P(ch, "softirq")), "NET_RX");
	assert_false(json_object_get_boolean(P(ch, "in_ksoftirqd")));
	assert_string_equal(json_object_get_string(P(ch, "napi_device")), "eth0");
	assert_true(json_object_get_boolean(P(ch, "napi_budget_exhausted")));
	assert_true(json_object_is_type(P(ch, "work_function"), json_type_null));
	assert_true(json_object_is_type(P(ch, "queued_by"), json_type_null));
	assert_true(json_object_is_type(P(ch, "timer_lateness_us"), json_type_null));
	assert_true(json_object_get_double(P(ch, "completion_us")) > 11.9);
	assert_true(json_object_is_type(P(ch, "reason"), json_type_null));
	assert_int_equal(json_object_array_length(P(ch, "cpus")), 2);       /* 0, then 1 */
	const char *line = json_object_get_string(P(j, "slowest", "0", "line"));
	assert_non_null(strstr(line, "IRQ 38 virtio2-input.0 on CPU 0 \xe2\x86\x92 NET_RX (irq exit, 12.0 \xc2\xb5s"));
	assert_non_null(strstr(line, "wake on CPU 1"));
	assert_non_null(P(j, "slowest", "0", "delay_us"));
	assert_non_null(P(j, "slowest", "0", "stages_us", "completion"));
	assert_true(json_object_is_type(P(j, "slowest", "0", "freq_khz"), json_type_null));
	assert_true(json_object_is_type(P(j, "slowest", "0", "ramp_us"), json_type_null));
	assert_non_null(P(j, "slowest", "0", "migration"));
	/* Slowest by delay: the queued step (300 us + 12) before the idle one. */
	assert_true(json_object_get_double(P(j, "slowest", "0", "delay_us")) >
		    json_object_get_double(P(j, "slowest", "1", "delay_us")));
	json_object_put(j);
}

/* ---- chains, frequency, migration and throttling in the report ----------- */

/* The text report of d, NUL-terminated (the caller frees it). */
static char *text_of(const struct diag_report *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	report_diag_text(f, d);
	fclose(f);
	return buf;
}

static void assert_has(const char *text, const char *want)
{
	if (!strstr(text, want))
		fail_msg("'%s' not in:\n%s", want, text);
}

static void all_available(struct probe_result *r)
{
	for (unsigned k = 0; k < STAGE_MAX; k++)
		r->stages[k].available = true;
	for (unsigned f = 0; f < FEAT_MAX; f++)
		r->features[f].available = true;
}

/* Steps as the kernel would send them (no BPF): a NET_RX wakeup in a poll
 * that used its whole budget, a block completion of the thread's own
 * request, and a step after a migration at half the policy's max clock. */
static void crafted_chains_in_report(void **state)
{
	struct step_event s[3];

	s[0] = queued("hog", 900, 300 * US);
	s[0].chain.kind = CHAIN_SOFTIRQ;
	s[0].chain.irq = 38;
	s[0].chain.softirq = DIAG_SOFTIRQ_NET_RX;
	s[0].chain.flags = CHF_NAPI_SEEN | CHF_NAPI_FULL;
	s[0].chain.dev = 257;
	snprintf(s[0].irq_name, sizeof(s[0].irq_name), "virtio2-input.0");
	snprintf(s[0].napi_dev, sizeof(s[0].napi_dev), "eth0");
	s[0].stage_ns[STAGE_COMPLETION] = 12 * US;
	diag_step_causes(&s[0]);

	s[1] = idle(100 * US);
	s[1].chain.kind = CHAIN_BLOCK;
	s[1].chain.irq = 36;
	s[1].chain.softirq = DIAG_SOFTIRQ_BLOCK;
	s[1].chain.flags = CHF_BLOCK_OWN;
	s[1].chain.dev = (254u << 20) | 3;
	snprintf(s[1].irq_name, sizeof(s[1].irq_name), "virtio1-req.0");
	s[1].stage_ns[STAGE_COMPLETION] = 2 * US;
	diag_step_causes(&s[1]);

	s[2] = idle(50 * US);
	s[2].prev_cpu = 0;
	s[2].cpu = 1;
	s[2].migration_ns = 40 * US;
	s[2].stage_ns[STAGE_RUN] = 80 * US;
	s[2].freq_khz = 1200000;
	s[2].freq_max_khz = 2400000;
	s[2].ramp_ns = 35 * US;
	diag_step_causes(&s[2]);
	assert_int_equal(s[2].cause_ns[CAUSE_FREQUENCY], 40 * US);   /* half the run */
	assert_int_equal(s[2].cause_ns[CAUSE_MIGRATION], 40 * US);

	struct probe_result r;
	result(&r, s, 3, s, 3);
	r.sums.napi_full = 1;
	r.sums.migrated_steps = 1;
	all_available(&r);
	struct verdict v;
	verdict_eval(&r, NULL, &v);
	struct diag_report d = { .pid = TARGET, .slowest = 10, .r = &r, .v = &v, .duration_s = 1 };
	char *text = text_of(&d);
	assert_has(text, "IRQ 38 virtio2-input.0 on CPU 0 \xe2\x86\x92 NET_RX (irq exit, 12.0 \xc2\xb5s, "
		   "napi eth0 id 257, budget exhausted)");
	assert_has(text, "1 NET_RX wakeups came in a NAPI poll that used its whole budget");
	/* no host to name the disk: its numbers */
	assert_has(text, "IRQ 36 virtio1-req.0 on CPU 0 \xe2\x86\x92 BLOCK (irq exit) \xe2\x86\x92 "
		   "block_rq_complete 254:3, its own request (2.0 \xc2\xb5s)");
	assert_has(text, "migration 0->1 (other CPU), cost 40.0 \xc2\xb5s, 1200 of 2400 MHz (50% of max), "
		   "ramp 35.0 \xc2\xb5s after the wakeup");
	assert_has(text, "1 steps ran on another CPU than the step before, 40.0 us lost in all");
	free(text);

	struct json_object *j = report_diag_json(&d);
	struct json_object *slow = P(j, "slowest");
	assert_int_equal(json_object_get_int(P(j, "chains", "napi_budget_exhausted")), 1);
	assert_int_equal(json_object_get_int(P(j, "chains", "migrated_steps")), 1);
	assert_int_equal(json_object_array_length(slow), 3);
	for (size_t i = 0; i < json_object_array_length(slow); i++) {
		struct json_object *st = json_object_array_get_idx(slow, i), *ch = P(st, "chain");
		const char *kind = json_object_get_string(P(ch, "kind"));
		if (!strcmp(kind, "softirq")) {
			assert_int_equal(json_object_get_int(P(ch, "napi_id")), 257);
			assert_true(json_object_get_boolean(P(ch, "napi_budget_exhausted")));
			assert_string_equal(json_object_get_string(P(ch, "napi_device")), "eth0");
		} else if (!strcmp(kind, "block")) {
			assert_string_equal(json_object_get_string(P(ch, "disk")), "254:3");
			assert_true(json_object_get_boolean(P(ch, "own_request")));
			assert_string_equal(json_object_get_string(P(ch, "softirq")), "BLOCK");
		} else {
			assert_int_equal(json_object_get_int(P(st, "freq_khz")), 1200000);
			assert_int_equal(json_object_get_int(P(st, "freq_max_khz")), 2400000);
			assert_true(json_object_get_double(P(st, "ramp_us")) == 35.0);
			assert_true(json_object_get_boolean(P(st, "migration", "moved")));
			assert_true(json_object_get_double(P(st, "migration", "cost_us")) == 40.0);
			assert_true(json_object_is_type(P(ch, "disk"), json_type_null));
		}
	}
	const struct verdict_cause *fq = find(&v.all, "frequency"), *mg = find(&v.all, "migration");
	assert_non_null(fq);
	assert_non_null(mg);
	assert_int_equal(fq->ns, 40 * US);
	assert_int_equal(mg->ns, 40 * US);
	json_object_put(j);
}

/* Without cpufreq: no frequency figures, the report says why, text and JSON. */
static void frequency_unavailable_said(void **state)
{
	struct step_event s = idle(50 * US);
	struct probe_result r;
	result(&r, &s, 1, &s, 1);
	all_available(&r);
	r.features[FEAT_FREQUENCY].available = false;
	snprintf(r.features[FEAT_FREQUENCY].why, sizeof(r.features[0].why),
		 "no cpufreq driver (/sys/devices/system/cpu/cpu*/cpufreq absent)");
	struct verdict v;
	verdict_eval(&r, NULL, &v);
	struct diag_report d = { .pid = TARGET, .slowest = 10, .r = &r, .v = &v, .duration_s = 1 };
	char *text = text_of(&d);
	assert_has(text, "feature frequency unavailable: no cpufreq driver");
	assert_null(strstr(text, "MHz"));
	free(text);
	struct json_object *j = report_diag_json(&d);
	assert_false(json_object_get_boolean(P(j, "features", "frequency", "available")));
	assert_non_null(strstr(json_object_get_string(P(j, "features", "frequency", "why")), "cpufreq"));
	assert_true(json_object_is_type(P(j, "slowest", "0", "freq_khz"), json_type_null));
	assert_true(json_object_is_type(P(j, "slowest", "0", "ramp_us"), json_type_null));
	json_object_put(j);
}

/* Where BTF cannot read the group: cpu.stat's throttled time is moved out
 * of idle exit, unattributed and preemption (the same share of each, at
 * most all of them) into cgroup-throttling; with BTF, nothing moves. */
static void throttle_fallback_from_cpu_stat(void **state)
{
	struct step_event s[2];
	s[0] = idle(600 * US);                     /* idle exit 600 */
	s[1] = blank();
	s[1].pre.total_ns = 400 * US;              /* preempted, the CPU idle: 400 */
	s[1].pre.idle_ns = 400 * US;
	diag_fit_window(&s[1].pre);
	diag_step_causes(&s[1]);
	assert_int_equal(s[1].cause_ns[CAUSE_PREEMPT], 400 * US);
	struct probe_result r;
	result(&r, s, 2, s, 2);
	all_available(&r);
	r.features[FEAT_THROTTLE].available = false;
	struct verdict_host h;
	memset(&h, 0, sizeof(h));
	h.throttle_fallback = true;
	snprintf(h.cpu_stat, sizeof(h.cpu_stat), "/sys/fs/cgroup/cpu/agent/cpu.stat");
	h.nr_throttled = 7;
	h.throttled_ns = 500 * US;                 /* half of the 1000 us pool */
	struct verdict v;
	verdict_eval(&r, &h, &v);
	assert_string_equal(v.all.cause[0].id, "cgroup-throttling");
	assert_int_equal(v.all.cause[0].ns, 500 * US);
	assert_int_equal(v.throttle_moved_ns, 500 * US);
	assert_int_equal(find(&v.all, "idle-exit")->ns, 300 * US);
	assert_int_equal(find(&v.all, "preemption")->ns, 200 * US);
	assert_string_equal(v.all.cause[0].knob, "[cgroup] cpu_max");
	assert_non_null(strstr(v.all.cause[0].evidence, "estimated from /sys/fs/cgroup/cpu/agent/cpu.stat"));
	assert_non_null(strstr(v.all.cause[0].evidence, "nr_throttled +7"));
	/* the tail (one step: the idle one) loses the same share */
	assert_int_equal(find(&v.tail, "cgroup-throttling")->ns, 300 * US);
	assert_int_equal(find(&v.tail, "idle-exit")->ns, 300 * US);
	/* more throttled than the pool: all of it, never more */
	h.throttled_ns = 5000 * US;
	verdict_eval(&r, &h, &v);
	assert_int_equal(v.all.cause[0].ns, 1000 * US);
	assert_int_equal(v.all.n, 1);
	/* JSON: where the figures come from */
	struct diag_report d = { .pid = TARGET, .slowest = 10, .r = &r, .v = &v, .vh = &h };
	struct json_object *j = report_diag_json(&d);
	assert_string_equal(json_object_get_string(P(j, "throttling", "source")), "cpu.stat");
	assert_int_equal(json_object_get_int(P(j, "throttling", "nr_throttled")), 7);
	assert_true(json_object_get_double(P(j, "throttling", "moved_us")) == 1000.0);
	json_object_put(j);
	/* BTF read it per step: cpu.stat moves nothing */
	r.features[FEAT_THROTTLE].available = true;
	verdict_eval(&r, &h, &v);
	assert_null(find(&v.all, "cgroup-throttling"));
	assert_int_equal(v.throttle_moved_ns, 0);
	j = report_diag_json(&d);
	assert_string_equal(json_object_get_string(P(j, "throttling", "source")), "btf");
	assert_true(json_object_is_type(P(j, "throttling", "moved_us"), json_type_null));
	json_object_put(j);
}

/* A SCHED_IDLE task (a poll thread) that held the agent's CPU after the
 * wakeup is the way out of a warm idle: idle-exit, never queueing, never a
 * culprit; and where that is most of the idle exit no PM QoS fix is
 * offered, even on a host with idle states (there is none to leave). */
static void warm_idle_is_idle_exit_not_queueing(void **state)
{
	struct step_event e = warm(24 * US, 1 * US);
	assert_int_equal(e.cause_ns[CAUSE_IDLE_EXIT], 24 * US);
	assert_int_equal(e.cause_ns[CAUSE_QUEUE], 0);
	assert_int_equal(e.cause_ns[CAUSE_UNATTRIBUTED], 1 * US);
	assert_int_equal(e.delay_ns, 25 * US);

	/* Fitted like the other parts when they overlap the window. */
	struct diag_window w;
	memset(&w, 0, sizeof(w));
	w.total_ns = 20 * US;
	w.warm_ns = 20 * US;
	w.task_ns = 20 * US;
	diag_fit_window(&w);
	assert_true(w.warm_ns >= 9 * US && w.warm_ns <= 10 * US);
	assert_true(w.warm_ns + w.task_ns + w.unattributed_ns == 20 * US);

	/* Preempted while only a SCHED_IDLE task ran (the agent runnable):
	 * preemption, like the idle task's time there. */
	e = blank();
	e.pre.total_ns = e.pre.warm_ns = 5 * US;
	diag_step_causes(&e);
	assert_int_equal(e.cause_ns[CAUSE_PREEMPT], 5 * US);

	/* The verdict: two warm steps whose completion path is 3 us. */
	struct step_event all[2] = { warm(24 * US, 1 * US), warm(26 * US, 1 * US) };
	for (int i = 0; i < 2; i++) {
		all[i].chain.kind = CHAIN_SOFTIRQ;
		all[i].chain.softirq = DIAG_SOFTIRQ_NET_RX;
		all[i].stage_ns[STAGE_COMPLETION] = 3 * US;
		diag_step_causes(&all[i]);
	}
	struct step_event slow[2] = { all[1], all[0] };
	struct probe_result r;
	result(&r, all, 2, slow, 2);
	struct verdict_host h;
	memset(&h, 0, sizeof(h));
	h.idle_states = true;           /* PM QoS could act on a cold idle here */
	struct verdict v;
	verdict_eval(&r, &h, &v);
	for (int k = 0; k < 2; k++) {
		const struct verdict_set *set = k ? &v.tail : &v.all;
		assert_string_equal(set->cause[0].id, "idle-exit");
		assert_int_equal(set->cause[0].ns, k ? 26 * US : 50 * US);  /* tail: the slowest */
		assert_int_equal(set->cause[0].warm_ns, set->cause[0].ns);
		assert_int_equal(set->cause[0].nculprits, 0);
		assert_string_equal(set->cause[0].knob, "");
		assert_non_null(strstr(set->cause[0].evidence, k ? "warm idle 26.0 us in 1 steps (100%)" :
				       "warm idle 50.0 us in 2 steps (100%)"));
		assert_non_null(strstr(set->cause[0].evidence, "no PM QoS fix: the CPU was kept warm"));
		assert_null(find(set, "queueing"));
		assert_string_equal(set->cause[1].id, "completion-path");
	}

	/* Mostly a cold idle (80 us) with a little warm (10 us): the PM QoS
	 * fix stays where the host has idle states. */
	struct step_event mixed[2] = { idle(80 * US), warm(10 * US, 0) };
	result(&r, mixed, 2, mixed, 2);
	verdict_eval(&r, &h, &v);
	const struct verdict_cause *ie = find(&v.all, "idle-exit");
	assert_non_null(ie);
	assert_int_equal(ie->warm_ns, 10 * US);
	assert_non_null(strstr(ie->knob, "[pmqos]"));
	assert_non_null(strstr(ie->evidence, "warm idle 10.0 us in 1 steps"));

	/* JSON: the idle-exit cause says how much of it was warm. */
	for (unsigned k = 0; k < STAGE_MAX; k++)
		r.stages[k].available = true;
	struct diag_report d = { .pid = TARGET, .slowest = 10, .r = &r, .v = &v, .duration_s = 1 };
	struct json_object *j = report_diag_json(&d);
	struct json_object *causes = P(j, "verdict", "all", "causes");
	bool seen = false;
	for (size_t i = 0; i < json_object_array_length(causes); i++) {
		struct json_object *c = json_object_array_get_idx(causes, i);
		bool is_ie = !strcmp(json_object_get_string(P(c, "cause")), "idle-exit");
		if (is_ie) {
			assert_true(json_object_get_double(P(c, "warm_idle_us")) > 9.9);
			seen = true;
		} else {
			assert_true(json_object_is_type(P(c, "warm_idle_us"), json_type_null));
		}
	}
	assert_true(seen);
	assert_non_null(P(j, "stages", "warm_idle", "p99_us"));
	assert_non_null(P(j, "slowest", "0", "stages_us", "wait_warm_idle"));
	json_object_put(j);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(json_contract),
	cmocka_unit_test(chain_kinds_pick_the_cause),
	cmocka_unit_test(window_fit_throttle_first),
	cmocka_unit_test(step_causes_sum_to_delay),
	cmocka_unit_test(all_and_tail_rank_separately),
	cmocka_unit_test(culprits_summed_own_threads_never),
	cmocka_unit_test(ksoftirqd_is_softirq_not_queueing),
	cmocka_unit_test(no_fix_that_cannot_act),
	cmocka_unit_test(warm_idle_is_idle_exit_not_queueing),
	cmocka_unit_test(no_steps_no_causes),
	cmocka_unit_test(tail_truncated_is_said),
	cmocka_unit_test(migrations_are_counted),
	cmocka_unit_test(crafted_chains_in_report),
	cmocka_unit_test(frequency_unavailable_said),
	cmocka_unit_test(throttle_fallback_from_cpu_stat),
};
RUN_TESTS(tests)
