/* top_screen: the ncurses screen of `agentune top`: the header, then the
 * CPU, IRQ and agent panes stacked, each scrolled on its own. */
#ifndef AGENTUNE_TOP_SCREEN_H
#define AGENTUNE_TOP_SCREEN_H

#include <signal.h>

#include "top/top.h"

/* Runs until q, *stop (a signal), or max_frames frames (0: no limit).
 * Leaves the terminal as it found it.  Returns an exit code. */
int top_screen_run(struct top_source *src, double delay, unsigned long max_frames,
		   volatile sig_atomic_t *stop);

#endif
