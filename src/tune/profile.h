/* tune/profile: tuning profiles (INI, parsed with libinih), their include chains
 * and the validation of every key before anything is planned.
 *
 * A profile names what it wants; it never names a path.  Which files that
 * touches on a given host is the plan's business (plan.h).  Every value keeps
 * the file and line it came from, so that a plan line and an error can say
 * "profiles/balanced.profile:12".
 *
 * Format (see profiles/balanced.profile for a commented example):
 *
 *   [main]    summary = TEXT            include = NAME | FILE
 *   [agent]   cpus = auto | LIST        housekeeping = auto | LIST
 *             timer_slack_ns = DURATION (1ns..1s; bare = ns): each thread of
 *             the --pid process
 *   [irq]     move = SELECTOR -> TARGET      (repeatable; later rules win)
 *             SELECTOR: all | class:net|nvme|storage|gpu|other |
 *                       interface:IFNAME | pci:DOMAIN:BUS:DEV.FN |
 *                       name:FNMATCH-PATTERN | irq:N
 *             TARGET:   housekeeping | numa-local | agent-node | CPU LIST
 *   [napi]    netdev_budget = N          netdev_budget_usecs = DURATION
 *             busy_poll = DURATION       busy_read = DURATION
 *             interfaces = auto | IFNAME...
 *             defer_hard_irqs = N        gro_flush_timeout = DURATION
 *   [pmqos]   mode = off | static | window   resume_latency_us = n/a | DURATION
 *             method = auto | qos | poll   (how a CPU is kept warm; default auto:
 *             qos where the host has idle states the constraint avoids, poll
 *             where it has none, nothing where the CPU already polls;
 *             plan.h and inspect/cpuidle.h: cpuidle_warm_method)
 *             min_freq = max | N% | FREQ (kHz, MHz, GHz; bare = kHz)
 *             window_ms = DURATION (1ms..60s)   budget_tokens = 1..1000000000
 *             refill_per_s = 0..1000000         cost_per_window = 1..1000000
 *             (the window keys apply to mode = window; window.h has the
 *             defaults and what they mean)
 *   [cgroup]  name = NAME   cpu_weight = 1..10000   cpu_max = max | QUOTA [PERIOD]
 *             cpuset = auto | LIST       uclamp_min = 0..100 (percent) | max
 *             isolate = yes | no
 *
 * DURATION: an integer with an optional unit ns, us, ms, s; a bare number is
 * in the key's own unit (µs for *_us, *_usecs, busy_*; ns for
 * gro_flush_timeout and timer_slack_ns).  A value that is not a whole
 * number of the key's unit is rejected.
 *
 * Keys in an including profile override the included one's; [irq] rules
 * accumulate, the included profile's first.
 */
#ifndef AGENTUNE_PROFILE_H
#define AGENTUNE_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/cpumask.h"
#include "base/host.h"
#include "base/util.h"
#include "tune/window.h"

#define PROFILE_MAX_DEPTH 8         /* include chain length */
#define PROFILE_EXT ".profile"

/* Where a value came from. */
struct profile_src {
	char file[256];
	int line;
};

enum irq_sel { IRQSEL_ALL, IRQSEL_CLASS, IRQSEL_INTERFACE, IRQSEL_PCI, IRQSEL_NAME, IRQSEL_IRQ };
enum irq_dest { IRQDEST_HOUSEKEEPING, IRQDEST_NUMA_LOCAL, IRQDEST_AGENT_NODE, IRQDEST_CPUS };

struct irq_rule {
	enum irq_sel sel;
	char arg[128];              /* class, interface, BDF, pattern or IRQ number */
	enum irq_dest dest;
	struct cpumask cpus;        /* IRQDEST_CPUS */
	char text[256];             /* the rule as written, for plans */
	struct profile_src src;
};

enum cpus_kind { CPUS_UNSET, CPUS_AUTO, CPUS_LIST };
struct cpus_spec {
	enum cpus_kind kind;
	struct cpumask cpus;        /* CPUS_LIST */
	struct profile_src src;
};

/* A numeric setting: set or not, its value in the key's unit, its line. */
struct pnum {
	bool set;
	int64_t v;
	struct profile_src src;
};

enum pmqos_mode { PMQOS_MODE_UNSET, PMQOS_MODE_OFF, PMQOS_MODE_STATIC, PMQOS_MODE_WINDOW };
/* How the CPU is kept out of idle: the PM QoS constraint, a poll thread, or
 * whichever acts on this host (unset = auto). */
