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

/* No state of its own: openlog() keeps the ident (a string constant, as it
 * needs), the test socket is named by the environment. */
void ctllog_open(void)
{
	if (!getenv(CTLLOG_ENV))
		openlog(CTLLOG_IDENT, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static void send_test(const char *path, int prio, const char *msg)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char line[1200];
	int fd, n;

	if (strlen(path) >= sizeof(a.sun_path))
		return;
	copy_str(a.sun_path, sizeof(a.sun_path), path);
	n = snprintf(line, sizeof(line), "<%d>%s[%d]: %s", LOG_DAEMON | prio, CTLLOG_IDENT,
		     (int)getpid(), msg);
	if (n < 0)
		return;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, line, strlen(line), 0, (struct sockaddr *)&a, sizeof(a));
	close(fd);
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
		send_test(test, prio, msg);
	else
		syslog(LOG_DAEMON | prio, "%s", msg);
}

void ctllog_close(void)
{
	if (!getenv(CTLLOG_ENV))
		closelog();
}
