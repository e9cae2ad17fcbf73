/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fileutil: opening a regular file, whole reads and writes on a file
 * descriptor (retried on EINTR and short transfers), for the modules that
 * keep their own files (orgkey, registry_write) and the admin CLI.
 */
#ifndef MEDIAGATE_FILEUTIL_H
#define MEDIAGATE_FILEUTIL_H

#include <stddef.h>
#include <sys/stat.h>

/* Open @path read-only (close-on-exec, never a controlling tty); it must be
 * a regular file (-EINVAL otherwise). Returns the fd (*@ret_st: its stat)
 * or -errno. */
int fileutil_open_regular(const char *path, struct stat *ret_st);

/* A new temporary file named @path + @suffix (ending in XXXXXX, see
 * mkostemp) holding @len bytes of @buf, for a rename over @path. Returns its
 * fd (*@ret_tmp: its name, malloc'ed) or -errno; a file that could not be
 * written is removed again. */
int fileutil_write_temp(const char *path, const char *suffix, const void *buf, size_t len,
			char **ret_tmp);

/* Write all of @len bytes of @buf to @fd. */
int fileutil_write_all(int fd, const void *buf, size_t len);

/* Read from @fd into @buf until @size bytes or end of file; *ret_len: how
 * many were read. */
int fileutil_read_all(int fd, void *buf, size_t size, size_t *ret_len);

#endif
