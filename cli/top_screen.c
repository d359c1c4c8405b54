/* top_screen: the ncurses screen of `agentune top` (see top_screen.h).
 *
 * Every line comes from top_view, already cut to the screen's width, so
 * nothing here formats numbers: it lays the panes out, scrolls them, and
 * reads keys. */
#include <math.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "base/util.h"
#include "top/top_view.h"
#include "top_screen.h"

#define MIN_COLS 40
#define PANE_MIN_LINES 3        /* title, column header, one row */
#define DELAY_MIN 0.1
#define DELAY_MAX 3600.0

struct pane_state {
	unsigned sort;
	size_t scroll;              /* first row shown */
	int top, height;            /* where the last draw put it */
	size_t rows;                /* rows it had then */
};

struct screen {
	struct pane_state pane[PANE_MAX];
	enum top_pane focus;
	bool paused, help;
	double delay;
	struct top_frame f;
	bool have_frame;
};

static void put_line(int y, const char *s, int cols, attr_t attr)
{
	attron(attr);
	mvaddnstr(y, 0, s, cols);
	/* A title bar spans the whole width. */
	if (attr & A_REVERSE)
		for (int x = (int)strlen(s); x < cols; x++)
			mvaddch(y, x, ' ');
	attroff(attr);
}

/* Lines each pane gets: at least PANE_MIN_LINES, then one more at a time
 * to each pane that has rows left to show, so a short pane never takes
 * room a long one could use. */
static void layout(struct screen *sc, const struct top_lines *rows, int avail)
{
	int want[PANE_MAX], given = 0;
	bool more = true;

	for (int p = 0; p < PANE_MAX; p++) {
		want[p] = (int)rows[p].n + 1;           /* + title */
		sc->pane[p].height = PANE_MIN_LINES;
		given += PANE_MIN_LINES;
	}
	while (given < avail && more) {
		more = false;
		for (int p = 0; p < PANE_MAX && given < avail; p++) {
			if (sc->pane[p].height >= want[p])
				continue;
			sc->pane[p].height++;
			given++;
			more = true;
		}
	}
}

static void draw_pane(struct screen *sc, enum top_pane p, const struct top_lines *l, int top,
		      int cols)
{
	struct pane_state *ps = &sc->pane[p];
	int visible = ps->height - 2;
	size_t rows = l->n ? l->n - 1 : 0;
	char title[600], full[700];

	ps->top = top;
	ps->rows = rows;
	if (rows <= (size_t)visible)
		ps->scroll = 0;
	else if (ps->scroll > rows - (size_t)visible)
		ps->scroll = rows - (size_t)visible;
	top_pane_title(&sc->f, p, ps->sort, (unsigned)cols, title, sizeof(title));
	if (rows > (size_t)visible)
		snprintf(full, sizeof(full), "%s %s  [%zu-%zu of %zu]", p == sc->focus ? ">" : " ",
			 title, ps->scroll + 1, ps->scroll + (size_t)visible, rows);
	else
		snprintf(full, sizeof(full), "%s %s", p == sc->focus ? ">" : " ", title);
	put_line(top, full, cols, A_REVERSE | (p == sc->focus ? A_BOLD : 0));
	if (l->n)
		put_line(top + 1, l->line[0], cols, A_BOLD);
	for (int i = 0; i < visible && ps->scroll + (size_t)i + 1 < l->n; i++)
		put_line(top + 2 + i, l->line[ps->scroll + (size_t)i + 1], cols, A_NORMAL);
}

static void draw_status(const struct screen *sc, int y, int cols)
{
	char s[256];

	snprintf(s, sizeof(s), "q quit  p pause  s sort  Tab pane  +/- interval %.1fs  "
		 "arrows/PgUp/PgDn scroll  h help%s", sc->delay, sc->paused ? "   [PAUSED]" : "");
	put_line(y, s, cols, A_REVERSE);
}

static void draw_help(int rows, int cols)
{
	static const char *const text[] = {
		"agentune top - keys",
		"",
		"  q          quit",
		"  p          pause / resume refreshing",
		"  s          next sort column of the selected pane",
		"  Tab        select the next pane (Shift-Tab: previous)",
		"  + / -      refresh interval x2 / /2",
		"  Up Down    scroll the selected pane by a row",
		"  PgUp PgDn  scroll by a page; Home End: first and last rows",
		"  h ?        this help",
		"",
		"CPU pane: utilisation, interrupts and softirqs per second by vector,",
		"idle-state residency, PM QoS resume latency, the agents' steps and",
		"threads. IRQ pane: busiest IRQs, device, affinity. Agent pane: steps/s,",
		"wake->run p50/p99, idle-exit share, interference, dominant cause.",
		"",
		"Any key closes this help.",
	};
	int n = (int)(sizeof(text) / sizeof(text[0]));

	erase();
	for (int i = 0; i < n && i < rows; i++)
		mvaddnstr(i, 0, text[i], cols);
}

static void draw_too_small(int rows, int cols, int need_rows)
{
	char size[64], need[64];
	const char *line[] = { "agentune top:", "terminal too small:", size, need, "q quits" };

	snprintf(size, sizeof(size), "%dx%d, it needs", cols, rows);
	snprintf(need, sizeof(need), "at least %dx%d", MIN_COLS, need_rows);
	erase();
	/* Short lines: the message must stay readable on a tiny screen. */
	for (int y = 0; y < rows && y < (int)(sizeof(line) / sizeof(line[0])); y++)
		mvaddnstr(y, 0, line[y], cols);
}

