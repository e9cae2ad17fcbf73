// SPDX-License-Identifier: GPL-2.0-or-later
/* probe: libblkid + libcryptsetup over a block device or image. See probe.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <blkid.h>
#include <json-c/json.h>
#include <libcryptsetup.h>

#include "log.h"
#include "macro.h"
#include "probe.h"
#include "strutil.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(blkid_probe, blkid_free_probe)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct crypt_device *, crypt_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put)

#define PROBE_MAX_PARTS 16

static void probe_crypt_log(int level, const char *msg, void *usrptr)
{
	(void)usrptr;
	if (level == CRYPT_LOG_ERROR && msg)
		log_debug("libcryptsetup: %.*s", (int)strcspn(msg, "\n"), msg);
}

/* Once per process: no locks under /run/cryptsetup (we never write), and
 * libcryptsetup's messages go to our debug log, not stderr. */
static void crypt_setup_once(void)
{
	static bool done;

	if (done)
		return;
	crypt_metadata_locking(NULL, 0);
	crypt_set_log_callback(NULL, probe_crypt_log, NULL);
	done = true;
}

static void copy_value(blkid_probe pr, const char *name, char *dst, size_t sz)
{
	const char *v = NULL;
	size_t len = 0;

	dst[0] = '\0';
	if (blkid_probe_lookup_value(pr, name, &v, &len) == 0 && v)
		str_copy_bounded(dst, sz, v, len);
}

/* Token of type @type in @cd: its index, or -ENOENT. */
static int find_token(struct crypt_device *cd, const char *type)
{
	for (int i = 0; i < 32; i++) {
		const char *t = NULL;
		crypt_token_info st = crypt_token_status(cd, i, &t);

		if (st == CRYPT_TOKEN_INVALID || st == CRYPT_TOKEN_INACTIVE || !t)
			continue;
		if (!strcmp(t, type))
			return i;
	}
	return -ENOENT;
}

/* True if token @i's JSON really says it is of @type (the status call only
 * reports the type string; parse to be sure the JSON is sound). */
static bool token_json_is(struct crypt_device *cd, int i, const char *type)
{
	_cleanup_(json_object_putp) json_object *o = NULL;
	json_object *t;
	const char *json = NULL;

	if (crypt_token_json_get(cd, i, &json) < 0 || !json)
		return false;
	o = json_tokener_parse(json);
	if (!o || !json_object_object_get_ex(o, "type", &t) ||
	    !json_object_is_type(t, json_type_string))
		return false;
	return !strcmp(json_object_get_string(t), type);
}

static int device_size(int fd, uint64_t *ret)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode)) {
		*ret = (uint64_t)st.st_size;
		return 0;
	}
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, ret) < 0 ? -errno : 0;
	return -ENOTBLK;
}

/*
 * Copy @path's LUKS header areas into a sparse memfd of the same size and
 * return it. libcryptsetup repairs a damaged primary LUKS2 header from the
 * secondary one while loading, by writing to the device: on the copy, the
 * probe can never write to the medium, whatever the library decides.
 */
static int snapshot_header(const char *path)
{
	_cleanup_close_ int fd = -1, mfd = -1;
	uint8_t hdr[4096];
	uint64_t size, len, hdr_size = 0;
	ssize_t n;
	int r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	r = device_size(fd, &size);
	if (r < 0)
		return r;
	n = pread(fd, hdr, sizeof(hdr), 0);
	if (n < 0)
		return -errno;
	if (n < 16 || memcmp(hdr, "LUKS\xba\xbe", 6))
		return -EBADMSG;
	len = sizeof(hdr);
	if (hdr[6] == 0 && hdr[7] == 2) {
		for (int i = 8; i < 16; i++)
			hdr_size = hdr_size << 8 | hdr[i];
		/* LUKS2 binary header + JSON area: 16 KiB .. 4 MiB, twice */
		if (hdr_size < 16384 || hdr_size > 4194304 || (hdr_size & (hdr_size - 1)))
			return -EBADMSG;
		len = 2 * hdr_size;
	}
	if (len > size)
		len = size;
	mfd = memfd_create("mediagate-probe", MFD_CLOEXEC);
	if (mfd < 0)
		return -errno;
	if (ftruncate(mfd, (off_t)size) < 0)
		return -errno;
	for (uint64_t off = 0; off < len;) {
		uint8_t buf[65536];
		size_t want = len - off < sizeof(buf) ? (size_t)(len - off) : sizeof(buf);

		n = pread(fd, buf, want, (off_t)off);
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		if (pwrite(mfd, buf, (size_t)n, (off_t)off) != n)
			return -errno;
		off += (uint64_t)n;
	}
	r = mfd;
	mfd = -1;
	return r;
}

/* LUKS details through libcryptsetup, on a copy of the header.
 * -EBADMSG if the header does not load. */
