/* tune/journal: the write-ahead record of every change agentune makes to a host.
 *
 * It lives in one directory (/run/agentune; AGENTUNE_RUN_DIR overrides it for
 * tests): the directory is 0700 and owned by us, its files 0600, nothing in
 * it is followed through a symlink (a planted link is refused, never
 * followed).  Two files:
 *
 *   lock      flock()ed for the whole of an apply or revert; holds the pid.
 *   journal   JSON lines (json-c), appended and fsync()ed one record at a
 *             time *before* the change it describes is made:
 *     {"type":"apply","apply":1,"profile":"agent-latency","path":"...",
 *      "pid":1234,"pid_start":98765,"cpus":"1","root":"/","root_id":"2049:2",
 *      "time":1795400000,"by":4321}
 *   pid_start is the --pid process's start time (field 22 of /proc/PID/stat),
 *   absent when there is no --pid; a journal of an older agentune has none
 *   (0 in memory: unknown).  A cgroup_procs target carries its process's
 *   start time the same way ("1234@98765:/sys/fs/cgroup/cpu", knob_cgroup.h).
 *     {"type":"change","seq":1,"apply":1,"knob":"irq_affinity","target":"38",
 *      "old":"0-1","new":"0","label":"IRQ 38 virtio2-input.0","source":"x.profile:12"}
 *   A change written by the PM QoS window controller rather than by apply
 *   carries "window":true: the setting holds old or new, as the windows
 *   open and close (winctl.h).
 *
 * Anything else (a line that is not such an object, a missing field, a knob
 * that is not valid, seq out of order, a torn last line) makes the whole
 * journal corrupt: journal_load refuses it and says which line and why.
 */
#ifndef AGENTUNE_JOURNAL_H
#define AGENTUNE_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tune/change.h"

#define JOURNAL_DIR "/run/agentune"
#define JOURNAL_FILE "journal"
#define JOURNAL_LOCK "lock"

struct journal_apply {
	unsigned apply;             /* 1, 2, ... in the order applied */
	char profile[128];
	char path[256];
	int pid;                    /* -1 without --pid */
	uint64_t pid_start;         /* its start time; 0 unknown (or no pid) */
	char cpus[KNOB_VAL_MAX];    /* agent CPUs as a list (never cut: refused) */
	char root[4096];            /* host root the changes were made under */
	/* The root directory's identity when applied ("root_id":"DEV:INO"),
	 * so that revert never follows the path to another tree.  Absent in
	 * a journal of an older agentune: root_id_set false. */
	bool root_id_set;
	uint64_t root_dev, root_ino;
	int64_t time;               /* seconds since the epoch */
	int by;                     /* pid of the agentune that applied */
};

struct journal_entry {
	unsigned seq;               /* 1, 2, ... across the whole journal */
	unsigned apply;
	struct change ch;           /* ch.window: written by the window controller */
};

struct journal {
	char dir[4096];
	int dirfd;                  /* O_PATH|O_DIRECTORY of dir, -1 closed */
	int lockfd;                 /* -1 unless locked */
	int fd;                     /* journal file opened for appending, -1 */
	struct journal_apply *applies;
	size_t napplies, applies_cap;
	struct journal_entry *e;
	size_t n, cap;
	/* The file's size before the last apply record this process appended
	 * (-1: none, or the file was rewritten since): journal_drop_last_apply
	 * cuts back to it, which needs no free space. */
	int64_t last_apply_off;
	/* Testing (AGENTUNE_FAULT_JOURNAL): the fault_at-th journal write or
	 * rewrite of this process fails with fault_err; 0 = never. */
	unsigned long fault_at, writes;
	int fault_err;
};

/* The directory from AGENTUNE_RUN_DIR or JOURNAL_DIR. */
const char *journal_default_dir(void);

/* Opens dir; with create makes it (0700) when absent (not its parents).
 * dir must be absolute (-EINVAL) and is walked from "/" with no symlink
 * followed anywhere in it, a trailing slash changing nothing (-ELOOP);
 * refuses a dir that is not a directory, not owned by us, or open to
 * group/others.  0; -ENOENT (absent and !create); -errno with why. */
int journal_open(struct journal *j, const char *dir, bool create, char *why, size_t sz);

/* Takes the lock without waiting.  -EBUSY with "held by agentune pid N". */
int journal_lock(struct journal *j, char *why, size_t sz);

/* Reads the journal file into j->applies / j->e.  0 (an absent or empty
 * file is an empty journal); -EINVAL when corrupt, with why naming file,
 * line and the reason; -errno otherwise. */
int journal_load(struct journal *j, char *why, size_t sz);

/* Appends one record and fsyncs it (and the directory, when the file was
 * just created).  journal_add_change assigns e->seq.  0 or -errno. */
int journal_add_apply(struct journal *j, struct journal_apply *a, char *why, size_t sz);
int journal_add_change(struct journal *j, struct journal_entry *e, char *why, size_t sz);

/* Replaces the journal with just the entries for which keep[i] is true
 * (and the apply records they refer to), atomically (temporary file, fsync,
 * rename, fsync of the directory).  When nothing is kept the file is
 * removed.  0 or -errno. */
int journal_rewrite(struct journal *j, const bool *keep, char *why, size_t sz);

/* Drops the last apply record and every change from first_entry on (all
 * of that apply's), cutting the file back to where it was before the apply
 * record (no space needed: a full disk cannot stop it); falls back to
 * journal_rewrite when the file was replaced since.  0 or -errno. */
int journal_drop_last_apply(struct journal *j, size_t first_entry, char *why, size_t sz);

/* Test-only fault injection: the at-th write or rewrite of the journal by
 * this process (counted from 1, appends and rewrites alike) fails with err
 * (ENOSPC or EIO) as a full or failing disk would: an append writes half
 * its line, a rewrite half its new file.  at 0: never. */
void journal_set_fault(struct journal *j, unsigned long at, int err);

/* The first entry for (knob, target): its old value is the original. */
const struct journal_entry *journal_first(const struct journal *j, enum knob_kind k,
					  const char *target);
const struct journal_apply *journal_apply_of(const struct journal *j, unsigned apply);

/* Releases the lock and closes everything. */
void journal_close(struct journal *j);

#endif
