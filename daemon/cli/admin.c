// SPDX-License-Identifier: GPL-2.0-or-later
/* admin: shared helpers of the administrator verbs. See admin.h. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <syslog.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "inventory.h"
#include "luksadm.h"
#include "registry_write.h"
#include "token.h"
#include "cli.h"
#include "control.h"
#include "diag.h"
#include "fileutil.h"
#include "macro.h"
#include "nls.h"
#include "strutil.h"

/* The option of @opts that getopt_long returned as @c, or NULL. */
static const struct admin_option *find_option(const struct admin_option *opts, size_t n_opts, int c)
{
	for (size_t i = 0; i < n_opts; i++)
		if (c == (opts[i].letter ? opts[i].letter : 0x100 + (int)i))
			return &opts[i];
	return NULL;
}

/* Store one option's argument; false if it is bad (already said). */
static bool take_option(const struct admin_option *o, const char *arg)
{
	if (o->flag)
		*o->flag = true;
	else if (o->parse)
		return o->parse(arg, o->data) >= 0;
	else
		*o->arg = arg;
	return true;
}

/* Exactly @verb's operands, and every required option given. */
static bool complete(int argc, const struct admin_verb *verb, const struct admin_option *opts,
		     size_t n_opts)
{
	if (argc - optind != verb->operands)
		return false;
	for (size_t i = 0; i < n_opts; i++)
		if (opts[i].required && !*opts[i].arg)
			return false;
	return true;
}

int admin_parse(int argc, char **argv, const struct admin_verb *verb,
		const struct admin_option *opts, size_t n_opts, const char **ret_operand)
{
	struct option lopts[ADMIN_OPTIONS_MAX + 2] = {{0}};
	char shortopts[ADMIN_OPTIONS_MAX + 2], *s = shortopts;
	const struct admin_option *o;
	int c;

	assert(n_opts <= ADMIN_OPTIONS_MAX);
	for (size_t i = 0; i < n_opts; i++) {
		o = &opts[i];
		lopts[i] = (struct option){o->name, o->flag ? no_argument : required_argument, NULL,
					   o->letter ? o->letter : 0x100 + (int)i};
		if (o->letter)
			*s++ = o->letter;
	}
	lopts[n_opts] = (struct option){"help", no_argument, NULL, 'h'};
	*s++ = 'h';
	*s = '\0';
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, lopts, NULL)) != -1) {
		if (c == 'h') {
			verb->usage(stdout);
			return 0;
		}
		o = find_option(opts, n_opts, c);
		if (!o) {
			if (verb->unknown)
				verb->unknown(argv[optind - 1]);
			verb->usage(stderr);
			return 2;
		}
		if (!take_option(o, optarg))
			return 2;
	}
	if (!complete(argc, verb, opts, n_opts)) {
		verb->usage(stderr);
		return 2;
	}
	*ret_operand = verb->operands ? argv[optind] : NULL;
	return -1;
}

int admin_load_registry(const char *path, bool missing_ok, struct registry **ret)
{
	struct diag_list diags = {0};
	int r = registry_load(path, ret, &diags);

	if (r == -ENOENT && missing_ok) {
		*ret = NULL;
		r = 0;
	} else if (r < 0) {
		diag_print(&diags, stderr);
	}
	diag_list_free(&diags);
	return r;
}

void admin_free_passphrase(char *pass, size_t len)
{
	if (!pass)
		return;
	explicit_bzero(pass, len);
	free(pass);
}

