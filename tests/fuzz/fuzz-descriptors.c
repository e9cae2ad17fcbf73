// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the raw USB descriptor parser (ident_parse_descriptors),
 * fed exactly what a hostile device could put in sysfs "descriptors".
 *
 * Beyond "no crash, no overread, no undefined behaviour", every input checks:
 *  - on error nothing of *ret_dev is written, and the error is one of the
 *    documented ones (-EBADMSG, -E2BIG);
 *  - on success only the descriptor-derived fields change, VID/PID/bcd and
 *    the class triple are the device descriptor's bytes, the interface list
 *    is bounded and free of duplicates;
 *  - the interfaces of one active configuration are a subset of those
 *    listed for "no configuration" (config 0 lists every configuration);
 *  - the result does not depend on the config value when no configuration
 *    has that value.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "ident.h"

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static bool has_intf(const struct ident_device *d, const struct ident_intf *in)
{
	for (unsigned int i = 0; i < d->n_intf; i++)
		if (!memcmp(&d->intf[i], in, sizeof(*in)))
			return true;
	return false;
}

/* Parse with @config into a device pre-filled with a pattern; check it. */
static int parse_checked(const uint8_t *data, size_t size, unsigned int config,
			 struct ident_device *ret)
{
	struct ident_device before;
	int r;

	memset(ret, 0xa5, sizeof(*ret));
	snprintf(ret->serial, sizeof(ret->serial), "keep-me");
	ret->connect = IDENT_CONNECT_HARDWIRED;
	ret->strings_truncated = true;
	ret->have_hash = true;
	before = *ret;
	r = ident_parse_descriptors(data, size, config, ret);
	if (r < 0) {
		fuzz_assert(r == -EBADMSG || r == -E2BIG, "undocumented error %d", r);
		fuzz_assert(!memcmp(ret, &before, sizeof(before)), "*ret_dev written on error");
		return r;
	}
	fuzz_assert(r == 0, "returned %d", r);
	fuzz_assert(size >= 18, "accepted %zu bytes", size);
	fuzz_assert(ret->vid == le16(data + 8) && ret->pid == le16(data + 10) &&
			    ret->bcd == le16(data + 12),
		    "ids are not the device descriptor's");
	fuzz_assert(ret->cls == data[4] && ret->subcls == data[5] && ret->proto == data[6],
		    "class triple is not the device descriptor's");
	fuzz_assert(ret->n_intf <= IDENT_MAX_INTF, "%u interfaces", ret->n_intf);
	for (unsigned int i = 0; i < ret->n_intf; i++)
		for (unsigned int j = i + 1; j < ret->n_intf; j++)
			fuzz_assert(memcmp(&ret->intf[i], &ret->intf[j], sizeof(ret->intf[i])),
				    "interface %u listed twice", i);
	fuzz_assert(!memcmp(ret->name, before.name, sizeof(before.name)) &&
			    !memcmp(ret->serial, before.serial, sizeof(before.serial)) &&
			    ret->connect == before.connect && ret->have_hash &&
			    ret->strings_truncated,
		    "a field not derived from descriptors was written");
	return 0;
}

/* bConfigurationValue of every configuration descriptor at the top level. */
static bool config_value_present(const uint8_t *data, size_t size, unsigned int v)
{
	size_t off = 18;

	while (off + 9 <= size) {
		size_t total = le16(data + off + 2);

		if (data[off + 5] == v)
			return true;
		if (total == 0)
			break;
		off += total;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ident_device all, one;
	int r_all, r;

	r_all = parse_checked(data, size, 0, &all);
	for (unsigned int config = 1; config <= 3; config++) {
		r = parse_checked(data, size, config, &one);
		if (r_all == 0 && r == 0)
			for (unsigned int i = 0; i < one.n_intf; i++)
				fuzz_assert(has_intf(&all, &one.intf[i]),
					    "config %u lists an interface config 0 does not",
					    config);
		if (r_all == 0 && !config_value_present(data, size, config)) {
			fuzz_assert(r == 0, "config %u absent: error %d, config 0 parses", config,
				    r);
			fuzz_assert(one.n_intf == all.n_intf &&
					    !memcmp(one.intf, all.intf,
						    sizeof(one.intf[0]) * all.n_intf),
				    "config %u absent yet the interface list differs", config);
		}
		if (r_all < 0 && r == 0)
			fuzz_assert(r_all == -E2BIG, "config %u parses, config 0 fails with %d",
				    config, r_all);
	}
	return 0;
}
