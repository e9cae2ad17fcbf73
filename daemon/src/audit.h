/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * audit: the audit trail's line format (pure; log_audit() emits the lines).
 *
 * One line per event, never more: "event=NAME" first, then a fixed set of
 * keys in a fixed order for each event name. Numbers and enumerations are
 * bare tokens; every string (device, medium, path, user) is double-quoted
 * and escaped with str_escape() to printable ASCII, and capped at
 * AUDIT_VALUE_MAX escaped bytes (then "truncated=yes" ends the line).
 *
 *   event=verdict dev="2-1.4" handle=7 id=0781:5583 serial="..." manufacturer="..."
 *         product="..." stage=hold verdict=readonly interfaces="0:readonly 1:deny"
 *         rule="/etc/mediagate/mediagate.conf:12" media=luks2 fstype="" label=""
 *         uuid="..." registered=no medium="" reason="..."
 *   event=mount / event=unmount dev=... id=... serial=... block="/dev/sdb1"
 *         fstype=... label=... uuid=... mountpoint=... mode=rw user=... user_source=path
 *   event=reload result=ok|failed policy="..." rules=N errors=N
 *   event=tamper dev=... handle=... id=... serial=... driver="..." verdict=deny
 *   event=suppressed count=N
 *   event=retired-seen dev=... id=... serial=... handle=N medium="..." retired=YYYY-MM-DD
 *         owner="..." asset="..." verdict=readonly
 *
 * Event names and key orders are stable: add keys at the end, never rename.
 */
#ifndef MEDIAGATE_AUDIT_H
#define MEDIAGATE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ident.h"
#include "media.h"

#define AUDIT_LINE_MAX 4096
#define AUDIT_VALUE_MAX 256 /* escaped bytes per string value */

enum audit_event {
	AUDIT_VERDICT,
	AUDIT_MOUNT,
	AUDIT_UNMOUNT,
	AUDIT_RELOAD,
	AUDIT_TAMPER,
	AUDIT_SUPPRESSED,
	AUDIT_RETIRED_SEEN,
};

const char *audit_event_name(enum audit_event e);

struct audit_verdict {
	uint64_t handle;
	const struct ident_device *dev;
	const char *stage; /* "hold", "media", "reload", "manual", "replay", "restart",
			    * "restart-adopted" (loop_restart.c) */
	const char *verdict; /* "allow", "readonly", "block" */
	const char *interfaces; /* "0:readonly 1:deny" or NULL */
	const char *rule_file; /* NULL: decided by the default */
	unsigned int rule_line;
	const struct media_info *media; /* NULL: not probed */
	const char *medium_id; /* registry medium id, or NULL */
	const char *reason; /* decision summary, or NULL */
	const char *rule_text; /* overrides rule_file:line ("manual") */
};

struct audit_mount {
	bool unmount;
	const struct ident_device *dev; /* the medium's USB device; may be NULL */
	const char *block; /* "/dev/sdb1", "/dev/mapper/x" */
	const char *fstype, *label, *uuid;
	const char *mountpoint;
	bool readonly;
	const char *user; /* NULL: unknown */
	const char *user_source; /* "path", "owner", "seat", "unknown" */
};

struct audit_tamper {
	uint64_t handle;
	const struct ident_device *dev;
	const char *driver;
	const char *verdict; /* the verdict that was in force */
};

/*
 * Each formatter writes one NUL-terminated line without newline into @buf
 * (size @sz, AUDIT_LINE_MAX is always enough) and returns its length, or
 * -ENOBUFS if @sz is too small (buf then holds a truncated line).
 */
int audit_format_verdict(char *buf, size_t sz, const struct audit_verdict *v);
int audit_format_mount(char *buf, size_t sz, const struct audit_mount *m);
int audit_format_reload(char *buf, size_t sz, bool ok, const char *policy_path, unsigned int rules,
			unsigned int errors);
int audit_format_tamper(char *buf, size_t sz, const struct audit_tamper *t);
int audit_format_suppressed(char *buf, size_t sz, uint64_t count);

/* A stick whose USB identity belongs to a retired medium (issue 5): the
 * registry entry it was and the verdict it got all the same. */
struct audit_retired_seen {
	uint64_t handle;
	const struct ident_device *dev;
	const char *medium_id;
	const char *retired; /* YYYY-MM-DD */
	const char *owner, *asset;
	const char *verdict;
};
int audit_format_retired_seen(char *buf, size_t sz, const struct audit_retired_seen *s);

/*
 * The same event for a central ledger (policy/fleet/): @line (a line from
 * one of the formatters above) rewritten as "@cee: {...}", the cookie that
 * rsyslog's mmjsonparse looks for. Keys: "seq" and "time" (numbers), then
 * every key of @line in its order with its value as a JSON string (quoted
 * values keep their escaped form, so the text is the same as in the line),
 * then "line": @line itself. @seq is the host's monotonic sequence number
 * that makes a re-sent event recognisable. Returns the length or -ENOBUFS
 * (2 * AUDIT_LINE_MAX + 64 is always enough), -EINVAL if @line is not a
 * formatter's line.
 */
#define AUDIT_CEE_MAX (2 * AUDIT_LINE_MAX + 64)
int audit_format_cee(char *buf, size_t sz, const char *line, uint64_t seq, int64_t time);

/*
 * Rate limiter: at most @burst lines per @interval_ns window (@burst 0:
 * unlimited). Pure: the
 * caller passes the clock (CLOCK_MONOTONIC ns).
 */
struct audit_ratelimit {
	uint64_t interval_ns;
	unsigned int burst;
	uint64_t begin_ns;
	unsigned int n;
	uint64_t suppressed;
	bool started;
};

void audit_ratelimit_init(struct audit_ratelimit *rl, uint64_t interval_ns, unsigned int burst);
/*
 * May a line be emitted at @now_ns? When this call opens a new window and the
 * previous one suppressed lines, *ret_suppressed gets their count (emit an
 * "event=suppressed" line first), else 0.
 */
bool audit_ratelimit_test(struct audit_ratelimit *rl, uint64_t now_ns, uint64_t *ret_suppressed);
/* Lines suppressed in the current window and not yet reported; resets the
 * count (for a timer at the end of a window, or at shutdown). */
uint64_t audit_ratelimit_flush(struct audit_ratelimit *rl);

#endif
