// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * loop_control: the control socket's requests and the administrator's
 * overrides (allow/block, timed allows and their expiry) of mediagated's
 * loop. See loop.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "loop-internal.h"
#include "strutil.h"

static const struct override *find_override(const struct loop *l, uint64_t handle,
					    const struct ident_device *d)
{
	for (unsigned int i = 0; i < l->n_overrides; i++) {
		const struct override *o = &l->overrides[i];

		if (o->handle ? o->handle == handle
			      : (o->vid == d->vid && o->pid == d->pid &&
				 !strcmp(o->serial, d->serial)))
			return o;
	}
	return NULL;
}

/* An administrator's override replaces the policy's verdict. */
void loop_apply_override(const struct loop *l, const struct mediagate_event *ev,
			 const struct ident_device *d, struct decide_verdict *v)
{
	const struct override *o = find_override(l, ev->handle, d);

	if (!o || decide_map(ev, d, o->verdict, v) < 0)
		return;
	v->manual = true;
	v->dec.needs_media = false;
	v->dec.log = true;
	if (o->expires_ns)
		snprintf(v->dec.why, sizeof(v->dec.why), "mediagatectl %s by uid %u for %llus",
			 policy_verdict_name(o->verdict), o->uid,
			 (unsigned long long)((o->expires_ns - loop_now_ns()) / 1000000000ULL));
	else
		snprintf(v->dec.why, sizeof(v->dec.why),
			 "mediagatectl %s by uid %u until unplugged",
			 policy_verdict_name(o->verdict), o->uid);
}

