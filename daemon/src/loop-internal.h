/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * loop-internal: the state shared by loop.c (event loop, decision flow,
 * media, mounts) and loop_control.c (control requests, overrides). Not an
 * interface for anything else.
 */
#ifndef MEDIAGATE_LOOP_INTERNAL_H
#define MEDIAGATE_LOOP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "audit.h"
#include "control.h"
#include "decide.h"
#include "inventory.h"
#include "kdev.h"
#include "loop.h"
#include "notify.h"
#include "probe.h"

#define LOOP_AUDIT_BURST 100
#define LOOP_AUDIT_INTERVAL_NS (5ULL * 1000000000ULL)

enum loop_source {
	SRC_KDEV = 1,
	SRC_SIGNAL,
	SRC_BLOCK,
	SRC_MOUNT,
	SRC_CONTROL,
	SRC_TIMER,
	SRC_PROBE, /* + slot << 32 in the epoll data */
	SRC_PROBE_TIMER,
	SRC_NOTIFY, /* notify.c: rate-limit timer, children */
};

#define LOOP_MAX_PROBES 8 /* media probes running at once */

/* A media probe in flight (probe.c child) for one held device. */
struct loop_probe {
	bool used;
	struct probe_job job;
	uint64_t handle;
	uint64_t deadline_ns;
	char devnode[64];
};

#define LOOP_MAX_OVERRIDES 32
#define LOOP_BATCH 8 /* kernel records read at once */
#define LOOP_PROBE_TIMEOUT_MS 10000 /* a medium that stalls longer keeps its verdict */
#define LOOP_LATENCY_RING 1024 /* last decision times kept for `status` */

/* An administrator's verdict from the control socket. */
struct override {
	unsigned int verdict; /* POLICY_ALLOW / POLICY_BLOCK */
	uint64_t handle; /* bound to one plug (0: by identity) */
	uint16_t vid, pid; /* identity, for timed allows */
	char serial[IDENT_STR_MAX];
	uint64_t expires_ns; /* CLOCK_MONOTONIC; 0: until unplugged */
	unsigned int uid;
};

struct loop {
	char *policy_path;
	char *dev_path;
	char *db_path;
	bool check_owner;
	int epfd;
	int sigfd;
	bool stop;
	struct kdev *kdev;
	struct policy *policy;
	struct registry *reg;
	struct inv *inv;
	struct blockwatch *bw;
	struct mountwatch *mw;
	struct control *ctl;
	gid_t ctl_gid;
	int timerfd;
	int probe_timerfd;
	int probe_helper; /* O_PATH fd of mediagate-probe, or -1 */
	struct notify *notify; /* desktop notices (issue 6) */
	struct loop_probe probes[LOOP_MAX_PROBES];
	struct override overrides[LOOP_MAX_OVERRIDES];
	unsigned int n_overrides;
	uint64_t to_record[LOOP_BATCH]; /* answered holds awaiting audit + ledger */
	unsigned int n_to_record;
	uint32_t lat_us[LOOP_LATENCY_RING]; /* record read -> verdict ioctl returned */
	uint32_t lat_pre_us[LOOP_LATENCY_RING]; /* record read -> verdict ioctl entered */
	uint32_t lat_queue_us[LOOP_LATENCY_RING]; /* hold (record's time_ns) -> record read */
	uint64_t lat_n;
	struct audit_ratelimit rl;
	struct decide_pending_table tracked; /* every decided hold still present */
	char host[256];
};

/* CLOCK_MONOTONIC in ns. */
uint64_t loop_now_ns(void);
/* Re-decide a tracked hold with @media (NULL: keep what is known), apply the
 * result if it changed; @always: audit even if unchanged. 1 if changed. */
int loop_redecide(struct loop *l, struct decide_pending *t, const struct media_info *media,
		  const char *stage, bool always);

/* "2-1.4 0781:5583", escaped, for diagnostics */
const char *loop_dev_tag(char *buf, size_t sz, const struct ident_device *d);
/* Add the descriptor hash (GET_DESCRIPTORS by handle) to @d, if available. */
void loop_add_hash(struct loop *l, const struct mediagate_event *ev, struct ident_device *d);

/* loop_media.c */
void loop_on_probe(struct loop *l, unsigned int slot);
void loop_on_probe_timer(struct loop *l);

/* Audit line + ledger row of verdict @v of tracked hold @t (loop.c). */
void loop_record_verdict(struct loop *l, const struct decide_pending *t,
			 const struct decide_verdict *v, const char *stage, const char *reason);

/* loop_restart.c: PRESENT records (devices decided before a restart) */
void loop_on_present(struct loop *l, const struct mediagate_event *rec);
int loop_list_present(struct loop *l);
#define LOOP_ATTACH_KEY_MAX 200
/* This boot's id, or NULL if unreadable. */
const char *loop_boot_id(void);
/* "BOOT_ID HANDLE DEVPATH": one attachment of one device across daemon
 * restarts, into @buf; NULL without a boot id. */
const char *loop_attach_key(char *buf, size_t sz, const struct mediagate_event *ev);
/* Does the ledger hold @verdict as the last one recorded for @ev's attachment? */
bool loop_verdict_recorded(struct loop *l, const struct mediagate_event *ev, unsigned int verdict);

/* loop_control.c */
void loop_apply_override(const struct loop *l, const struct mediagate_event *ev,
			 const struct ident_device *d, struct decide_verdict *v);
void loop_drop_overrides(struct loop *l, uint64_t handle);
void loop_on_timer(struct loop *l);
void loop_on_control(struct loop *l);

#endif
