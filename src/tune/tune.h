/* tune/tune: carries a plan out under the journal, undoes it, and tells how the
 * host compares with what was applied.
 *
 * apply:  for each change, re-read the current value, journal {old, new}
 *         (synced), write, read back.  Any failure undoes what this apply
 *         did, newest first, and removes its records from the journal, so the
 *         host and the journal are as they were before.
 * revert: walks the journal backwards; restores a setting only while it
 *         still holds the value agentune wrote (or with force); entries it
 *         restored, found original or found gone leave the journal, drifted
 *         ones stay for a later `revert --force`.
 * status: per setting (the latest record for each knob and target), ok /
 *         drifted / gone.
 */
#ifndef AGENTUNE_TUNE_H
#define AGENTUNE_TUNE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/host.h"
#include "tune/change.h"
#include "tune/journal.h"
#include "tune/plan.h"

enum tune_state {
	TUNE_DONE,        /* apply: written and verified */
	TUNE_UNCHANGED,   /* apply: already held the value when its turn came */
	TUNE_SKIPPED,     /* apply: optional change the kernel refused (managed IRQ) */
	TUNE_FAILED,      /* apply or revert: the write or its verification failed */
	TUNE_UNDONE,      /* apply: made, then undone after a later failure */
	TUNE_NOT_RUN,     /* apply: not reached because of an earlier failure */
	TUNE_RESTORED,    /* revert: original value written back */
	TUNE_ORIGINAL,    /* revert: already held the original value */
	TUNE_GONE,        /* revert/status: the target no longer exists */
	TUNE_DRIFTED,     /* revert/status: someone else changed it since */
	TUNE_FORCED,      /* revert --force: restored over someone else's change */
	TUNE_OK,          /* status: holds the applied value */
	TUNE_WITH_CGROUP, /* revert: an attribute of a cgroup agentune created,
	                   * which goes away with it */
	TUNE_WINDOW,      /* apply: journaled; the window controller writes it
	                   * while a window is open.  status: holds the
	                   * window's value (open) or the original (closed) */
};

const char *tune_state_name(enum tune_state s);

/* One change as apply, revert or status found and left it.  ch.old is,
 * for apply, the value before; for revert and status, the original. */
struct tune_item {
	struct change ch;
	char now[KNOB_VAL_MAX];       /* value found (revert/status); "" when gone */
	enum tune_state state;
	char why[320];
};

struct tune_result {
	struct tune_item *it;
	size_t n, cap;
	bool ok;                      /* apply: all done; revert: nothing failed */
	char why[320];                /* apply: why it could not start (journal) */
	char journal_why[640];        /* apply: the journal could not be settled
	                               * after it (a full disk): what it holds */
	size_t done, undo_failed;     /* counts for the summary line */
};

struct tune_apply_opts {
	const char *profile, *profile_path;
	const char *cpus;             /* agent CPUs as a list */
	int pid;
	uint64_t pid_start;           /* pid's start time (journaled); 0 unknown */
	/* Testing crash safety: _exit(86) right after the Nth journaled write
	 * (AGENTUNE_FAULT_EXIT_AFTER); 0 = never. */
	unsigned long exit_after;
};

/* The journal must be open and locked.  0 when the whole plan holds now;
 * -1 when it failed and was undone (r says why per knob); -errno when the
 * journal could not be written (nothing was changed past that point, and
 * what was changed has been undone). */
int tune_apply(const struct host *h, struct journal *j, const struct plan *pl,
	       const struct tune_apply_opts *o, struct tune_result *r);

/* The journal must be loaded (and locked unless dry_run). */
int tune_revert(const struct host *h, struct journal *j, bool force, bool dry_run,
		struct tune_result *r, char *why, size_t sz);

/* The journal must be loaded. */
int tune_status(const struct host *h, const struct journal *j, struct tune_result *r);

/* A window controller running from the journal's run directory that no
 * record of the journal names (started by an apply that died, a journal
 * removed by hand): added to r as a window_controller item -- stopped
 * (restored, or failed) when stop, else drifted.  1 when there was one, 0
 * when not, -ENOMEM.  tune_revert and tune_status call it; revert and
 * status call it themselves when the journal is empty. */
int tune_unjournaled_controller(const struct journal *j, bool stop, struct tune_result *r);

/* Window-managed values (pm_qos, cpufreq floor) still at the window's value
 * while no controller runs (it was killed with a window open): the CPU
 * polls until revert.  One line each into out, for apply's warnings;
 * status marks them drifted.  0 or -ENOMEM. */
int tune_window_leftovers(const struct host *h, const struct journal *j, struct strlist *out);
void tune_window_leftover_why(const struct change *e, const char *original, char *why,
			      size_t sz);

void tune_result_free(struct tune_result *r);

#endif
