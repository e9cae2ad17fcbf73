/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mediagatectl verbs: each cmd_*() gets argv with argv[0] = the verb and
 * returns the process exit code (0 ok, 1 "no"/diagnostics, 2 usage). */
#ifndef MEDIAGATE_CLI_H
#define MEDIAGATE_CLI_H

#define MEDIAGATE_DEFAULT_POLICY "/etc/mediagate/mediagate.conf"

int cmd_check(int argc, char **argv);
int cmd_explain(int argc, char **argv);

#endif
