/* tune/change: one change to a host, the record the plan, the journal and
 * apply/revert/status all carry.
 *
 * A change is a knob and its target (knob.h), the value it had and the
 * value agentune writes, a label for people and the profile line it comes
 * from.  The plan fills it, the journal stores it as it is, and apply,
 * revert and status report on it, so nothing is copied field by field
 * between three shapes of the same thing.
 */
#ifndef AGENTUNE_TUNE_CHANGE_H
#define AGENTUNE_TUNE_CHANGE_H

#include <stdbool.h>

#include "tune/knob.h"

#define CHANGE_LABEL_MAX 160
#define CHANGE_SOURCE_MAX 300

struct change {
	enum knob_kind knob;
	char target[KNOB_TARGET_MAX];
	char label[CHANGE_LABEL_MAX];   /* "IRQ 38 virtio2-input.0 (eth0)", "cpu1" */
	char source[CHANGE_SOURCE_MAX]; /* "profiles/balanced.profile:12" */
	char old[KNOB_VAL_MAX];         /* the value before (revert restores it) */
	char new[KNOB_VAL_MAX];         /* the value agentune writes */
	/* [pmqos] mode = window: written by the window controller, new while
	 * a window is open and old after, rather than by apply. */
	bool window;
};

/* A change of knob k on target, values empty.  Strings are copied (a
 * longer one is cut: the plan and the journal check lengths before). */
void change_init(struct change *c, enum knob_kind k, const char *target, const char *label,
		 const char *source);

/* Whether c is about knob k on target. */
bool change_is(const struct change *c, enum knob_kind k, const char *target);

/* Whether both are about the same knob and target. */
bool change_same_target(const struct change *a, const struct change *b);

#endif
