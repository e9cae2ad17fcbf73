// SPDX-License-Identifier: GPL-2.0-or-later
/* mountwatch: libmount monitor + mount table diff. See mountwatch.h. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <libmount.h>
#include <systemd/sd-login.h>

#include "macro.h"
#include "mountwatch.h"
#include "strutil.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_table *, mnt_unref_table)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_iter *, mnt_free_iter)
DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir)

#define SLAVE_DEPTH_MAX 4

/* One line of the table: every mount is remembered by id and a hash of its
 * source and target; those on USB media keep their details. */
struct known {
	int id;
	uint32_t hash;
	struct mountwatch_mount *usb;
};

struct mountwatch {
	char *path;
	struct libmnt_monitor *mon;
	mountwatch_resolve_fn resolve;
	void *resolve_data;
	struct known *v;
	size_t n;
};

static uint32_t fnv(uint32_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return (h ^ 0xff) * 16777619u;
}

static int resolve_devt(dev_t devt, char *ret, size_t sz, int depth)
{
	_cleanup_(closedirp) DIR *d = NULL;
	char path[PATH_MAX], real[PATH_MAX];
	struct dirent *de;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", major(devt), minor(devt));
	if (!realpath(path, real))
		return -errno;
	if (mountwatch_usb_name(real, ret, sz) == 0)
		return 1;
	if (depth >= SLAVE_DEPTH_MAX)
		return 0;
	/* a dm-crypt (or other dm) mapping: look under what it sits on */
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/slaves", major(devt), minor(devt));
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char dev[PATH_MAX + 300];
		unsigned int maj, min;
		FILE *f;
		int r;

		if (de->d_name[0] == '.')
			continue;
		snprintf(dev, sizeof(dev), "%s/%s/dev", path, de->d_name);
		f = fopen(dev, "re");
		if (!f)
			continue;
		r = fscanf(f, "%u:%u", &maj, &min);
		fclose(f);
		if (r != 2)
			continue;
		r = resolve_devt(makedev(maj, min), ret, sz, depth + 1);
		if (r != 0)
			return r;
	}
	return 0;
}

int mountwatch_resolve_sysfs(const char *source, char *ret, size_t sz, void *userdata)
{
	struct stat st;

	(void)userdata;
	if (strncmp(source, "/dev/", 5) || stat(source, &st) < 0 || !S_ISBLK(st.st_mode))
		return 0;
	return resolve_devt(st.st_rdev, ret, sz, 0);
}

void mountwatch_user(const char *target, char *ret, size_t sz, const char **ret_source)
{
	struct passwd pw, *res = NULL;
	char buf[1024];
	struct stat st;
	uid_t uid;

	if (mountwatch_user_from_path(target, ret, sz)) {
		*ret_source = "path";
		return;
	}
	uid = 0;
	if (stat(target, &st) == 0 && st.st_uid != 0) {
		uid = st.st_uid;
		*ret_source = "owner";
	} else if (sd_seat_get_active("seat0", NULL, &uid) >= 0 && uid != 0) {
		*ret_source = "seat";
	} else {
		ret[0] = '\0';
		*ret_source = "unknown";
		return;
	}
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		snprintf(ret, sz, "%s", res->pw_name);
	else
		snprintf(ret, sz, "%u", (unsigned int)uid);
}

/* Parse the table into a fresh known[] array; new USB mounts reported. */
static int read_table(struct mountwatch *mw, struct known **ret_v, size_t *ret_n)
{
	_cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL;
	_cleanup_(mnt_free_iterp) struct libmnt_iter *it = NULL;
	struct libmnt_fs *fs;
	struct known *v = NULL;
	size_t n = 0, cap = 0;
	int r;

	tb = mnt_new_table();
	it = mnt_new_iter(MNT_ITER_FORWARD);
	if (!tb || !it)
		return -ENOMEM;
	r = mnt_table_parse_file(tb, mw->path);
	if (r < 0)
		return r;
	while (mnt_table_next_fs(tb, it, &fs) == 0) {
		const char *src = mnt_fs_get_source(fs), *tgt = mnt_fs_get_target(fs);

		if (n == cap) {
			struct known *nv = realloc(v, (cap ? cap * 2 : 64) * sizeof(*v));

			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
			cap = cap ? cap * 2 : 64;
		}
		v[n].id = mnt_fs_get_id(fs);
		v[n].hash = fnv(fnv(2166136261u, src ? src : ""), tgt ? tgt : "");
		v[n].usb = NULL;
		n++;
	}
	*ret_v = v;
	*ret_n = n;
	return 0;
}

