// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * policy_load: the policy's memory (one arena per loaded policy, freed at
 * once) and reading the file: regular file, owned by root and not writable
 * by group or others (when asked), at most POLICY_FILE_MAX bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "policy-internal.h"

/* ---- arena ---- */

struct parena_chunk {
	struct parena_chunk *next;
	size_t used, size;
	max_align_t data[];
};

#define ARENA_CHUNK (64u << 10)

void *policy_arena_alloc(struct parena *a, size_t n)
{
	struct parena_chunk *c = a->head;
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (!c || c->size - c->used < n) {
		size_t size = n > ARENA_CHUNK ? n : ARENA_CHUNK;

		c = calloc(1, sizeof(*c) + size);
		if (!c)
			return NULL;
		c->size = size;
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += n;
	return p;
}

char *policy_arena_strndup(struct parena *a, const char *s, size_t n)
{
	char *d = policy_arena_alloc(a, n + 1);

	if (d)
		memcpy(d, s, n);
	return d;
}

void policy_arena_free(struct parena *a)
{
	while (a->head) {
		struct parena_chunk *c = a->head;

		a->head = c->next;
		free(c);
	}
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	free(p->lists);
	free(p->rules);
	policy_arena_free(&p->arena);
	free(p);
}

/* Read the whole file from @fd, at most POLICY_FILE_MAX + 1 bytes. */
static int read_all(int fd, char **ret_buf, size_t *ret_len)
{
	size_t len = 0, cap = 64 << 10;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb;

			if (cap > POLICY_FILE_MAX)
				break;
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(buf);
			return -e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

int policy_load(const char *path, bool check_owner, struct policy **ret_policy,
		struct diag_list *diags)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0;
	int r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		diag_add(diags, path, 0, 0, "cannot open: %s", strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		diag_add(diags, path, 0, 0, "cannot stat: %s", strerror(-r));
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		diag_add(diags, path, 0, 0, "not a regular file");
		return -EINVAL;
	}
	if (check_owner && (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))) {
		if (st.st_uid != 0)
			diag_add(diags, path, 0, 0,
				 "refusing policy: owned by uid %u, must be owned by root",
				 (unsigned int)st.st_uid);
		if (st.st_mode & (S_IWGRP | S_IWOTH))
			diag_add(diags, path, 0, 0,
				 "refusing policy: writable by group or others (mode %04o), run "
				 "chmod go-w",
				 (unsigned int)(st.st_mode & 07777));
		return -EPERM;
	}
	r = read_all(fd, &buf, &len);
	if (r < 0) {
		diag_add(diags, path, 0, 0, "cannot read: %s", strerror(-r));
		return r;
	}
	return policy_parse_buffer(path, buf, len, ret_policy, diags);
}
