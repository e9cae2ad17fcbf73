// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The media ledger reports:
 *   mediagatectl inventory [OPTIONS]            every medium: status, owner, last seen
 *   mediagatectl stocktake [--unseen 90d] [OPTIONS]
 *                                               media in service not seen within the
 *                                               period: the list to chase
 *   mediagatectl history MEDIUM [OPTIONS]       every recorded event of one medium
 * OPTIONS: --format table|csv|json, --bom (CSV for spreadsheet programs),
 *          --inventory F, --registry F, --policy F, --now UNIXTIME (tests),
 *          --db postgresql://... (the central ledger, fleet-wide, instead of --inventory).
 * Headers and status words follow the locale; JSON keys and values do not.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "cli.h"
#include "fleetdb.h"
#include "inv_report.h"
#include "macro.h"
#include "nls.h"
#include "registry.h"
#include "report.h"

struct report_opts {
	enum report_format format;
	unsigned int flags;
	const char *inventory, *registry, *policy;
	int64_t unseen, now;
	const char *medium;
};

static void report_usage(FILE *f)
{
	fputs(_("usage: mediagatectl inventory [--format table|csv|json] [--bom] [--inventory F]\n"
		"                              [--registry F] [--policy F]\n"
		"       mediagatectl stocktake [--unseen 90d] [same options]\n"
		"       mediagatectl history MEDIUM [same options]\n"),
	      f);
	fputs(_("  --db postgresql://USER@HOST/DB  the central ledger (fleet-wide) instead of "
		"--inventory\n"),
	      f);
}

static int parse_format(const char *arg, void *ret)
{
	if (report_parse_format(arg, ret) < 0) {
		fprintf(stderr, _("mediagatectl: unknown format '%s'\n"), arg);
		return -EINVAL;
	}
	return 0;
}

/* The central ledger: a postgresql:// URL (fleetdb.h), in place of --inventory. */
static int parse_db(const char *arg, void *ret)
{
	if (!fleetdb_is_url(arg)) {
		fprintf(stderr, _("mediagatectl: --db wants a postgresql:// URL\n"));
		return -EINVAL;
	}
	*(const char **)ret = arg;
	return 0;
}

static int parse_unseen(const char *arg, void *ret)
{
	if (admin_parse_duration(arg, ret) < 0) {
		fprintf(stderr, _("mediagatectl: bad duration '%s' (e.g. 90d, 12w)\n"), arg);
		return -EINVAL;
	}
	return 0;
}

static int parse_now(const char *arg, void *ret)
{
	*(int64_t *)ret = strtoll(arg, NULL, 10);
	return 0;
}

static int parse(int argc, char **argv, bool want_medium, struct report_opts *o)
{
	bool bom = false;
	const struct admin_option opts[] = {
		{"format", .parse = parse_format, .data = &o->format},
		{"bom", .flag = &bom},
		{"inventory", .arg = &o->inventory},
		{"db", .parse = parse_db, .data = &o->inventory},
		{"registry", .arg = &o->registry},
		{"policy", .arg = &o->policy},
		{"unseen", .parse = parse_unseen, .data = &o->unseen},
		{"now", .parse = parse_now, .data = &o->now},
	};
	const struct admin_verb verb = {.usage = report_usage, .operands = want_medium ? 1 : 0};
	int r;

	*o = (struct report_opts){
		.inventory = INV_DEFAULT_PATH, .unseen = 90 * 86400, .now = time(NULL)};
	r = admin_parse(argc, argv, &verb, opts, ARRAY_SIZE(opts), &o->medium);
	if (bom)
		o->flags |= REPORT_BOM;
	return r;
}

/* The registry (NULL if there is none yet; errors printed). */
static int load_registry(const struct report_opts *o, struct registry **ret)
{
	char buf[4096];

	return admin_load_registry(admin_registry_path(o->registry, o->policy, buf, sizeof(buf)),
				   true, ret);
}

static int open_inventory(const struct report_opts *o, struct inv_report **ret)
{
	int r = inv_report_open(o->inventory, ret);

	if (r < 0)
		fprintf(stderr, _("mediagatectl: cannot open the inventory %s: %s\n"), o->inventory,
			strerror(-r));
	return r;
}

/* A status word: translated for people, stable in JSON. */
static const char *word(const struct report_opts *o, const char *w)
{
	return o->format == REPORT_JSON ? w : gettext(w);
}

/* Parse the options and open what the report reads (@reg NULL: no registry).
 * -1 to go on, else the exit code. */
static int start(int argc, char **argv, bool want_medium, struct report_opts *o,
		 struct registry **reg, struct inv_report **ir)
{
	int r = parse(argc, argv, want_medium, o);

