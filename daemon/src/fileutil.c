// SPDX-License-Identifier: GPL-2.0-or-later
/* fileutil: regular files, whole reads and writes. See fileutil.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fileutil.h"
#include "macro.h"

int fileutil_open_regular(const char *path, struct stat *ret_st)
{
	struct stat st;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	*ret_st = st;
	return fd;
}

int fileutil_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fileutil_write_temp(const char *path, const char *suffix, const void *buf, size_t len,
			char **ret_tmp)
{
	_cleanup_free_ char *tmp = NULL;
	int fd, r;

	if (asprintf(&tmp, "%s%s", path, suffix) < 0)
		return -ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = fileutil_write_all(fd, buf, len);
	if (r < 0) {
		unlink(tmp);
		close(fd);
		return r;
	}
	*ret_tmp = TAKE_PTR(tmp);
	return fd;
}

int fileutil_read_all(int fd, void *buf, size_t size, size_t *ret_len)
{
	char *p = buf;
	size_t n = 0;

	while (n < size) {
		ssize_t k = read(fd, p + n, size - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		n += (size_t)k;
	}
	*ret_len = n;
	return 0;
}
