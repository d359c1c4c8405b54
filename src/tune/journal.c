/* tune/journal: the write-ahead record of every change (journal.h).
 *
 * The directory is opened once (O_PATH, no symlink followed) and every file
 * in it is reached through openat() on that descriptor with O_NOFOLLOW, so
 * nothing planted in or above it can redirect a write.  Records are checked
 * by the same functions when they are written and when they are read back:
 * a journal we wrote always loads, and one we did not write must pass the
 * same rules (knob_valid above all) before revert may act on it.
 */
#include "tune/journal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "base/errmsg.h"
#include "base/jsonw.h"
#include "base/safepath.h"
#include "base/util.h"

#define JOURNAL_TMP "journal.new"
/* Far beyond any real journal (a few hundred records); a bigger file is
 * not ours and is not read into memory. */
#define JOURNAL_MAX_SIZE (16u << 20)
#define REASON_MAX 1024

const char *journal_default_dir(void)
{
	const char *d = getenv("AGENTUNE_RUN_DIR");
	return d && *d ? d : JOURNAL_DIR;
}

/* Drops the records held in memory (not the file). */
static void journal_forget(struct journal *j)
{
	free(j->applies);
	free(j->e);
	j->applies = NULL;
	j->e = NULL;
	j->napplies = j->applies_cap = 0;
	j->n = j->cap = 0;
}

void journal_close(struct journal *j)
{
	/* Closing the lock's descriptor is what releases the flock. */
	if (j->fd >= 0)
		close(j->fd);
	if (j->lockfd >= 0)
		close(j->lockfd);
	if (j->dirfd >= 0)
		close(j->dirfd);
	j->fd = j->lockfd = j->dirfd = -1;
	journal_forget(j);
}

/* ---------- the directory and its files ---------- */

int journal_open(struct journal *j, const char *dir, bool create, char *why, size_t sz)
{
	memset(j, 0, sizeof(*j));
	j->dirfd = j->lockfd = j->fd = -1;
	j->last_apply_off = -1;
	if (!dir || !*dir) {
		errmsg(why, sz, 0, "no journal directory given");
		return -EINVAL;
	}
	if (strlen(dir) >= sizeof(j->dir)) {
		errmsg(why, sz, 0, "journal directory name too long");
		return -ENAMETOOLONG;
	}
	copy_str(j->dir, sizeof(j->dir), dir);

	/* Walked from "/" with no symlink followed anywhere (a trailing slash
	 * or a link in the middle included); only the directory itself is
	 * made: a missing parent means a mistyped AGENTUNE_RUN_DIR.  A
	 * relative directory is refused: the controller, a daemon in "/",
	 * would look elsewhere than the apply that started it. */
	int fd = sp_open_dir_nolinks(dir, create, 0700, why, sz);
	if (fd < 0) {
		if (fd == -EINVAL && dir[0] != '/')
			errmsg(why, sz, 0, "run directory %s is not an absolute path: refusing it "
			       "(AGENTUNE_RUN_DIR must start with /)", dir);
		return fd;
	}
	struct stat st;
	if (fstat(fd, &st)) {
		int e = errno;
		close(fd);
		errmsg(why, sz, 0, "cannot stat %s: %s", dir, strerror(e));
		return -e;
	}
	const char *bad = NULL;
	char msg[64];
	if (!S_ISDIR(st.st_mode)) {
		bad = "is not a directory: refusing it";
	} else if (st.st_uid != geteuid()) {
		snprintf(msg, sizeof(msg), "is owned by uid %u, not by uid %u: refusing it",
			 (unsigned)st.st_uid, (unsigned)geteuid());
		bad = msg;
	} else if (st.st_mode & 077) {
		snprintf(msg, sizeof(msg), "is mode %04o: must be 0700", (unsigned)(st.st_mode & 07777));
		bad = msg;
	}
	if (bad) {
		close(fd);
		errmsg(why, sz, 0, "%s %s", dir, bad);
		return -EPERM;
	}
	j->dirfd = fd;
	return 0;
}

static const char *file_kind(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	if (S_ISLNK(m))
		return "a symlink";
	return "not a regular file";
}

/* A file of the directory is ours only as a single-linked regular file of
 * our uid that nobody else can read or write. */
static int check_file(const struct journal *j, const char *name, const struct stat *st, char *why,
		      size_t sz)
{
	if (!S_ISREG(st->st_mode)) {
		errmsg(why, sz, 0, "%s/%s is %s, not a regular file: refusing it", j->dir, name,
		    file_kind(st->st_mode));
		return -EPERM;
	}
	if (st->st_uid != geteuid()) {
		errmsg(why, sz, 0, "%s/%s is owned by uid %u, not by uid %u: refusing it", j->dir, name,
		    (unsigned)st->st_uid, (unsigned)geteuid());
		return -EPERM;
	}
	if (st->st_mode & 077) {
		errmsg(why, sz, 0, "%s/%s is mode %04o: must be 0600", j->dir, name,
		    (unsigned)(st->st_mode & 07777));
		return -EPERM;
	}
	/* A hard link would let a rewrite or an append reach another name. */
	if (st->st_nlink != 1) {
		errmsg(why, sz, 0, "%s/%s has %lu hard links: refusing it", j->dir, name,
		    (unsigned long)st->st_nlink);
		return -EPERM;
	}
	return 0;
}