enum pmqos_method { PMQOS_METHOD_UNSET, PMQOS_METHOD_AUTO, PMQOS_METHOD_QOS, PMQOS_METHOD_POLL };
enum freq_kind { FREQ_UNSET, FREQ_KHZ, FREQ_PERCENT, FREQ_MAX };

struct profile {
	char name[128];             /* file name without directory and .profile */
	char path[256];             /* the top file as found */
	char summary[256];
	struct strlist chain;       /* every file read, top first */

	/* [agent] */
	struct cpus_spec cpus, housekeeping;
	struct pnum timer_slack_ns;         /* 1..1000000000 ns */

	/* [irq] */
	struct irq_rule *irq;
	size_t nirq;

	/* [napi]; times in µs, gro_flush_timeout in ns */
	struct pnum netdev_budget, netdev_budget_usecs, busy_poll, busy_read;
	struct pnum defer_hard_irqs, gro_flush_timeout_ns;
	bool interfaces_set, interfaces_auto;
	struct strlist interfaces;
	struct profile_src interfaces_src;

	/* [pmqos] */
	enum pmqos_mode pmqos_mode;
	struct profile_src pmqos_mode_src;
	struct pnum resume_latency_us;      /* -1 (PMQOS_NA) = "n/a" */
	enum pmqos_method pmqos_method;
	struct profile_src pmqos_method_src;
	enum freq_kind min_freq_kind;
	uint64_t min_freq;                  /* kHz, or percent of the range */
	struct profile_src min_freq_src;
	/* mode = window; unset keys take window.h's defaults */
	struct pnum window_ms;              /* milliseconds, 1..60000 */
	struct pnum budget_tokens;          /* 1..1000000000, >= cost_per_window */
	struct pnum refill_per_s;           /* 0..1000000 */
	struct pnum cost_per_window;        /* 1..1000000 */

	/* [cgroup] */
	bool cgroup_name_set;
	char cgroup_name[64];               /* default "agentune" */
	struct profile_src cgroup_name_src;
	struct pnum cpu_weight;             /* 1..10000 (cgroup v2 scale) */
	struct pnum cpu_max_quota_us;       /* -1 = max */
	struct pnum cpu_max_period_us;
	struct cpus_spec cpuset;
	struct pnum uclamp_min;             /* hundredths of a percent, 0..10000 */
	struct pnum isolate;                /* 0 / 1 */
};

struct profile_opts {
	/* Directories searched for NAME (and for include = NAME), in order. */
	const char *const *dirs;
	size_t ndirs;
	/* Refuse files that a non-root user could have written (as sudo does
	 * for sudoers): set when running as root without --allow-unsafe-profile. */
	bool check_safe;
};

/* Where profiles are looked up, in order: $AGENTUNE_PROFILE_PATH
 * (colon-separated), /etc/agentune/profiles, the installed share directory
 * (AGENTUNE_DATADIR/profiles), and profiles/ beside the directory of the
 * running binary (build/agentune in a source tree).  out is initialised;
 * 0 or -ENOMEM. */
int profile_search_dirs(struct strlist *out);

/* Reads NAME (looked up as DIR/NAME.profile in o->dirs) or FILE (anything
 * with a '/' or ending in .profile) with its includes.  0, or -ENOENT /
 * -EINVAL / -EPERM with err naming file, line, key and value. */
int profile_load(const char *name_or_file, const struct profile_opts *o, struct profile *p,
		 struct parse_error *err);
void profile_free(struct profile *p);

/* 0 when path is a regular file owned by root and not writable by group
 * or others, and so is every directory walked to reach it (from "/", links
 * followed, each link root's too: sp_open_root_owned); -EPERM with the
 * reason otherwise (-errno when it cannot be opened).  profile_load with
 * check_safe makes this check on the descriptor it then reads. */
int profile_check_safe(const char *path, char *why, size_t sz);

/* Shipped and user profiles: name, summary, file.  A name found in several
 * directories is listed once, from the first. */
struct profile_info {
	char name[128];
	char summary[256];
	char path[256];
};
int profile_list(const struct profile_opts *o, struct profile_info **out, size_t *n);

/* The window controller's parameters: the profile's keys, window.h's
 * defaults for those not set. */
void profile_window_params(const struct profile *p, struct window_params *w);

const char *pmqos_method_name(enum pmqos_method m); /* "auto", "qos", "poll" */
const char *irq_sel_name(enum irq_sel s);   /* "all", "class", "interface", ... */
const char *irq_dest_name(enum irq_dest d); /* "housekeeping", "numa-local", ... */

#endif
