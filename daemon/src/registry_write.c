// SPDX-License-Identifier: GPL-2.0-or-later
/* registry_write: locked, atomic edits of the registry file. See registry_write.h. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil.h"
#include "macro.h"
#include "registry_write.h"

#define REGISTRY_WRITE_MAX (256u << 20)

DEFINE_TRIVIAL_CLEANUP_FUNC(struct registry *, registry_free)

/* The current file (missing: empty, @ret_st zeroed) read under the lock. */
static int read_current(const char *path, char **ret_buf, size_t *ret_len, struct stat *ret_st)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t n = 0;
	int r;

	fd = fileutil_open_regular(path, &st);
	if (fd == -ENOENT) {
		memset(ret_st, 0, sizeof(*ret_st));
		*ret_buf = calloc(1, 1);
		*ret_len = 0;
		return *ret_buf ? 0 : -ENOMEM;
	}
	if (fd < 0)
		return fd;
	if ((uint64_t)st.st_size > REGISTRY_WRITE_MAX)
		return -EFBIG;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	r = fileutil_read_all(fd, buf, (size_t)st.st_size, &n);
	if (r < 0)
		return r;
	buf[n] = '\0';
	*ret_buf = TAKE_PTR(buf);
	*ret_len = n;
	*ret_st = st;
	return 0;
}

/* Atomically replace @path with @len bytes of @buf, keeping owner and mode
 * of the old file (@old, st_mode 0 when there was none). */
static int replace_file(const char *path, const char *buf, size_t len, const struct stat *old)
{
	_cleanup_free_ char *tmp = NULL, *dcopy = NULL;
	_cleanup_close_ int fd = -1, dfd = -1;
	int r = 0;

	fd = fileutil_write_temp(path, ".tmp.XXXXXX", buf, len, &tmp);
	if (fd < 0)
		return fd;
	if (fchmod(fd, old->st_mode ? (old->st_mode & 07755) : 0644) < 0)
		r = -errno;
	if (r >= 0 && old->st_mode && geteuid() == 0 && fchown(fd, old->st_uid, old->st_gid) < 0)
		r = -errno;
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (r >= 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	dcopy = strdup(path);
	if (!dcopy)
		return -ENOMEM;
	dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		fsync(dfd);
	return 0;
}

/* Byte offset of the start of line @line (1-based) in @buf, or @len. */
static size_t line_offset(const char *buf, size_t len, unsigned int line)
{
	size_t off = 0;

	for (unsigned int l = 1; l < line && off < len; l++) {
		const char *nl = memchr(buf + off, '\n', len - off);

		off = nl ? (size_t)(nl - buf) + 1 : len;
	}
	return off;
}

/* End (exclusive, after its newline) of the logical line starting at @off:
 * physical lines joined by a trailing backslash outside strings/comments. */
static size_t logical_line_end(const char *buf, size_t len, size_t off)
{
	for (;;) {
		bool in_str = false, comment = false;
		size_t i = off, last = off;

		while (i < len && buf[i] != '\n') {
			char c = buf[i];

			if (!comment && in_str && c == '\\' && i + 1 < len && buf[i + 1] != '\n') {
				i += 2;
				last = i;
				continue;
			}
			if (!comment && c == '"')
				in_str = !in_str;
			else if (!comment && !in_str && c == '#')
				comment = true;
			if (c != '\r')
				last = i + 1;
			i++;
		}
		if (i >= len)
			return len;
		if (!comment && last > off && buf[last - 1] == '\\') {
			off = i + 1; /* continued on the next line */
			continue;
		}
		return i + 1;
	}
}

/* Render @e as its canonical line (malloc'ed). */
static int entry_text(const struct registry_entry *e, char **ret, size_t *ret_len)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);

	if (!f)
		return -ENOMEM;
	registry_print_entry(e, f);
	if (ferror(f) | fclose(f)) {
		free(text);
		return -ENOMEM;
	}
	*ret = text;
	*ret_len = n;
	return 0;
}

enum op { OP_ADD, OP_RETIRE, OP_REMOVE };

struct edit {
	enum op op;
	const struct registry_entry *add;
	const char *medium_id;
	const char *date;
};