/* Opens name in the directory: never through a symlink, never anything
 * but a regular file of ours (O_NONBLOCK so a planted FIFO cannot hang
 * us).  The descriptor, -ENOENT (absent, without O_CREAT; why untouched)
 * or -errno with why. */
static int open_in(const struct journal *j, const char *name, int flags, char *why, size_t sz)
{
	if (j->dirfd < 0) {
		errmsg(why, sz, 0, "journal is not open");
		return -EBADF;
	}
	int fd = openat(j->dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
	if (fd < 0) {
		int e = errno;
		struct stat st;
		if (e == ENOENT && !(flags & O_CREAT))
			return -ENOENT;
		if (e == ELOOP) {
			errmsg(why, sz, 0, "%s/%s is a symlink: refusing it", j->dir, name);
			return -ELOOP;
		}
		/* EISDIR, ENXIO (a FIFO nobody reads), ...: say what is there. */
		if (fstatat(j->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode))
			return check_file(j, name, &st, why, sz);
		errmsg(why, sz, 0, "cannot open %s/%s: %s", j->dir, name, strerror(e));
		return -e;
	}
	struct stat st;
	int rc = 0;
	if (fstat(fd, &st)) {
		rc = -errno;
		errmsg(why, sz, 0, "cannot stat %s/%s: %s", j->dir, name, strerror(-rc));
	} else {
		rc = check_file(j, name, &st, why, sz);
	}
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

/* Makes renames, creations and removals in the directory durable. */
static int fsync_dir(const struct journal *j, char *why, size_t sz)
{
	int fd = openat(j->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd)) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		errmsg(why, sz, 0, "cannot sync %s: %s", j->dir, strerror(e));
		return -e;
	}
	close(fd);
	return 0;
}

/* ---------- the lock ---------- */

/* The pid the lock file names, 0 when it names none. */
static pid_t lock_holder(int fd)
{
	char buf[32];
	ssize_t r = pread(fd, buf, sizeof(buf) - 1, 0);
	int64_t v;
	if (r <= 0)
		return 0;
	buf[r] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return parse_s64(buf, &v) && v > 0 && v <= INT_MAX ? (pid_t)v : 0;
}

/* flock without waiting, except for a lock whose holder has died: a window
 * controller forked by a killed apply shares apply's lock until its
 * PR_SET_PDEATHSIG kill has taken effect, which is a moment after apply is
 * gone.  Up to LOCK_DEAD_HOLDER_WAIT_MS for that; a live holder is never
 * waited for.  0, or -1 with errno. */
#define LOCK_DEAD_HOLDER_WAIT_MS 2000
static int lock_or_wait_for_dead_holder(int fd)
{
	for (int waited = 0;; waited += 10) {
		if (!flock(fd, LOCK_EX | LOCK_NB))
			return 0;
		if (errno != EWOULDBLOCK)
			return -1;
		pid_t holder = lock_holder(fd);
		bool dead = holder > 0 && kill(holder, 0) && errno == ESRCH;
		if (!dead || waited >= LOCK_DEAD_HOLDER_WAIT_MS) {
			errno = EWOULDBLOCK;
			return -1;
		}
		usleep(10000);
	}
}

int journal_lock(struct journal *j, char *why, size_t sz)
{
	if (j->lockfd >= 0)
		return 0;
	int fd = open_in(j, JOURNAL_LOCK, O_RDWR | O_CREAT, why, sz);
	if (fd < 0)
		return fd;
	if (lock_or_wait_for_dead_holder(fd)) {
		int e = errno;
		if (e == EWOULDBLOCK) {
			char pid[24] = "unknown";
			pid_t holder = lock_holder(fd);
			if (holder > 0)
				snprintf(pid, sizeof(pid), "%d", (int)holder);
			errmsg(why, sz, 0,
			       "another agentune (pid %s) is applying or reverting: lock %s/%s is held",
			       pid, j->dir, JOURNAL_LOCK);
			close(fd);
			return -EBUSY;
		}
		errmsg(why, sz, 0, "cannot lock %s/%s: %s", j->dir, JOURNAL_LOCK, strerror(e));
		close(fd);
		return -e;
	}
	/* The pid is only for the message of whoever finds the lock held. */
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	errno = 0;
	if (ftruncate(fd, 0) || pwrite(fd, buf, n, 0) != n) {
		int e = errno ? errno : EIO;
		errmsg(why, sz, 0, "cannot write %s/%s: %s", j->dir, JOURNAL_LOCK, strerror(e));
		close(fd);
		return -e;
	}
	j->lockfd = fd;
	return 0;
}

/* ---------- records: the rules ---------- */

