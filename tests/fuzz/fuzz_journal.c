/* libFuzzer harness: arbitrary bytes as the journal file, through
 * journal_load.  What loads must obey the load rules and survive a rewrite
 * unchanged; what does not must leave nothing behind and name a line. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "tune/journal.h"

static void check_sound(const struct journal *j)
{
	for (size_t i = 0; i < j->napplies; i++) {
		const struct journal_apply *a = &j->applies[i];
		if (!a->apply || (i && a->apply <= j->applies[i - 1].apply) || a->root[0] != '/' ||
		    !memchr(a->profile, 0, sizeof(a->profile)) || !memchr(a->root, 0, sizeof(a->root)))
			__builtin_trap();
	}
	for (size_t i = 0; i < j->n; i++) {
		const struct journal_entry *e = &j->e[i];
		char why[512];
		if (!e->seq || (i && e->seq <= j->e[i - 1].seq) || !journal_apply_of(j, e->apply) ||
		    (unsigned)e->ch.knob >= KNOB__COUNT ||
		    !knob_valid(e->ch.knob, e->ch.target, e->ch.old, why, sizeof(why)) ||
		    !knob_valid(e->ch.knob, e->ch.target, e->ch.new, why, sizeof(why)) ||
		    journal_first(j, e->ch.knob, e->ch.target) > e)
			__builtin_trap();
	}
}

/* Rewriting everything and loading again gives the same records. */
static void check_rewrite(struct journal *j)
{
	size_t n = j->n, na = j->napplies;
	struct journal_entry *e = malloc((n ? n : 1) * sizeof(*e));
	struct journal_apply *a = malloc((na ? na : 1) * sizeof(*a));
	bool *keep = malloc(n ? n : 1);
	char why[8192];
	if (!e || !a || !keep)
		goto out;
	if (n)
		memcpy(e, j->e, n * sizeof(*e));
	if (na)
		memcpy(a, j->applies, na * sizeof(*a));
	memset(keep, 1, n ? n : 1);
	if (journal_rewrite(j, keep, why, sizeof(why)))
		__builtin_trap();
	if (journal_load(j, why, sizeof(why)) || j->n != n)
		__builtin_trap();
	/* Apply records without changes are dropped by a rewrite. */
	for (size_t i = 0; i < n; i++)
		if (memcmp(&j->e[i], &e[i], sizeof(*e)))
			__builtin_trap();
	for (size_t i = 0; i < j->napplies; i++) {
		const struct journal_apply *o = journal_apply_of(j, j->applies[i].apply);
		size_t k = 0;
		while (k < na && a[k].apply != o->apply)
			k++;
		if (k == na || strcmp(a[k].profile, o->profile) || strcmp(a[k].path, o->path) ||
		    strcmp(a[k].cpus, o->cpus) || strcmp(a[k].root, o->root) || a[k].pid != o->pid ||
		    a[k].time != o->time || a[k].by != o->by)
			__builtin_trap();
	}
out:
	free(e);
	free(a);
	free(keep);
}

static void fuzz_one(const char *text, size_t size)
{
	char dir[] = "/tmp/agentune-fuzz-journal-XXXXXX";
	if (!mkdtemp(dir))
		return;
	char path[64], tmp[64];
	snprintf(path, sizeof(path), "%s/journal", dir);
	snprintf(tmp, sizeof(tmp), "%s/journal.new", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		bool written = write(fd, text, size) == (ssize_t)size;
		close(fd);
		struct journal j;
		char why[8192];
		if (written && journal_open(&j, dir, false, why, sizeof(why)) == 0) {
			int rc = journal_load(&j, why, sizeof(why));
			if (rc == 0) {
				check_sound(&j);
				check_rewrite(&j);
			} else if ((rc != -EINVAL && rc != -ENOMEM && rc != -EFBIG) || j.n ||
				   j.napplies || j.e || j.applies ||
				   (rc == -EINVAL && !strstr(why, "/journal line ")))
				__builtin_trap();
			journal_close(&j);
		}
	}
	unlink(path);
	unlink(tmp);
	rmdir(dir);
}
