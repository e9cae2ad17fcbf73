// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * probe_job: media probes in child processes, without libblkid or
 * libcryptsetup in this file: the reply of a probe child, and the daemon's
 * way of starting one, fork + exec of the mediagate-probe helper, so the
 * long-lived daemon never maps the libraries that parse on-disk data
 * (libblkid, libcryptsetup, libdevmapper, json-c, libcrypto). See probe.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "macro.h"
#include "probe.h"

int probe_drop_caps(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {{0}};

	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

static void reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

void probe_cancel(struct probe_job *job)
{
	if (job->pid <= 0)
		return;
	kill(job->pid, SIGKILL);
	reap(job->pid);
	close(job->fd);
	job->pid = 0;
	job->fd = -1;
}

int probe_finish(struct probe_job *job, struct media_info *ret, char *why, size_t whysz)
{
	struct probe_reply rep;
	ssize_t n;

	n = read(job->fd, &rep, sizeof(rep));
	close(job->fd);
	/* a child that wrote its reply is about to exit; one that did not is
	 * killed (it closed the pipe some other way) */
	if (n != (ssize_t)sizeof(rep))
		kill(job->pid, SIGKILL);
	reap(job->pid);
	job->pid = 0;
	job->fd = -1;
	if (n != (ssize_t)sizeof(rep))
		return -EIO;
	if (rep.r < 0)
		return rep.r;
	/* the child's strings are bounded by the struct; make sure of the NULs */
	rep.m.fstype[sizeof(rep.m.fstype) - 1] = '\0';
	rep.m.label[sizeof(rep.m.label) - 1] = '\0';
	rep.m.fs_uuid[sizeof(rep.m.fs_uuid) - 1] = '\0';
	rep.m.luks_uuid[sizeof(rep.m.luks_uuid) - 1] = '\0';
	rep.m.cipher[sizeof(rep.m.cipher) - 1] = '\0';
	if (rep.m.kind < MEDIA_NONE || rep.m.kind > MEDIA_LUKS)
		return -EBADMSG;
	rep.why[sizeof(rep.why) - 1] = '\0';
	if (why && whysz)
		snprintf(why, whysz, "%s", rep.why);
	*ret = rep.m;
	return 0;
}

/* "mediagate-probe" next to the running program (a build directory, the
 * VM's /bin), else PROBE_HELPER_PATH. */
static int helper_path(char *buf, size_t sz)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash &&
		    (size_t)snprintf(buf, sz, "%.*s/" PROBE_HELPER_NAME, (int)(slash - self),
				     self) < sz &&
		    access(buf, X_OK) == 0)
			return 0;
	}
	return (size_t)snprintf(buf, sz, "%s", PROBE_HELPER_PATH) < sz ? 0 : -ENAMETOOLONG;
}

int probe_helper_open(char *path, size_t pathsz, int *ret_fd)
{
	struct stat st;
	int fd, r;

	r = helper_path(path, pathsz);
	if (r < 0)
		return r;
	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* a helper anybody but its owner could replace would run as root */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 022) ||
	    (st.st_uid != 0 && st.st_uid != geteuid())) {
		close(fd);
		return -EPERM;
	}
	*ret_fd = fd;
	return 0;
}

/* fd @fd as @to, close-on-exec cleared unless @cloexec. */
static int move_fd(int fd, int to, bool cloexec)
{
	if (fd == to)
		return fcntl(fd, F_SETFD, cloexec ? FD_CLOEXEC : 0);
	return dup3(fd, to, cloexec ? O_CLOEXEC : 0) < 0 ? -1 : 0;
}

static void __attribute__((noreturn)) exec_child(int helper, int reply, int input, const char *path)
{
	char *const argv[] = {(char *)PROBE_HELPER_NAME, (char *)path, NULL};
	char *envp[4] = {NULL};
	unsigned int n = 0;

	/* An empty environment, but a daemon run in a umockdev test bed hands
	 * it on (UMOCKDEV_DIR, the preload, a sanitizer's options) so the
	 * helper sees the same fake /dev; whoever sets the daemon's
	 * environment owns the daemon anyway. */
	if (getenv("UMOCKDEV_DIR"))
		for (char **e = environ; *e && n < 3; e++)
			if (!strncmp(*e, "UMOCKDEV_DIR=", 13) || !strncmp(*e, "LD_PRELOAD=", 11) ||
			    !strncmp(*e, "ASAN_OPTIONS=", 13))
				envp[n++] = *e;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* out of the way of 0, 3, 4 first, then into place: stdin the device
	 * identity, 3 the reply pipe, 4 the helper (close-on-exec) */
	helper = fcntl(helper, F_DUPFD_CLOEXEC, 10);
	reply = fcntl(reply, F_DUPFD_CLOEXEC, 10);
	input = fcntl(input, F_DUPFD_CLOEXEC, 10);
	if (helper < 0 || reply < 0 || input < 0 || move_fd(input, 0, false) < 0 ||
	    move_fd(reply, 3, false) < 0 || move_fd(helper, 4, true) < 0)
		_exit(2);
	/* no kernel device, control socket or database in the helper */
	close_range(5, ~0U, 0);
	if (probe_drop_caps() < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		_exit(2);
	syscall(SYS_execveat, 4, "", argv, envp, AT_EMPTY_PATH);
	_exit(127);
}

int probe_exec_start(int helper_fd, const char *path, const void *dev, size_t devsz,
		     struct probe_job *ret)
{
	int out[2], in[2], r;
	pid_t pid;

	if (helper_fd < 0)
		return -ENOENT;
	if (pipe2(out, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(in, O_CLOEXEC) < 0) {
		r = -errno;
		close(out[0]);
		close(out[1]);
		return r;
	}
	pid = fork();
	if (pid == 0)
		exec_child(helper_fd, out[1], in[0], path);
	r = pid < 0 ? -errno : 0;
	close(out[1]);
	close(in[0]);
	/* the identity for the token check: a few kB, within the pipe's
	 * buffer; a helper that died early gets nothing (EPIPE, ignored) */
	if (pid > 0 && dev && devsz)
		(void)!write(in[1], dev, devsz);
	close(in[1]);
	if (r < 0) {
		close(out[0]);
		return r;
	}
	*ret = (struct probe_job){.pid = pid, .fd = out[0]};
	return 0;
}

int probe_exec_run(int helper_fd, const char *path, int timeout_ms, struct media_info *ret)
{
	struct probe_job job;
	struct pollfd p;
	int r;

	r = probe_exec_start(helper_fd, path, NULL, 0, &job);
	if (r < 0)
		return r;
	p = (struct pollfd){.fd = job.fd, .events = POLLIN};
	while ((r = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
		;
	if (r != 1) {
		probe_cancel(&job);
		return r == 0 ? -ETIMEDOUT : -EIO;
	}
	return probe_finish(&job, ret, NULL, 0);
}