	if (r >= 0)
		return r;
	if ((reg && load_registry(o, reg) < 0) || open_inventory(o, ir) < 0) {
		if (reg)
			registry_free(*reg);
		return 1;
	}
	return -1;
}

/* An empty report with the @n columns of @tmpl, titles translated in @cols
 * (which must outlive the report). */
static int new_report(const struct report_col *tmpl, struct report_col *cols, size_t n,
		      struct report **ret)
{
	for (size_t i = 0; i < n; i++) {
		cols[i] = tmpl[i];
		cols[i].title = _(tmpl[i].title);
	}
	return report_new(cols, n, ret);
}

/* Write the report, or after an error @r < 0 drop it and say why with
 * @fmt (the verb's "mediagatectl VERB: %s\n"). The exit code. */
static int finish(struct report *rep, const struct report_opts *o, int r, const char *fmt)
{
	if (r < 0) {
		report_free(rep);
		fprintf(stderr, fmt, strerror(-r));
		return 1;
	}
	r = report_write(rep, o->format, o->flags, stdout);
	report_free(rep);
	if (r < 0 || fflush(stdout) != 0) {
		fprintf(stderr, _("mediagatectl: cannot write the report\n"));
		return 1;
	}
	return 0;
}

/* ---- inventory -------------------------------------------------------- */

static const struct report_col inventory_cols[] = {
	{"medium", N_("Medium"), false},
	{"status", N_("Status"), false},
	{"owner", N_("Owner"), false},
	{"asset", N_("Asset"), false},
	{"usb", N_("USB ID"), false},
	{"serial", N_("Serial"), false},
	{"media", N_("Media"), false},
	{"first_seen", N_("First seen"), false},
	{"last_seen", N_("Last seen"), false},
	{"last_host", N_("Last host"), false},
	{"last_user", N_("Last user"), false},
	{"mounts", N_("Mounts"), true},
	{"last_verdict", N_("Last verdict"), false},
};

struct inv_ctx {
	struct inv_report *ir;
	struct report *rep;
	const struct registry *reg;
	const struct report_opts *o;
	bool *seen; /* per registry entry */
	int r;
};

static const struct registry_entry *entry_for(const struct registry *reg,
					      const struct inv_medium *m)
{
	const struct registry_entry *e = NULL;

	if (!reg)
		return NULL;
	if (m->medium_id[0])
		e = registry_find_medium(reg, m->medium_id);
	if (!e && m->luks_uuid[0])
		e = registry_find_uuid(reg, m->luks_uuid);
	if (e && (e->vid != m->vid || e->pid != m->pid || strcmp(e->serial, m->serial)))
		return NULL; /* a copied header: not the enrolled stick */
	return e;
}

static void inventory_row(const struct inv_medium *m, void *userdata)
{
	struct inv_ctx *c = userdata;
	const struct registry_entry *e = entry_for(c->reg, m);
	char usb[16], first[32], last[32], mounts[32];
	const char *status;

	snprintf(usb, sizeof(usb), "%04x:%04x", m->vid, m->pid);
	admin_time(m->first_seen, first);
	admin_time(m->last_seen, last);
	snprintf(mounts, sizeof(mounts), "%" PRId64, m->mount_count);
	if (e) {
		c->seen[e - registry_entry_at(c->reg, 0)] = true;
		status = e->retired[0] ? N_("retired") : N_("registered");
		/* a retired stick that came back after its crypto-erase */
		if (e->retired[0]) {
			int64_t retired_at = 0;

			if (inv_report_retired_at(c->ir, m->id, &retired_at) >= 0 && retired_at &&
			    m->last_seen > retired_at)
				status = N_("retired, seen again");
		}
	} else {
		status = N_("unregistered");
	}
	if (c->r >= 0)
		c->r = report_add_row(
			c->rep,
			(const char *const[]){e ? e->medium_id : m->medium_id, word(c->o, status),
					      e ? e->owner : "", e ? e->asset : "", usb, m->serial,
					      m->media_kind, first, last, m->last_host,
					      m->last_user, mounts, m->last_verdict});
}