static bool terminated(const char *s, size_t sz)
{
	return memchr(s, '\0', sz) != NULL;
}

static const struct journal_apply *find_apply(const struct journal *j, unsigned apply)
{
	for (size_t i = 0; i < j->napplies; i++)
		if (j->applies[i].apply == apply)
			return &j->applies[i];
	return NULL;
}

static unsigned last_apply(const struct journal *j)
{
	return j->napplies ? j->applies[j->napplies - 1].apply : 0;
}

static unsigned last_seq(const struct journal *j)
{
	return j->n ? j->e[j->n - 1].seq : 0;
}

/* Whether a may follow the records already in j. */
static bool apply_ok(const struct journal *j, const struct journal_apply *a, char *r, size_t rsz)
{
	if (!terminated(a->profile, sizeof(a->profile)) || !terminated(a->path, sizeof(a->path)) ||
	    !terminated(a->cpus, sizeof(a->cpus)) || !terminated(a->root, sizeof(a->root))) {
		errmsg(r, rsz, 0, "a string field is not terminated");
		return false;
	}
	if (a->apply == 0) {
		errmsg(r, rsz, 0, "apply number 0");
		return false;
	}
	if (find_apply(j, a->apply)) {
		errmsg(r, rsz, 0, "apply %u is recorded twice", a->apply);
		return false;
	}
	if (a->apply < last_apply(j)) {
		errmsg(r, rsz, 0, "apply %u comes after apply %u", a->apply, last_apply(j));
		return false;
	}
	if (a->pid < -1 || a->pid == 0) {
		errmsg(r, rsz, 0, "pid %d is not a process", a->pid);
		return false;
	}
	if (a->by <= 0) {
		errmsg(r, rsz, 0, "by %d is not a process", a->by);
		return false;
	}
	if (a->time < 0) {
		errmsg(r, rsz, 0, "time %" PRId64 " is before 1970", a->time);
		return false;
	}
	/* Revert may run from another directory: a relative root would
	 * point elsewhere. */
	if (a->root[0] != '/') {
		errmsg(r, rsz, 0, "root \"%s\" is not an absolute path", a->root);
		return false;
	}
	return true;
}

/* Whether e may follow the records already in j.  knob_valid keeps a
 * forged record from reaching any file the knobs do not own. */
static bool change_ok(const struct journal *j, const struct journal_entry *e, char *r, size_t rsz)
{
	if (!terminated(e->ch.target, sizeof(e->ch.target)) ||
	    !terminated(e->ch.old, sizeof(e->ch.old)) ||
	    !terminated(e->ch.new, sizeof(e->ch.new)) || !terminated(e->ch.label, sizeof(e->ch.label)) ||
	    !terminated(e->ch.source, sizeof(e->ch.source))) {
		errmsg(r, rsz, 0, "a string field is not terminated");
		return false;
	}
	if (e->seq == 0 || e->seq <= last_seq(j)) {
		errmsg(r, rsz, 0, "seq %u does not follow seq %u", e->seq, last_seq(j));
		return false;
	}
	if (!find_apply(j, e->apply)) {
		errmsg(r, rsz, 0, "change %u refers to apply %u, which is not recorded before it", e->seq,
		    e->apply);
		return false;
	}
	if ((unsigned)e->ch.knob >= KNOB__COUNT) {
		errmsg(r, rsz, 0, "unknown knob %d", (int)e->ch.knob);
		return false;
	}
	const char *k = knob_name(e->ch.knob);
	if (e->ch.window && e->ch.knob != KNOB_PMQOS && e->ch.knob != KNOB_CPUFREQ_MIN) {
		errmsg(r, rsz, 0, "the window controller writes pm_qos and cpufreq_min only, not %s", k);
		return false;
	}
	char kw[512] = "";
	if (!knob_valid(e->ch.knob, e->ch.target, NULL, kw, sizeof(kw))) {
		errmsg(r, rsz, 0, "invalid target \"%s\" for %s: %s", e->ch.target, k, kw);
		return false;
	}
	if (!knob_valid(e->ch.knob, e->ch.target, e->ch.old, kw, sizeof(kw))) {
		errmsg(r, rsz, 0, "invalid old value \"%s\" for %s %s: %s", e->ch.old, k, e->ch.target, kw);
		return false;
	}
	if (!knob_valid(e->ch.knob, e->ch.target, e->ch.new, kw, sizeof(kw))) {
		errmsg(r, rsz, 0, "invalid new value \"%s\" for %s %s: %s", e->ch.new, k, e->ch.target, kw);
		return false;
	}
	return true;
}

static int mem_add_apply(struct journal *j, const struct journal_apply *a)
{
	struct journal_apply *v =
		grow(j->applies, j->napplies, &j->applies_cap, sizeof(*v), 4);
	if (!v)
		return -ENOMEM;
	j->applies = v;
	v[j->napplies++] = *a;
	return 0;
}

static int mem_add_change(struct journal *j, const struct journal_entry *e)
{
	struct journal_entry *v = grow(j->e, j->n, &j->cap, sizeof(*v), 16);
	if (!v)
		return -ENOMEM;
	j->e = v;
	v[j->n++] = *e;
	return 0;
}

