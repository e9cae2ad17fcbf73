/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mediagatectl verbs: each cmd_*() gets argv with argv[0] = the verb and
 * returns the process exit code (0 ok, 1 "no"/diagnostics, 2 usage). */
#ifndef MEDIAGATE_CLI_H
#define MEDIAGATE_CLI_H

#define MEDIAGATE_DEFAULT_POLICY "/etc/mediagate/mediagate.conf"

int cmd_check(int argc, char **argv);
int cmd_explain(int argc, char **argv);
/* media life cycle and ledger reports (issue 5) */
int cmd_enroll(int argc, char **argv);
int cmd_register(int argc, char **argv);
int cmd_unregister(int argc, char **argv);
int cmd_retire(int argc, char **argv);
int cmd_org_key(int argc, char **argv);
int cmd_inventory(int argc, char **argv);
int cmd_stocktake(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_verify(int argc, char **argv);
/* requests to the running daemon (issue 4): status, list, allow, block, reload, events */
int cmd_daemon_request(int argc, char **argv);

#endif
