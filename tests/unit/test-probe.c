// SPDX-License-Identifier: GPL-2.0-or-later
/* Probe: images made here with cryptsetup, mkfs.vfat and sfdisk; exact fields. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ident.h"
#include "probe.h"

#define UUID2 "3f0c2f8e-8d1a-4c1b-9a53-0c6f3e0d4b11"
#define UUID1 "0b7e5c1a-2f44-4d8e-8a9c-6d1e2f3a4b5c"

static char dir[64];

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[1024], full[1200];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "cd '%s' && (%s) >/dev/null 2>&1", dir, cmd);
	r = system(full);
	if (r != 0)
		print_error("command failed (%d): %s\n", r, cmd);
	assert_int_equal(r, 0);
}

static const char *img(const char *name)
{
	static char p[160];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

#define LUKSFMT                                                                                    \
	"cryptsetup luksFormat --batch-mode --pbkdf pbkdf2 --pbkdf-force-iterations 1000 "         \
	"--key-file key "

static int group_setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/mg-probe-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	sh("printf 'correct horse battery staple' > key");
	sh("truncate -s 24M luks2.img && " LUKSFMT "--type luks2 --cipher aes-xts-plain64 "
	   "--key-size 512 --uuid " UUID2 " luks2.img");
	sh("cp luks2.img luks2tok.img && printf '%%s' "
	   "'{\"type\":\"mediagate-org\",\"keyslots\":[],\"org\":\"example\"}' > tok.json && "
	   "cryptsetup token import --json-file tok.json luks2tok.img");
	sh("cp luks2.img luks2other.img && printf '%%s' "
	   "'{\"type\":\"example-other\",\"keyslots\":[]}' > other.json && "
	   "cryptsetup token import --json-file other.json luks2other.img");
	sh("truncate -s 8M luks1.img && " LUKSFMT "--type luks1 --cipher aes-cbc-essiv:sha256 "
	   "--key-size 256 --uuid " UUID1 " luks1.img");
	/* both LUKS2 JSON areas overwritten: primary at 4 KiB, secondary at 20 KiB */
	sh("cp luks2.img corrupt.img && "
	   "dd if=/dev/urandom of=corrupt.img bs=1024 seek=4 count=8 conv=notrunc && "
	   "dd if=/dev/urandom of=corrupt.img bs=1024 seek=20 count=8 conv=notrunc");
	/* only the primary header damaged: libcryptsetup would repair it in place */
	sh("cp luks2.img primary.img && "
	   "dd if=/dev/urandom of=primary.img bs=1024 seek=4 count=8 conv=notrunc && "
	   "sha256sum primary.img > primary.sum");
	sh("mkfs.vfat -C vfat.img 4096 -n 'MY STICK' -i 1234ABCD");
	sh("truncate -s 4M blank.img");
	sh("truncate -s 16M part.img && printf 'label: dos\\nstart=2048, size=20480, type=c\\n' | "
	   "sfdisk part.img && mkfs.vfat --offset=2048 -n PART1 -i 0000BEEF part.img 10240");
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[160];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_luks2(void **state)
{
	struct media_info m;

	(void)state;
	assert_int_equal(probe_path(img("luks2.img"), &m), 0);
	assert_int_equal(m.kind, MEDIA_LUKS);
	assert_int_equal(m.luks_version, 2);
	assert_string_equal(m.luks_uuid, UUID2);
	assert_string_equal(m.cipher, "aes-xts-plain64");
	assert_int_equal(m.key_bits, 512);
	assert_false(m.token_present);
	assert_false(m.registered);
	assert_string_equal(m.fstype, "");
}

static void test_luks2_org_token(void **state)
{
	struct media_info m;
	char *json = NULL;

	(void)state;
	assert_int_equal(probe_path(img("luks2tok.img"), &m), 0);
	assert_int_equal(m.kind, MEDIA_LUKS);
	assert_true(m.token_present);
	assert_int_equal(probe_token_json(img("luks2tok.img"), PROBE_ORG_TOKEN_TYPE, &json), 0);
	assert_non_null(strstr(json, "\"org\":\"example\""));
	free(json);
	/* a token of another type is not ours */
	assert_int_equal(probe_path(img("luks2other.img"), &m), 0);
	assert_false(m.token_present);
	assert_int_equal(probe_token_json(img("luks2other.img"), PROBE_ORG_TOKEN_TYPE, &json),
			 -ENOENT);
	assert_int_equal(probe_token_json(img("vfat.img"), PROBE_ORG_TOKEN_TYPE, &json), -EBADMSG);
}

