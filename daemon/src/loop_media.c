// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * loop_media: media probes of mediagated's loop. A hold whose rule needs
 * media facts is let in read-only; when its disk appears, the disk is probed
 * in a child (probe.c), the answer comes back through epoll, and the hold is
 * re-decided. See loop.h.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "loop-internal.h"

static struct loop_probe *probe_for(struct loop *l, uint64_t handle)
{
	for (unsigned int i = 0; i < LOOP_MAX_PROBES; i++)
		if (l->probes[i].used && l->probes[i].handle == handle)
			return &l->probes[i];
	return NULL;
}

/* Arm the probe timer for the earliest deadline (or disarm it). */
static void arm_probe_timer(struct loop *l)
{
	struct itimerspec its = {0};
	uint64_t next = 0;

	for (unsigned int i = 0; i < LOOP_MAX_PROBES; i++)
		if (l->probes[i].used && (!next || l->probes[i].deadline_ns < next))
			next = l->probes[i].deadline_ns;
	its.it_value.tv_sec = (time_t)(next / 1000000000ULL);
	its.it_value.tv_nsec = (long)(next % 1000000000ULL);
	if (l->probe_timerfd >= 0)
		timerfd_settime(l->probe_timerfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/*
 * Media probes run in children (probe_exec_start) so a stick that stalls its
 * reads, or bytes that upset a parser, never hold up the loop: other holds
 * are answered meanwhile, and the answer comes back through epoll.
 */
int loop_media_appeared(struct loop *l, const char *usb_name, const char *devnode)
{
	int started = 0;

	for (unsigned int i = 0; i < l->tracked.n; i++) {
		struct decide_pending *t = &l->tracked.v[i];
		struct loop_probe *p = NULL;
		struct epoll_event ev;
		char tag[300];
		int r;

		if (strcmp(t->dev.name, usb_name) || !t->first.dec.needs_media ||
		    probe_for(l, t->handle))
			continue;
		for (unsigned int j = 0; j < LOOP_MAX_PROBES && !p; j++)
			if (!l->probes[j].used)
				p = &l->probes[j];
		if (!p || strlen(devnode) >= sizeof(p->devnode)) {
			log_warn("%s: cannot probe %s now, stays %s",
				 loop_dev_tag(tag, sizeof(tag), &t->dev), devnode,
				 decide_verdict_name(t->first.verdict));
			continue;
		}
		/* the helper checks the organisation token too (issue 5) */
		r = probe_exec_start(l->probe_helper, devnode, &t->dev, sizeof(t->dev), &p->job);
		if (r < 0) {
			log_warn_errno(r, "%s: probing %s", loop_dev_tag(tag, sizeof(tag), &t->dev),
				       devnode);
			continue;
		}
		ev = (struct epoll_event){.events = EPOLLIN,
					  .data.u64 = SRC_PROBE | (uint64_t)(p - l->probes) << 32};
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, p->job.fd, &ev) < 0) {
			log_warn_errno(-errno, "epoll");
			probe_cancel(&p->job);
			continue;
		}
		p->used = true;
		p->handle = t->handle;
		p->deadline_ns = loop_now_ns() + LOOP_PROBE_TIMEOUT_MS * 1000000ULL;
		strcpy(p->devnode, devnode);
		arm_probe_timer(l);
		started++;
	}
	return started;
}

unsigned int loop_probes_running(const struct loop *l)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < LOOP_MAX_PROBES; i++)
		n += l->probes[i].used;
	return n;
}

/* A probe child answered: re-decide its hold with the media facts. */
void loop_on_probe(struct loop *l, unsigned int slot)
{
	struct loop_probe *p = slot < LOOP_MAX_PROBES ? &l->probes[slot] : NULL;
	struct decide_pending *t;
	struct media_info m;
	char tag[300], why[512];
	int r;

	if (!p || !p->used)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, p->job.fd, NULL);
	r = probe_finish(&p->job, &m, why, sizeof(why));
	p->job.fd = -1;
	p->used = false;
	arm_probe_timer(l);
	t = decide_pending_by_handle(&l->tracked, p->handle);
	if (!t || !t->first.dec.needs_media)
		return; /* unplugged, or decided otherwise meanwhile */
	if (r < 0) {
		log_warn_errno(r, "%s: probing %s failed, stays %s",
			       loop_dev_tag(tag, sizeof(tag), &t->dev), p->devnode,
			       decide_verdict_name(t->first.verdict));
		return;
	}
	/* issue 5: the organisation token was checked in the child */
	if (m.token_checked && !m.token_valid)
		log_warn("%s: %s", loop_dev_tag(tag, sizeof(tag), &t->dev), why);
	if (!t->restarted) {
		loop_redecide(l, t, &m, "media", true);
		return;
	}
	/* loop_restart.c: the probe of a verdict in force before a restart
	 * is audited only if it changes that verdict */
	t->restarted = false;
	if (loop_redecide(l, t, &m, "media", false) == 0)
		log_debug("%s: handle %llu: probed again after the restart, %s confirmed",
			  loop_dev_tag(tag, sizeof(tag), &t->dev), (unsigned long long)t->handle,
			  decide_verdict_name(t->first.verdict));
}

void loop_on_probe_timer(struct loop *l)
{
	uint64_t ticks, now = loop_now_ns();

	(void)!read(l->probe_timerfd, &ticks, sizeof(ticks));
	for (unsigned int i = 0; i < LOOP_MAX_PROBES; i++) {
		struct loop_probe *p = &l->probes[i];
		const struct decide_pending *t;
		char tag[300];

		if (!p->used || p->deadline_ns > now)
			continue;
		t = decide_pending_by_handle(&l->tracked, p->handle);
		log_warn("%s: probing %s timed out, stays %s",
			 t ? loop_dev_tag(tag, sizeof(tag), &t->dev) : "?", p->devnode,
			 t ? decide_verdict_name(t->first.verdict) : "as it is");
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, p->job.fd, NULL);
		probe_cancel(&p->job);
		p->used = false;
	}
	arm_probe_timer(l);
}