/* Build the new file content from the current one. */
static int apply(const char *path, const char *buf, size_t len, const struct edit *ed, char **ret,
		 size_t *ret_len, struct diag_list *diags)
{
	_cleanup_(registry_freep) struct registry *reg = NULL;
	_cleanup_free_ char *line = NULL;
	const struct registry_entry *e;
	size_t start = len, end = len, llen = 0, n;
	char *out;
	int r;

	r = registry_parse_buffer(path, buf, len, &reg, diags);
	if (r < 0)
		return r;
	if (ed->op == OP_ADD) {
		if (registry_find_medium(reg, ed->add->medium_id) ||
		    registry_find_uuid(reg, ed->add->luks_uuid))
			return -EEXIST;
		r = entry_text(ed->add, &line, &llen);
	} else {
		struct registry_entry copy;

		e = registry_find_medium(reg, ed->medium_id);
		if (!e)
			return -ENOENT;
		start = line_offset(buf, len, e->line);
		end = logical_line_end(buf, len, start);
		if (ed->op == OP_RETIRE) {
			if (e->retired[0])
				return -EALREADY;
			copy = *e;
			snprintf(copy.retired, sizeof(copy.retired), "%s", ed->date);
			r = entry_text(&copy, &line, &llen);
		} else {
			line = strdup("");
			r = line ? 0 : -ENOMEM;
		}
	}
	if (r < 0)
		return r;
	/* an appended line after a last line without newline */
	bool sep = ed->op == OP_ADD && len > 0 && buf[len - 1] != '\n';
	/* a replaced last line without newline keeps having none */
	if (ed->op == OP_RETIRE && end == len && len > 0 && buf[len - 1] != '\n' && llen)
		llen--;
	n = start + sep + llen + (len - end);
	out = malloc(n + 1);
	if (!out)
		return -ENOMEM;
	memcpy(out, buf, start);
	if (sep)
		out[start] = '\n';
	memcpy(out + start + sep, line, llen);
	memcpy(out + start + sep + llen, buf + end, len - end);
	out[n] = '\0';
	*ret = out;
	*ret_len = n;
	return 0;
}

static int locked_edit(const char *path, const struct edit *ed, struct diag_list *diags)
{
	_cleanup_free_ char *lockpath = NULL, *buf = NULL, *out = NULL;
	_cleanup_close_ int lfd = -1;
	struct registry *check = NULL;
	struct diag_list cdiags = {0};
	struct stat st;
	size_t len = 0, olen = 0;
	int r;

	if (asprintf(&lockpath, "%s.lock", path) < 0)
		return -ENOMEM;
	lfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lfd < 0)
		return -errno;
	while (flock(lfd, LOCK_EX) < 0)
		if (errno != EINTR)
			return -errno;
	r = read_current(path, &buf, &len, &st);
	if (r < 0) {
		diag_add(diags, path, 0, 0, "cannot read registry: %s", strerror(-r));
		return r;
	}
	r = apply(path, buf, len, ed, &out, &olen, diags);
	if (r < 0)
		return r;
	/* never write something the daemon would refuse */
	r = registry_parse_buffer(path, out, olen, &check, &cdiags);
	registry_free(check);
	if (r < 0) {
		for (size_t i = 0; i < cdiags.n; i++)
			diag_add(diags, path, cdiags.v[i].line, cdiags.v[i].col,
				 "new entry would not parse: %s", cdiags.v[i].msg);
		diag_list_free(&cdiags);
		return -EINVAL;
	}
	diag_list_free(&cdiags);
	return replace_file(path, out, olen, &st);
	/* the lock goes with lfd */
}

int registry_write_add(const char *path, const struct registry_entry *e, struct diag_list *diags)
{
	struct edit ed = {.op = OP_ADD, .add = e};

	return locked_edit(path, &ed, diags);
}

int registry_write_retire(const char *path, const char *medium_id, const char *date,
			  struct diag_list *diags)
{
	struct edit ed = {.op = OP_RETIRE, .medium_id = medium_id, .date = date};

	return locked_edit(path, &ed, diags);
}

int registry_write_remove(const char *path, const char *medium_id, struct diag_list *diags)
{
	struct edit ed = {.op = OP_REMOVE, .medium_id = medium_id};

	return locked_edit(path, &ed, diags);
}
