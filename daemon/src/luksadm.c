// SPDX-License-Identifier: GPL-2.0-or-later
/* luksadm: libcryptsetup adapter for enroll/register/retire. See luksadm.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <libcryptsetup.h>

#include "log.h"
#include "luksadm.h"
#include "macro.h"
#include "probe.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct crypt_device *, crypt_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir)

static void luksadm_crypt_log(int level, const char *msg, void *usrptr)
{
	(void)usrptr;
	if (level == CRYPT_LOG_ERROR && msg)
		log_debug("libcryptsetup: %.*s", (int)strcspn(msg, "\n"), msg);
}

bool luksadm_weak_pbkdf(void)
{
	const char *e = getenv(LUKSADM_WEAK_PBKDF_ENV);

	return e && !strcmp(e, "1");
}

/* Initialise a context on @path; @load: read its LUKS2 header. */
static int open_cd(const char *path, bool load, struct crypt_device **ret_cd)
{
	struct crypt_device *cd = NULL;
	int r;

	crypt_set_log_callback(NULL, luksadm_crypt_log, NULL);
	r = crypt_init(&cd, path);
	if (r < 0)
		return r;
	crypt_set_log_callback(cd, luksadm_crypt_log, NULL);
	if (load) {
		r = crypt_load(cd, CRYPT_LUKS2, NULL);
		if (r < 0) {
			crypt_free(cd);
			return r == -EINVAL ? -EBADMSG : r;
		}
	}
	*ret_cd = cd;
	return 0;
}

/* "aes-xts-plain64" -> "aes" + "xts-plain64". */
static int split_cipher(const char *spec, char cipher[32], char mode[32])
{
	const char *dash = strchr(spec ? spec : "", '-');
	size_t n;

	if (!dash || dash == spec || (size_t)(dash - spec) >= 32 || strlen(dash + 1) >= 32 ||
	    !dash[1])
		return -EINVAL;
	n = (size_t)(dash - spec);
	memcpy(cipher, spec, n);
	cipher[n] = '\0';
	strcpy(mode, dash + 1);
	return 0;
}

static int set_pbkdf(struct crypt_device *cd)
{
	struct crypt_pbkdf_type pbkdf = {
		.type = CRYPT_KDF_ARGON2ID,
		.hash = "sha256",
	};

	if (luksadm_weak_pbkdf()) {
		pbkdf.time_ms = 1; /* must not be 0, unused without benchmark */
		pbkdf.iterations = 4;
		pbkdf.max_memory_kb = 32;
		pbkdf.parallel_threads = 1;
		pbkdf.flags = CRYPT_PBKDF_NO_BENCHMARK;
	} else {
		pbkdf.time_ms = 2000;
		pbkdf.max_memory_kb = 1024 * 1024;
		pbkdf.parallel_threads = 4;
	}
	return crypt_set_pbkdf_type(cd, &pbkdf);
}

int luksadm_format(const char *path, const struct luksadm_format_params *p, const char *pass,
		   size_t pass_len, char ret_uuid[40])
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	struct crypt_params_luks2 params = {.sector_size = 512, .label = p->label};
	char cipher[32], mode[32];
	const char *uuid;
	int r;

	if (!pass || pass_len == 0 || p->key_bits == 0 || p->key_bits % 8)
		return -EINVAL;
	r = split_cipher(p->cipher, cipher, mode);
	if (r < 0)
		return r;
	r = open_cd(path, false, &cd);
	if (r < 0)
		return r;
	r = set_pbkdf(cd);
	if (r < 0)
		return r;
	r = crypt_format(cd, CRYPT_LUKS2, cipher, mode, NULL, NULL, p->key_bits / 8, &params);
	if (r < 0)
		return r;
	r = crypt_keyslot_add_by_volume_key(cd, CRYPT_ANY_SLOT, NULL, 0, pass, pass_len);
	if (r < 0)
		return r;
	uuid = crypt_get_uuid(cd);
	if (!uuid || strlen(uuid) >= 40)
		return -EIO;
	strcpy(ret_uuid, uuid);
	return 0;
}

int luksadm_check_passphrase(const char *path, const char *pass, size_t pass_len)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	int r;

	r = open_cd(path, true, &cd);
	if (r < 0)
		return r;
	/* name NULL: only check the passphrase, no device-mapper needed */
	r = crypt_activate_by_passphrase(cd, NULL, CRYPT_ANY_SLOT, pass, pass_len, 0);
	return r < 0 ? r : 0;
}

