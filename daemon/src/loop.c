// SPDX-License-Identifier: GPL-2.0-or-later
/* loop: mediagated's epoll loop and decision flow. See loop.h. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <grp.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "audit.h"
#include "blockwatch.h"
#include "control.h"
#include "decide.h"
#include "inventory.h"
#include "kdev.h"
#include "log.h"
#include "loop.h"
#include "macro.h"
#include "mountwatch.h"
#include "probe.h"
#include "strutil.h"

#include "loop-internal.h"

uint64_t loop_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* A device tag for diagnostics: "2-1.4 0781:5583" (the name is from the
 * kernel record or sysfs, escaped anyway). */
const char *loop_dev_tag(char *buf, size_t sz, const struct ident_device *d)
{
	char name[IDENT_NAME_MAX * 4 + 1];

	str_escape(name, sizeof(name), d->name, strnlen(d->name, sizeof(d->name)), false);
	snprintf(buf, sz, "%s %04x:%04x", name, d->vid, d->pid);
	return buf;
}

/* The one way an audit line leaves the daemon: rate-limited, with the
 * suppressed count reported when the next window opens. */
static void emit_audit(struct loop *l, const char *line)
{
	char buf[64];
	uint64_t sup = 0;
	bool ok = audit_ratelimit_test(&l->rl, loop_now_ns(), &sup);

	if (sup && audit_format_suppressed(buf, sizeof(buf), sup) > 0)
		log_audit(buf);
	if (ok)
		log_audit(line);
}

static void flush_audit(struct loop *l)
{
	char buf[64];
	uint64_t sup = audit_ratelimit_flush(&l->rl);

	if (sup && audit_format_suppressed(buf, sizeof(buf), sup) > 0)
		log_audit(buf);
}

/* Load policy and its registry; both or neither. */
static int load_policy(struct loop *l, struct policy **ret_p, struct registry **ret_reg,
		       unsigned int *ret_errors)
{
	struct diag_list diags = {0};
	struct policy *p = NULL;
	struct registry *reg = NULL;
	const char *rpath;
	int r;

	*ret_errors = 0;
	r = policy_load(l->policy_path, l->check_owner, &p, &diags);
	if (r >= 0) {
		rpath = policy_registry_path(p);
		if (rpath) {
			r = registry_load(rpath, &reg, &diags);
			if (r == -ENOENT) {
				log_warn("registry %s does not exist: no medium is registered",
					 rpath);
				r = 0;
			}
		}
	}
	for (size_t i = 0; i < diags.n; i++) {
		const struct diag *d = &diags.v[i];

		log_error("%s:%u:%u: %s", d->file, d->line, d->col, d->msg);
	}
	*ret_errors = (unsigned int)diags.n;
	diag_list_free(&diags);
	if (r < 0) {
		policy_free(p);
		registry_free(reg);
		if (!*ret_errors)
			*ret_errors = 1;
		return r;
	}
	*ret_p = p;
	*ret_reg = reg;
	return 0;
}

static bool is_storage(const struct mediagate_event *ev, const struct ident_device *d)
{
	return ev->level == MEDIAGATE_LEVEL_INTERFACE || ident_has_class(d, USB_CLASS_CODE_STORAGE);
}

/* Audit line + inventory row for a verdict now in force. */
/* issue 5: a retired medium's stick is back (decide_hold found its USB
 * identity among the retired entries): one audit line and a ledger event
 * that ties the inventory row to the retired medium. */