static int probe_luks(const char *path, struct media_info *m)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	_cleanup_close_ int mfd = -1;
	const char *type, *cipher, *mode, *uuid;
	char copy[64];
	int r, tok, ks;

	crypt_setup_once();
	mfd = snapshot_header(path);
	if (mfd < 0)
		return mfd;
	snprintf(copy, sizeof(copy), "/proc/self/fd/%d", mfd);
	r = crypt_init(&cd, copy);
	if (r < 0)
		return r;
	r = crypt_load(cd, CRYPT_LUKS, NULL);
	if (r < 0)
		return -EBADMSG;
	type = crypt_get_type(cd);
	cipher = crypt_get_cipher(cd);
	mode = crypt_get_cipher_mode(cd);
	uuid = crypt_get_uuid(cd);
	m->luks_version = type && !strcmp(type, CRYPT_LUKS1) ? 1 : 2;
	snprintf(m->cipher, sizeof(m->cipher), "%s%s%s", cipher ? cipher : "", mode ? "-" : "",
		 mode ? mode : "");
	str_copy_bounded(m->luks_uuid, sizeof(m->luks_uuid), uuid ? uuid : "",
			 uuid ? strlen(uuid) : 0);
	ks = crypt_get_volume_key_size(cd);
	m->key_bits = ks > 0 ? (unsigned int)ks * 8 : 0;
	m->token_present = false;
	if (m->luks_version == 2) {
		tok = find_token(cd, PROBE_ORG_TOKEN_TYPE);
		m->token_present = tok >= 0 && token_json_is(cd, tok, PROBE_ORG_TOKEN_TYPE);
	}
	return 0;
}

/* Superblock probe of @pr (already set up). Fills @m; *ret_has_pt says a
 * partition table was found instead of a filesystem. */
static int probe_superblocks(blkid_probe pr, const char *path, bool whole, struct media_info *m,
			     bool *ret_has_pt)
{
	char type[32], version[16];
	int r;

	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL |
						      BLKID_SUBLKS_UUID | BLKID_SUBLKS_VERSION);
	blkid_probe_enable_partitions(pr, whole);
	r = blkid_do_safeprobe(pr);
	if (r == -2)
		return -EBADMSG; /* ambivalent: several signatures */
	if (r < 0)
		return -EIO;
	*ret_has_pt = false;
	memset(m, 0, sizeof(*m));
	m->kind = MEDIA_NONE;
	if (r == 1)
		return 0;
	copy_value(pr, "TYPE", type, sizeof(type));
	if (!type[0]) {
		*ret_has_pt = whole && blkid_probe_has_value(pr, "PTTYPE");
		return 0;
	}
	if (!strcmp(type, "crypto_LUKS")) {
		m->kind = MEDIA_LUKS;
		copy_value(pr, "VERSION", version, sizeof(version));
		m->luks_version = !strcmp(version, "1") ? 1 : 2;
		copy_value(pr, "UUID", m->luks_uuid, sizeof(m->luks_uuid));
		return path ? probe_luks(path, m) : 0;
	}
	m->kind = MEDIA_PLAIN;
	str_copy_bounded(m->fstype, sizeof(m->fstype), type, strlen(type));
	copy_value(pr, "LABEL", m->label, sizeof(m->label));
	copy_value(pr, "UUID", m->fs_uuid, sizeof(m->fs_uuid));
	return 0;
}

/*
 * The device node of partition @partno of block disk @disk_devt, found
 * through sysfs (the partition's "partition" number and uevent DEVNAME).
 * Partitions of sd disks follow their disk's minor; check, don't assume.
 */
static int partition_node(dev_t disk_devt, int partno, char *ret, size_t sz)
{
	char path[128], line[128];
	FILE *f;
	int n = -1;
	bool found = false;

	if (partno <= 0 || partno > PROBE_MAX_PARTS)
		return -ENOENT;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/partition", major(disk_devt),
		 minor(disk_devt) + (unsigned int)partno);
	f = fopen(path, "re");
	if (!f)
		return -ENOENT;
	if (fscanf(f, "%d", &n) != 1)
		n = -1;
	fclose(f);
	if (n != partno)
		return -ENOENT;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent", major(disk_devt),
		 minor(disk_devt) + (unsigned int)partno);
	f = fopen(path, "re");
	if (!f)
		return -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "DEVNAME=", 8) && !strchr(line + 8, '/') && line[8]) {
			snprintf(ret, sz, "/dev/%s", line + 8);
			found = true;
			break;
		}
	}
	fclose(f);
	return found ? 0 : -ENOENT;
}

/* Combine: plain beats LUKS beats none (see probe.h). */
static void combine(struct media_info *acc, const struct media_info *part)
{
	if (part->kind == MEDIA_PLAIN && acc->kind != MEDIA_PLAIN)
		*acc = *part;
	else if (part->kind == MEDIA_LUKS && acc->kind == MEDIA_NONE)
		*acc = *part;
}

