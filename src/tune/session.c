/* tune/session: opening the journal and its host (session.h). */
#include "tune/session.h"

#include <errno.h>
#include <string.h>

#include "base/errmsg.h"
#include "base/util.h"

static void session_init(struct tune_session *s)
{
	memset(s, 0, sizeof(*s));
	s->j.dirfd = s->j.lockfd = s->j.fd = -1;
	s->h.rootfd = -1;
	copy_str(s->j.dir, sizeof(s->j.dir), journal_default_dir());
}

/* Every record in the journal must be about the host we are changing. */
static int same_root(const struct journal *j, const struct host *h, char *why, size_t sz)
{
	for (size_t i = 0; i < j->napplies; i++)
		if (strcmp(j->applies[i].root, h->root))
			return errmsg(why, sz, -EXDEV,
				      "the journal holds changes to root %s (apply %u of %s); "
				      "revert them first",
				      j->applies[i].root, j->applies[i].apply, j->applies[i].profile);
	return 0;
}

int session_open_apply(struct tune_session *s, const struct host *h, char *why, size_t sz)
{
	session_init(s);
	int rc = journal_open(&s->j, journal_default_dir(), true, why, sz);
	if (!rc)
		rc = journal_lock(&s->j, why, sz);
	if (!rc)
		rc = journal_load(&s->j, why, sz);
	if (!rc)
		rc = same_root(&s->j, h, why, sz);
	return rc;
}

/* The host the journal's changes were made to. */
static int open_journal_host(struct tune_session *s, char *why, size_t sz)
{
	const char *root = s->j.napplies ? s->j.applies[0].root : "/";
	int rc = host_open(&s->h, root);
	if (rc)
		return errmsg(why, sz, rc, "the journal's root %s: %s", root, strerror(-rc));
	s->host_open = true;
	return 0;
}

int session_open_existing(struct tune_session *s, bool lock, char *why, size_t sz)
{
	session_init(s);
	int rc = journal_open(&s->j, journal_default_dir(), false, why, sz);
	if (rc == -ENOENT) {
		copy_str(s->j.dir, sizeof(s->j.dir), journal_default_dir());
		return 1;
	}
	if (!rc && lock)
		rc = journal_lock(&s->j, why, sz);
	if (!rc)
		rc = journal_load(&s->j, why, sz);
	if (rc)
		return rc;
	if (!s->j.n)
		return 1;
	return open_journal_host(s, why, sz);
}

void session_close(struct tune_session *s)
{
	journal_close(&s->j);
	if (s->host_open)
		host_close(&s->h);
	s->host_open = false;
}
