// SPDX-License-Identifier: GPL-2.0
/* Probe: scsi_done() is a function (5.16+); older kernels use cmd->scsi_done. */
#include <scsi/scsi_cmnd.h>

void mg_probe(struct scsi_cmnd *cmd);
void mg_probe(struct scsi_cmnd *cmd)
{
	scsi_done(cmd);
}
