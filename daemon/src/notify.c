// SPDX-License-Identifier: GPL-2.0-or-later
/* notify: desktop notices for read-only and blocked sticks. See notify.h. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libintl.h>
#include <locale.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-login.h>

#include "log.h"
#include "notify.h"
#include "strutil.h"

#define _(s) dgettext(NOTIFY_TEXTDOMAIN, s)
#define NOTIFY_TEXTDOMAIN "mediagate"
#ifndef LOCALEDIR
#define LOCALEDIR "/usr/share/locale"
#endif

#define NOTIFY_RECENT 64 /* handles remembered for once-per-plug */
#define NOTIFY_CALL_TIMEOUT_USEC (5ULL * 1000000ULL)
#define NOTIFY_CHILD_TIMEOUT_S 15 /* alarm: the child never outlives this */
#define NOTIFY_EXPIRE_MS 10000 /* how long the server shows a notice */
#define NOTIFY_ICON "drive-removable-media"
#define NOTIFY_ACCOUNTS_DIR "/var/lib/AccountsService/users"
#define NOTIFY_MAX_CHILDREN 4 /* notices in flight (one per interval, 15 s each) */

struct notify {
	int epfd; /* what the loop watches: the timer and the children's pidfds */
	int timerfd;
	int pidfd[NOTIFY_MAX_CHILDREN]; /* children in flight, -1: free */
	bool use_pidfd; /* else double fork (no pidfd_open: kernel < 5.3) */
	uint64_t interval_ns;
	uint64_t window_end_ns; /* a notice went out; until then, count */
	unsigned int pending; /* verdicts counted in this window */
	uint64_t recent[NOTIFY_RECENT]; /* handles already noticed (ring) */
	unsigned int n_recent;
	bool have_target;
	uid_t uid;
	gid_t gid;
	char address[256];
	char accounts_dir[256];
	uint64_t sent, coalesced;
};

/* The epoll set the loop watches: the rate-limit timer (data 0) and one
 * pidfd per child (data slot + 1), so a child is reaped when it exits and
 * never waited for. */
static int open_fds(struct notify *n)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 0};
	int fd;

	n->epfd = epoll_create1(EPOLL_CLOEXEC);
	n->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (n->epfd < 0 || n->timerfd < 0 || epoll_ctl(n->epfd, EPOLL_CTL_ADD, n->timerfd, &ev) < 0)
		return -errno;
	fd = pidfd_open(getpid(), 0);
	n->use_pidfd = fd >= 0;
	if (fd >= 0)
		close(fd);
	return 0;
}

int notify_new(const struct notify_config *cfg, struct notify **ret_notify)
{
	struct notify *n = calloc(1, sizeof(*n));
	int r;

	if (!n)
		return -ENOMEM;
	n->interval_ns = cfg && cfg->interval_ns ? cfg->interval_ns : NOTIFY_INTERVAL_NS;
	snprintf(n->accounts_dir, sizeof(n->accounts_dir), "%s",
		 cfg && cfg->accounts_dir ? cfg->accounts_dir : NOTIFY_ACCOUNTS_DIR);
	if (cfg && cfg->address) {
		if (strlen(cfg->address) >= sizeof(n->address)) {
			free(n);
			return -ENAMETOOLONG;
		}
		strcpy(n->address, cfg->address);
		n->uid = cfg->uid;
		n->gid = cfg->gid;
		n->have_target = true;
	}
	n->epfd = n->timerfd = -1;
	for (unsigned int i = 0; i < NOTIFY_MAX_CHILDREN; i++)
		n->pidfd[i] = -1;
	r = open_fds(n);
	if (r < 0) {
		notify_free(n);
		return r;
	}
	*ret_notify = n;
	return 0;
}

/* Reap the child of slot @i if it has exited (or @force: close anyway). */
static void reap(struct notify *n, unsigned int i, bool force)
{
	siginfo_t si = {0};

	if (n->pidfd[i] < 0)
		return;
	if (waitid((idtype_t)P_PIDFD, (id_t)n->pidfd[i], &si, WEXITED | WNOHANG) < 0 || si.si_pid ||
	    force) {
		epoll_ctl(n->epfd, EPOLL_CTL_DEL, n->pidfd[i], NULL);
		close(n->pidfd[i]);
		n->pidfd[i] = -1;
	}
}

void notify_free(struct notify *n)
{
	if (!n)
		return;
	/* children still running finish on their own (init reaps them) */
	for (unsigned int i = 0; i < NOTIFY_MAX_CHILDREN; i++)
		reap(n, i, true);
	if (n->timerfd >= 0)
		close(n->timerfd);
	if (n->epfd >= 0)
		close(n->epfd);
	free(n);
}

