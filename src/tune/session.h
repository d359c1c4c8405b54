/* tune/session: the journal and the host its changes are about, opened
 * the way apply, revert and status each need them.
 *
 *   apply          the run directory made if absent, the lock taken, the
 *                  journal loaded, and every record in it about the host
 *                  being changed (one root per journal)
 *   revert         an existing journal, locked (not for a dry run), loaded,
 *                  and the host root its records name
 *   status         the same, without the lock
 *
 * The run directory is the journal's (journal_default_dir(): /run/agentune
 * or AGENTUNE_RUN_DIR); the window controller keeps its files there too.
 */
#ifndef AGENTUNE_TUNE_SESSION_H
#define AGENTUNE_TUNE_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "base/host.h"
#include "tune/journal.h"

struct tune_session {
	struct journal j;           /* j.dir is set even when nothing was opened */
	struct host h;              /* the journal's host (open_existing only) */
	bool host_open;
};

/* For apply on host h.  0; -errno with why (the lock held by another
 * agentune, a corrupt journal, records about another root). */
int session_open_apply(struct tune_session *s, const struct host *h, char *why, size_t sz);

/* For revert (lock) and status.  0 when the journal holds changes (and
 * s->h is their host); 1 when there is nothing applied (no run directory,
 * or an empty journal); -errno with why. */
int session_open_existing(struct tune_session *s, bool lock, char *why, size_t sz);

void session_close(struct tune_session *s);

#endif
