/* top/top_view: a top_frame as lines of plain text, pane by pane, for the
 * ncurses screen and for batch frames alike.  Every line is cut to the width
 * asked for (never wrapped); a value that does not fit its column is shown
 * abbreviated ("12.3k", "1.2M"), never spilling into the next one. */
#ifndef AGENTUNE_TOP_VIEW_H
#define AGENTUNE_TOP_VIEW_H

#include <stddef.h>

#include "top/top.h"

enum top_pane { PANE_CPU, PANE_IRQ, PANE_AGENT, PANE_MAX };

/* Owned lines of text, each NUL-terminated and at most `width` bytes. */
struct top_lines {
	size_t n, cap;
	char **line;
};

void top_lines_free(struct top_lines *l);
/* Appends one formatted line, cut to width bytes. */
void top_lines_addf(struct top_lines *l, unsigned width, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The header: a few lines (host and kernel; governors and PM QoS; profile
 * and window controller; BPF state). */
void top_render_header(const struct top_frame *f, unsigned width, struct top_lines *out);

/* A pane: out->line[0] is its column header, then one line per row in the
 * pane's sort order, every row of the frame (the caller scrolls):
 *   CPU    one row per CPU, then the "all" row first when sorted by CPU
 *          (the summary stays on top either way)
 *   IRQ    every IRQ with a rate, busiest first by default
 *   AGENT  one row per --pid; a row without BPF figures says why */
void top_render_pane(const struct top_frame *f, enum top_pane pane, unsigned sort,
		     unsigned width, struct top_lines *out);

/* Pane title ("CPUs", "IRQs", "Agents") and its sort columns, cycled by 's':
 * top_sort_count(pane) of them, 0 the default. */
const char *top_pane_name(enum top_pane pane);
unsigned top_sort_count(enum top_pane pane);
const char *top_sort_name(enum top_pane pane, unsigned sort);

/* A one-line title for a pane: "CPUs (2)  sort: cpu" (with the row count). */
void top_pane_title(const struct top_frame *f, enum top_pane pane, unsigned sort,
		    unsigned width, char *buf, size_t sz);

#endif