int cmd_inventory(int argc, char **argv)
{
	struct report_opts o;
	struct registry *reg = NULL;
	struct inv_report *ir = NULL;
	struct report *rep = NULL;
	struct report_col cols[ARRAY_SIZE(inventory_cols)];
	struct inv_ctx c = {0};
	int r;

	r = start(argc, argv, false, &o, &reg, &ir);
	if (r >= 0)
		return r;
	r = new_report(inventory_cols, cols, ARRAY_SIZE(cols), &rep);
	c = (struct inv_ctx){.ir = ir,
			     .rep = rep,
			     .reg = reg,
			     .o = &o,
			     .seen = calloc(registry_count(reg) + 1, sizeof(bool))};
	if (r < 0 || !c.seen) {
		r = -ENOMEM;
		goto out;
	}
	r = inv_report_media(ir, inventory_row, &c);
	if (r >= 0)
		r = c.r;
	/* registered media never seen by any desktop */
	for (size_t i = 0; r >= 0 && i < registry_count(reg); i++) {
		const struct registry_entry *e = registry_entry_at(reg, i);
		char usb[16];

		if (c.seen[i])
			continue;
		snprintf(usb, sizeof(usb), "%04x:%04x", e->vid, e->pid);
		r = report_add_row(rep,
				   (const char *const[]){e->medium_id,
							 word(&o, e->retired[0] ? N_("retired")
										: N_("registered")),
							 e->owner, e->asset, usb, e->serial, "", "",
							 "", "", "", "", ""});
	}
out:
	free(c.seen);
	inv_report_close(ir);
	registry_free(reg);
	return finish(rep, &o, r, _("mediagatectl inventory: %s\n"));
}

/* ---- stocktake -------------------------------------------------------- */

static const struct report_col stocktake_cols[] = {
	{"medium", N_("Medium"), false},       {"owner", N_("Owner"), false},
	{"asset", N_("Asset"), false},	       {"usb", N_("USB ID"), false},
	{"serial", N_("Serial"), false},       {"enrolled", N_("Enrolled"), false},
	{"last_seen", N_("Last seen"), false}, {"days_unseen", N_("Days unseen"), true},
	{"last_host", N_("Last host"), false}, {"last_user", N_("Last user"), false},
};

struct stock_ctx {
	struct report *rep;
	int64_t now;
	int r;
};

static void stocktake_row(const struct registry_entry *e, const struct inv_report_seen *s,
			  void *userdata)
{
	struct stock_ctx *c = userdata;
	char usb[16], last[32], days[32] = "";

	snprintf(usb, sizeof(usb), "%04x:%04x", e->vid, e->pid);
	admin_time(s->last_seen, last);
	if (s->last_seen)
		snprintf(days, sizeof(days), "%" PRId64, (c->now - s->last_seen) / 86400);
	if (c->r >= 0)
		c->r = report_add_row(c->rep,
				      (const char *const[]){e->medium_id, e->owner, e->asset, usb,
							    e->serial, e->enrolled, last, days,
							    s->last_host, s->last_user});
}

int cmd_stocktake(int argc, char **argv)
{
	struct report_opts o;
	struct registry *reg = NULL;
	struct inv_report *ir = NULL;
	struct report *rep = NULL;
	struct report_col cols[ARRAY_SIZE(stocktake_cols)];
	struct stock_ctx c;
	int r;

	r = start(argc, argv, false, &o, &reg, &ir);
	if (r >= 0)
		return r;
	r = new_report(stocktake_cols, cols, ARRAY_SIZE(cols), &rep);
	c = (struct stock_ctx){.rep = rep, .now = o.now};
	if (r >= 0 && reg)
		r = inv_report_stocktake(ir, reg, o.now - o.unseen, stocktake_row, &c);
	if (r >= 0)
		r = c.r;
	inv_report_close(ir);
	registry_free(reg);
	return finish(rep, &o, r, _("mediagatectl stocktake: %s\n"));
}

/* ---- history ---------------------------------------------------------- */

static const struct report_col history_cols[] = {
	{"time", N_("Time"), false},
	{"event", N_("Event"), false},
	{"host", N_("Host"), false},
	{"details", N_("Details"), false},
};

static void history_row(int64_t t, const char *type, const char *host, const char *line,
			void *userdata)
{
	struct stock_ctx *c = userdata;
	char when[32];

	admin_time(t, when);
	if (c->r >= 0)
		c->r = report_add_row(c->rep, (const char *const[]){when, type, host, line});
}

int cmd_history(int argc, char **argv)
{
	struct report_opts o;
	struct inv_report *ir = NULL;
	struct report *rep = NULL;
	struct report_col cols[ARRAY_SIZE(history_cols)];
	struct stock_ctx c;
	int r;

	r = start(argc, argv, true, &o, NULL, &ir);
	if (r >= 0)
		return r;
	r = new_report(history_cols, cols, ARRAY_SIZE(cols), &rep);
	c = (struct stock_ctx){.rep = rep};
	if (r >= 0)
		r = inv_report_history(ir, o.medium, history_row, &c);
	inv_report_close(ir);
	if (r == 0) {
		char a[256];

		fprintf(stderr, _("mediagatectl history: nothing recorded for %s\n"),
			admin_esc(a, sizeof(a), o.medium));
		report_free(rep);
		return 1;
	}
	if (r > 0)
		r = c.r;
	return finish(rep, &o, r, _("mediagatectl history: %s\n"));
}
