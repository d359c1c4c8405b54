/* tune/ctllog: the window controller's log, to syslog (LOG_DAEMON, ident
 * "agentune-window", LOG_PID; journald collects it where systemd runs).
 *
 * glibc's syslog() always sends to /dev/log.  For tests, the environment
 * variable AGENTUNE_SYSLOG_SOCKET names another unix datagram socket: each
 * message then goes there as one datagram in the same RFC 3164 form
 * syslog() sends ("<PRI>agentune-window[PID]: text"), so a test can bind a
 * socket of its own and read exactly what a syslog daemon would get.
 */
#ifndef AGENTUNE_CTLLOG_H
#define AGENTUNE_CTLLOG_H

#include <syslog.h>

#define CTLLOG_ENV "AGENTUNE_SYSLOG_SOCKET"
#define CTLLOG_IDENT "agentune-window"

void ctllog_open(void);
/* prio: LOG_INFO, LOG_WARNING, LOG_ERR... (LOG_DAEMON is added). */
void ctllog(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ctllog_close(void);

#endif
