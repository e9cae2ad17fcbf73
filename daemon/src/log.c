// SPDX-License-Identifier: GPL-2.0-or-later
/* log: stderr in the foreground, syslog otherwise. See log.h. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "log.h"

static bool log_foreground = true;
static int log_max_level = LOG_INFO;
static bool log_opened;
static FILE *audit_stream;
static bool audit_cee;
static uint64_t audit_seq;

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

/*
 * The JSON form for a central ledger (audit_format_cee). The sequence number
 * is the wall clock in microseconds, or the last number + 1 if that is not
 * larger: monotonic across restarts without a state file, as long as the
 * clock does not go back and fewer than a million lines a second are logged.
 */
static void log_audit_cee(const char *line)
{
	char cee[AUDIT_CEE_MAX];
	struct timespec ts;
	uint64_t now_us;

	clock_gettime(CLOCK_REALTIME, &ts);
	now_us = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	audit_seq = now_us > audit_seq ? now_us : audit_seq + 1;
	if (audit_format_cee(cee, sizeof(cee), line, audit_seq, ts.tv_sec) < 0) {
		syslog(LOG_AUTHPRIV | LOG_NOTICE, "%s", line);
		return;
	}
	syslog(LOG_AUTHPRIV | LOG_NOTICE, "%s", cee);
}

void log_audit(const char *line)
{
	FILE *f = audit_stream ? audit_stream : log_foreground ? stdout : NULL;

	if (audit_cee)
		log_audit_cee(line);
	else
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

void log_audit_json(bool on)
{
	audit_cee = on;
}