/* ---------- records: JSON ---------- */

static const char *const apply_keys[] = {
	"type", "apply", "profile", "path", "pid", "pid_start", "cpus", "root", "root_id",
	"time", "by",
};
static const char *const change_keys[] = {
	"type", "seq", "apply", "knob", "target", "old", "new", "label", "source", "window",
};

/* Every key of o is one of keys: an unknown field is not guessed at. */
static bool only_keys(json_object *o, const char *const *keys, size_t n, char *r, size_t rsz)
{
	json_object_object_foreach(o, key, val) {
		(void)val;
		size_t i = 0;
		while (i < n && strcmp(key, keys[i]))
			i++;
		if (i == n) {
			errmsg(r, rsz, 0, "unknown field \"%.64s\"", key);
			return false;
		}
	}
	return true;
}

/* The value of key in *v (NULL for a JSON null); false when absent. */
static bool field(json_object *o, const char *key, json_object **v, char *r, size_t rsz)
{
	if (!json_object_object_get_ex(o, key, v)) {
		errmsg(r, rsz, 0, "missing field \"%s\"", key);
		return false;
	}
	return true;
}

static bool get_str(json_object *o, const char *key, char *dst, size_t sz, char *r, size_t rsz)
{
	json_object *v;
	if (!field(o, key, &v, r, rsz))
		return false;
	if (!json_object_is_type(v, json_type_string)) {
		errmsg(r, rsz, 0, "field \"%s\" is not a string", key);
		return false;
	}
	const char *s = json_object_get_string(v);
	size_t len = (size_t)json_object_get_string_len(v);
	if (strlen(s) != len) {
		errmsg(r, rsz, 0, "field \"%s\" holds a NUL byte", key);
		return false;
	}
	if (len >= sz) {
		errmsg(r, rsz, 0, "field \"%s\" is too long (%zu bytes, at most %zu)", key, len, sz - 1);
		return false;
	}
	memcpy(dst, s, len + 1);
	return true;
}

static bool get_int(json_object *o, const char *key, int64_t min, int64_t max, int64_t *out,
		    char *r, size_t rsz)
{
	json_object *v;
	if (!field(o, key, &v, r, rsz))
		return false;
	if (!json_object_is_type(v, json_type_int)) {
		errmsg(r, rsz, 0, "field \"%s\" is not an integer", key);
		return false;
	}
	/* json-c saturates what does not fit in int64: max excludes that. */
	int64_t x = json_object_get_int64(v);
	if (x < min || x > max) {
		errmsg(r, rsz, 0, "field \"%s\" is out of range", key);
		return false;
	}
	*out = x;
	return true;
}

/* "root_id":"DEV:INO", optional (older journals lack it). */
static bool get_root_id(json_object *o, struct journal_apply *a, char *r, size_t rsz)
{
	json_object *v;
	if (!json_object_object_get_ex(o, "root_id", &v))
		return true;
	char text[64], *colon;
	if (!get_str(o, "root_id", text, sizeof(text), r, rsz))
		return false;
	if (!(colon = strchr(text, ':'))) {
		errmsg(r, rsz, 0, "field \"root_id\" is not DEV:INO");
		return false;
	}
	*colon = '\0';
	if (!text[0] || !colon[1] || !isdigit((unsigned char)text[0]) ||
	    !isdigit((unsigned char)colon[1]) || !parse_u64(text, &a->root_dev) ||
	    !parse_u64(colon + 1, &a->root_ino)) {
		errmsg(r, rsz, 0, "field \"root_id\" is not DEV:INO");
		return false;
	}
	a->root_id_set = true;
	return true;
}

static int parse_apply(struct journal *j, json_object *o, char *r, size_t rsz)
{
	struct journal_apply a;
	memset(&a, 0, sizeof(a));
	int64_t apply, pid, t, by;
	if (!only_keys(o, apply_keys, ARRAY_SIZE(apply_keys), r, rsz) ||
	    !get_int(o, "apply", 1, UINT_MAX, &apply, r, rsz) ||
	    !get_str(o, "profile", a.profile, sizeof(a.profile), r, rsz) ||
	    !get_str(o, "path", a.path, sizeof(a.path), r, rsz) ||
	    !get_int(o, "pid", -1, INT_MAX, &pid, r, rsz) ||
	    !get_str(o, "cpus", a.cpus, sizeof(a.cpus), r, rsz) ||
	    !get_str(o, "root", a.root, sizeof(a.root), r, rsz) ||
	    !get_int(o, "time", 0, INT64_MAX - 1, &t, r, rsz) ||
	    !get_int(o, "by", 1, INT_MAX, &by, r, rsz))
		return -EINVAL;
	/* Optional: older journals do not have it (unknown start time). */
	json_object *ps;
	if (json_object_object_get_ex(o, "pid_start", &ps)) {
		int64_t st;
		if (!get_int(o, "pid_start", 1, INT64_MAX - 1, &st, r, rsz))
			return -EINVAL;
		if (pid <= 0) {
			errmsg(r, rsz, 0, "pid_start without a pid");
			return -EINVAL;
		}
		a.pid_start = (uint64_t)st;
	}
	if (!get_root_id(o, &a, r, rsz))
		return -EINVAL;
	a.apply = (unsigned)apply;
	a.pid = (int)pid;
	a.time = t;
	a.by = (int)by;
	if (!apply_ok(j, &a, r, rsz))
		return -EINVAL;
	return mem_add_apply(j, &a);
}