static void record_retired_seen(struct loop *l, const struct ident_device *d,
				const struct decide_verdict *v)
{
	const struct registry_entry *e = registry_find_medium(l->reg, v->retired_medium);
	char line[AUDIT_LINE_MAX];
	struct audit_retired_seen a = {
		.handle = v->handle,
		.dev = d,
		.medium_id = v->retired_medium,
		.retired = v->retired_on,
		.owner = e ? e->owner : NULL,
		.asset = e ? e->asset : NULL,
		.verdict = decide_verdict_name(v->verdict),
	};
	char tag[300];
	int r;

	log_warn("%s: USB identity of retired medium %s (retired %s)",
		 loop_dev_tag(tag, sizeof(tag), d), v->retired_medium, v->retired_on);
	audit_format_retired_seen(line, sizeof(line), &a);
	emit_audit(l, line);
	if (l->inv) {
		struct inv_sighting s = {
			.time = time(NULL),
			.type = "retired-seen",
			.dev = d,
			.medium_id = v->retired_medium,
			.host = l->host,
			.line = line,
		};

		r = inv_record(l->inv, &s);
		if (r < 0)
			log_warn_errno(r, "inventory: cannot record retired-seen");
	}
}

/* The ledger's part of a verdict: event + media row for storage, and the
 * attachment's verdict for every device (loop_restart.c). */
static int ledger_verdict(struct loop *l, const struct mediagate_event *ev,
			  const struct ident_device *d, const struct decide_verdict *v,
			  const char *line, const char *attach)
{
	int r = 0;

	if (is_storage(ev, d)) {
		struct inv_sighting s = {
			.time = time(NULL),
			.type = "verdict",
			.dev = d,
			.media = v->have_media ? &v->media : NULL,
			.medium_id = v->medium_id[0] ? v->medium_id : NULL,
			.verdict = decide_verdict_name(v->verdict),
			.host = l->host,
			.line = line,
			.attach = attach,
			.boot = loop_boot_id(),
		};

		r = inv_record(l->inv, &s);
	} else if (attach) {
		/* no medium, no event row: the attachment's verdict all the same */
		r = inv_set_attachment(l->inv, attach, loop_boot_id(),
				       decide_verdict_name(v->verdict), time(NULL));
	}
	if (r < 0)
		log_warn_errno(r, "inventory: cannot record the verdict of handle %llu",
			       (unsigned long long)v->handle);
	return r;
}

static void record_verdict(struct loop *l, const struct mediagate_event *ev,
			   const struct ident_device *d, const struct decide_verdict *v,
			   const char *stage, const char *reason)
{
	char line[AUDIT_LINE_MAX];
	struct audit_verdict a = {
		.handle = v->handle,
		.dev = d,
		.stage = stage,
		.verdict = decide_verdict_name(v->verdict),
		.interfaces = v->interfaces,
		.rule_file = v->dec.is_default ? NULL : v->dec.file,
		.rule_line = v->dec.line,
		.media = v->have_media ? &v->media : NULL,
		.medium_id = v->medium_id[0] ? v->medium_id : NULL,
		.reason = reason ? reason : v->dec.why,
		/* no decision to name (loop_restart.c: a verdict of before) */
		.rule_text = v->manual				  ? "manual"
			     : !v->dec.is_default && !v->dec.file ? "unknown"
								  : NULL,
	};
	char key[LOOP_ATTACH_KEY_MAX];
	const char *attach = loop_attach_key(key, sizeof(key), ev);
	bool staged;
	int r;

	if (audit_format_verdict(line, sizeof(line), &a) < 0)
		log_warn("audit line for handle %llu truncated", (unsigned long long)v->handle);
	/* The ledger row is written before the audit line and committed after
	 * it: a kill before the line loses both (the restarted daemon audits
	 * the verdict then, loop_restart.c); only a kill within the commit
	 * leaves the line without its row (the verdict audited twice). */
	staged = l->inv && inv_begin(l->inv) >= 0;
	if (staged && ledger_verdict(l, ev, d, v, line, attach) < 0) {
		inv_rollback(l->inv);
		staged = false;
	}
	if (v->dec.log)
		emit_audit(l, line);
	if (staged && (r = inv_commit(l->inv)) < 0)
		log_warn_errno(r, "inventory: cannot record the verdict of handle %llu",
			       (unsigned long long)v->handle);
	if (v->retired_medium[0] && strcmp(stage, "reload") && strcmp(stage, "manual"))
		record_retired_seen(l, d, v);
	/* issue 6: the desktop notice, never waited for (notify.c) */
	if (l->notify && policy_notify(l->policy) && notify_wanted(ev, d, v, stage))
		notify_verdict(l->notify, loop_now_ns(), d, v);
}

