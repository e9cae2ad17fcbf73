// SPDX-License-Identifier: GPL-2.0-or-later
/* audit: one escaped line per event, fixed key order; a rate limiter. Pure. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "strutil.h"

struct line {
	char *buf;
	size_t sz, len;
	bool overflow;
	bool truncated;
};

static const char *const event_names[] = {
	[AUDIT_VERDICT] = "verdict",
	[AUDIT_MOUNT] = "mount",
	[AUDIT_UNMOUNT] = "unmount",
	[AUDIT_RELOAD] = "reload",
	[AUDIT_TAMPER] = "tamper",
	[AUDIT_SUPPRESSED] = "suppressed",
	[AUDIT_RETIRED_SEEN] = "retired-seen",
};

const char *audit_event_name(enum audit_event e)
{
	if ((size_t)e >= sizeof(event_names) / sizeof(event_names[0]))
		return "unknown";
	return event_names[e];
}

static void line_init(struct line *l, char *buf, size_t sz)
{
	*l = (struct line){.buf = buf, .sz = sz};
	if (sz)
		buf[0] = '\0';
}

static void __attribute__((format(printf, 2, 3))) put(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, l->sz - l->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= l->sz - l->len) {
		l->overflow = true;
		return;
	}
	l->len += n;
}

/* Length of the longest prefix of escaped text @s that is at most @max bytes
 * and does not split an escape sequence ("\\", "\"", "\xNN"). */
static size_t escaped_cut(const char *s, size_t max)
{
	size_t i = 0;

	while (s[i]) {
		size_t tok = 1;

		if (s[i] == '\\')
			tok = s[i + 1] == 'x' ? 4 : 2;
		if (i + tok > max)
			break;
		i += tok;
	}
	return i;
}

/* key="escaped value"; NULL prints as "". Device strings are bounded to
 * IDENT_STR_MAX raw bytes before escaping. */
static void put_str(struct line *l, const char *key, const char *val)
{
	char esc[IDENT_STR_MAX * 4 + 1];
	size_t rawlen = val ? strnlen(val, IDENT_STR_MAX) : 0;
	size_t need, cut;

	need = str_escape(esc, sizeof(esc), val ? val : "", rawlen, false);
	cut = escaped_cut(esc, AUDIT_VALUE_MAX);
	if (need > cut || rawlen == IDENT_STR_MAX)
		l->truncated = true;
	esc[cut] = '\0';
	put(l, " %s=\"%s\"", key, esc);
}

static int line_finish(struct line *l)
{
	if (l->truncated)
		put(l, " truncated=yes");
	if (l->overflow)
		return -ENOBUFS;
	return (int)l->len;
}

static void put_device(struct line *l, const struct ident_device *d)
{
	put_str(l, "dev", d ? d->name : NULL);
	if (d)
		put(l, " id=%04x:%04x", d->vid, d->pid);
	else
		put(l, " id=-");
	put_str(l, "serial", d ? d->serial : NULL);
}

static const char *media_kind_name(const struct media_info *m)
{
	if (!m)
		return "unknown";
	switch (m->kind) {
	case MEDIA_NONE:
		return "none";
	case MEDIA_PLAIN:
		return "plain";
	case MEDIA_LUKS:
		return m->luks_version == 1 ? "luks1" : "luks2";
	default:
		return "unknown";
	}
}

static void put_media(struct line *l, const struct media_info *m, const char *medium_id)
{
	bool luks = m && m->kind == MEDIA_LUKS;

	put(l, " media=%s", media_kind_name(m));
	put_str(l, "fstype", m ? m->fstype : NULL);
	put_str(l, "label", m ? m->label : NULL);
	put_str(l, "uuid", m ? (luks ? m->luks_uuid : m->fs_uuid) : NULL);
	put_str(l, "cipher", luks ? m->cipher : NULL);
	put(l, " key_bits=%u", luks ? m->key_bits : 0);
	put(l, " registered=%s", m && m->registered ? "yes" : "no");
	put_str(l, "medium", medium_id);
}

int audit_format_verdict(char *buf, size_t sz, const struct audit_verdict *v)
{
	struct line l;
	char rule[300];

	line_init(&l, buf, sz);
	put(&l, "event=verdict");
	put_device(&l, v->dev);
	put(&l, " handle=%" PRIu64, v->handle);
	put_str(&l, "manufacturer", v->dev ? v->dev->manufacturer : NULL);
	put_str(&l, "product", v->dev ? v->dev->product : NULL);
	put(&l, " stage=%s verdict=%s", v->stage ? v->stage : "hold",
	    v->verdict ? v->verdict : "block");
	put_str(&l, "interfaces", v->interfaces);
	if (v->rule_text)
		snprintf(rule, sizeof(rule), "%s", v->rule_text);
	else if (v->rule_file)
		snprintf(rule, sizeof(rule), "%s:%u", v->rule_file, v->rule_line);
	else
		snprintf(rule, sizeof(rule), "default");
	put_str(&l, "rule", rule);
	put_media(&l, v->media, v->medium_id);
	put_str(&l, "reason", v->reason);
	return line_finish(&l);
}

