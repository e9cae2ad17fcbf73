/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log: diagnostics of mediagated (not the audit trail). In foreground mode
 * (-d) lines go to stderr, otherwise to syslog with the facility given to
 * log_init(). Pure modules never log; the caller logs once.
 *
 * log_audit() is the one sink for audit lines (formatted by audit.c): syslog
 * LOG_AUTHPRIV|LOG_NOTICE, and in foreground mode also stdout, one line each.
 */
#ifndef MEDIAGATE_LOG_H
#define MEDIAGATE_LOG_H

#include <stdbool.h>
#include <stdio.h>
#include <syslog.h>

void log_init(bool foreground, int facility);
void log_set_max_level(int level); /* LOG_ERR .. LOG_DEBUG; default LOG_INFO */
int log_get_max_level(void);

/* Log at @level; returns @r unchanged (so "return log_errno(r, ...)" works).
 * When @r < 0, ": strerror(-r)" is appended. */
int log_internal(int level, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define log_error(...) log_internal(LOG_ERR, 0, __VA_ARGS__)
#define log_warn(...) log_internal(LOG_WARNING, 0, __VA_ARGS__)
#define log_notice(...) log_internal(LOG_NOTICE, 0, __VA_ARGS__)
#define log_info(...) log_internal(LOG_INFO, 0, __VA_ARGS__)
#define log_debug(...) log_internal(LOG_DEBUG, 0, __VA_ARGS__)
#define log_errno(r, ...) log_internal(LOG_ERR, (r), __VA_ARGS__)
#define log_warn_errno(r, ...) log_internal(LOG_WARNING, (r), __VA_ARGS__)

/* Emit one pre-formatted, already escaped audit line. */
void log_audit(const char *line);
/* Also write audit lines to @f (NULL: stdout in foreground mode, nowhere
 * otherwise). For tests and -d. */
void log_audit_stream(FILE *f);
/* Send audit lines to syslog in their JSON form ("@cee: {...}" with a
 * per-host sequence number, see audit_format_cee) instead of key=value, for
 * rsyslog forwarding to the central ledger (policy/fleet/). */
void log_audit_json(bool on);

#endif
