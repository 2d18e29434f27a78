/*
 * swh_snapshot: the one definition of a usable snapshot of a project, shared by the emulator
 * (its seed and --state files) and swh.load, so that a file one accepts the other accepts
 * too, with the same messages.
 *
 * The format (swh_emulator.h says it too):
 *   {"swh_snapshot":1,"project_id":"…","apps":[App…],"webhooks":[Webhook…]}
 * Apps and webhooks are kept whole, unknown fields included. Every key may be missing (a
 * hand-written seed): no version means 1, no lists mean empty ones, a webhook without an id
 * gets one from the emulator.
 */
#ifndef SWH_SNAPSHOT_H
#define SWH_SNAPSHOT_H

#include <stdbool.h>

#include <jansson.h>

#include "swh_error.h"
#include "swh_export.h"

SWH_BEGIN_DECLS

/* The only format version so far, the value of "swh_snapshot". */
#define SWH_SNAPSHOT_VERSION 1

/*
 * Reads the JSON in the file at path (a duplicated key is an error) into *snapshot, a new
 * reference the caller owns; it is not checked (see swh_snapshot_check). On failure
 * *snapshot is NULL and err names path:
 *   SWH_ERR_USAGE       "snap.json: cannot open: No such file or directory"
 *   SWH_ERR_VALIDATION  "snap.json: line 2, column 10: unexpected token"
 * The reason is jansson's without the text it quotes (which may be part of a secret).
 */
SWH_API swh_status swh_snapshot_read(const char *path, json_t **snapshot, swh_error *err);

/*
 * Checks a snapshot value with the rules the API applies to requests: an object whose
 * swh_snapshot, if present, is 1 and project_id a non-empty string; apps an array of objects
 * with distinct non-empty string ids and a string display_name if any; webhooks an array of
 * valid webhooks (swh_webhook_validate, without SWH_VALIDATE_STRICT_TRIGGERS: a snapshot of
 * the real API may hold triggers newer than API.md) whose ids, if present, are distinct
 * non-empty strings, and that the project's rules (swh_project_placement) allow, each in
 * turn: its app is one of the apps, has room, and has no earlier webhook with its target.
 * Linear in the snapshot's size.
 * On success returns copies of the apps and webhooks (new references the caller owns; empty
 * arrays when absent) with trigger names normalised (swh_webhook_normalize), and
 * *project_id (borrowed from snapshot; NULL when absent).
 * On failure returns SWH_ERR_VALIDATION with a message that starts with source (a file name,
 * or "seed") and names the element, never quoting a secret:
 *   "snap.json: webhooks[3].app_id: no such app \"X\""
 *   "snap.json: webhooks[4].target: app \"A\" already has a webhook with this target
 *    (webhooks[1])"
 *   "seed: apps[1].id: \"A\" is also apps[0].id"
 * (or SWH_ERR_MEMORY); then *apps, *webhooks and *project_id are NULL.
 */
SWH_API swh_status swh_snapshot_check(const json_t *snapshot, const char *source, json_t **apps,
                                      json_t **webhooks, const char **project_id, swh_error *err);

/*
 * swh_snapshot_check without the copies, for a snapshot the caller owns and needs no longer
 * as it was (swh.load's, swh.save's): its own lists are checked, with the same rules and
 * messages; with normalize, their trigger names become the API's (on failure, those before
 * the refused element may have). *project_id as swh_snapshot_check's.
 */
SWH_API swh_status swh_snapshot_check_in_place(json_t *snapshot, const char *source, bool normalize,
                                               const char **project_id, swh_error *err);

SWH_END_DECLS

#endif