int audit_format_mount(char *buf, size_t sz, const struct audit_mount *m)
{
	struct line l;

	line_init(&l, buf, sz);
	put(&l, "event=%s", m->unmount ? "unmount" : "mount");
	put_device(&l, m->dev);
	put_str(&l, "block", m->block);
	put_str(&l, "fstype", m->fstype);
	put_str(&l, "label", m->label);
	put_str(&l, "uuid", m->uuid);
	put_str(&l, "mountpoint", m->mountpoint);
	put(&l, " mode=%s", m->readonly ? "ro" : "rw");
	put_str(&l, "user", m->user);
	put(&l, " user_source=%s", m->user_source ? m->user_source : "unknown");
	return line_finish(&l);
}

int audit_format_reload(char *buf, size_t sz, bool ok, const char *policy_path, unsigned int rules,
			unsigned int errors)
{
	struct line l;

	line_init(&l, buf, sz);
	put(&l, "event=reload result=%s", ok ? "ok" : "failed");
	put_str(&l, "policy", policy_path);
	put(&l, " rules=%u errors=%u", rules, errors);
	return line_finish(&l);
}

int audit_format_tamper(char *buf, size_t sz, const struct audit_tamper *t)
{
	struct line l;

	line_init(&l, buf, sz);
	put(&l, "event=tamper");
	put_device(&l, t->dev);
	put(&l, " handle=%" PRIu64, t->handle);
	put_str(&l, "driver", t->driver);
	put(&l, " verdict=%s", t->verdict ? t->verdict : "none");
	return line_finish(&l);
}

int audit_format_suppressed(char *buf, size_t sz, uint64_t count)
{
	struct line l;

	line_init(&l, buf, sz);
	put(&l, "event=suppressed count=%" PRIu64, count);
	return line_finish(&l);
}

int audit_format_retired_seen(char *buf, size_t sz, const struct audit_retired_seen *s)
{
	struct line l;

	line_init(&l, buf, sz);
	put(&l, "event=retired-seen");
	put_device(&l, s->dev);
	put(&l, " handle=%" PRIu64, s->handle);
	put_str(&l, "medium", s->medium_id);
	/* a date from the parsed registry (YYYY-MM-DD), bare like the numbers */
	put(&l, " retired=%s", s->retired && s->retired[0] ? s->retired : "-");
	put_str(&l, "owner", s->owner);
	put_str(&l, "asset", s->asset);
	put(&l, " verdict=%s", s->verdict ? s->verdict : "none");
	return line_finish(&l);
}

void audit_ratelimit_init(struct audit_ratelimit *rl, uint64_t interval_ns, unsigned int burst)
{
	*rl = (struct audit_ratelimit){.interval_ns = interval_ns, .burst = burst};
}

bool audit_ratelimit_test(struct audit_ratelimit *rl, uint64_t now_ns, uint64_t *ret_suppressed)
{
	uint64_t reported = 0;

	if (!rl->started || now_ns < rl->begin_ns || now_ns - rl->begin_ns >= rl->interval_ns) {
		reported = rl->suppressed;
		rl->suppressed = 0;
		rl->begin_ns = now_ns;
		rl->n = 0;
		rl->started = true;
	}
	if (ret_suppressed)
		*ret_suppressed = reported;
	if (rl->burst == 0 || rl->n < rl->burst) {
		rl->n++;
		return true;
	}
	rl->suppressed++;
	return false;
}

uint64_t audit_ratelimit_flush(struct audit_ratelimit *rl)
{
	uint64_t n = rl->suppressed;

	rl->suppressed = 0;
	return n;
}

/* Append @s[0..n) as JSON string content: the escaped text of a line is
 * printable ASCII, so only backslash and quote need escaping again. */
static void put_json_text(struct line *l, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' || s[i] == '"')
			put(l, "\\%c", s[i]);
		else if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			put(l, "\\u%04x", (unsigned char)s[i]);
		else
			put(l, "%c", s[i]);
	}
}

/* One "key=value" or key="escaped value" of a formatter's line at @p: sets
 * the key and value spans, returns the position after it or NULL. */
static const char *next_pair(const char *p, const char **key, size_t *klen, const char **val,
			     size_t *vlen)
{
	const char *eq = strchr(p, '=');

	if (!eq || eq == p || memchr(p, ' ', eq - p))
		return NULL;
	*key = p;
	*klen = eq - p;
	p = eq + 1;
	if (*p != '"') {
		*val = p;
		*vlen = strcspn(p, " ");
		return p + *vlen;
	}
	*val = ++p;
	while (*p && *p != '"')
		p += (*p == '\\' && p[1]) ? 2 : 1;
	if (*p != '"')
		return NULL;
	*vlen = p - *val;
	return p + 1;
}

int audit_format_cee(char *buf, size_t sz, const char *line, uint64_t seq, int64_t time)
{
	struct line l;
	const char *p = line;

	line_init(&l, buf, sz);
	put(&l, "@cee: {\"seq\":%" PRIu64 ",\"time\":%" PRId64, seq, time);
	while (*p) {
		const char *key, *val;
		size_t klen, vlen;

		p = next_pair(p, &key, &klen, &val, &vlen);
		if (!p || (*p && *p != ' '))
			return -EINVAL;
		while (*p == ' ')
			p++;
		put(&l, ",\"");
		put_json_text(&l, key, klen);
		put(&l, "\":\"");
		put_json_text(&l, val, vlen);
		put(&l, "\"");
	}
	put(&l, ",\"line\":\"");
	put_json_text(&l, line, strlen(line));
	put(&l, "\"}");
	if (l.overflow)
		return -ENOBUFS;
	return (int)l.len;
}
