/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * control: the control socket /run/mediagate/control (adapter over a Unix
 * stream socket, server and client side).
 *
 * One request per connection: the client sends one line ("status", "list",
 * "allow 2-1.4 --for 10m", "block 2-1.4", "reload", "events --since T",
 * "inventory"), the daemon answers with "ok\n" or "error MESSAGE\n" followed
 * by any number of text lines, and closes. Peers are checked with
 * SO_PEERCRED/SO_PEERGROUPS before anything is read: root, or a member of
 * the control group (default "mediagate"); everyone else gets
 * "error permission denied" and nothing else.
 */
#ifndef MEDIAGATE_CONTROL_H
#define MEDIAGATE_CONTROL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define CONTROL_DEFAULT_PATH "/run/mediagate/control"
#define CONTROL_GROUP "mediagate"
#define CONTROL_LINE_MAX 512

struct control;

struct control_client {
	int fd;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	bool allowed;
	char line[CONTROL_LINE_MAX]; /* the request, NUL-terminated, no newline */
	FILE *out; /* the reply stream (after the status line) */
};

/* Listen on @path (replacing a stale socket), mode 0660, group @gid
 * ((gid_t)-1: leave it). */
int control_new(const char *path, gid_t gid, struct control **ret_ctl);
void control_free(struct control *c);
int control_fd(const struct control *c);

/*
 * Accept one connection and check the peer. An allowed peer's request line
 * is read (500 ms at most) into @ret; a refused one is answered and closed
 * here (ret->allowed false, ret->fd -1). 0 on success, -EAGAIN if nothing
 * was pending, -errno.
 */
int control_accept(struct control *c, gid_t group, struct control_client *ret);
/* Send the status line ("ok" or "error MSG") then the body written to
 * ret->out since accept; close the connection. */
void control_finish(struct control_client *cl, int status, const char *errmsg);

/* Client: send @request to the daemon at @path and copy the reply body to
 * @out. Returns 0 if the daemon said ok, -EPERM for a permission refusal,
 * -EREMOTEIO for another error (message in @errbuf), -errno. */
int control_request(const char *path, const char *request, FILE *out, char *errbuf, size_t errsz);

/* Pure: "90", "30s", "10m", "2h", "1d" -> seconds (1 .. 30 days). */
int control_parse_duration(const char *s, uint64_t *ret_sec);

#endif
