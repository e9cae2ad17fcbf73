// SPDX-License-Identifier: GPL-2.0-or-later
/* log: stderr in the foreground, syslog otherwise. See log.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static bool log_foreground = true;
static int log_max_level = LOG_INFO;
static bool log_opened;
static FILE *audit_stream;

void log_init(bool foreground, int facility)
{
	log_foreground = foreground;
	if (log_opened)
		closelog();
	openlog("mediagated", LOG_PID | LOG_NDELAY, facility);
	log_opened = true;
}

void log_set_max_level(int level)
{
	log_max_level = level;
}

int log_get_max_level(void)
{
	return log_max_level;
}

static const char *level_prefix(int level)
{
	switch (level) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
	case LOG_ERR:
		return "error: ";
	case LOG_WARNING:
		return "warning: ";
	case LOG_DEBUG:
		return "debug: ";
	default:
		return "";
	}
}

int log_internal(int level, int r, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (level > log_max_level)
		return r;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_foreground) {
		if (r < 0)
			fprintf(stderr, "mediagated: %s%s: %s\n", level_prefix(level), msg,
				strerror(-r));
		else
			fprintf(stderr, "mediagated: %s%s\n", level_prefix(level), msg);
	} else if (r < 0) {
		syslog(level, "%s: %s", msg, strerror(-r));
	} else {
		syslog(level, "%s", msg);
	}
	return r;
}

void log_audit(const char *line)
{
	FILE *f = audit_stream ? audit_stream : log_foreground ? stdout : NULL;

	syslog(LOG_AUTHPRIV | LOG_NOTICE, "%s", line);
	if (f) {
		fputs(line, f);
		fputc('\n', f);
		fflush(f);
	}
}

void log_audit_stream(FILE *f)
{
	audit_stream = f;
}