/* Details of a new mount, if it is on a USB medium. */
static struct mountwatch_mount *describe(struct mountwatch *mw, struct libmnt_fs *fs)
{
	const char *src = mnt_fs_get_source(fs), *tgt = mnt_fs_get_target(fs);
	const char *type = mnt_fs_get_fstype(fs), *opts = mnt_fs_get_vfs_options(fs);
	struct mountwatch_mount *m;
	char name[IDENT_NAME_MAX];

	if (!src || !tgt || mw->resolve(src, name, sizeof(name), mw->resolve_data) != 1)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->id = mnt_fs_get_id(fs);
	str_copy_bounded(m->source, sizeof(m->source), src, strlen(src));
	str_copy_bounded(m->target, sizeof(m->target), tgt, strlen(tgt));
	str_copy_bounded(m->fstype, sizeof(m->fstype), type ? type : "", type ? strlen(type) : 0);
	m->readonly = opts && mnt_optstr_get_option(opts, "ro", NULL, NULL) == 0;
	strcpy(m->usb_name, name);
	return m;
}

static struct known *find(struct known *v, size_t n, int id, uint32_t hash)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].id == id && v[i].hash == hash)
			return &v[i];
	return NULL;
}

/* Diff the current table against the remembered one. @report: call @fn. */
static int diff(struct mountwatch *mw, bool report, mountwatch_event_fn fn, void *userdata)
{
	_cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL;
	_cleanup_(mnt_free_iterp) struct libmnt_iter *it = NULL;
	struct libmnt_fs *fs;
	struct known *nv = NULL;
	size_t nn = 0;
	int r, count = 0;

	r = read_table(mw, &nv, &nn);
	if (r < 0)
		return r;
	tb = mnt_new_table();
	it = mnt_new_iter(MNT_ITER_FORWARD);
	if (!tb || !it || mnt_table_parse_file(tb, mw->path) < 0) {
		free(nv);
		return -ENOMEM;
	}
	/* carry over what was there; describe what is new */
	for (size_t i = 0; i < nn; i++) {
		struct known *old = find(mw->v, mw->n, nv[i].id, nv[i].hash);

		if (old) {
			nv[i].usb = old->usb;
			old->usb = NULL;
			old->id = -1; /* matched */
			continue;
		}
		mnt_reset_iter(it, MNT_ITER_FORWARD);
		while (mnt_table_next_fs(tb, it, &fs) == 0) {
			if (mnt_fs_get_id(fs) != nv[i].id)
				continue;
			nv[i].usb = describe(mw, fs);
			if (nv[i].usb && report) {
				fn(nv[i].usb, false, userdata);
				count++;
			}
			break;
		}
	}
	for (size_t i = 0; i < mw->n; i++) {
		if (mw->v[i].id != -1 && mw->v[i].usb && report) {
			fn(mw->v[i].usb, true, userdata);
			count++;
		}
		free(mw->v[i].usb);
	}
	free(mw->v);
	mw->v = nv;
	mw->n = nn;
	return count;
}

int mountwatch_new(const char *mountinfo, bool monitor, mountwatch_resolve_fn resolve,
		   void *resolve_data, struct mountwatch **ret_mw)
{
	struct mountwatch *mw = calloc(1, sizeof(*mw));
	int r;

	if (!mw)
		return -ENOMEM;
	mw->path = strdup(mountinfo ? mountinfo : "/proc/self/mountinfo");
	mw->resolve = resolve ? resolve : mountwatch_resolve_sysfs;
	mw->resolve_data = resolve_data;
	if (!mw->path) {
		r = -ENOMEM;
		goto fail;
	}
	if (monitor) {
		mw->mon = mnt_new_monitor();
		if (!mw->mon) {
			r = -ENOMEM;
			goto fail;
		}
		r = mnt_monitor_enable_kernel(mw->mon, 1);
		if (r >= 0)
			r = mnt_monitor_get_fd(mw->mon);
		if (r < 0)
			goto fail;
	}
	r = diff(mw, false, NULL, NULL);
	if (r < 0)
		goto fail;
	*ret_mw = mw;
	return 0;
fail:
	mountwatch_free(mw);
	return r;
}

void mountwatch_free(struct mountwatch *mw)
{
	if (!mw)
		return;
	for (size_t i = 0; i < mw->n; i++)
		free(mw->v[i].usb);
	free(mw->v);
	mnt_unref_monitor(mw->mon);
	free(mw->path);
	free(mw);
}

int mountwatch_fd(const struct mountwatch *mw)
{
	return mw->mon ? mnt_monitor_get_fd(mw->mon) : -1;
}

int mountwatch_refresh(struct mountwatch *mw, mountwatch_event_fn fn, void *userdata)
{
	if (mw->mon)
		while (mnt_monitor_next_change(mw->mon, NULL, NULL) == 0)
			;
	return diff(mw, true, fn, userdata);
}
