/* inspect/report_text: the inspect report for people. */
#ifndef AGENTUNE_REPORT_TEXT_H
#define AGENTUNE_REPORT_TEXT_H

#include <stdio.h>

#include "inspect/findings.h"
#include "inspect/model.h"

/* Wide per-CPU tables are summarised (busiest CPUs, grouped CPU lists);
 * --json has every value. */
void report_inspect_text(FILE *out, const struct model *m, const struct findings *f);

#endif
