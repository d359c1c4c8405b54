/* tune/knob_driver: what one kind of setting has to provide, and the
 * syntax helpers the drivers share.
 *
 * A driver is a table of functions for one kind of setting (knob.h lists
 * the kinds and their targets).  knob.c keeps the table, one entry per
 * kind, and does what every kind needs the same way: the length and
 * newline checks, the plain file read and write, trimming.  A driver fills
 * only what differs; a NULL function means the common behaviour:
 *
 *   target_ok  required: the target is one this kind may reach (why says
 *              what it should look like when it is not)
 *   value_ok   required: the value is well formed for the (valid) target
 *   path       the file behind the target; NULL: the kind has no file
 *              (read and write must then be given, or the kind is not a
 *              setting at all, like the window controller)
 *   read       NULL: the first line of path, through normalise
 *   normalise  NULL: the line as the kernel printed it (trimmed)
 *   write      NULL: "value\n" written to path, a failure explained by
 *              write_error (NULL: "path: strerror")
 *   same       NULL: equal as trimmed text
 *
 * Adding a kind of setting: its driver in the family's file (or a new
 * family file), and one line in KNOB_KINDS below, which makes both the
 * enum value and knob.c's table entry.
 */
#ifndef AGENTUNE_TUNE_KNOB_DRIVER_H
#define AGENTUNE_TUNE_KNOB_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/host.h"

/* Every kind, with its driver: X(enum value, driver variable).  The order
 * is the enum's; it never reaches the journal (names do). */
#define KNOB_KINDS(X)                                    \
	X(KNOB_IRQ_AFFINITY, knob_irq_affinity)          \
	X(KNOB_SYSCTL, knob_sysctl)                      \
	X(KNOB_NETDEV_ATTR, knob_netdev_attr)            \
	X(KNOB_NAPI, knob_napi)                          \
	X(KNOB_PMQOS, knob_pmqos)                        \
	X(KNOB_CPUFREQ_MIN, knob_cpufreq_min)            \
	X(KNOB_CGROUP_DIR, knob_cgroup_dir)              \
	X(KNOB_CGROUP_ATTR, knob_cgroup_attr)            \
	X(KNOB_CGROUP_PROCS, knob_cgroup_procs)          \
	X(KNOB_TIMER_SLACK, knob_timer_slack)            \
	X(KNOB_WINDOW, knob_window_controller)

enum knob_kind {
#define KNOB_ENUM_VALUE(kind, driver) kind,
	KNOB_KINDS(KNOB_ENUM_VALUE)
#undef KNOB_ENUM_VALUE
	KNOB__COUNT
};

/* Values are as long as the kernel prints them: a CPU list of a host with
 * 8192 CPU ids is at most 26568 bytes ("0-1,3-4,...,8190-8191"), a hex
 * mask 2303.  A longer value is refused (knob_valid, knob_read: -EOVERFLOW)
 * before anything is written; it is never cut. */
#define KNOB_VAL_MAX 32768
#define KNOB_TARGET_MAX 256

struct knob_driver {
	const char *name;           /* stable: plans, the journal and JSON use it */
	bool (*target_ok)(const char *target, char *why, size_t sz);
	bool (*value_ok)(const char *target, const char *val);
	bool (*path)(const char *target, char *out, size_t sz);
	int (*read)(const struct host *h, const char *target, char *val, size_t sz);
	void (*normalise)(const char *target, const char *in, char *out, size_t sz);
	int (*write)(const struct host *h, const char *target, const char *val, char *why,
		     size_t sz);
	int (*write_error)(int err, const char *target, const char *val, char *why, size_t sz);
	bool (*same)(const char *a, const char *b);
};

/* ---------- shared syntax ---------- */

/* Plain decimal as the kernel should see it: digits only, at most max, and
 * no leading zero (kstrto*(s, 0) would read it as octal).  out may be NULL. */
bool knob_dec_ok(const char *s, uint64_t max, uint64_t *out);
/* A CPU list in the kernel's syntax ("0-3,8"), nothing else; "" only with
 * allow_empty. */
bool knob_cpulist_ok(const char *s, bool allow_empty);
/* Any byte <= ' ' or DEL. */
bool knob_has_space(const char *s);
/* Components of rel ("a/b", no leading slash): none empty, "." or "..". */
bool knob_components_ok(const char *rel);
/* The part of t after the last '/' (all of t without one). */
const char *knob_last_component(const char *t);
/* "HEAD/tail": HEAD into head (it must fit in sz) and the tail returned;
 * NULL without a slash. */
const char *knob_split_slash(const char *t, char *head, size_t sz);

/* ---------- shared comparisons ---------- */

/* s without leading and trailing white space, into out; false (out "")
 * when it does not fit. */
bool knob_trim(const char *s, char *out, size_t sz);
/* Both decimal numbers: equal as numbers; otherwise as text. */
bool knob_same_number(const char *a, const char *b);
/* Both CPU lists: equal as sets.  *parsed false when one is not a list. */
bool knob_same_cpulist(const char *a, const char *b, bool *parsed);
/* A CPU list in canonical form ("0-3,8") into out; false when in is not
 * one or out is too small. */
bool knob_canonical_cpulist(const char *in, char *out, size_t sz);

#endif
