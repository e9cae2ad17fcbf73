// SPDX-License-Identifier: GPL-2.0
/* Probe: scsi_rescan_device() takes a struct scsi_device * (6.6+, backported). */
#include <scsi/scsi_device.h>
#include <scsi/scsi_host.h>

int mg_probe(struct scsi_device *sdev);
int mg_probe(struct scsi_device *sdev)
{
	return scsi_rescan_device(sdev);
}