static int parse_change(struct journal *j, json_object *o, char *r, size_t rsz)
{
	struct journal_entry e;
	memset(&e, 0, sizeof(e));
	int64_t seq, apply;
	char knob[64];
	if (!only_keys(o, change_keys, ARRAY_SIZE(change_keys), r, rsz) ||
	    !get_int(o, "seq", 1, UINT_MAX, &seq, r, rsz) ||
	    !get_int(o, "apply", 1, UINT_MAX, &apply, r, rsz) ||
	    !get_str(o, "knob", knob, sizeof(knob), r, rsz) ||
	    !get_str(o, "target", e.ch.target, sizeof(e.ch.target), r, rsz) ||
	    !get_str(o, "old", e.ch.old, sizeof(e.ch.old), r, rsz) ||
	    !get_str(o, "new", e.ch.new, sizeof(e.ch.new), r, rsz) ||
	    !get_str(o, "label", e.ch.label, sizeof(e.ch.label), r, rsz) ||
	    !get_str(o, "source", e.ch.source, sizeof(e.ch.source), r, rsz))
		return -EINVAL;
	if (!knob_from_name(knob, &e.ch.knob)) {
		errmsg(r, rsz, 0, "unknown knob \"%s\"", knob);
		return -EINVAL;
	}
	json_object *w;
	if (json_object_object_get_ex(o, "window", &w)) {
		if (!json_object_is_type(w, json_type_boolean)) {
			errmsg(r, rsz, 0, "field \"window\" is not true or false");
			return -EINVAL;
		}
		e.ch.window = json_object_get_boolean(w);
	}
	e.seq = (unsigned)seq;
	e.apply = (unsigned)apply;
	if (!change_ok(j, &e, r, rsz))
		return -EINVAL;
	return mem_add_change(j, &e);
}

/* One line, exactly n bytes without its '\n'. */
static int parse_line(struct journal *j, const char *s, size_t n, char *r, size_t rsz)
{
	if (!n) {
		errmsg(r, rsz, 0, "empty line");
		return -EINVAL;
	}
	if (n > INT_MAX) {
		errmsg(r, rsz, 0, "line too long");
		return -EINVAL;
	}
	json_tokener *tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	/* Trailing characters are allowed here only to be refused below
	 * with a message that says so. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	json_object *o = json_tokener_parse_ex(tok, s, (int)n);
	enum json_tokener_error err = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	int rc = -EINVAL;
	json_object *type;
	if (err == json_tokener_continue || (!o && err == json_tokener_success)) {
		errmsg(r, rsz, 0, "not valid JSON (incomplete)");
	} else if (err != json_tokener_success || !o) {
		errmsg(r, rsz, 0, "not valid JSON (%s)", json_tokener_error_desc(err));
	} else if (!json_object_is_type(o, json_type_object)) {
		errmsg(r, rsz, 0, "not a JSON object");
	} else if (end != n || s[n - 1] != '}') {
		/* json-c skips blanks around a value; our lines have none. */
		errmsg(r, rsz, 0, "trailing characters after the JSON object");
	} else if (s[0] != '{') {
		errmsg(r, rsz, 0, "characters before the JSON object");
	} else if (!field(o, "type", &type, r, rsz)) {
		/* said */
	} else if (!json_object_is_type(type, json_type_string)) {
		errmsg(r, rsz, 0, "field \"type\" is not a string");
	} else if (!strcmp(json_object_get_string(type), "apply")) {
		rc = parse_apply(j, o, r, rsz);
	} else if (!strcmp(json_object_get_string(type), "change")) {
		rc = parse_change(j, o, r, rsz);
	} else {
		errmsg(r, rsz, 0, "unknown record type \"%.64s\"", json_object_get_string(type));
	}
	json_object_put(o);
	return rc;
}

/* ---------- load ---------- */