int notify_fd(const struct notify *n)
{
	return n->epfd;
}

unsigned int notify_children(const struct notify *n)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < NOTIFY_MAX_CHILDREN; i++)
		k += n->pidfd[i] >= 0;
	return k;
}

void notify_stats(const struct notify *n, uint64_t *ret_sent, uint64_t *ret_coalesced)
{
	*ret_sent = n->sent;
	*ret_coalesced = n->coalesced;
}

bool notify_wanted(const struct mediagate_event *ev, const struct ident_device *d,
		   const struct decide_verdict *v, const char *stage)
{
	bool storage = ev->level == MEDIAGATE_LEVEL_INTERFACE ||
		       ident_has_class(d, USB_CLASS_CODE_STORAGE);

	if (strcmp(stage, "hold") && strcmp(stage, "replay") && strcmp(stage, "media"))
		return false; /* reload, manual, restart: not a plug */
	if (v->dec.needs_media)
		return false; /* read-only only until the medium is probed */
	return storage &&
	       (v->verdict == MEDIAGATE_VERDICT_READONLY || v->verdict == MEDIAGATE_VERDICT_DENY);
}

/* ---- text ---- */

/* Decode one UTF-8 sequence at @s (@len > 0 bytes left): its code point and
 * length, or -1 if invalid (overlong, surrogate, beyond U+10FFFF, cut). */