/* Index of the first token of @type, or -ENOENT. */
static int find_token(struct crypt_device *cd, const char *type)
{
	for (int i = 0; i < 32; i++) {
		const char *t = NULL;
		crypt_token_info st = crypt_token_status(cd, i, &t);

		if ((st == CRYPT_TOKEN_EXTERNAL || st == CRYPT_TOKEN_EXTERNAL_UNKNOWN ||
		     st == CRYPT_TOKEN_INTERNAL || st == CRYPT_TOKEN_INTERNAL_UNKNOWN) &&
		    t && !strcmp(t, type))
			return i;
	}
	return -ENOENT;
}

static int remove_tokens(struct crypt_device *cd, const char *type)
{
	int n = 0, i, r;

	while ((i = find_token(cd, type)) >= 0) {
		r = crypt_token_json_set(cd, i, NULL);
		if (r < 0)
			return r;
		n++;
	}
	return n;
}

int luksadm_token_set(const char *path, const char *type, const char *json)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	int r;

	r = open_cd(path, true, &cd);
	if (r < 0)
		return r;
	r = remove_tokens(cd, type);
	if (r < 0)
		return r;
	r = crypt_token_json_set(cd, CRYPT_ANY_TOKEN, json);
	return r < 0 ? r : 0;
}

int luksadm_token_get(const char *path, const char *type, char **ret_json)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	const char *json = NULL;
	char *dup;
	int r, i;

	r = open_cd(path, true, &cd);
	if (r < 0)
		return r;
	i = find_token(cd, type);
	if (i < 0)
		return i;
	if (crypt_token_json_get(cd, i, &json) < 0 || !json)
		return -EBADMSG;
	dup = strdup(json);
	if (!dup)
		return -ENOMEM;
	*ret_json = dup;
	return 0;
}

int luksadm_token_remove(const char *path, const char *type)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	int r;

	r = open_cd(path, true, &cd);
	if (r < 0)
		return r;
	return remove_tokens(cd, type);
}

int luksadm_activate(const char *path, const char *name, const char *pass, size_t pass_len)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	int r;

	r = open_cd(path, true, &cd);
	if (r < 0)
		return r;
	r = crypt_activate_by_passphrase(cd, name, CRYPT_ANY_SLOT, pass, pass_len, 0);
	return r < 0 ? r : 0;
}

int luksadm_deactivate(const char *name)
{
	return crypt_deactivate(NULL, name);
}

int luksadm_erase(const char *path)
{
	struct crypt_device *cd = NULL;
	uint64_t meta = 0, keyslots = 0, area;
	struct media_info m;
	int r, n = 0;

	r = open_cd(path, true, &cd);
	if (r < 0)
		return r;
	for (int i = 0; i < crypt_keyslot_max(CRYPT_LUKS2); i++) {
		crypt_keyslot_info st = crypt_keyslot_status(cd, i);

		if (st != CRYPT_SLOT_ACTIVE && st != CRYPT_SLOT_ACTIVE_LAST &&
		    st != CRYPT_SLOT_UNBOUND)
			continue;
		r = crypt_keyslot_destroy(cd, i);
		if (r < 0)
			goto out;
		n++;
	}
	r = crypt_get_metadata_size(cd, &meta, &keyslots);
	if (r < 0)
		goto out;
	/* Everything before the data: both metadata copies and the keyslot
	 * area (the data offset is in 512-byte sectors). */
	area = crypt_get_data_offset(cd) * 512;
	if (area < 2 * meta + keyslots)
		area = 2 * meta + keyslots;
	r = crypt_wipe(cd, path, CRYPT_WIPE_RANDOM, 0, area, 0, CRYPT_WIPE_NO_DIRECT_IO, NULL,
		       NULL);
	if (r >= 0)
		r = crypt_wipe(cd, path, CRYPT_WIPE_ZERO, 0, 2 * meta, 0, CRYPT_WIPE_NO_DIRECT_IO,
			       NULL, NULL);
out:
	crypt_free(cd);
	if (r < 0)
		return r;
	{
		_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd >= 0)
			fsync(fd);
	}
	r = probe_path(path, &m);
	if (r < 0 && r != -EBADMSG)
		return r;
	if (r == -EBADMSG || m.kind == MEDIA_LUKS)
		return -EIO; /* something that still looks like a header */
	return n;
}

/* ---- target safety --------------------------------------------------- */

#define MAX_DEVS 64