void loop_record_verdict(struct loop *l, const struct decide_pending *t,
			 const struct decide_verdict *v, const char *stage, const char *reason)
{
	record_verdict(l, &t->ev, &t->dev, v, stage, reason);
}

static int send_verdict(struct loop *l, const struct ident_device *d,
			const struct decide_verdict *v)
{
	char tag[300];
	int r;

	r = kdev_verdict(l->kdev, v->handle, v->verdict, v->device_level ? v->intf_verdict : NULL);
	if (r < 0)
		return log_errno(r, "%s: verdict %s on handle %llu failed",
				 loop_dev_tag(tag, sizeof(tag), d), decide_verdict_name(v->verdict),
				 (unsigned long long)v->handle);
	/* inside the measured decision time: escape the tag only if logged */
	if (log_get_max_level() >= LOG_DEBUG)
		log_debug("%s: handle %llu -> %s (%s)", loop_dev_tag(tag, sizeof(tag), d),
			  (unsigned long long)v->handle, decide_verdict_name(v->verdict),
			  v->interfaces);
	return 0;
}

/* A hold record the identity code cannot read: deny it, fail closed. */
static void deny_unidentified(struct loop *l, const struct mediagate_event *ev, int err)
{
	struct ident_device d = {0};
	struct decide_verdict v = {0};

	str_copy_bounded(d.name, sizeof(d.name), ev->devpath,
			 strnlen(ev->devpath, sizeof(ev->devpath)));
	d.vid = ev->id_vendor;
	d.pid = ev->id_product;
	if (decide_map(ev, &d, POLICY_BLOCK, &v) < 0)
		return;
	v.dec.is_default = true;
	v.dec.log = true;
	log_warn_errno(err, "handle %llu: unreadable hold record, denying",
		       (unsigned long long)ev->handle);
	if (send_verdict(l, &d, &v) >= 0)
		record_verdict(l, ev, &d, &v, "hold", "hold record not understood: denied");
}

void loop_add_hash(struct loop *l, const struct mediagate_event *ev, struct ident_device *d)
{
	uint8_t buf[MEDIAGATE_DESC_MAX];
	size_t len;

	if (kdev_is_fake(l->kdev))
		return;
	if (kdev_get_descriptors(l->kdev, ev->handle, buf, sizeof(buf), &len) < 0)
		return;
	if (ident_hash_descriptors(buf, len, d->desc_hash) == 0)
		d->have_hash = true;
}

