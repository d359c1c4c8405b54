/* tune/change: the record of one change (change.h). */
#include "tune/change.h"

#include <string.h>

#include "base/util.h"

void change_init(struct change *c, enum knob_kind k, const char *target, const char *label,
		 const char *source)
{
	memset(c, 0, sizeof(*c));
	c->knob = k;
	copy_str(c->target, sizeof(c->target), target ? target : "");
	copy_str(c->label, sizeof(c->label), label ? label : "");
	copy_str(c->source, sizeof(c->source), source ? source : "");
}

bool change_is(const struct change *c, enum knob_kind k, const char *target)
{
	return c->knob == k && !strcmp(c->target, target);
}

bool change_same_target(const struct change *a, const struct change *b)
{
	return change_is(a, b->knob, b->target);
}