static void test_luks1(void **state)
{
	struct media_info m;

	(void)state;
	assert_int_equal(probe_path(img("luks1.img"), &m), 0);
	assert_int_equal(m.kind, MEDIA_LUKS);
	assert_int_equal(m.luks_version, 1);
	assert_string_equal(m.luks_uuid, UUID1);
	assert_string_equal(m.cipher, "aes-cbc-essiv:sha256");
	assert_int_equal(m.key_bits, 256);
	assert_false(m.token_present);
}

static void test_corrupt_luks(void **state)
{
	struct media_info m = {.kind = MEDIA_UNKNOWN};

	(void)state;
	assert_int_equal(probe_path(img("corrupt.img"), &m), -EBADMSG);
	assert_int_equal(m.kind, MEDIA_UNKNOWN); /* untouched */
}

/* The probe never writes: a damaged primary header is read from the
 * secondary one, and the image stays byte-identical. */
static void test_no_write_on_repairable_header(void **state)
{
	struct media_info m;

	(void)state;
	assert_int_equal(probe_path(img("primary.img"), &m), 0);
	assert_int_equal(m.kind, MEDIA_LUKS);
	assert_string_equal(m.luks_uuid, UUID2);
	assert_int_equal(m.key_bits, 512);
	sh("sha256sum -c primary.sum");
}

static void test_vfat(void **state)
{
	struct media_info m;

	(void)state;
	assert_int_equal(probe_path(img("vfat.img"), &m), 0);
	assert_int_equal(m.kind, MEDIA_PLAIN);
	assert_string_equal(m.fstype, "vfat");
	assert_string_equal(m.label, "MY STICK");
	assert_string_equal(m.fs_uuid, "1234-ABCD");
	assert_string_equal(m.luks_uuid, "");
}

static void test_blank(void **state)
{
	struct media_info m;

	(void)state;
	assert_int_equal(probe_path(img("blank.img"), &m), 0);
	assert_int_equal(m.kind, MEDIA_NONE);
	assert_string_equal(m.fstype, "");
}

static void test_partitioned(void **state)
{
	struct media_info m;

	(void)state;
	assert_int_equal(probe_path(img("part.img"), &m), 0);
	assert_int_equal(m.kind, MEDIA_PLAIN);
	assert_string_equal(m.fstype, "vfat");
	assert_string_equal(m.label, "PART1");
	assert_string_equal(m.fs_uuid, "0000-BEEF");
}

/* In a child: same answer; without root it cannot read what nobody may
 * read; a medium that never answers costs the timeout, not the daemon. */
static void test_isolated(void **state)
{
	struct media_info m;

	(void)state;
	assert_int_equal(probe_path_isolated(img("luks2tok.img"), 5000, 0, 0, &m), 0);
	assert_int_equal(m.kind, MEDIA_LUKS);
	assert_string_equal(m.luks_uuid, UUID2);
	assert_string_equal(m.cipher, "aes-xts-plain64");
	assert_int_equal(m.key_bits, 512);
	assert_true(m.token_present);
	assert_int_equal(probe_path_isolated(img("corrupt.img"), 5000, 0, 0, &m), -EBADMSG);

	sh("chmod 0711 . && chmod 0644 vfat.img && cp vfat.img secret.img && chmod 0600 "
	   "secret.img");
	assert_int_equal(probe_path_isolated(img("vfat.img"), 5000, 65534, 65534, &m), 0);
	assert_int_equal(m.kind, MEDIA_PLAIN);
	assert_string_equal(m.label, "MY STICK");
	assert_int_equal(probe_path_isolated(img("secret.img"), 5000, 65534, 65534, &m), -EACCES);
	assert_int_equal(probe_path_isolated(img("secret.img"), 5000, 0, 0, &m), 0);

	/* no answer in time: the child is killed and reaped */
	assert_int_equal(probe_path_isolated(img("luks2.img"), 0, 0, 0, &m), -ETIMEDOUT);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void post_hook(const char *path, struct media_info *m, char *why, size_t whysz,
		      void *userdata)
{
	/* runs in the child: what it changes must come back */
	m->token_checked = true;
	m->token_valid = getuid() == 0 && strstr(path, "luks2tok") != NULL;
	snprintf(why, whysz, "checked %s for %s", path, (const char *)userdata);
}

static void test_async_post_hook(void **state)
{
	struct probe_job job;
	struct media_info m;
	struct pollfd p;
	char why[256] = "";

	(void)state;
	assert_int_equal(probe_start(img("luks2tok.img"), 0, 0, post_hook, "stick-1", &job), 0);
	p = (struct pollfd){.fd = job.fd, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 5000), 1);
	assert_int_equal(probe_finish(&job, &m, why, sizeof(why)), 0);
	assert_int_equal(m.kind, MEDIA_LUKS);
	assert_true(m.token_checked);
	assert_true(m.token_valid);
	assert_non_null(strstr(why, "luks2tok.img for stick-1"));
	/* no hook after a failed probe */
	assert_int_equal(probe_start(img("corrupt.img"), 0, 0, post_hook, "x", &job), 0);
	p = (struct pollfd){.fd = job.fd, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 5000), 1);
	why[0] = '\0';
	assert_int_equal(probe_finish(&job, &m, why, sizeof(why)), -EBADMSG);
	assert_string_equal(why, "");
}