static uint32_t us_since(uint64_t from_ns, uint64_t to_ns)
{
	uint64_t us = (to_ns - from_ns) / 1000;

	return us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

/* One decision's time: from the moment its record was read to the verdict
 * ioctl returning, and the part of it before the ioctl was entered (ident,
 * descriptor hash, policy): the rest is the kernel applying the verdict
 * (usb_set_configuration, driver probe), which the daemon waits for. Apart,
 * how long the record waited to be read (its CLOCK_BOOTTIME stamp; 0 for a
 * stamp from the future or none, as from a fake kernel). */
static void note_latency(struct loop *l, const struct mediagate_event *ev, uint64_t read_ns,
			 uint64_t ioctl_ns)
{
	unsigned int i = l->lat_n++ % LOOP_LATENCY_RING;
	uint64_t now = loop_now_ns();
	struct timespec ts;
	uint64_t read_boot;

	l->lat_us[i] = us_since(read_ns, now);
	l->lat_pre_us[i] = us_since(read_ns, ioctl_ns);
	l->lat_queue_us[i] = 0;
	if (clock_gettime(CLOCK_BOOTTIME, &ts) == 0) {
		read_boot = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec -
			    (now - read_ns);
		if (ev->time_ns && ev->time_ns <= read_boot)
			l->lat_queue_us[i] = us_since(ev->time_ns, read_boot);
	}
	log_debug("handle %llu: decided in %u us (%u us before the ioctl), queued %u us",
		  (unsigned long long)ev->handle, l->lat_us[i], l->lat_pre_us[i],
		  l->lat_queue_us[i]);
}

/* Decide and answer a hold; its audit line and inventory row are written by
 * the caller after the whole batch is answered (flush_records), so a burst
 * of holds is never waiting for the ledger. */
static void on_hold(struct loop *l, const struct mediagate_event *ev, uint64_t read_ns)
{
	struct decide_pending t = {0};
	const struct decide_pending *known;
	struct ident_device d;
	uint64_t ioctl_ns;
	int r;

	/* A hold already answered (a replay queued before our verdict landed,
	 * or an OVERFLOW replay): answer again with the verdict in force, which
	 * may already be the media upgrade; never decide it again from less. */
	known = decide_pending_by_handle(&l->tracked, ev->handle);
	if (known) {
		log_debug("handle %llu held again (%s): re-sending %s",
			  (unsigned long long)ev->handle,
			  ev->flags & MEDIAGATE_EVF_REPLAY ? "replay" : "hold",
			  decide_verdict_name(known->first.verdict));
		send_verdict(l, &known->dev, &known->first);
		return;
	}
	r = ident_from_event(ev, &d);
	if (r < 0) {
		deny_unidentified(l, ev, r);
		return;
	}
	loop_add_hash(l, ev, &d);
	r = decide_hold(l->policy, l->reg, ev, &d, NULL, &t.first);
	if (r < 0) {
		deny_unidentified(l, ev, r);
		return;
	}
	loop_apply_override(l, ev, &d, &t.first);
	ioctl_ns = loop_now_ns();
	if (send_verdict(l, &d, &t.first) < 0)
		return;
	note_latency(l, ev, read_ns, ioctl_ns);
	t.handle = ev->handle;
	t.since_ns = loop_now_ns();
	t.ev = *ev;
	t.dev = d;
	r = decide_pending_add(&l->tracked, &t);
	if (r < 0 || l->n_to_record >= LOOP_BATCH) {
		if (r < 0)
			log_warn("tracking table full: handle %llu will not be re-decided",
				 (unsigned long long)ev->handle);
		record_verdict(l, ev, &d, &t.first,
			       ev->flags & MEDIAGATE_EVF_REPLAY ? "replay" : "hold", NULL);
		return;
	}
	l->to_record[l->n_to_record++] = ev->handle;
}

static void flush_records(struct loop *l)
{
	for (unsigned int i = 0; i < l->n_to_record; i++) {
		const struct decide_pending *t =
			decide_pending_by_handle(&l->tracked, l->to_record[i]);

		/* answered and audited before a restart, but the verdict had not
		 * landed (loop_restart.c): not audited twice */
		if (t && (t->ev.flags & MEDIAGATE_EVF_REPLAY) &&
		    loop_verdict_recorded(l, &t->ev, t->first.verdict)) {
			log_info("handle %llu: replayed, %s audited before the restart",
				 (unsigned long long)t->handle,
				 decide_verdict_name(t->first.verdict));
			continue;
		}
		if (t)
			record_verdict(l, &t->ev, &t->dev, &t->first,
				       t->ev.flags & MEDIAGATE_EVF_REPLAY ? "replay" : "hold",
				       NULL);
	}
	l->n_to_record = 0;
}

static void on_tamper(struct loop *l, const struct mediagate_event *ev)
{
	char line[AUDIT_LINE_MAX];
	struct ident_device d = {0};
	struct audit_tamper a = {
		.handle = ev->handle,
		.dev = &d,
		.driver = ev->driver,
		.verdict = decide_verdict_name(ev->verdict),
	};
	bool ok = ident_from_event(ev, &d) == 0;
	int r;

	if (!ok) {
		str_copy_bounded(d.name, sizeof(d.name), ev->devpath,
				 strnlen(ev->devpath, sizeof(ev->devpath)));
		d.vid = ev->id_vendor;
		d.pid = ev->id_product;
	}
	audit_format_tamper(line, sizeof(line), &a);
	emit_audit(l, line);
	if (l->inv) {
		struct inv_sighting s = {.time = time(NULL),
					 .type = "tamper",
					 .dev = &d,
					 .host = l->host,
					 .line = line};

		r = inv_record(l->inv, &s);
		if (r < 0)
			log_warn_errno(r, "inventory: cannot record tamper event");
	}
}

static int on_kdev_record(struct loop *l, struct mediagate_event *ev, uint64_t read_ns)
{
	int r;

	r = kdev_event_check(ev);
	if (r < 0) {
		log_warn("ignoring malformed record from the kernel (type %u)", ev->type);
		return 0;
	}
	switch (ev->type) {
	case MEDIAGATE_EV_HELD:
		on_hold(l, ev, read_ns);
		break;
	case MEDIAGATE_EV_TAMPER:
		on_tamper(l, ev);
		break;
	case MEDIAGATE_EV_REMOVED:
		decide_pending_remove(&l->tracked, ev->handle);
		loop_drop_overrides(l, ev->handle);
		break;
	case MEDIAGATE_EV_PRESENT:
		loop_on_present(l, ev);
		break;
	case MEDIAGATE_EV_OVERFLOW:
		log_warn("kernel event queue overflowed; asking for a replay");
		r = kdev_replay(l->kdev);
		if (r < 0)
			log_warn_errno(r, "replay failed");
		loop_list_present(l); /* PRESENT records may have been dropped too */
		break;
	default:
		log_debug("kernel: %s handle %llu", kdev_event_type_name(ev->type),
			  (unsigned long long)ev->handle);
		break;
	}
	return 0;
}

static int on_kdev(struct loop *l, uint32_t events)
{
	struct mediagate_event evs[LOOP_BATCH];
	uint64_t read_ns;
	int n;

	for (;;) {
		n = kdev_read_events(l->kdev, evs, ARRAY_SIZE(evs));
		if (n < 0)
			return log_errno(n, "reading the kernel device failed");
		if (n == 0)
			break;
		read_ns = loop_now_ns();
		for (int i = 0; i < n; i++)
			on_kdev_record(l, &evs[i], read_ns);
		flush_records(l);
	}
	if (events & (EPOLLHUP | EPOLLERR))
		return log_errno(-ECONNRESET, "the kernel device went away");
	return 0;
}

/* Re-decide a tracked hold with @media (NULL: keep what is known) and
 * apply the result if it changed. @always: audit even if unchanged. */
int loop_redecide(struct loop *l, struct decide_pending *t, const struct media_info *media,
		  const char *stage, bool always)
{
	struct decide_verdict v;
	const struct media_info *m = media ? media : t->first.have_media ? &t->first.media : NULL;
	bool changed;
	int r;

	r = decide_hold(l->policy, l->reg, &t->ev, &t->dev, m, &v);
	if (r < 0)
		return r;
	loop_apply_override(l, &t->ev, &t->dev, &v);
	if (t->restarted && !m && v.dec.needs_media && t->first.verdict == MEDIAGATE_VERDICT_DENY)
		return 0; /* loop_restart.c: a deny whose media facts are lost stays */
	changed = decide_changed(&t->first, &v);
	if (changed) {
		r = send_verdict(l, &t->dev, &v);
		if (r < 0)
			return r;
	}
	t->first = v;
	if (changed || always)
		record_verdict(l, &t->ev, &t->dev, &v, stage, NULL);
	return changed;
}

static void on_block(struct loop *l)
{
	struct blockwatch_disk d;
	int r;

	while ((r = blockwatch_receive(l->bw, &d)) != 0) {
		if (r < 0) {
			if (r != -EAGAIN)
				log_warn_errno(r, "udev monitor");
			return;
		}
		loop_media_appeared(l, d.usb_name, d.devnode);
	}
}

/* Identity of the USB device under a mount: the tracked hold, else sysfs. */
static void mount_device(struct loop *l, const char *usb_name, struct ident_device *ret)
{
	for (unsigned int i = 0; i < l->tracked.n; i++) {
		if (!strcmp(l->tracked.v[i].dev.name, usb_name)) {
			*ret = l->tracked.v[i].dev;
			return;
		}
	}
	if (ident_from_syspath(usb_name, ret) == 0)
		return;
	memset(ret, 0, sizeof(*ret));
	str_copy_bounded(ret->name, sizeof(ret->name), usb_name, strlen(usb_name));
}

static void on_mount_event(struct mountwatch_mount *m, bool unmount, void *userdata)
{
	struct loop *l = userdata;
	char line[AUDIT_LINE_MAX];
	struct media_info mi;
	struct audit_mount a;
	int r;

	if (!m->described) {
		mount_device(l, m->usb_name, &m->dev);
		/* the filesystem's own label and UUID, read-only like every probe */
		if (probe_exec_run(l->probe_helper, m->source, LOOP_PROBE_TIMEOUT_MS, &mi) == 0) {
			snprintf(m->label, sizeof(m->label), "%s", mi.label);
			snprintf(m->uuid, sizeof(m->uuid), "%s",
				 mi.kind == MEDIA_LUKS ? mi.luks_uuid : mi.fs_uuid);
		}
		mountwatch_user(m->target, m->user, sizeof(m->user), &m->user_source);
		m->described = true;
	}
	a = (struct audit_mount){
		.unmount = unmount,
		.dev = &m->dev,
		.block = m->source,
		.fstype = m->fstype,
		.label = m->label,
		.uuid = m->uuid,
		.mountpoint = m->target,
		.readonly = m->readonly,
		.user = m->user[0] ? m->user : NULL,
		.user_source = m->user_source,
	};
	audit_format_mount(line, sizeof(line), &a);
	emit_audit(l, line);
	if (l->inv) {
		struct inv_sighting s = {
			.time = time(NULL),
			.type = unmount ? "unmount" : "mount",
			.dev = &m->dev,
			.host = l->host,
			.user = m->user[0] ? m->user : NULL,
			.mount = !unmount,
			.line = line,
		};

		r = inv_record(l->inv, &s);
		if (r < 0)
			log_warn_errno(r, "inventory: cannot record %s", s.type);
	}
}

int loop_mounts_changed(struct loop *l)
{
	int r;

	if (!l->mw)
		return 0;
	r = mountwatch_refresh(l->mw, on_mount_event, l);
	if (r < 0)
		log_warn_errno(r, "reading the mount table failed");
	return r;
}

int loop_reload(struct loop *l)
{
	char line[AUDIT_LINE_MAX];
	struct policy *p = NULL;
	struct registry *reg = NULL;
	unsigned int errors = 0;
	int r;

	sd_notify(0, "RELOADING=1");
	r = load_policy(l, &p, &reg, &errors);
	if (r < 0) {
		log_error("reload: %s has errors, keeping the policy in force", l->policy_path);
		audit_format_reload(line, sizeof(line), false, l->policy_path, 0, errors);
	} else {
		policy_free(l->policy);
		registry_free(l->reg);
		l->policy = p;
		l->reg = reg;
		audit_format_reload(line, sizeof(line), true, l->policy_path, policy_rule_count(p),
				    0);
	}
	emit_audit(l, line);
	if (l->inv && inv_record_event(l->inv, time(NULL), "reload", l->host, line) < 0)
		log_warn("inventory: cannot record reload");
	if (r >= 0)
		for (unsigned int i = 0; i < l->tracked.n; i++)
			loop_redecide(l, &l->tracked.v[i], NULL, "reload", false);
	sd_notify(0, "READY=1");
	return r;
}

static void on_signal(struct loop *l)
{
	struct signalfd_siginfo si;

	while (read(l->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			log_info("SIGHUP: reloading %s", l->policy_path);
			loop_reload(l);
			break;
		case SIGTERM:
		case SIGINT:
			log_info("signal %u: stopping", si.ssi_signo);
			l->stop = true;
			break;
		default:
			break;
		}
	}
}

int loop_dispatch(struct loop *l, int timeout_ms)
{
	struct epoll_event evs[8];
	int n, r;

	n = epoll_wait(l->epfd, evs, ARRAY_SIZE(evs), timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		switch ((uint32_t)evs[i].data.u64) {
		case SRC_KDEV:
			r = on_kdev(l, evs[i].events);
			if (r < 0)
				return r;
			break;
		case SRC_SIGNAL:
			on_signal(l);
			break;
		case SRC_BLOCK:
			on_block(l);
			break;
		case SRC_MOUNT:
			loop_mounts_changed(l);
			break;
		case SRC_CONTROL:
			loop_on_control(l);
			break;
		case SRC_TIMER:
			loop_on_timer(l);
			break;
		case SRC_PROBE:
			loop_on_probe(l, (unsigned int)(evs[i].data.u64 >> 32));
			break;
		case SRC_PROBE_TIMER:
			loop_on_probe_timer(l);
			break;
		case SRC_NOTIFY:
			notify_dispatch(l->notify, loop_now_ns());
			break;
		}
	}
	return 0;
}

int loop_run(struct loop *l)
{
	int r = 0;

	while (!l->stop) {
		r = loop_dispatch(l, -1);
		if (r < 0)
			break;
	}
	flush_audit(l);
	return r;
}

bool loop_stopped(const struct loop *l)
{
	return l->stop;
}

/* Create the directory holding @path (one level, @mode) if missing:
 * systemd's StateDirectory/RuntimeDirectory do it under the service, this
 * is for -d runs. */
static void make_parent(const char *path, mode_t mode)
{
	char dir[PATH_MAX];
	char *slash;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return;
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, mode) < 0 && errno != EEXIST)
		log_debug("mkdir %s: %s", dir, strerror(errno));
}

