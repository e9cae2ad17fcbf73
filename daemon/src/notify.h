/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * notify: the desktop notice (issue 6). When a USB storage device gets a
 * final read-only or block verdict, the user of the active seat sees a
 * notification ("Not a registered company stick: read-only.") through the
 * standard org.freedesktop.Notifications interface of their session bus.
 *
 * mediagated is a system service and a session bus only takes its own user,
 * so each notice is sent by a short-lived child, never waited for: its pidfd
 * joins notify_fd's epoll set and it is reaped when it exits (without pidfds,
 * before Linux 5.3: a double fork). The child closes every inherited
 * descriptor, finds the active seat's user with sd-login (a local x11 or
 * wayland user session), drops to that uid and gid, and calls Notify with
 * sd-bus on /run/user/UID/bus, with a call timeout and an alarm as a
 * backstop. No such session, no bus, no notification server: a debug line
 * and nothing else.
 *
 * Once per plug (by hold handle) and rate-limited: at most one notice per
 * interval; the verdicts in between are counted and told in one summary
 * notice when the interval ends (a timerfd in notify_fd's set).
 *
 * The text is composed in the child (gettext domain "mediagate"), in the
 * user's language if AccountsService has one for them (what the desktop's
 * settings write: /var/lib/AccountsService/users/NAME, Language=), else in
 * the daemon's locale. Device strings (manufacturer, product, serial, label)
 * are hostile: notify_escape() bounds them, drops control and bidi
 * characters and escapes & < >, since servers read a subset of markup.
 */
#ifndef MEDIAGATE_NOTIFY_H
#define MEDIAGATE_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "decide.h"

#define NOTIFY_INTERVAL_NS (30ULL * 1000000000ULL) /* one notice per 30 s */
#define NOTIFY_FIELD_CHARS 48 /* characters kept of each device string */

struct notify_config {
	uint64_t interval_ns; /* 0: NOTIFY_INTERVAL_NS */
	/* Tests only: deliver on this bus address as this uid/gid instead of
	 * to the active seat's user. NULL: sd-login (the daemon). */
	const char *address;
	uid_t uid;
	gid_t gid;
	/* Where AccountsService keeps each user's language (NULL:
	 * /var/lib/AccountsService/users; tests: a directory of their own). */
	const char *accounts_dir;
};

/* What one notice says. */
struct notify_notice {
	unsigned int verdict; /* MEDIAGATE_VERDICT_READONLY / _DENY; 0: summary */
	unsigned int more; /* summary: how many verdicts it stands for */
	char manufacturer[IDENT_STR_MAX];
	char product[IDENT_STR_MAX];
	char serial[IDENT_STR_MAX];
	char label[256];
};

struct notify;

/* @cfg may be NULL (defaults). */
int notify_new(const struct notify_config *cfg, struct notify **ret_notify);
void notify_free(struct notify *n);
/* What the loop watches (an epoll fd): readable when a summary may be due
 * or a notice's child has exited; then call notify_dispatch(). */
int notify_fd(const struct notify *n);
void notify_dispatch(struct notify *n, uint64_t now_ns);
/* Notices' children not reaped yet. */
unsigned int notify_children(const struct notify *n);

/* Pure: does a verdict recorded at @stage ("hold", "replay", "media",
 * "reload", ...) deserve a notice? Storage only, readonly or block, final
 * (not the read-only window before the media probe), first decisions only. */
bool notify_wanted(const struct mediagate_event *ev, const struct ident_device *d,
		   const struct decide_verdict *v, const char *stage);

/* A verdict notify_wanted() accepted: notice now, or count it for the
 * summary. Once per @v->handle. Never waits for the notice itself. */
void notify_verdict(struct notify *n, uint64_t now_ns, const struct ident_device *d,
		    const struct decide_verdict *v);
/* Notices started and verdicts folded into summaries so far. */
void notify_stats(const struct notify *n, uint64_t *ret_sent, uint64_t *ret_coalesced);

/* Pure: @src (@len bytes, hostile) as notification body text into @dst
 * (always NUL-terminated): valid UTF-8 only (else U+FFFD), control and
 * bidi-override characters become spaces, & < > become entities, trailing
 * spaces go, at most @max_chars characters (then "…"). Returns strlen(dst). */
size_t notify_escape(char *dst, size_t dstsz, const char *src, size_t len, size_t max_chars);

/* Pure (but translated with the current locale): summary and body of @msg. */
void notify_format(const struct notify_notice *msg, char *summary, size_t summary_sz, char *body,
		   size_t body_sz);

#endif