/* The whole disk of block device @rdev and its partitions into @devs. */
static int disk_devs(dev_t rdev, dev_t *devs, size_t *ndevs, char disk[PATH_MAX])
{
	_cleanup_(closedirp) DIR *d = NULL;
	char link[64], path[PATH_MAX + 300];
	struct dirent *de;
	struct stat st;

	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(rdev), minor(rdev));
	if (!realpath(link, disk))
		return -errno;
	snprintf(path, sizeof(path), "%s/partition", disk);
	if (stat(path, &st) == 0) {
		char *slash = strrchr(disk, '/');

		if (!slash)
			return -ENODEV;
		*slash = '\0'; /* a partition: its parent is the disk */
	}
	*ndevs = 0;
	{
		unsigned int ma, mi;
		FILE *f;

		snprintf(path, sizeof(path), "%s/dev", disk);
		f = fopen(path, "re");
		if (!f)
			return -errno;
		if (fscanf(f, "%u:%u", &ma, &mi) == 2)
			devs[(*ndevs)++] = makedev(ma, mi);
		fclose(f);
	}
	d = opendir(disk);
	if (!d)
		return -errno;
	while ((de = readdir(d)) && *ndevs < MAX_DEVS) {
		unsigned int ma, mi;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/partition", disk, de->d_name);
		if (stat(path, &st) < 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s/dev", disk, de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fscanf(f, "%u:%u", &ma, &mi) == 2)
			devs[(*ndevs)++] = makedev(ma, mi);
		fclose(f);
	}
	return 0;
}

/* True if sysfs directory @dir/holders of device @dev is non-empty. */
static bool has_holders(dev_t dev, char *name, size_t namesz)
{
	_cleanup_(closedirp) DIR *d = NULL;
	char path[96];
	struct dirent *de;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/holders", major(dev), minor(dev));
	d = opendir(path);
	if (!d)
		return false;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(name, namesz, "%s", de->d_name);
		return true;
	}
	return false;
}

static bool in_set(dev_t d, const dev_t *devs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (devs[i] == d)
			return true;
	return false;
}

/* A mount of one of @devs (from /proc/self/mountinfo): its mount point. */
static bool mounted(const dev_t *devs, size_t n, char *where, size_t wsz)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	if (!f)
		return false;
	while (getline(&line, &cap, f) > 0) {
		unsigned int ma, mi;
		char mp[512];

		if (sscanf(line, "%*u %*u %u:%u %*s %511s", &ma, &mi, mp) != 3)
			continue;
		if (in_set(makedev(ma, mi), devs, n)) {
			snprintf(where, wsz, "%s", mp);
			return true;
		}
	}
	return false;
}

static bool loop_backed(const char *file, char *loopname, size_t sz)
{
	_cleanup_(closedirp) DIR *d = opendir("/sys/block");
	char real[PATH_MAX], path[PATH_MAX + 300], back[PATH_MAX];
	struct dirent *de;

	if (!d || !realpath(file, real))
		return false;
	while ((de = readdir(d))) {
		FILE *f;
		bool same = false;

		if (strncmp(de->d_name, "loop", 4))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/loop/backing_file", de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(back, sizeof(back), f)) {
			back[strcspn(back, "\n")] = '\0';
			same = !strcmp(back, real);
		}
		fclose(f);
		if (same) {
			snprintf(loopname, sz, "%s", de->d_name);
			return true;
		}
	}
	return false;
}

int luksadm_check_target(const char *path, char *why, size_t whysz)
{
	char disk[PATH_MAX], name[256], where[512];
	dev_t devs[MAX_DEVS];
	size_t n = 0;
	struct stat st, sys;
	int r;

	if (stat(path, &st) < 0) {
		r = -errno;
		snprintf(why, whysz, "cannot stat it: %s", strerror(-r));
		return r;
	}
	if (S_ISREG(st.st_mode)) {
		if (loop_backed(path, name, sizeof(name))) {
			snprintf(why, whysz, "the image file is attached to /dev/%s", name);
			return -EBUSY;
		}
		return 0;
	}
	if (!S_ISBLK(st.st_mode)) {
		snprintf(why, whysz, "not a block device or image file");
		return -ENOTBLK;
	}
	r = disk_devs(st.st_rdev, devs, &n, disk);
	if (r < 0) {
		snprintf(why, whysz, "cannot read its sysfs entry: %s", strerror(-r));
		return r;
	}
	if (n == 0)
		devs[n++] = st.st_rdev;
	for (const char *const *sp = (const char *const[]){"/", "/boot", "/boot/efi", NULL}; *sp;
	     sp++)
		if (stat(*sp, &sys) == 0 && in_set(sys.st_dev, devs, n)) {
			snprintf(why, whysz, "it holds the system's %s", *sp);
			return -EBUSY;
		}
	if (mounted(devs, n, where, sizeof(where))) {
		snprintf(why, whysz, "it (or a partition of it) is mounted on %s", where);
		return -EBUSY;
	}
	for (size_t i = 0; i < n; i++)
		if (has_holders(devs[i], name, sizeof(name))) {
			snprintf(why, whysz, "it (or a partition of it) is in use by %s", name);
			return -EBUSY;
		}
	return 0;
}