static int watch(struct loop *l, int fd, enum loop_source src)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = src};

	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int open_sources(struct loop *l, const struct loop_config *cfg)
{
	sigset_t mask;
	int r;

	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return -errno;
	if (cfg->signals) {
		sigemptyset(&mask);
		sigaddset(&mask, SIGHUP);
		sigaddset(&mask, SIGTERM);
		sigaddset(&mask, SIGINT);
		l->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
		if (l->sigfd < 0)
			return log_errno(-errno, "signalfd");
		r = watch(l, l->sigfd, SRC_SIGNAL);
		if (r < 0)
			return r;
	}
	if (cfg->watch_block) {
		r = blockwatch_new(&l->bw);
		if (r < 0)
			return log_errno(r, "udev monitor");
		r = watch(l, blockwatch_fd(l->bw), SRC_BLOCK);
		if (r < 0)
			return r;
	}
	if (cfg->watch_mounts) {
		r = mountwatch_new(cfg->mountinfo, !cfg->mountinfo, cfg->resolve, NULL, &l->mw);
		if (r < 0)
			return log_errno(r, "mount monitor");
		if (mountwatch_fd(l->mw) >= 0) {
			r = watch(l, mountwatch_fd(l->mw), SRC_MOUNT);
			if (r < 0)
				return r;
		}
	}
	l->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (l->timerfd < 0)
		return log_errno(-errno, "timerfd");
	r = watch(l, l->timerfd, SRC_TIMER);
	if (r < 0)
		return r;
	l->probe_timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (l->probe_timerfd < 0)
		return log_errno(-errno, "timerfd");
	r = watch(l, l->probe_timerfd, SRC_PROBE_TIMER);
	if (r < 0)
		return r;
	r = notify_new(cfg->notify, &l->notify);
	if (r < 0)
		return log_errno(r, "desktop notices");
	r = watch(l, notify_fd(l->notify), SRC_NOTIFY);
	if (r < 0)
		return r;
	if (!cfg->control_path || cfg->control_path[0]) {
		struct group *g = getgrnam(cfg->control_group ? cfg->control_group : CONTROL_GROUP);

		l->ctl_gid = g ? g->gr_gid : (gid_t)-1;
		/* group members must reach the socket (itself 0660 root:mediagate) */
		make_parent(cfg->control_path ? cfg->control_path : CONTROL_DEFAULT_PATH, 0755);
		r = control_new(cfg->control_path, l->ctl_gid, &l->ctl);
		if (r < 0)
			return log_errno(r, "control socket");
		r = watch(l, control_fd(l->ctl), SRC_CONTROL);
		if (r < 0)
			return r;
	}
	r = kdev_open(l->dev_path, &l->kdev);
	if (r < 0)
		return log_errno(r, "cannot open %s",
				 l->dev_path ? l->dev_path : KDEV_DEFAULT_PATH);
	return watch(l, kdev_fd(l->kdev), SRC_KDEV);
}

