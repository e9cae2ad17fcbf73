// SPDX-License-Identifier: GPL-2.0-or-later
/* control: the control socket, server and client. See control.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "macro.h"

struct control {
	int fd;
	char *path;
};

static int fill_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

int control_new(const char *path, gid_t gid, struct control **ret_ctl)
{
	struct sockaddr_un sa;
	struct control *c;
	mode_t old;
	int r;

	if (!path)
		path = CONTROL_DEFAULT_PATH;
	r = fill_addr(path, &sa);
	if (r < 0)
		return r;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->path = strdup(path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (!c->path || c->fd < 0) {
		r = c->fd < 0 ? -errno : -ENOMEM;
		goto fail;
	}
	unlink(path);
	old = umask(0117); /* born 0660: no window with a wider mode */
	r = bind(c->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(c->fd, 16) < 0) {
		r = -errno;
		goto fail;
	}
	if (gid != (gid_t)-1 && chown(path, 0, gid) < 0) {
		r = -errno;
		goto fail;
	}
	*ret_ctl = c;
	return 0;
fail:
	control_free(c);
	return r;
}

void control_free(struct control *c)
{
	if (!c)
		return;
	if (c->fd >= 0) {
		close(c->fd);
		if (c->path)
			unlink(c->path);
	}
	free(c->path);
	free(c);
}

int control_fd(const struct control *c)
{
	return c->fd;
}

static bool peer_allowed(int fd, const struct ucred *cred, gid_t group)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);

	if (cred->uid == 0)
		return true;
	if (group == (gid_t)-1)
		return false;
	if (cred->gid == group)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return false;
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == group)
			return true;
	return false;
}

static int read_line(int fd, char *buf, size_t sz)
{
	size_t n = 0;

	while (n < sz - 1) {
		ssize_t r = read(fd, buf + n, sz - 1 - n);

		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		n += (size_t)r;
		if (memchr(buf, '\n', n))
			break;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return n ? 0 : -EBADMSG;
}

int control_accept(struct control *c, gid_t group, struct control_client *ret)
{
	struct timeval tv = {.tv_sec = 0, .tv_usec = 500000};
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct control_client cl = {.fd = -1};
	int fd, r;

	fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	cl.uid = cred.uid;
	cl.gid = cred.gid;
	cl.pid = cred.pid;
	cl.allowed = peer_allowed(fd, &cred, group);
	if (!cl.allowed) {
		static const char msg[] = "error permission denied\n";

		(void)!write(fd, msg, sizeof(msg) - 1);
		close(fd);
		*ret = cl;
		return 0;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	r = read_line(fd, cl.line, sizeof(cl.line));
	if (r < 0) {
		close(fd);
		return r;
	}
	cl.out = tmpfile();
	if (!cl.out) {
		r = -errno;
		close(fd);
		return r;
	}
	cl.fd = fd;
	*ret = cl;
	return 0;
}

/* send(MSG_NOSIGNAL): a peer that hung up (the daemon refusing a client
 * before it wrote its request) must not kill the writer with SIGPIPE; the
 * client still reads the refusal that is waiting in its socket. */
static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

void control_finish(struct control_client *cl, int status, const char *errmsg)
{
	char buf[4096];
	size_t n;

	if (cl->fd < 0)
		return;
	if (status < 0) {
		snprintf(buf, sizeof(buf), "error %s\n", errmsg ? errmsg : strerror(-status));
		write_all(cl->fd, buf, strlen(buf));
	} else {
		write_all(cl->fd, "ok\n", 3);
		if (cl->out) {
			rewind(cl->out);
			while ((n = fread(buf, 1, sizeof(buf), cl->out)) > 0)
				write_all(cl->fd, buf, n);
		}
	}
	if (cl->out)
		fclose(cl->out);
	cl->out = NULL;
	close(cl->fd);
	cl->fd = -1;
}

int control_request(const char *path, const char *request, FILE *out, char *errbuf, size_t errsz)
{
	_cleanup_close_ int fd = -1;
	_cleanup_fclose_ FILE *in = NULL;
	struct sockaddr_un sa;
	char line[CONTROL_LINE_MAX];
	int r;

	r = fill_addr(path ? path : CONTROL_DEFAULT_PATH, &sa);
	if (r < 0)
		return r;
	if (strlen(request) >= CONTROL_LINE_MAX - 1 || strchr(request, '\n'))
		return -EINVAL;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	snprintf(line, sizeof(line), "%s\n", request);
	write_all(fd, line, strlen(line));
	shutdown(fd, SHUT_WR);
	in = fdopen(fd, "r");
	if (!in)
		return -errno;
	fd = -1; /* owned by @in now */
	if (!fgets(line, sizeof(line), in))
		return -EPROTO;
	line[strcspn(line, "\n")] = '\0';
	if (strncmp(line, "ok", 2) || line[2]) {
		if (errbuf && errsz)
			snprintf(errbuf, errsz, "%s",
				 !strncmp(line, "error ", 6) ? line + 6 : line);
		return !strcmp(line, "error permission denied") ? -EPERM : -EREMOTEIO;
	}
	while (fgets(line, sizeof(line), in))
		fputs(line, out);
	return 0;
}

int control_parse_duration(const char *s, uint64_t *ret_sec)
{
	uint64_t v = 0, mult = 1;
	const char *p = s;

	if (!*p)
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > 30ULL * 86400)
			return -ERANGE;
	}
	if (p == s)
		return -EINVAL;
	switch (*p) {
	case '\0':
	case 's':
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	default:
		return -EINVAL;
	}
	if (*p && p[1])
		return -EINVAL;
	v *= mult;
	if (v == 0)
		return -EINVAL;
	if (v > 30ULL * 86400)
		return -ERANGE;
	*ret_sec = v;
	return 0;
}