static int read_key_file(const char *path, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	char *buf;
	size_t n = 0;
	struct stat st;

	fd = fileutil_open_regular(path, &st);
	if (fd < 0)
		return fd;
	buf = calloc(1, ADMIN_PASS_MAX + 1);
	if (!buf)
		return -ENOMEM;
	while (n < ADMIN_PASS_MAX + 1) {
		ssize_t k = read(fd, buf + n, ADMIN_PASS_MAX + 1 - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	if (n == 0 || n > ADMIN_PASS_MAX) {
		admin_free_passphrase(buf, ADMIN_PASS_MAX + 1);
		return n ? -E2BIG : -ENODATA;
	}
	*ret = buf;
	*ret_len = n;
	return 0;
}

/* One line from the terminal with echo off; the newline is dropped. */
static int read_tty_line(int tty, const char *prompt, char *buf, size_t bufsz, size_t *ret_len)
{
	struct termios old, noecho;
	size_t n = 0;
	int r = 0;

	if (tcgetattr(tty, &old) < 0)
		return -errno;
	noecho = old;
	noecho.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	noecho.c_lflag |= ICANON;
	if (write(tty, prompt, strlen(prompt)) < 0 || tcsetattr(tty, TCSAFLUSH, &noecho) < 0)
		return -errno;
	for (;;) {
		char c;
		ssize_t k = read(tty, &c, 1);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0 || c == '\n')
			break;
		if (n + 1 >= bufsz) {
			r = -E2BIG;
			continue; /* drain the line */
		}
		buf[n++] = c;
	}
	buf[n] = '\0';
	tcsetattr(tty, TCSAFLUSH, &old);
	if (write(tty, "\n", 1) < 0)
		r = r ?: -EIO;
	*ret_len = n;
	return r;
}

int admin_read_passphrase(const char *key_file, bool confirm, char **ret, size_t *ret_len)
{
	_cleanup_close_ int tty = -1;
	char *a, *b;
	size_t la = 0, lb = 0;
	int r;

	if (key_file)
		return read_key_file(key_file, ret, ret_len);
	tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (tty < 0)
		return -ENOTTY;
	a = calloc(1, ADMIN_PASS_MAX + 1);
	b = calloc(1, ADMIN_PASS_MAX + 1);
	if (!a || !b) {
		free(a);
		free(b);
		return -ENOMEM;
	}
	r = read_tty_line(tty, _("Passphrase: "), a, ADMIN_PASS_MAX + 1, &la);
	if (r >= 0 && la == 0)
		r = -ENODATA;
	if (r >= 0 && confirm) {
		r = read_tty_line(tty, _("Passphrase again: "), b, ADMIN_PASS_MAX + 1, &lb);
		if (r >= 0 && (la != lb || memcmp(a, b, la)))
			r = -EBADE;
	}
	admin_free_passphrase(b, ADMIN_PASS_MAX + 1);
	if (r < 0) {
		admin_free_passphrase(a, ADMIN_PASS_MAX + 1);
		return r;
	}
	*ret = a;
	*ret_len = la;
	return 0;
}

bool admin_confirm(const char *question)
{
	_cleanup_close_ int tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	char answer[32];
	size_t n = 0;

	if (tty < 0)
		return false;
	if (write(tty, question, strlen(question)) < 0)
		return false;
	while (n + 1 < sizeof(answer)) {
		char c;
		ssize_t k = read(tty, &c, 1);

		if (k <= 0 || c == '\n')
			break;
		answer[n++] = c;
	}
	answer[n] = '\0';
	/* TRANSLATORS: the word the administrator types to confirm erasing a stick */
	return !strcmp(answer, "yes") || !strcmp(answer, _("yes"));
}

static int parse_usb_id(const char *s, uint16_t *vid, uint16_t *pid)
{
	unsigned int v, p;
	int n = 0;

	if (!s || sscanf(s, "%4x:%4x%n", &v, &p, &n) != 2 || n != 9 || s[n])
		return -EINVAL;
	*vid = (uint16_t)v;
	*pid = (uint16_t)p;
	return 0;
}

int admin_device_ident(const char *device, const char *usb_id, const char *serial,
		       struct ident_device *ret)
{
	struct ident_device d = {0};
	struct stat st;
	int r;

	if (stat(device, &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode)) {
		char sys[64];

		if (usb_id || serial)
			return -EINVAL;
		snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u", major(st.st_rdev),
			 minor(st.st_rdev));
		return ident_from_syspath(sys, ret);
	}
	if (!S_ISREG(st.st_mode))
		return -ENOTBLK;
	if (!usb_id || !serial)
		return -EDESTADDRREQ;
	r = parse_usb_id(usb_id, &d.vid, &d.pid);
	if (r < 0)
		return r;
	if (str_copy_bounded(d.serial, sizeof(d.serial), serial, strlen(serial)))
		return -E2BIG;
	snprintf(d.name, sizeof(d.name), "image");
	*ret = d;
	return 0;
}