int loop_new(const struct loop_config *cfg, struct loop **ret_loop)
{
	struct loop *l;
	unsigned int errors;
	int r;

	if (!cfg->policy_path)
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->epfd = l->sigfd = l->timerfd = l->probe_timerfd = l->probe_helper = -1;
	l->check_owner = cfg->check_owner;
	l->policy_path = strdup(cfg->policy_path);
	l->dev_path = cfg->dev_path ? strdup(cfg->dev_path) : NULL;
	l->db_path = strdup(cfg->db_path ? cfg->db_path : INV_DEFAULT_PATH);
	if (!l->policy_path || !l->db_path || (cfg->dev_path && !l->dev_path)) {
		r = -ENOMEM;
		goto fail;
	}
	audit_ratelimit_init(&l->rl, LOOP_AUDIT_INTERVAL_NS, LOOP_AUDIT_BURST);
	if (gethostname(l->host, sizeof(l->host) - 1) < 0)
		strcpy(l->host, "unknown");
	r = load_policy(l, &l->policy, &l->reg, &errors);
	if (r < 0) {
		log_errno(r, "cannot load %s", l->policy_path);
		goto fail;
	}
	if (l->db_path[0]) {
		make_parent(l->db_path, 0750);
		r = inv_open(l->db_path, INV_OPEN_SMALL_CACHE, &l->inv);
		if (r < 0) {
			/* the ledger is not worth failing open: decide without it */
			log_warn_errno(r, "inventory %s unavailable", l->db_path);
			l->inv = NULL;
		} else if (loop_boot_id() && inv_prune_attachments(l->inv, loop_boot_id()) < 0) {
			log_warn("inventory: cannot prune the attachments of earlier boots");
		}
	}
	r = open_sources(l, cfg);
	if (r < 0)
		goto fail;
	{
		/* media are probed by a helper (probe_job.c); without it media
		 * rules keep their first verdict (read-only), so say so now */
		char helper[PATH_MAX] = "";

		r = probe_helper_open(helper, sizeof(helper), &l->probe_helper);
		if (r < 0)
			log_warn_errno(r, "media probe helper %s: media are not probed", helper);
	}
	r = kdev_replay(l->kdev);
	if (r < 0)
		log_warn_errno(r, "replay of pending holds failed");
	else if (r > 0)
		log_info("kernel replays %d pending hold(s)", r);
	/* then what was decided before this start (loop_restart.c) */
	loop_list_present(l);
	*ret_loop = l;
	return 0;
fail:
	loop_free(l);
	return r;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	kdev_close(l->kdev);
	blockwatch_free(l->bw);
	mountwatch_free(l->mw);
	control_free(l->ctl);
	for (unsigned int i = 0; i < LOOP_MAX_PROBES; i++)
		if (l->probes[i].used)
			probe_cancel(&l->probes[i].job);
	if (l->timerfd >= 0)
		close(l->timerfd);
	if (l->probe_timerfd >= 0)
		close(l->probe_timerfd);
	if (l->probe_helper >= 0)
		close(l->probe_helper);
	notify_free(l->notify);
	inv_close(l->inv);
	policy_free(l->policy);
	registry_free(l->reg);
	if (l->sigfd >= 0)
		close(l->sigfd);
	if (l->epfd >= 0)
		close(l->epfd);
	free(l->policy_path);
	free(l->dev_path);
	free(l->db_path);
	free(l);
}