static int probe_partitions(const char *path, struct media_info *acc)
{
	_cleanup_(blkid_free_probep) blkid_probe pr = NULL;
	_cleanup_close_ int fd = -1;
	blkid_partlist pl;
	struct stat st;
	int n, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	pr = blkid_new_probe();
	if (!pr || blkid_probe_set_device(pr, fd, 0, 0) < 0)
		return -ENOMEM;
	blkid_probe_enable_superblocks(pr, 0);
	blkid_probe_enable_partitions(pr, 1);
	pl = blkid_probe_get_partitions(pr);
	if (!pl)
		return 0;
	n = blkid_partlist_numof_partitions(pl);
	if (n > PROBE_MAX_PARTS)
		return -E2BIG;
	for (int i = 0; i < n; i++) {
		_cleanup_(blkid_free_probep) blkid_probe pp = NULL;
		blkid_partition par = blkid_partlist_get_partition(pl, i);
		struct media_info m;
		bool pt;

		if (!par || blkid_partition_is_extended(par))
			continue;
		pp = blkid_new_probe();
		if (!pp)
			return -ENOMEM;
		if (blkid_probe_set_device(pp, fd, blkid_partition_get_start(par) * 512,
					   blkid_partition_get_size(par) * 512) < 0)
			return -EIO;
		r = probe_superblocks(pp, NULL, false, &m, &pt);
		if (r < 0)
			return r;
		/* LUKS in a partition of a real disk: libcryptsetup reads it
		 * through the partition's node (cipher, key size, token) */
		if (m.kind == MEDIA_LUKS && S_ISBLK(st.st_mode)) {
			char node[160];
			struct media_info lm = m;

			if (partition_node(st.st_rdev, blkid_partition_get_partno(par), node,
					   sizeof(node)) == 0 &&
			    probe_luks(node, &lm) == 0)
				m = lm;
		}
		combine(acc, &m);
	}
	return 0;
}

int probe_path(const char *path, struct media_info *ret)
{
	_cleanup_(blkid_free_probep) blkid_probe pr = NULL;
	struct media_info m;
	bool has_pt = false;
	int r;

	pr = blkid_new_probe_from_filename(path);
	if (!pr)
		return errno ? -errno : -EIO;
	r = probe_superblocks(pr, path, true, &m, &has_pt);
	if (r < 0)
		return r;
	if (has_pt) {
		r = probe_partitions(path, &m);
		if (r < 0)
			return r;
	}
	*ret = m;
	return 0;
}

static void __attribute__((noreturn))
probe_child(int fd, const char *path, unsigned int uid, unsigned int gid, probe_post_fn post,
	    void *userdata)
{
	struct probe_reply rep = {0};
	gid_t g = gid;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_DUMPABLE, 0);
	/* keep only the reply pipe: no kernel device, no control socket */
	if (dup2(fd, 3) < 0)
		_exit(2);
	fd = 3;
	close_range(4, ~0U, 0);
	if (uid && (setgroups(1, &g) < 0 || setresgid(g, g, g) < 0 || setresuid(uid, uid, uid) < 0))
		_exit(2);
	if (probe_drop_caps() < 0)
		_exit(2);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	rep.r = probe_path(path, &rep.m);
	if (rep.r == 0 && post)
		post(path, &rep.m, rep.why, sizeof(rep.why), userdata);
	_exit(write(fd, &rep, sizeof(rep)) == (ssize_t)sizeof(rep) ? 0 : 3);
}

int probe_start(const char *path, unsigned int drop_to_uid, unsigned int gid, probe_post_fn post,
		void *userdata, struct probe_job *ret)
{
	int pfd[2], r;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return r;
	}
	if (pid == 0) {
		close(pfd[0]);
		probe_child(pfd[1], path, drop_to_uid, gid, post, userdata);
	}
	close(pfd[1]);
	*ret = (struct probe_job){.pid = pid, .fd = pfd[0]};
	return 0;
}

int probe_path_isolated(const char *path, int timeout_ms, unsigned int drop_to_uid,
			unsigned int gid, struct media_info *ret)
{
	struct probe_job job;
	struct pollfd p;
	int r;

	r = probe_start(path, drop_to_uid, gid, NULL, NULL, &job);
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

int probe_token_json(const char *path, const char *type, char **ret_json)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	_cleanup_close_ int mfd = -1;
	const char *json = NULL;
	char *dup, copy[64];
	int r, tok;

	crypt_setup_once();
	mfd = snapshot_header(path);
	if (mfd < 0)
		return mfd;
	snprintf(copy, sizeof(copy), "/proc/self/fd/%d", mfd);
	r = crypt_init(&cd, copy);
	if (r < 0)
		return r;
	if (crypt_load(cd, CRYPT_LUKS2, NULL) < 0)
		return -EBADMSG;
	tok = find_token(cd, type);
	if (tok < 0)
		return tok;
	if (crypt_token_json_get(cd, tok, &json) < 0 || !json)
		return -EBADMSG;
	dup = strdup(json);
	if (!dup)
		return -ENOMEM;
	*ret_json = dup;
	return 0;
}