int admin_load_policy(const char *path, struct policy **ret)
{
	struct diag_list diags = {0};
	int r = policy_load(path, true, ret, &diags);

	if (r < 0) {
		diag_print(&diags, stderr);
		if (diags.n == 0)
			fprintf(stderr, "%s: %s\n", path, strerror(-r));
	}
	diag_list_free(&diags);
	return r;
}

const char *admin_registry_path(const char *opt, const char *policy_path, char *buf, size_t bufsz)
{
	struct diag_list diags = {0};
	struct policy *p = NULL;
	const char *path = ADMIN_DEFAULT_REGISTRY;

	if (opt)
		return opt;
	if (policy_load(policy_path ? policy_path : MEDIAGATE_DEFAULT_POLICY, true, &p, &diags) >=
		    0 &&
	    policy_registry_path(p))
		path = policy_registry_path(p);
	snprintf(buf, bufsz, "%s", path);
	policy_free(p);
	diag_list_free(&diags);
	return buf;
}

void admin_tell_daemon(const char *registry)
{
	char daemon_reg[4096], a[PATH_MAX], b[PATH_MAX], err[256] = "";
	FILE *sink;
	int r;

	admin_registry_path(NULL, NULL, daemon_reg, sizeof(daemon_reg));
	if (!realpath(registry, a) || !realpath(daemon_reg, b) || strcmp(a, b))
		return; /* another registry (a test, an image on an admin PC) */
	sink = fopen("/dev/null", "w");
	if (!sink)
		return;
	r = control_request(NULL, "reload", sink, err, sizeof(err));
	fclose(sink);
	if (r == 0) {
		printf(_("mediagated reloaded: the change applies now\n"));
		return;
	}
	if (r == -ENOENT || r == -ECONNREFUSED)
		return; /* not running: it reads the registry when it starts */
	if (r == -EREMOTEIO)
		fprintf(stderr,
			_("mediagatectl: mediagated kept its old policy and registry (%s); fix %s "
			  "and run 'mediagatectl reload'\n"),
			err, MEDIAGATE_DEFAULT_POLICY);
	else
		fprintf(stderr,
			_("mediagatectl: could not ask mediagated to reload (%s); run "
			  "'mediagatectl "
			  "reload' as root\n"),
			strerror(-r));
}

void admin_medium_id(const char *opt, const char *luks_uuid, char ret[64])
{
	if (opt) {
		snprintf(ret, 64, "%s", opt);
		return;
	}
	snprintf(ret, 64, "MG-%.8s", luks_uuid);
	for (char *c = ret; *c; c++)
		if (*c >= 'a' && *c <= 'f')
			*c = (char)(*c - 32);
}

void admin_date(int64_t t, char ret[16])
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	strftime(ret, 16, "%Y-%m-%d", &tm);
}

void admin_time(int64_t t, char ret[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	ret[0] = '\0';
	if (t <= 0)
		return;
	localtime_r(&tt, &tm);
	strftime(ret, 32, "%Y-%m-%d %H:%M", &tm);
}

void admin_hostname(char ret[256])
{
	if (gethostname(ret, 255) < 0)
		strcpy(ret, "unknown");
	ret[255] = '\0';
}

int admin_parse_duration(const char *s, int64_t *ret)
{
	char *end;
	long long v;
	int64_t unit = 86400;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || v < 0 || v > 100000)
		return -EINVAL;
	if (*end == 'd')
		end++;
	else if (*end == 'w')
		unit = 7 * 86400, end++;
	else if (*end == 'h')
		unit = 3600, end++;
	if (*end)
		return -EINVAL;
	*ret = (int64_t)v * unit;
	return 0;
}

