/* tune/window: PM QoS windows and token buckets (window.h).
 *
 * Tokens are kept in thousandths (mtokens) so that a slow refill (a few
 * tokens per second) still moves the bucket between two ticks 20 ms apart.
 * A clock that goes backwards (a step's BPF timestamp processed after the
 * timer's) counts as no time at all: nothing refills, nothing is added to
 * the open time. */
#include "tune/window.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/errmsg.h"

#define MILLI 1000
/* mtokens per ns = refill_per_s / REFILL_DIV */
#define REFILL_DIV 1000000ULL
#define PARAM_MAX 1000000000LL
#define WINDOW_NS_MAX (60ULL * 1000000000ULL)

/* Callbacks left NULL (or no ops at all) do nothing: open succeeds, no step
 * was seen, rearm claims nothing. */
static const struct window_ops no_ops;

const char *window_state_name(enum window_state s)
{
	switch (s) {
	case WINDOW_CLOSED:
		return "closed";
	case WINDOW_OPEN:
		return "open";
	case WINDOW_WAIT_BUDGET:
		return "budget";
	case WINDOW_OFFLINE:
		return "offline";
	}
	return "?";
}

int window_params_check(const struct window_params *p, char *why, size_t sz)
{
	if (!p)
		return errmsg(why, sz, -EINVAL, "no window parameters");
	long long cost = p->cost_per_window, budget = p->budget_tokens;
	long long refill = p->refill_per_s;

	if (p->window_ns == 0)
		return errmsg(why, sz, -EINVAL, "window_ns (0) must be greater than 0");
	if (p->window_ns > WINDOW_NS_MAX)
		return errmsg(why, sz, -EINVAL, "window_ns (%llu) is longer than 60 s",
			       (unsigned long long)p->window_ns);
	if (cost < 1)
		return errmsg(why, sz, -EINVAL, "cost_per_window (%lld) must be at least 1", cost);
	if (cost > PARAM_MAX)
		return errmsg(why, sz, -EINVAL, "cost_per_window (%lld) is larger than %lld", cost,
			       PARAM_MAX);
	if (budget > PARAM_MAX)
		return errmsg(why, sz, -EINVAL, "budget_tokens (%lld) is larger than %lld", budget,
			       PARAM_MAX);
	if (budget < cost)
		return errmsg(why, sz, -EINVAL,
			       "cost_per_window (%lld) is larger than budget_tokens (%lld): "
			       "no window could ever open",
			       cost, budget);
	if (refill < 0)
		return errmsg(why, sz, -EINVAL, "refill_per_s (%lld) must not be negative", refill);
	if (refill > PARAM_MAX)
		return errmsg(why, sz, -EINVAL, "refill_per_s (%lld) is larger than %lld", refill,
			       PARAM_MAX);
	if (why && sz)
		why[0] = '\0';
	return 0;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t elapsed(uint64_t from, uint64_t to)
{
	return to > from ? to - from : 0;
}

/* ---- buckets ------------------------------------------------------------ */

static int64_t cap_mtokens(const struct window_sm *sm)
{
	return sm->p.budget_tokens * MILLI;
}

/* Adds what refilled since refilled_at.  refilled_at moves only by the time
 * that produced the whole mtokens added, so that frequent calls keep the
 * fractions; the elapsed time is capped at what fills the bucket, which
 * keeps elapsed * refill_per_s below 1e18 (need <= 1e12 mtokens). */
static void refill(struct window_sm *sm, struct window_bucket *b, uint64_t now)
{
	int64_t cap = cap_mtokens(sm);
	uint64_t r = (uint64_t)sm->p.refill_per_s;

	if (now <= b->refilled_at)
		return;
	if (b->mtokens >= cap || r == 0) {
		if (b->mtokens > cap)
			b->mtokens = cap;
		b->refilled_at = now;
		return;
	}
	uint64_t need = (uint64_t)(cap - (b->mtokens < 0 ? 0 : b->mtokens));
	uint64_t fill_ns = (need * REFILL_DIV + r - 1) / r;
	uint64_t e = now - b->refilled_at;

	if (e >= fill_ns) {
		b->mtokens = cap;
		b->refilled_at = now;
		return;
	}
	uint64_t got = e * r / REFILL_DIV;
	if (got == 0)
		return;
	b->mtokens += (int64_t)got;
	/* the smallest time that gives got: never credits a fraction twice */
	b->refilled_at += (got * REFILL_DIV + r - 1) / r;
}

/* When b (just refilled) holds a window's cost again; 0 with no refill. */
static uint64_t refill_time(const struct window_sm *sm, const struct window_bucket *b)
{
	uint64_t r = (uint64_t)sm->p.refill_per_s;
	int64_t want = sm->p.cost_per_window * MILLI;

	if (r == 0)
		return 0;
	if (b->mtokens >= want)
		return b->refilled_at ? b->refilled_at : 1;
	uint64_t need = (uint64_t)(want - (b->mtokens < 0 ? 0 : b->mtokens));
	return sat_add(b->refilled_at, (need * REFILL_DIV + r - 1) / r);
}

/* Refills and takes a window's cost; false (nothing taken) when short. */
static bool charge(struct window_sm *sm, struct window_bucket *b, uint64_t now)
{
	int64_t cost = sm->p.cost_per_window * MILLI;

	refill(sm, b, now);
	if (b->mtokens < cost)
		return false;
	b->mtokens -= cost;
	return true;
}

static void refund(struct window_sm *sm, struct window_bucket *b)
{
	b->mtokens += sm->p.cost_per_window * MILLI;
	if (b->mtokens > cap_mtokens(sm))
		b->mtokens = cap_mtokens(sm);
}

/* ---- life cycle --------------------------------------------------------- */

int window_init(struct window_sm *sm, const struct window_params *p, size_t ncpu,
		size_t nbucket, size_t npolicy, const struct window_ops *ops, void *ctx,
		uint64_t now)
{
	if (!sm)
		return -EINVAL;
	memset(sm, 0, sizeof(*sm));
	if (window_params_check(p, NULL, 0))
		return -EINVAL;
	sm->p = *p;
	sm->ops = ops ? ops : &no_ops;
	sm->ctx = ctx;
	sm->started_at = now;
	if ((ncpu && !(sm->cpu = calloc(ncpu, sizeof(*sm->cpu)))) ||
	    (nbucket && !(sm->bucket = calloc(nbucket, sizeof(*sm->bucket)))) ||
	    (npolicy && !(sm->policy_refs = calloc(npolicy, sizeof(*sm->policy_refs))))) {
		window_free(sm);
		return -ENOMEM;
	}
	sm->ncpu = ncpu;
	sm->nbucket = nbucket;
	sm->npolicy = npolicy;
	for (size_t i = 0; i < ncpu; i++) {
		sm->cpu[i].state = WINDOW_CLOSED;
		sm->cpu[i].policy = -1;
	}
	for (size_t i = 0; i < nbucket; i++) {
		sm->bucket[i].mtokens = cap_mtokens(sm);
		sm->bucket[i].refilled_at = now;
	}
	return 0;
}

void window_free(struct window_sm *sm)
{
	if (!sm)
		return;
	free(sm->cpu);
	free(sm->bucket);
	free(sm->policy_refs);
	memset(sm, 0, sizeof(*sm));
}

static struct window_cpu *cpu_in_scope(const struct window_sm *sm, unsigned cpu)
{
	if (!sm || cpu >= sm->ncpu || !sm->cpu[cpu].in_scope)
		return NULL;
	return &sm->cpu[cpu];
}

/* ---- policy floors ------------------------------------------------------ */

static void floor_ref(struct window_sm *sm, int policy, bool up)
{
	if (policy < 0 || (size_t)policy >= sm->npolicy)
		return;
	unsigned *refs = &sm->policy_refs[policy];
	bool edge;

	if (up) {
		edge = (*refs)++ == 0;
	} else {
		if (*refs == 0)
			return;
		edge = --(*refs) == 0;
	}
	if (edge && sm->ops->floor)
		sm->ops->floor(sm->ctx, (unsigned)policy, up);
}

int window_cpu_setup(struct window_sm *sm, unsigned cpu, unsigned bucket, int policy)
{
	if (!sm || cpu >= sm->ncpu || bucket >= sm->nbucket || policy < -1 ||
	    (policy >= 0 && (size_t)policy >= sm->npolicy))
		return -EINVAL;
	struct window_cpu *c = &sm->cpu[cpu];

	/* set up again with a window open: its floor moves to the new policy */
	if (c->state == WINDOW_OPEN && c->policy != policy) {
		floor_ref(sm, policy, true);
		floor_ref(sm, c->policy, false);
	}
	c->in_scope = true;
	c->bucket = bucket;
	c->policy = policy;
	return 0;
}

/* ---- the state machine -------------------------------------------------- */

static bool ops_rearm(struct window_sm *sm, unsigned cpu, uint64_t since)
{
	return sm->ops->rearm ? sm->ops->rearm(sm->ctx, cpu, since) : false;
}

/* Bucket short: wait until it holds a window's cost again. */
static void wait_budget(struct window_sm *sm, struct window_cpu *c, uint64_t now)
{
	c->state = WINDOW_WAIT_BUDGET;
	c->wait_since = now;
	c->retry_at = refill_time(sm, &sm->bucket[c->bucket]);
	c->denied++;
}

static void close_window(struct window_sm *sm, unsigned cpu, uint64_t now)
{
	struct window_cpu *c = &sm->cpu[cpu];

	if (sm->ops->close)
		sm->ops->close(sm->ctx, cpu);
	c->open_ns += elapsed(c->opened_at, now);
	c->closed++;
	c->state = WINDOW_CLOSED;
	floor_ref(sm, c->policy, false);
}

enum window_step_result window_step(struct window_sm *sm, unsigned cpu, uint64_t now)
{
	struct window_cpu *c = cpu_in_scope(sm, cpu);

	if (!c || (c->state != WINDOW_CLOSED && c->state != WINDOW_OFFLINE))
		return WINDOW_STEP_IGNORED;
	struct window_bucket *b = &sm->bucket[c->bucket];

	if (!charge(sm, b, now)) {
		wait_budget(sm, c, now);
		return WINDOW_STEP_DENIED;
	}
	if (sm->ops->open && !sm->ops->open(sm->ctx, cpu)) {
		refund(sm, b);
		c->state = WINDOW_CLOSED;
		/* the result is ignored: a claimed step would only fail again */
		ops_rearm(sm, cpu, now);
		return WINDOW_STEP_FAILED;
	}
	c->state = WINDOW_OPEN;
	c->opened_at = now;
	c->period_start = now;
	c->deadline = sat_add(now, sm->p.window_ns);
	c->retry_at = 0;
	c->opened++;
	floor_ref(sm, c->policy, true);
	return WINDOW_STEP_OPENED;
}

static void tick_open(struct window_sm *sm, unsigned cpu, uint64_t now)
{
	struct window_cpu *c = &sm->cpu[cpu];
	uint64_t last = sm->ops->last_step ? sm->ops->last_step(sm->ctx, cpu) : 0;

	if (last != 0 && last >= c->period_start) {
		if (charge(sm, &sm->bucket[c->bucket], now)) {
			c->period_start = now;
			c->deadline = sat_add(now, sm->p.window_ns);
			c->extended++;
			return;
		}
		close_window(sm, cpu, now);
		wait_budget(sm, c, now);
		return;
	}
	close_window(sm, cpu, now);
	if (ops_rearm(sm, cpu, now))
		window_step(sm, cpu, now);
}

static void tick_wait(struct window_sm *sm, unsigned cpu, uint64_t now)
{
	struct window_cpu *c = &sm->cpu[cpu];

	c->state = WINDOW_CLOSED;
	c->retry_at = 0;
	if (ops_rearm(sm, cpu, c->wait_since))
		window_step(sm, cpu, now);
}

void window_tick(struct window_sm *sm, uint64_t now)
{
	if (!sm)
		return;
	for (unsigned i = 0; i < sm->ncpu; i++) {
		struct window_cpu *c = &sm->cpu[i];

		if (!c->in_scope)
			continue;
		if (c->state == WINDOW_OPEN && c->deadline <= now)
			tick_open(sm, i, now);
		else if (c->state == WINDOW_WAIT_BUDGET && c->retry_at && c->retry_at <= now)
			tick_wait(sm, i, now);
	}
}

uint64_t window_next_deadline(const struct window_sm *sm)
{
	uint64_t next = 0;

	if (!sm)
		return 0;
	for (size_t i = 0; i < sm->ncpu; i++) {
		const struct window_cpu *c = &sm->cpu[i];
		uint64_t t = 0;

		if (!c->in_scope)
			continue;
		if (c->state == WINDOW_OPEN)
			t = c->deadline;
		else if (c->state == WINDOW_WAIT_BUDGET)
			t = c->retry_at;
		if (t && (!next || t < next))
			next = t;
	}
	return next;
}

void window_close_all(struct window_sm *sm, uint64_t now, bool rearm)
{
	if (!sm)
		return;
	for (unsigned i = 0; i < sm->ncpu; i++) {
		struct window_cpu *c = &sm->cpu[i];

		if (!c->in_scope)
			continue;
		if (c->state == WINDOW_OPEN) {
			close_window(sm, i, now);
		} else if (c->state == WINDOW_WAIT_BUDGET) {
			c->state = WINDOW_CLOSED;
			c->retry_at = 0;
		}
		if (rearm)
			ops_rearm(sm, i, now);
	}
}

void window_cpu_offline(struct window_sm *sm, unsigned cpu, uint64_t now)
{
	struct window_cpu *c = cpu_in_scope(sm, cpu);

	if (!c)
		return;
	if (c->state == WINDOW_OPEN)
		close_window(sm, cpu, now);
	c->state = WINDOW_OFFLINE;
	c->retry_at = 0;
	/* The BPF side stopped notifying when the window opened: without a
	 * re-arm, the CPU back online would never get a window again.  A
	 * step claimed here (the CPU came back already) is taken at once. */
	if (ops_rearm(sm, cpu, now))
		window_step(sm, cpu, now);
}

int64_t window_tokens(struct window_sm *sm, unsigned bucket, uint64_t now)
{
	if (!sm || bucket >= sm->nbucket)
		return 0;
	refill(sm, &sm->bucket[bucket], now);
	return sm->bucket[bucket].mtokens / MILLI;
}

double window_open_share(const struct window_sm *sm, unsigned cpu, uint64_t now)
{
	if (!sm || cpu >= sm->ncpu || now <= sm->started_at)
		return 0;
	const struct window_cpu *c = &sm->cpu[cpu];
	uint64_t open = c->open_ns;

	if (c->state == WINDOW_OPEN)
		open += elapsed(c->opened_at, now);
	double share = (double)open / (double)(now - sm->started_at);
	return share < 0 ? 0 : share > 1 ? 1 : share;
}

void window_totals(const struct window_sm *sm, struct window_totals *t)
{
	if (!t)
		return;
	memset(t, 0, sizeof(*t));
	if (!sm)
		return;
	for (size_t i = 0; i < sm->ncpu; i++) {
		const struct window_cpu *c = &sm->cpu[i];

		t->opened += c->opened;
		t->extended += c->extended;
		t->denied += c->denied;
		t->closed += c->closed;
		if (c->state == WINDOW_OPEN)
			t->open_now++;
	}
}