int journal_load(struct journal *j, char *why, size_t sz)
{
	journal_forget(j);
	int fd = open_in(j, JOURNAL_FILE, O_RDONLY, why, sz);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	char *buf = NULL;
	size_t len = 0;
	int rc = fd_read_whole(fd, JOURNAL_MAX_SIZE, &buf, &len);
	close(fd);
	if (rc) {
		errmsg(why, sz, 0, "cannot read %s/%s: %s", j->dir, JOURNAL_FILE,
		    rc == -EFBIG ? "larger than any journal agentune writes" : strerror(-rc));
		return rc;
	}
	char reason[REASON_MAX];
	size_t off = 0;
	unsigned line = 0;
	while (rc == 0 && off < len) {
		line++;
		const char *s = buf + off;
		const char *nl = memchr(s, '\n', len - off);
		if (!nl) {
			snprintf(reason, sizeof(reason), "torn last record (no newline at its end)");
			rc = -EINVAL;
			break;
		}
		rc = parse_line(j, s, (size_t)(nl - s), reason, sizeof(reason));
		off += (size_t)(nl - s) + 1;
	}
	free(buf);
	if (rc) {
		if (rc == -ENOMEM)
			errmsg(why, sz, 0, "%s/%s: out of memory", j->dir, JOURNAL_FILE);
		else
			errmsg(why, sz, 0, "%s/%s line %u: %s", j->dir, JOURNAL_FILE, line, reason);
		journal_forget(j);
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	return 0;
}

/* ---------- fault injection (tests) ---------- */

void journal_set_fault(struct journal *j, unsigned long at, int err)
{
	j->fault_at = at;
	j->fault_err = err > 0 ? err : ENOSPC;
	j->writes = 0;
}

/* Counts one write or rewrite; the errno it must fail with, or 0. */
static int fault_now(struct journal *j)
{
	j->writes++;
	return j->fault_at && j->writes == j->fault_at ? j->fault_err : 0;
}

/* write(), or under an injected fault half of it and then the error, as a
 * disk that fills up part way through. */
static ssize_t write_or_fault(int fd, const char *s, size_t len, int fault)
{
	if (!fault)
		return write(fd, s, len);
	if (len / 2 && write(fd, s, len / 2) < 0)
		return -1;
	errno = fault;
	return -1;
}

/* ---------- append ---------- */

static json_object *apply_json(const struct journal_apply *a)
{
	json_object *o = json_object_new_object();
	if (!o)
		return NULL;
	jw_put(o, "type", jw_str("apply"));
	jw_put(o, "apply", jw_int(a->apply));
	jw_put(o, "profile", jw_str(a->profile));
	jw_put(o, "path", jw_str(a->path));
	jw_put(o, "pid", jw_int(a->pid));
	if (a->pid > 0 && a->pid_start)
		jw_put(o, "pid_start", jw_int((int64_t)a->pid_start));
	jw_put(o, "cpus", jw_str(a->cpus));
	jw_put(o, "root", jw_str(a->root));
	if (a->root_id_set) {
		char id[48];
		snprintf(id, sizeof(id), "%" PRIu64 ":%" PRIu64, a->root_dev, a->root_ino);
		jw_put(o, "root_id", jw_str(id));
	}
	jw_put(o, "time", jw_int(a->time));
	jw_put(o, "by", jw_int(a->by));
	return o;
}

static json_object *change_json(const struct journal_entry *e)
{
	json_object *o = json_object_new_object();
	if (!o)
		return NULL;
	jw_put(o, "type", jw_str("change"));
	jw_put(o, "seq", jw_int(e->seq));
	jw_put(o, "apply", jw_int(e->apply));
	jw_put(o, "knob", jw_str(knob_name(e->ch.knob)));
	jw_put(o, "target", jw_str(e->ch.target));
	jw_put(o, "old", jw_str(e->ch.old));
	jw_put(o, "new", jw_str(e->ch.new));
	jw_put(o, "label", jw_str(e->ch.label));
	jw_put(o, "source", jw_str(e->ch.source));
	if (e->ch.window)
		jw_put(o, "window", jw_bool(true));
	return o;
}

/* The record as one line with its '\n' (malloc'd), or NULL. */
static char *record_line(json_object *o, size_t *len)
{
	if (!o)
		return NULL;
	const char *s = jw_line(o);
	char *line = NULL;
	if (s) {
		size_t n = strlen(s);
		line = malloc(n + 2);
		if (line) {
			memcpy(line, s, n);
			line[n] = '\n';
			line[n + 1] = '\0';
			*len = n + 1;
		}
	}
	json_object_put(o);
	return line;
}

/* Opens the journal for appending once.  A file that holds records while
 * nothing was loaded is one we would extend blindly (or a corrupt one):
 * refused. */
static int open_append(struct journal *j, char *why, size_t sz)
{
	if (j->fd >= 0)
		return 0;
	int fd = open_in(j, JOURNAL_FILE, O_WRONLY | O_APPEND | O_CREAT, why, sz);
	if (fd < 0)
		return fd;
	struct stat st;
	if (fstat(fd, &st) == 0 && st.st_size > 0 && !j->napplies) {
		errmsg(why, sz, 0, "%s/%s holds records that were not loaded: refusing to append", j->dir,
		    JOURNAL_FILE);
		close(fd);
		return -EINVAL;
	}
	j->fd = fd;
	return 0;
}

/* One record, one write(), then fsync: either the whole line is in the
 * file and durable, or the file is cut back to where it was. */
static int append_line(struct journal *j, const char *line, size_t len, int64_t *before,
		       char *why, size_t sz)
{
	int fault = fault_now(j);
	int rc = open_append(j, why, sz);
	if (rc)
		return rc;
	struct stat st;
	if (fstat(j->fd, &st)) {
		rc = -errno;
		errmsg(why, sz, 0, "cannot stat %s/%s: %s", j->dir, JOURNAL_FILE, strerror(-rc));
		return rc;
	}
	if (before)
		*before = (int64_t)st.st_size;
	ssize_t w = write_or_fault(j->fd, line, len, fault);
	if (w != (ssize_t)len) {
		rc = w < 0 ? -errno : -EIO;
		errmsg(why, sz, 0, "cannot write %s/%s: %s", j->dir, JOURNAL_FILE, strerror(-rc));
	} else if (fsync(j->fd)) {
		rc = -errno;
		errmsg(why, sz, 0, "cannot sync %s/%s: %s", j->dir, JOURNAL_FILE, strerror(-rc));
	} else if (st.st_size == 0) {
		/* The first record: its directory entry must be durable too. */
		rc = fsync_dir(j, why, sz);
	}
	if (rc && st.st_size == 0) {
		/* Nothing of it was ours to keep: an empty journal goes. */
		unlinkat(j->dirfd, JOURNAL_FILE, 0);
		close(j->fd);
		j->fd = -1;
		j->last_apply_off = -1;
	} else if (rc && ftruncate(j->fd, st.st_size) == 0) {
		fsync(j->fd);
	}
	return rc;
}

int journal_add_apply(struct journal *j, struct journal_apply *a, char *why, size_t sz)
{
	char r[REASON_MAX];
	if (a->apply == 0)
		a->apply = last_apply(j) + 1;
	if (a->apply == 0 || !apply_ok(j, a, r, sizeof(r))) {
		errmsg(why, sz, 0, "cannot journal apply %u: %s", a->apply,
		    a->apply ? r : "too many applies");
		return -EINVAL;
	}
	size_t len = 0;
	char *line = record_line(apply_json(a), &len);
	if (!line) {
		errmsg(why, sz, 0, "out of memory");
		return -ENOMEM;
	}
	int64_t before = -1;
	int rc = append_line(j, line, len, &before, why, sz);
	free(line);
	if (rc == 0)
		j->last_apply_off = before;
	if (rc == 0 && mem_add_apply(j, a)) {
		errmsg(why, sz, 0, "out of memory");
		return -ENOMEM;
	}
	return rc;
}

int journal_add_change(struct journal *j, struct journal_entry *e, char *why, size_t sz)
{
	char r[REASON_MAX];
	e->seq = last_seq(j) + 1;
	if (e->seq == 0 || !change_ok(j, e, r, sizeof(r))) {
		errmsg(why, sz, 0, "cannot journal a change: %s", e->seq ? r : "too many changes");
		return -EINVAL;
	}
	size_t len = 0;
	char *line = record_line(change_json(e), &len);
	if (!line) {
		errmsg(why, sz, 0, "out of memory");
		return -ENOMEM;
	}
	int rc = append_line(j, line, len, NULL, why, sz);
	free(line);
	if (rc == 0 && mem_add_change(j, e)) {
		errmsg(why, sz, 0, "out of memory");
		return -ENOMEM;
	}
	return rc;
}

/* ---------- rewrite ---------- */

static int write_all(int fd, const char *s, size_t len, int *fault)
{
	while (len) {
		ssize_t w = write_or_fault(fd, s, len, *fault);
		*fault = 0;
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		s += w;
		len -= (size_t)w;
	}
	return 0;
}

static int write_record(int fd, json_object *o, int *fault)
{
	size_t len = 0;
	char *line = record_line(o, &len);
	if (!line)
		return -ENOMEM;
	int rc = write_all(fd, line, len, fault);
	free(line);
	return rc;
}

/* The kept records into fd, in an order load accepts: each apply record
 * (ascending) before the first kept change that refers to it. */
static int write_kept(const struct journal *j, const bool *keep, const bool *used, int fd,
		      int fault)
{
	size_t next = 0;
	for (size_t i = 0; i < j->n; i++) {
		if (!keep[i])
			continue;
		for (; next < j->napplies && j->applies[next].apply <= j->e[i].apply; next++) {
			if (!used[next])
				continue;
			int rc = write_record(fd, apply_json(&j->applies[next]), &fault);
			if (rc)
				return rc;
		}
		int rc = write_record(fd, change_json(&j->e[i]), &fault);
		if (rc)
			return rc;
	}
	return 0;
}

/* Writes journal.new and renames it over the journal. */
static int replace_file(struct journal *j, const bool *keep, const bool *used, int fault,
			char *why, size_t sz)
{
	int fd = open_in(j, JOURNAL_TMP, O_WRONLY | O_CREAT | O_EXCL, why, sz);
	if (fd < 0)
		return fd;
	int rc = write_kept(j, keep, used, fd, fault);
	if (rc == 0 && fsync(fd))
		rc = -errno;
	if (close(fd) && rc == 0)
		rc = -errno;
	if (rc == 0 && renameat(j->dirfd, JOURNAL_TMP, j->dirfd, JOURNAL_FILE))
		rc = -errno;
	if (rc == 0)
		j->last_apply_off = -1; /* another file now */
	if (rc) {
		errmsg(why, sz, 0, "cannot rewrite %s/%s: %s", j->dir, JOURNAL_FILE, strerror(-rc));
		unlinkat(j->dirfd, JOURNAL_TMP, 0);
		return rc;
	}
	return fsync_dir(j, why, sz);
}

int journal_rewrite(struct journal *j, const bool *keep, char *why, size_t sz)
{
	if (j->dirfd < 0) {
		errmsg(why, sz, 0, "journal is not open");
		return -EBADF;
	}
	bool *used = calloc(j->napplies ? j->napplies : 1, sizeof(*used));
	if (!used) {
		errmsg(why, sz, 0, "out of memory");
		return -ENOMEM;
	}
	size_t nkeep = 0;
	for (size_t i = 0; i < j->n; i++) {
		if (!keep || !keep[i])
			continue;
		nkeep++;
		for (size_t a = 0; a < j->napplies; a++)
			if (j->applies[a].apply == j->e[i].apply)
				used[a] = true;
	}
	/* Our append descriptor is about to name a replaced file. */
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	int rc = 0, fault = fault_now(j);
	if (unlinkat(j->dirfd, JOURNAL_TMP, 0) && errno != ENOENT) {
		rc = -errno;
		errmsg(why, sz, 0, "cannot remove %s/%s: %s", j->dir, JOURNAL_TMP, strerror(-rc));
	} else if (!nkeep) {
		/* An injected fault strikes before the removal: the journal
		 * stays as it was, as after a failed rewrite. */
		if (fault)
			errno = fault;
		if (fault || (unlinkat(j->dirfd, JOURNAL_FILE, 0) && errno != ENOENT)) {
			rc = -errno;
			errmsg(why, sz, 0, "cannot remove %s/%s: %s", j->dir, JOURNAL_FILE, strerror(-rc));
		} else {
			j->last_apply_off = -1;
			rc = fsync_dir(j, why, sz);
		}
	} else {
		rc = replace_file(j, keep, used, fault, why, sz);
	}
	if (rc == 0) {
		size_t n = 0, na = 0;
		for (size_t i = 0; i < j->n; i++)
			if (keep && keep[i])
				j->e[n++] = j->e[i];
		for (size_t a = 0; a < j->napplies; a++)
			if (used[a])
				j->applies[na++] = j->applies[a];
		j->n = n;
		j->napplies = na;
	}
	free(used);
	return rc;
}

int journal_drop_last_apply(struct journal *j, size_t first_entry, char *why, size_t sz)
{
	if (!j->napplies || first_entry > j->n) {
		errmsg(why, sz, 0, "no apply record to drop");
		return -EINVAL;
	}
	unsigned apply = j->applies[j->napplies - 1].apply;
	for (size_t i = 0; i < first_entry; i++) {
		if (j->e[i].apply == apply) {
			errmsg(why, sz, 0, "apply %u has records before entry %zu", apply, first_entry);
			return -EINVAL;
		}
	}
	if (j->last_apply_off < 0 || j->fd < 0) {
		bool *keep = calloc(j->n ? j->n : 1, sizeof(*keep));
		if (!keep) {
			errmsg(why, sz, 0, "out of memory");
			return -ENOMEM;
		}
		for (size_t i = 0; i < first_entry; i++)
			keep[i] = true;
		/* The rewrite drops the apply record with its last change. */
		int rc = journal_rewrite(j, keep, why, sz);
		free(keep);
		return rc;
	}
	/* Cutting the file back (or removing it when it held only this
	 * apply) needs no free space; only the sync can fail. */
	int rc = fault_now(j) ? -j->fault_err : 0;
	if (!rc && j->last_apply_off == 0) {
		if (unlinkat(j->dirfd, JOURNAL_FILE, 0) && errno != ENOENT)
			rc = -errno;
		close(j->fd);
		j->fd = -1;
		if (!rc && fsync_dir(j, why, sz))
			return -EIO;
	} else if (!rc) {
		if (ftruncate(j->fd, (off_t)j->last_apply_off) || fsync(j->fd))
			rc = -errno;
	}
	if (rc) {
		errmsg(why, sz, 0, "cannot cut %s/%s back: %s", j->dir, JOURNAL_FILE, strerror(-rc));
		return rc;
	}
	j->n = first_entry;
	j->napplies--;
	j->last_apply_off = -1;
	return 0;
}

/* ---------- lookups ---------- */

const struct journal_entry *journal_first(const struct journal *j, enum knob_kind k,
					  const char *target)
{
	for (size_t i = 0; i < j->n; i++)
		if (change_is(&j->e[i].ch, k, target))
			return &j->e[i];
	return NULL;
}

const struct journal_apply *journal_apply_of(const struct journal *j, unsigned apply)
{
	return find_apply(j, apply);
}