/* Arm the timerfd for the earliest expiry (or disarm it). */
static void arm_timer(struct loop *l)
{
	struct itimerspec its = {0};
	uint64_t next = 0;

	for (unsigned int i = 0; i < l->n_overrides; i++)
		if (l->overrides[i].expires_ns && (!next || l->overrides[i].expires_ns < next))
			next = l->overrides[i].expires_ns;
	if (next) {
		its.it_value.tv_sec = (time_t)(next / 1000000000ULL);
		its.it_value.tv_nsec = (long)(next % 1000000000ULL);
	}
	if (l->timerfd >= 0)
		timerfd_settime(l->timerfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* Re-decide every tracked hold of the stick @o names (by handle or identity). */
static void redecide_matching(struct loop *l, const struct override *o, const char *stage)
{
	for (unsigned int i = 0; i < l->tracked.n; i++) {
		struct decide_pending *t = &l->tracked.v[i];
		bool match = o->handle ? t->handle == o->handle
				       : (t->dev.vid == o->vid && t->dev.pid == o->pid &&
					  !strcmp(t->dev.serial, o->serial));

		if (match)
			loop_redecide(l, t, NULL, stage, true);
	}
}

void loop_on_timer(struct loop *l)
{
	uint64_t ticks, now = loop_now_ns();

	(void)!read(l->timerfd, &ticks, sizeof(ticks));
	for (unsigned int i = 0; i < l->n_overrides; i++) {
		struct override o = l->overrides[i];
		char ser[IDENT_STR_MAX * 4 + 1];

		if (!o.expires_ns || o.expires_ns > now)
			continue;
		l->overrides[i--] = l->overrides[--l->n_overrides];
		str_escape(ser, sizeof(ser), o.serial, strlen(o.serial), false);
		log_info("temporary %s of %04x:%04x serial \"%s\" expired",
			 policy_verdict_name(o.verdict), o.vid, o.pid, ser);
		redecide_matching(l, &o, "expire");
	}
	arm_timer(l);
}

static struct decide_pending *tracked_device(struct loop *l, const char *name)
{
	for (unsigned int i = 0; i < l->tracked.n; i++) {
		struct decide_pending *t = &l->tracked.v[i];

		if (t->ev.level == MEDIAGATE_LEVEL_DEVICE && !strcmp(t->dev.name, name))
			return t;
	}
	for (unsigned int i = 0; i < l->tracked.n; i++)
		if (!strcmp(l->tracked.v[i].dev.name, name))
			return &l->tracked.v[i];
	return NULL;
}

/* "allow NAME [--for DURATION]" and "block NAME". */
static int cmd_override(struct loop *l, struct control_client *cl, unsigned int verdict, int argc,
			char **argv, const char **err)
{
	struct override o = {.verdict = verdict, .uid = cl->uid};
	struct decide_pending *t;
	uint64_t sec = 0;

	if (argc == 4 && !strcmp(argv[2], "--for") && verdict == POLICY_ALLOW) {
		if (control_parse_duration(argv[3], &sec) < 0)
			return *err = "bad duration (e.g. 90s, 10m, 2h, 1d)", -EINVAL;
	} else if (argc != 2) {
		return *err = "usage: allow NAME [--for DURATION] | block NAME", -EINVAL;
	}
	t = tracked_device(l, argv[1]);
	if (!t)
		return *err = "no such device", -ENOENT;
	if (l->n_overrides >= LOOP_MAX_OVERRIDES)
		return *err = "too many overrides", -ENOSPC;
	if (sec) {
		o.vid = t->dev.vid;
		o.pid = t->dev.pid;
		memcpy(o.serial, t->dev.serial, sizeof(o.serial));
		o.expires_ns = loop_now_ns() + sec * 1000000000ULL;
	} else {
		o.handle = t->handle;
	}
	/* a new override for the same stick replaces the old one */
	for (unsigned int i = 0; i < l->n_overrides; i++)
		if (find_override(l, t->handle, &t->dev) == &l->overrides[i])
			l->overrides[i--] = l->overrides[--l->n_overrides];
	l->overrides[l->n_overrides++] = o;
	arm_timer(l);
	redecide_matching(l, &o, "manual");
	fprintf(cl->out, "%s %s\n", argv[1], decide_verdict_name(t->first.verdict));
	return 0;
}

static void print_escaped(FILE *f, const char *key, const char *s)
{
	char esc[IDENT_STR_MAX * 4 + 1];

	str_escape(esc, sizeof(esc), s, strnlen(s, IDENT_STR_MAX), false);
	fprintf(f, " %s=\"%s\"", key, esc);
}

static void list_event(int64_t t, const char *type, const char *line, void *userdata)
{
	(void)type;
	fprintf(userdata, "%lld %s\n", (long long)t, line ? line : "");
}

static void list_medium(const struct inv_medium *m, void *userdata)
{
	FILE *f = userdata;

	fprintf(f, "%04x:%04x", m->vid, m->pid);
	print_escaped(f, "serial", m->serial);
	print_escaped(f, "medium", m->medium_id);
	fprintf(f, " registered=%s media=%s", m->registered ? "yes" : "no",
		m->media_kind[0] ? m->media_kind : "unknown");
	fprintf(f, " first_seen=%lld last_seen=%lld", (long long)m->first_seen,
		(long long)m->last_seen);
	print_escaped(f, "last_host", m->last_host);
	print_escaped(f, "last_user", m->last_user);
	fprintf(f, " mounts=%lld last_verdict=%s\n", (long long)m->mount_count,
		m->last_verdict[0] ? m->last_verdict : "none");
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* "p50_us X p99_us Y max_us Z" of the first @n values of @ring. */
static void print_percentiles(const uint32_t *ring, size_t n, FILE *f)
{
	uint32_t v[LOOP_LATENCY_RING];

	memcpy(v, ring, n * sizeof(v[0]));
	qsort(v, n, sizeof(v[0]), cmp_u32);
	fprintf(f, " p50_us %u p99_us %u max_us %u\n", v[n / 2], v[(n * 99) / 100], v[n - 1]);
}

/* Over the last LOOP_LATENCY_RING decisions: "decisions N p50_us X p99_us Y
 * max_us Z" (record read -> verdict ioctl returned), then the same split in
 * the daemon's part (read -> ioctl entered) and the kernel's (the ioctl),
 * and how long the records waited to be read (hold -> read). */
static void print_latency(const struct loop *l, FILE *f)
{
	uint32_t k[LOOP_LATENCY_RING];
	size_t n = l->lat_n < LOOP_LATENCY_RING ? (size_t)l->lat_n : LOOP_LATENCY_RING;

	if (!n) {
		fprintf(f, "decisions 0\n");
		return;
	}
	fprintf(f, "decisions %llu", (unsigned long long)l->lat_n);
	print_percentiles(l->lat_us, n, f);
	fprintf(f, "decisions_daemon");
	print_percentiles(l->lat_pre_us, n, f);
	for (size_t i = 0; i < n; i++)
		k[i] = l->lat_us[i] - l->lat_pre_us[i];
	fprintf(f, "decisions_ioctl");
	print_percentiles(k, n, f);
	fprintf(f, "decisions_queued");
	print_percentiles(l->lat_queue_us, n, f);
}

static int handle_control(struct loop *l, struct control_client *cl, const char **err)
{
	char *argv[6], *save = NULL, *tok;
	int argc = 0;

	for (tok = strtok_r(cl->line, " \t", &save); tok && argc < 6;
	     tok = strtok_r(NULL, " \t", &save))
		argv[argc++] = tok;
	if (!argc)
		return *err = "empty request", -EINVAL;
	if (!strcmp(argv[0], "status") && argc == 1) {
		fprintf(cl->out, "policy %s rules %u\n", l->policy_path,
			policy_rule_count(l->policy));
		fprintf(cl->out, "registry %zu media\n",
			l->reg ? registry_count(l->reg) : (size_t)0);
		fprintf(cl->out, "tracked %u\n", l->tracked.n);
		fprintf(cl->out, "overrides %u\n", l->n_overrides);
		fprintf(cl->out, "inventory %s\n", l->inv ? l->db_path : "none");
		print_latency(l, cl->out);
		return 0;
	}
	if (!strcmp(argv[0], "list") && argc == 1) {
		for (unsigned int i = 0; i < l->tracked.n; i++) {
			const struct decide_pending *t = &l->tracked.v[i];

			fprintf(cl->out, "%llu", (unsigned long long)t->handle);
			print_escaped(cl->out, "dev", t->dev.name);
			fprintf(cl->out, " id=%04x:%04x", t->dev.vid, t->dev.pid);
			print_escaped(cl->out, "serial", t->dev.serial);
			fprintf(cl->out, " verdict=%s", decide_verdict_name(t->first.verdict));
			print_escaped(cl->out, "interfaces", t->first.interfaces);
			fprintf(cl->out, " waiting_media=%s manual=%s\n",
				t->first.dec.needs_media ? "yes" : "no",
				t->first.manual ? "yes" : "no");
		}
		return 0;
	}
	if (!strcmp(argv[0], "allow"))
		return cmd_override(l, cl, POLICY_ALLOW, argc, argv, err);
	if (!strcmp(argv[0], "block"))
		return cmd_override(l, cl, POLICY_BLOCK, argc, argv, err);
	if (!strcmp(argv[0], "reload") && argc == 1)
		return loop_reload(l) < 0 ? (*err = "policy has errors, old policy kept", -EINVAL)
					  : 0;
	if (!strcmp(argv[0], "events") &&
	    (argc == 1 || (argc == 3 && !strcmp(argv[1], "--since")))) {
		long long since = argc == 3 ? strtoll(argv[2], NULL, 10) : 0;

		if (!l->inv)
			return *err = "no inventory", -ENOENT;
		return inv_list_events(l->inv, since, 1000, list_event, cl->out) < 0 ? -EIO : 0;
	}
	if (!strcmp(argv[0], "inventory") && argc == 1) {
		if (!l->inv)
			return *err = "no inventory", -ENOENT;
		return inv_list_media(l->inv, list_medium, cl->out) < 0 ? -EIO : 0;
	}
	return *err = "unknown request", -EINVAL;
}

void loop_on_control(struct loop *l)
{
	struct control_client cl;
	const char *err = NULL;
	int r;

	for (;;) {
		r = control_accept(l->ctl, l->ctl_gid, &cl);
		if (r == -EAGAIN)
			return;
		if (r < 0) {
			log_debug("control: %s", strerror(-r));
			continue;
		}
		if (!cl.allowed) {
			log_warn("control: uid %u pid %d refused", (unsigned int)cl.uid,
				 (int)cl.pid);
			continue;
		}
		err = NULL;
		r = handle_control(l, &cl, &err);
		control_finish(&cl, r, err);
	}
}

void loop_drop_overrides(struct loop *l, uint64_t handle)
{
	for (unsigned int i = 0; i < l->n_overrides; i++)
		if (l->overrides[i].handle == handle)
			l->overrides[i--] = l->overrides[--l->n_overrides];
}