static long utf8_next(const unsigned char *s, size_t len, size_t *ret_n)
{
	unsigned int n, cp;

	if (s[0] < 0x80) {
		*ret_n = 1;
		return s[0];
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return -1;
	}
	if (len < n)
		return -1;
	for (unsigned int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*ret_n = n;
	return cp;
}

/* Control characters, and those that reorder or break the text around them
 * (bidi overrides and isolates, line/paragraph separators, BOM). */
static bool is_unsafe(long cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

size_t notify_escape(char *dst, size_t dstsz, const char *src, size_t len, size_t max_chars)
{
	static const char ellipsis[] = "\xe2\x80\xa6";
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0, chars = 0, keep = 0; /* keep: length without trailing spaces */
	bool cut = false;

	if (!dstsz)
		return 0;
	len = strnlen(src, len);
	while (len) {
		char piece[8];
		size_t n = 1, plen;
		long cp = utf8_next(s, len, &n);

		if (cp < 0) {
			n = 1;
			memcpy(piece, "\xef\xbf\xbd", plen = 3); /* U+FFFD */
		} else if (is_unsafe(cp)) {
			memcpy(piece, " ", plen = 1);
		} else if (cp == '&') {
			memcpy(piece, "&amp;", plen = 5);
		} else if (cp == '<') {
			memcpy(piece, "&lt;", plen = 4);
		} else if (cp == '>') {
			memcpy(piece, "&gt;", plen = 4);
		} else {
			memcpy(piece, s, plen = n);
		}
		/* room for this piece, an ellipsis and the NUL */
		if (chars == max_chars || o + plen + sizeof(ellipsis) > dstsz) {
			cut = true;
			break;
		}
		memcpy(dst + o, piece, plen);
		o += plen;
		chars++;
		if (piece[0] != ' ')
			keep = o;
		s += n;
		len -= n;
	}
	o = keep;
	if (cut && o + sizeof(ellipsis) <= dstsz) {
		memcpy(dst + o, ellipsis, sizeof(ellipsis) - 1);
		o += sizeof(ellipsis) - 1;
	}
	dst[o] = '\0';
	return o;
}

/* Append a formatted line to @body at *@o (bounded). */
static void body_add(char *body, size_t body_sz, size_t *o, const char *fmt, const char *arg)
{
	int w;

	if (*o >= body_sz)
		return;
	w = snprintf(body + *o, body_sz - *o, fmt, arg);
	if (w > 0)
		*o += (size_t)w < body_sz - *o ? (size_t)w : body_sz - *o - 1;
}

void notify_format(const struct notify_notice *msg, char *summary, size_t summary_sz, char *body,
		   size_t body_sz)
{
	char man[NOTIFY_FIELD_CHARS * 6 + 8], prod[sizeof(man)], serial[sizeof(man)];
	char label[sizeof(man)], name[2 * sizeof(man) + 2];
	size_t o = 0;

	body[0] = '\0';
	if (!msg->verdict) {
		snprintf(summary, summary_sz, "%s", _("More USB sticks restricted"));
		snprintf(body, body_sz,
			 _("Sticks made read-only or blocked since the last notice: %u"),
			 msg->more);
		return;
	}
	if (msg->verdict == MEDIAGATE_VERDICT_READONLY) {
		snprintf(summary, summary_sz, "%s", _("USB stick is read-only"));
		body_add(body, body_sz, &o, "%s", _("Not a registered company stick: read-only."));
	} else {
		snprintf(summary, summary_sz, "%s", _("USB device blocked"));
		body_add(body, body_sz, &o, "%s",
			 _("Not allowed on this computer by the company policy: blocked."));
	}
	notify_escape(man, sizeof(man), msg->manufacturer, sizeof(msg->manufacturer),
		      NOTIFY_FIELD_CHARS);
	notify_escape(prod, sizeof(prod), msg->product, sizeof(msg->product), NOTIFY_FIELD_CHARS);
	notify_escape(serial, sizeof(serial), msg->serial, sizeof(msg->serial), NOTIFY_FIELD_CHARS);
	notify_escape(label, sizeof(label), msg->label, sizeof(msg->label), NOTIFY_FIELD_CHARS);
	snprintf(name, sizeof(name), "%s%s%s", man, man[0] && prod[0] ? " " : "", prod);
	if (name[0])
		body_add(body, body_sz, &o, "\n%s", name);
	if (serial[0]) {
		body_add(body, body_sz, &o, "\n", "");
		body_add(body, body_sz, &o, _("Serial: %s"), serial);
	}
	if (label[0]) {
		body_add(body, body_sz, &o, "\n", "");
		body_add(body, body_sz, &o, _("Label: %s"), label);
	}
}

/* ---- the child ---- */

/* The active seat's user, if a local graphical user session (x11 or
 * wayland, class "user": not a greeter, not remote): 1 and the target,
 * 0 if there is none (nothing to do), never an error worth more. */
static int find_user(const struct notify *n, uid_t *ret_uid, gid_t *ret_gid, char *addr,
		     size_t addrsz)
{
	char *session = NULL, *type = NULL, *class = NULL, dir[64];
	bool graphical, remote, user;
	struct stat st;
	uid_t uid;
	int r;

	if (n->have_target) {
		*ret_uid = n->uid;
		*ret_gid = n->gid;
		snprintf(addr, addrsz, "%s", n->address);
		return 1;
	}
	r = sd_seat_get_active("seat0", &session, &uid);
	if (r < 0) {
		log_debug("desktop notice: no active session on seat0: %s", strerror(-r));
		return 0;
	}
	r = sd_session_get_type(session, &type);
	graphical = r >= 0 && (!strcmp(type, "x11") || !strcmp(type, "wayland"));
	remote = sd_session_is_remote(session) > 0;
	/* a user's session, not the greeter's or a lock screen's */
	user = sd_session_get_class(session, &class) >= 0 && !strcmp(class, "user");
	if (!graphical || remote || !user) {
		log_debug("desktop notice: session %s of uid %u is %s", session, (unsigned int)uid,
			  remote       ? "remote"
			  : !graphical ? "not graphical"
				       : "not a user's");
		free(session);
		free(type);
		free(class);
		return 0;
	}
	free(session);
	free(type);
	free(class);
	/* logind's runtime directory: owned by the user and the user's group */
	snprintf(dir, sizeof(dir), "/run/user/%u", (unsigned int)uid);
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != uid) {
		log_debug("desktop notice: no runtime directory %s", dir);
		return 0;
	}
	*ret_uid = uid;
	*ret_gid = st.st_gid;
	snprintf(addr, addrsz, "unix:path=%s/bus", dir);
	return 1;
}

/* The language the user chose in the desktop's settings, as AccountsService
 * keeps it ("Language=ja_JP.UTF-8" in @dir/NAME), into @lang; "" if none.
 * Read as root, before the drop (the file is root's, 0600). */
static void user_language(const char *dir, uid_t uid, char *lang, size_t langsz)
{
	char pwbuf[1024], path[512], buf[4096], *line, *save = NULL;
	struct passwd pw, *res = NULL;
	ssize_t len;
	int fd;

	lang[0] = '\0';
	if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &res) != 0 || !res ||
	    strchr(pw.pw_name, '/') || pw.pw_name[0] == '.' ||
	    snprintf(path, sizeof(path), "%s/%s", dir, pw.pw_name) >= (int)sizeof(path))
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return;
	buf[len] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *v = line + 9;
		size_t n;

		if (strncmp(line, "Language=", 9))
			continue;
		n = strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.@-");
		if (n && !v[n] && n < langsz)
			memcpy(lang, v, n + 1);
		return;
	}
}

