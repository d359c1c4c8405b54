/* tune/session: opening the journal and its host (session.h). */
#include "tune/session.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/types.h>

#include "base/errmsg.h"
#include "base/util.h"

static void session_init(struct tune_session *s)
{
	memset(s, 0, sizeof(*s));
	s->j.dirfd = s->j.lockfd = s->j.fd = -1;
	s->h.rootfd = -1;
	copy_str(s->j.dir, sizeof(s->j.dir), journal_default_dir());
}

/* "device 0:45 inode 1234" */
static void id_text(uint64_t dev, uint64_t ino, char *buf, size_t sz)
{
	snprintf(buf, sz, "device %u:%u inode %" PRIu64, major((dev_t)dev), minor((dev_t)dev), ino);
}

/* h is the directory apply a recorded: the same path, and (where the
 * journal has it) the same directory, not another one put at that path or
 * reached through a link that replaced it.  Without this a revert would
 * write the recorded values into whatever the path names now: another
 * tree, or the live host through a link to /. */
static int root_is_recorded(const struct journal_apply *a, const struct host *h, char *why,
			    size_t sz)
{
	uint64_t dev = 0, ino = 0;
	char was[96], now[96];
	int rc = host_root_id(h, &dev, &ino);
	if (rc)
		return errmsg(why, sz, rc, "the journal's root %s: %s", a->root, strerror(-rc));
	id_text(dev, ino, now, sizeof(now));
	if (strcmp(a->root, h->root))
		return errmsg(why, sz, -EXDEV,
			      "the journal's root %s now resolves to %s (%s): a symlink or another "
			      "directory took its place; refusing it",
			      a->root, h->root, now);
	if (!a->root_id_set)
		return strcmp(a->root, "/") ? errmsg(why, sz, -EXDEV,
			      "the journal does not record which directory root %s was (an older "
			      "agentune wrote it): refusing to follow the path", a->root) : 0;
	id_text(a->root_dev, a->root_ino, was, sizeof(was));
	if (a->root_dev != dev || a->root_ino != ino)
		return errmsg(why, sz, -EXDEV,
			      "the journal's root %s was %s when applied; %s is now %s, another "
			      "directory: refusing it",
			      a->root, was, h->root, now);
	return 0;
}

/* Every record in the journal must be about the host we are changing. */
static int same_root(const struct journal *j, const struct host *h, char *why, size_t sz)
{
	for (size_t i = 0; i < j->napplies; i++) {
		const struct journal_apply *a = &j->applies[i];
		if (strcmp(a->root, h->root))
			return errmsg(why, sz, -EXDEV,
				      "the journal holds changes to root %s (apply %u of %s); "
				      "revert them first",
				      a->root, a->apply, a->profile);
		int rc = root_is_recorded(a, h, why, sz);
		if (rc)
			return rc;
	}
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
	for (size_t i = 0; i < s->j.napplies; i++) {
		rc = root_is_recorded(&s->j.applies[i], &s->h, why, sz);
		if (rc)
			return rc;
	}
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