/* The daemon's way (probe_job.c): the mediagate-probe helper, found next to
 * this binary (the Makefile links it into the tests directory), gives the
 * same answers; the stick's identity it is given reaches the organisation
 * token check (which always explains itself), none means no check. */
static void test_exec_helper(void **state)
{
	struct ident_device dev = {.vid = 0x0781, .pid = 0x5583};
	char path[4096], why[256];
	struct probe_job job;
	struct media_info m;
	struct pollfd p;
	int fd;

	(void)state;
	assert_int_equal(probe_helper_open(path, sizeof(path), &fd), 0);
	assert_non_null(strstr(path, "/" PROBE_HELPER_NAME));
	assert_int_equal(probe_exec_run(fd, img("luks2tok.img"), 5000, &m), 0);
	assert_int_equal(m.kind, MEDIA_LUKS);
	assert_string_equal(m.luks_uuid, UUID2);
	assert_string_equal(m.cipher, "aes-xts-plain64");
	assert_true(m.token_present);
	assert_int_equal(probe_exec_run(fd, img("vfat.img"), 5000, &m), 0);
	assert_int_equal(m.kind, MEDIA_PLAIN);
	assert_string_equal(m.label, "MY STICK");
	assert_int_equal(probe_exec_run(fd, img("corrupt.img"), 5000, &m), -EBADMSG);
	assert_int_equal(probe_exec_run(fd, img("nope.img"), 5000, &m), -ENOENT);
	assert_int_equal(probe_exec_run(-1, img("vfat.img"), 5000, &m), -ENOENT);

	strcpy(dev.serial, "4C530001");
	for (int with_dev = 0; with_dev < 2; with_dev++) {
		assert_int_equal(probe_exec_start(fd, img("luks2tok.img"), with_dev ? &dev : NULL,
						  with_dev ? sizeof(dev) : 0, &job),
				 0);
		p = (struct pollfd){.fd = job.fd, .events = POLLIN};
		assert_int_equal(poll(&p, 1, 5000), 1);
		why[0] = 'x';
		assert_int_equal(probe_finish(&job, &m, why, sizeof(why)), 0);
		assert_int_equal(m.kind, MEDIA_LUKS);
		assert_int_equal(why[0] != '\0', with_dev);
	}

	/* no answer in time: the helper is killed and reaped */
	assert_int_equal(probe_exec_run(fd, img("luks2.img"), 0, &m), -ETIMEDOUT);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	close(fd);
}

static void test_missing(void **state)
{
	struct media_info m;

	(void)state;
	assert_int_equal(probe_path(img("nope.img"), &m), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_luks2),
		cmocka_unit_test(test_luks2_org_token),
		cmocka_unit_test(test_luks1),
		cmocka_unit_test(test_corrupt_luks),
		cmocka_unit_test(test_no_write_on_repairable_header),
		cmocka_unit_test(test_vfat),
		cmocka_unit_test(test_blank),
		cmocka_unit_test(test_partitioned),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_isolated),
		cmocka_unit_test(test_async_post_hook),
		cmocka_unit_test(test_exec_helper),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
