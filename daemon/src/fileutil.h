/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fileutil: whole reads and writes on a file descriptor, retried on EINTR
 * and on short transfers (orgkey and registry_write keep their own files).
 */
#ifndef MEDIAGATE_FILEUTIL_H
#define MEDIAGATE_FILEUTIL_H

#include <stddef.h>

/* Write all of @len bytes of @buf to @fd. */
int fileutil_write_all(int fd, const void *buf, size_t len);

/* Read from @fd into @buf until @size bytes or end of file; *ret_len: how
 * many were read. */
int fileutil_read_all(int fd, void *buf, size_t size, size_t *ret_len);

#endif