/* gettext in @lang: LANGUAGE names it; LANGUAGE only counts when the
 * messages locale is not "C", so fall back to C.UTF-8 for that. */
static void use_language(const char *lang)
{
	const char *cur;

	if (!lang[0])
		return;
	setenv("LANGUAGE", lang, 1);
	if (setlocale(LC_MESSAGES, lang))
		return;
	cur = setlocale(LC_MESSAGES, NULL);
	if (!cur || !strcmp(cur, "C") || !strcmp(cur, "POSIX"))
		setlocale(LC_MESSAGES, "C.UTF-8");
}

/* Become @uid/@gid for good, with no supplementary groups. */
static int drop_to(uid_t uid, gid_t gid)
{
	uid_t ru, eu, su;

	if (geteuid() != 0 && getuid() == uid && getgid() == gid)
		return 0; /* an unprivileged test run: already the target */
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return -errno;
	if (getresuid(&ru, &eu, &su) < 0 || ru != uid || eu != uid || su != uid)
		return -EPERM;
	return 0;
}

static void close_inherited(void)
{
	if (close_range(3, ~0U, 0) == 0)
		return;
	for (int fd = 3; fd < 4096; fd++)
		close(fd);
}

/* Send @summary/@body over sd-bus to @addr. */
static void send_notice(const char *addr, unsigned int verdict, const char *summary,
			const char *body)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	sd_bus *bus = NULL;
	uint32_t id = 0;
	int r;

	r = sd_bus_new(&bus);
	if (r >= 0)
		r = sd_bus_set_address(bus, addr);
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, 1);
	if (r >= 0)
		r = sd_bus_set_method_call_timeout(bus, NOTIFY_CALL_TIMEOUT_USEC);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r < 0) {
		log_debug("desktop notice: no session bus at %s: %s", addr, strerror(-r));
		goto out;
	}
	r = sd_bus_call_method(bus, "org.freedesktop.Notifications",
			       "/org/freedesktop/Notifications", "org.freedesktop.Notifications",
			       "Notify", &err, &reply, "susssasa{sv}i", "mediagate", (uint32_t)0,
			       NOTIFY_ICON, summary, body, 0, 2, "urgency", "y",
			       verdict == MEDIAGATE_VERDICT_DENY ? 2 : 1, "category", "s", "device",
			       (int32_t)NOTIFY_EXPIRE_MS);
	if (r < 0) {
		if (sd_bus_error_has_name(&err, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
		    sd_bus_error_has_name(&err, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
			log_debug("desktop notice: no notification server on %s", addr);
		else
			log_info("desktop notice: Notify on %s failed: %s", addr,
				 err.message ? err.message : strerror(-r));
		goto out;
	}
	(void)sd_bus_message_read(reply, "u", &id);
	log_debug("desktop notice %u shown on %s", id, addr);
out:
	sd_bus_error_free(&err);
	sd_bus_message_unref(reply);
	sd_bus_flush_close_unref(bus);
}

/* The grandchild: never returns. */
static _Noreturn void child_main(const struct notify *n, const struct notify_notice *msg)
{
	const char *dir = secure_getenv("MEDIAGATE_LOCALEDIR");
	char summary[256], body[1024], addr[sizeof(n->address)], lang[64];
	sigset_t none;
	uid_t uid;
	gid_t gid;
	int r;

	/* the loop's blocked signals must not outlive it (systemd's SIGTERM) */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	alarm(NOTIFY_CHILD_TIMEOUT_S);
	/* the kernel device, the ledger, sockets: none is ours to hold */
	closelog();
	close_inherited();
	if (find_user(n, &uid, &gid, addr, sizeof(addr)) <= 0)
		_exit(0);
	setlocale(LC_ALL, "");
	user_language(n->accounts_dir, uid, lang, sizeof(lang));
	use_language(lang);
	bindtextdomain(NOTIFY_TEXTDOMAIN, dir && *dir ? dir : LOCALEDIR);
	bind_textdomain_codeset(NOTIFY_TEXTDOMAIN, "UTF-8");
	notify_format(msg, summary, sizeof(summary), body, sizeof(body));
	r = drop_to(uid, gid);
	if (r < 0) {
		log_warn_errno(r, "desktop notice: cannot become uid %u", (unsigned int)uid);
		_exit(1);
	}
	clearenv();
	send_notice(addr, msg->verdict, summary, body);
	_exit(0);
}

/* Fallback without pidfds: a double fork, the loop waits only for the middle
 * child, which exits at once; init reaps the grandchild. */
static void spawn_detached(const struct notify *n, const struct notify_notice *msg)
{
	pid_t pid = fork();

	if (pid < 0) {
		log_warn_errno(-errno, "desktop notice: fork");
		return;
	}
	if (pid == 0) {
		pid_t pid2 = fork();

		if (pid2 == 0)
			child_main(n, msg);
		_exit(pid2 < 0 ? 1 : 0);
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Start the child that sends @msg; never waits for it: its pidfd joins the
 * epoll set and notify_dispatch() reaps it. false if none could start. */
static bool spawn(struct notify *n, const struct notify_notice *msg)
{
	struct epoll_event ev = {.events = EPOLLIN};
	unsigned int slot = NOTIFY_MAX_CHILDREN;
	pid_t pid;
	int fd;

	if (!n->use_pidfd) {
		spawn_detached(n, msg);
		return true;
	}
	for (unsigned int i = 0; i < NOTIFY_MAX_CHILDREN && slot == NOTIFY_MAX_CHILDREN; i++)
		if (n->pidfd[i] < 0)
			slot = i;
	if (slot == NOTIFY_MAX_CHILDREN)
		return false;
	pid = fork();
	if (pid < 0) {
		log_warn_errno(-errno, "desktop notice: fork");
		return false;
	}
	if (pid == 0)
		child_main(n, msg);
	fd = pidfd_open(pid, 0);
	ev.data.u32 = slot + 1;
	if (fd < 0 || epoll_ctl(n->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		/* cannot happen once pidfd_open worked; never leave a zombie */
		log_warn_errno(-errno, "desktop notice: pidfd");
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		if (fd >= 0)
			close(fd);
		return true;
	}
	n->pidfd[slot] = fd;
	return true;
}

static void arm(struct notify *n, uint64_t at_ns)
{
	struct itimerspec its = {
		.it_value.tv_sec = (time_t)(at_ns / 1000000000ULL),
		.it_value.tv_nsec = (long)(at_ns % 1000000000ULL),
	};

	timerfd_settime(n->timerfd, TFD_TIMER_ABSTIME, &its, NULL);
}

void notify_verdict(struct notify *n, uint64_t now_ns, const struct ident_device *d,
		    const struct decide_verdict *v)
{
	struct notify_notice msg = {.verdict = v->verdict};

	for (unsigned int i = 0; i < NOTIFY_RECENT && i < n->n_recent; i++)
		if (n->recent[i] == v->handle)
			return; /* once per plug */
	n->recent[n->n_recent++ % NOTIFY_RECENT] = v->handle;
	if (n->window_end_ns && now_ns < n->window_end_ns) {
		if (!n->pending++)
			arm(n, n->window_end_ns);
		n->coalesced++;
		return;
	}
	snprintf(msg.manufacturer, sizeof(msg.manufacturer), "%s", d->manufacturer);
	snprintf(msg.product, sizeof(msg.product), "%s", d->product);
	snprintf(msg.serial, sizeof(msg.serial), "%s", d->serial);
	if (v->have_media)
		snprintf(msg.label, sizeof(msg.label), "%s", v->media.label);
	n->window_end_ns = now_ns + n->interval_ns;
	if (spawn(n, &msg)) {
		n->sent++;
	} else {
		/* every slot busy: told in the next summary */
		if (!n->pending++)
			arm(n, n->window_end_ns);
		n->coalesced++;
	}
}

/* The interval ended: the summary of what was counted. */
static void on_timer(struct notify *n, uint64_t now_ns)
{
	struct notify_notice msg = {0};
	uint64_t ticks;

	(void)!read(n->timerfd, &ticks, sizeof(ticks));
	if (!n->pending || now_ns < n->window_end_ns)
		return;
	msg.more = n->pending;
	n->window_end_ns = now_ns + n->interval_ns;
	if (spawn(n, &msg)) {
		n->pending = 0;
		n->sent++;
	} else {
		arm(n, n->window_end_ns); /* try again then */
	}
}

void notify_dispatch(struct notify *n, uint64_t now_ns)
{
	struct epoll_event evs[NOTIFY_MAX_CHILDREN + 1];
	int k = epoll_wait(n->epfd, evs, NOTIFY_MAX_CHILDREN + 1, 0);

	for (int i = 0; i < k; i++) {
		if (evs[i].data.u32 == 0)
			on_timer(n, now_ns);
		else if (evs[i].data.u32 <= NOTIFY_MAX_CHILDREN)
			reap(n, evs[i].data.u32 - 1, false);
	}
}
