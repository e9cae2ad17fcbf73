// SPDX-License-Identifier: GPL-2.0-or-later
/* fileutil: whole reads and writes on a file descriptor. See fileutil.h. */
#include <errno.h>
#include <unistd.h>

#include "fileutil.h"

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