static void draw(struct screen *sc)
{
	struct top_lines hdr = {0}, rows[PANE_MAX] = {{0}};
	int nrows, cols, y, avail, need;

	getmaxyx(stdscr, nrows, cols);
	erase();
	if (sc->help) {
		draw_help(nrows, cols);
		refresh();
		return;
	}
	if (sc->have_frame)
		top_render_header(&sc->f, (unsigned)cols, &hdr);
	else
		top_lines_addf(&hdr, (unsigned)cols, "agentune top: first interval (%.1fs)...",
			       sc->delay);
	need = (int)hdr.n + PANE_MAX * PANE_MIN_LINES + 1;
	if (cols < MIN_COLS || nrows < need) {
		draw_too_small(nrows, cols, need);
		goto out;
	}
	for (y = 0; y < (int)hdr.n; y++)
		put_line(y, hdr.line[y], cols, A_NORMAL);
	if (sc->have_frame)
		for (int p = 0; p < PANE_MAX; p++)
			top_render_pane(&sc->f, (enum top_pane)p, sc->pane[p].sort, (unsigned)cols,
					&rows[p]);
	avail = nrows - y - 1;
	layout(sc, rows, avail);
	for (int p = 0; p < PANE_MAX && sc->have_frame; p++) {
		draw_pane(sc, (enum top_pane)p, &rows[p], y, cols);
		y += sc->pane[p].height;
	}
	draw_status(sc, nrows - 1, cols);
out:
	refresh();
	top_lines_free(&hdr);
	for (int p = 0; p < PANE_MAX; p++)
		top_lines_free(&rows[p]);
}

static void scroll_by(struct pane_state *ps, long delta)
{
	long to = (long)ps->scroll + delta;
	long last = (long)ps->rows - (ps->height - 2);

	if (to > last)
		to = last;
	ps->scroll = to > 0 ? (size_t)to : 0;
}

/* One key; false when it asks to quit. */
static bool on_key(struct screen *sc, int ch, double *next, double last_sample)
{
	struct pane_state *ps = &sc->pane[sc->focus];
	long page = ps->height > 3 ? ps->height - 3 : 1;

	if (sc->help) {
		sc->help = false;
		return ch != 'q' && ch != 'Q';
	}
	switch (ch) {
	case 'q': case 'Q': return false;
	case 'p': case 'P':
	case ' ':
		sc->paused = !sc->paused;
		if (!sc->paused)
			*next = mono_s();          /* resume with a frame over the pause */
		break;
	case 's': case 'S':
		ps->sort = (ps->sort + 1) % top_sort_count(sc->focus);
		ps->scroll = 0;
		break;
	case '\t': sc->focus = (enum top_pane)((sc->focus + 1) % PANE_MAX); break;
	case KEY_BTAB: sc->focus = (enum top_pane)((sc->focus + PANE_MAX - 1) % PANE_MAX); break;
	case '+': case '=':
		sc->delay = fmin(DELAY_MAX, sc->delay * 2);
		*next = last_sample + sc->delay;
		break;
	case '-': case '_':
		sc->delay = fmax(DELAY_MIN, sc->delay / 2);
		*next = last_sample + sc->delay;
		break;
	case 'h': case 'H': case '?': sc->help = true; break;
	case KEY_UP: scroll_by(ps, -1); break;
	case KEY_DOWN: scroll_by(ps, 1); break;
	case KEY_PPAGE: scroll_by(ps, -page); break;
	case KEY_NPAGE: scroll_by(ps, page); break;
	case KEY_HOME: ps->scroll = 0; break;
	case KEY_END: scroll_by(ps, (long)ps->rows); break;
	default: break;
	}
	return true;
}

int top_screen_run(struct top_source *src, double delay, unsigned long max_frames,
		   volatile sig_atomic_t *stop)
{
	struct screen sc;
	double last = mono_s(), next = last + delay;
	unsigned long frames = 0;
	int e = 0;

	memset(&sc, 0, sizeof(sc));
	sc.delay = delay;
	const char *term = getenv("TERM");
	SCREEN *scr;

	/* newterm, not initscr: initscr exits on an unknown terminal. */
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return fail("top", "needs a terminal (use -b for plain-text frames)");
	if (!(scr = newterm(NULL, stdout, stdin)))
		return fail("top", "cannot drive the terminal (TERM=%s); use -b for plain-text frames",
			    term ? term : "unset");
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	while (!*stop) {
		double t = mono_s();
		int ch;

		if (!sc.paused && t >= next) {
			if ((e = top_source_sample(src, &sc.f)))
				break;
			sc.have_frame = true;
			last = t;
			next = t + sc.delay;
			frames++;
		}
		draw(&sc);
		if (max_frames && frames >= max_frames)
			break;
		timeout(sc.paused ? 250 : (int)fmax(1, (next - mono_s()) * 1e3));
		ch = getch();
		if (ch != ERR && ch != KEY_RESIZE && !on_key(&sc, ch, &next, last))
			break;
	}
	endwin();
	delscreen(scr);
	top_frame_free(&sc.f);
	return e ? fail("top", "reading the host: %s", strerror(-e)) : EXIT_OK;
}
