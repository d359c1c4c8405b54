/* tune/ctllog: the window controller's syslog (ctllog.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/util.h"
#include "tune/ctllog.h"

/* openlog() keeps the ident (a string constant, as it needs) and, with
 * LOG_NDELAY, its connection to /dev/log from now on.  The test socket is
 * likewise connected here, once: the controller drops its privileges after
 * ctllog_open and could no longer reach a socket in a root-only directory.
 * That descriptor is the one piece of state of its own. */
static int test_fd = -1;

void ctllog_open(void)
{
	const char *path = getenv(CTLLOG_ENV);
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	if (!path) {
		openlog(CTLLOG_IDENT, LOG_PID | LOG_NDELAY, LOG_DAEMON);
		return;
	}
	if (strlen(path) >= sizeof(a.sun_path))
		return;
	copy_str(a.sun_path, sizeof(a.sun_path), path);
	test_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (test_fd >= 0 && connect(test_fd, (struct sockaddr *)&a, sizeof(a))) {
		close(test_fd);
		test_fd = -1;
	}
}

static void send_test(int prio, const char *msg)
{
	char line[1200];
	int n = snprintf(line, sizeof(line), "<%d>%s[%d]: %s", LOG_DAEMON | prio, CTLLOG_IDENT,
			 (int)getpid(), msg);
	if (n >= 0 && test_fd >= 0)
		send(test_fd, line, strlen(line), 0);
}

void ctllog(int prio, const char *fmt, ...)
{
	const char *test = getenv(CTLLOG_ENV);
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (test)
		send_test(prio, msg);
	else
		syslog(LOG_DAEMON | prio, "%s", msg);
}

void ctllog_close(void)
{
	if (!getenv(CTLLOG_ENV))
		closelog();
	if (test_fd >= 0)
		close(test_fd);
	test_fd = -1;
}