void admin_audit(const char *line)
{
	openlog("mediagatectl", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
	syslog(LOG_NOTICE, "%s", line);
	closelog();
}

const char *admin_esc(char *buf, size_t bufsz, const char *s)
{
	str_escape(buf, bufsz, s ? s : "", s ? strlen(s) : 0, false);
	return buf;
}

int admin_inventory_event(const char *inventory, const char *event, const struct ident_device *dev,
			  const struct media_info *media, const char *medium_id, const char *line)
{
	struct inv *inv = NULL;
	char host[256];
	struct inv_sighting s = {
		.time = time(NULL),
		.type = event,
		.dev = dev,
		.media = media,
		.medium_id = medium_id,
		.host = host,
		.line = line,
	};
	int r;

	admin_hostname(host);
	r = inv_open(inventory, 0, &inv);
	if (r >= 0)
		r = inv_record(inv, &s);
	inv_close(inv);
	if (r < 0)
		fprintf(stderr, _("mediagatectl: cannot record the %s in the inventory %s: %s\n"),
			event, inventory, strerror(-r));
	return r;
}

int admin_register_medium(const struct admin_medium *m)
{
	_cleanup_free_ char *json = NULL;
	struct registry_entry e = {.luks_version = 2, .vid = m->dev->vid, .pid = m->dev->pid};
	struct token t = {.enrolled = time(NULL), .vid = m->dev->vid, .pid = m->dev->pid};
	struct media_info media = {
		.kind = MEDIA_LUKS, .luks_version = 2, .token_present = true, .registered = true};
	struct diag_list diags = {0};
	char line[4096], a[1024], b[512], c[512], org[ORGKEY_ID_MAX];
	int r;

	snprintf(t.medium_id, sizeof(t.medium_id), "%s", m->medium_id);
	snprintf(t.luks_uuid, sizeof(t.luks_uuid), "%s", m->luks_uuid);
	snprintf(t.serial, sizeof(t.serial), "%s", m->dev->serial);
	r = token_sign(&t, m->key, &json);
	if (r >= 0)
		r = luksadm_token_set(m->device, TOKEN_TYPE, json);
	if (r < 0) {
		fprintf(stderr, _("mediagatectl: cannot store the organisation token: %s\n"),
			strerror(-r));
		return r;
	}
	snprintf(e.medium_id, sizeof(e.medium_id), "%s", m->medium_id);
	snprintf(e.luks_uuid, sizeof(e.luks_uuid), "%s", m->luks_uuid);
	snprintf(e.serial, sizeof(e.serial), "%s", m->dev->serial);
	snprintf(e.owner, sizeof(e.owner), "%s", m->owner);
	snprintf(e.asset, sizeof(e.asset), "%s", m->asset);
	admin_date(t.enrolled, e.enrolled);
	r = registry_write_add(m->registry, &e, &diags);
	if (r < 0) {
		diag_print(&diags, stderr);
		diag_list_free(&diags);
		if (r == -EEXIST)
			fprintf(stderr,
				_("mediagatectl: %s: medium id %s or LUKS UUID %s is already in "
				  "the registry\n"),
				m->registry, m->medium_id, m->luks_uuid);
		else
			fprintf(stderr, _("mediagatectl: cannot update the registry %s: %s\n"),
				m->registry, strerror(-r));
		return r;
	}
	diag_list_free(&diags);
	admin_tell_daemon(m->registry);
	orgkey_id(m->key, org);
	snprintf(line, sizeof(line),
		 "event=%s medium=\"%s\" uuid=%s id=%04x:%04x serial=\"%s\" owner=\"%s\" "
		 "asset=\"%s\" org=%s uid=%u",
		 m->event, m->medium_id, m->luks_uuid, m->dev->vid, m->dev->pid,
		 admin_esc(a, sizeof(a), m->dev->serial), admin_esc(b, sizeof(b), m->owner),
		 admin_esc(c, sizeof(c), m->asset), org, (unsigned)getuid());
	admin_audit(line);
	snprintf(media.luks_uuid, sizeof(media.luks_uuid), "%s", m->luks_uuid);
	/* the medium is enrolled now; an inventory failure is reported as 1 */
	return admin_inventory_event(m->inventory, m->event, m->dev, &media, m->medium_id, line) < 0
		       ? 1
		       : 0;
}
