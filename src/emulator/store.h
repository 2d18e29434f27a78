/*
 * emu_store: the emulated project (its apps and webhooks in a swh_project, kept whole as
 * JSON so unknown fields survive, indexed so that every request costs O(1); each webhook
 * packed, packed.h, to hold 100,000 of them in little memory), how it starts
 * (a state file, a seed snapshot, or N generated apps), and how it is saved (state.h: a
 * snapshot plus a log of changes, mode 0600: it holds secrets).
 *
 * One read-write lock guards everything: reads (GET, lists, snapshots) under the read lock,
 * in parallel; changes, and their line in the state log, under the write lock, so the log
 * holds them in the order they were made. Functions named *_locked expect the caller to
 * hold it (the write lock if they change anything). Answers are serialised while the lock
 * is held (emu_reply_dump), so stored values are never handed out.
 */
#ifndef EMU_STORE_H
#define EMU_STORE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "packed.h"
#include "swh_emulator.h"
#include "state.h"
#include "swh_error.h"
#include "swh_project.h"
#include "ulid.h"

typedef struct emu_store {
  pthread_rwlock_t lock;
  char *project_id;
  swh_project *project; /* the apps, the webhooks packed (packed.h), and the rules */
  json_t *seen_triggers; /* set (object) of trigger names beyond API.md's that the seed or
                            state held, and of enum values as "target_type=GRPC": this
                            emulator plays a newer server that knows them */
  json_t *seen_fields;   /* set of field paths beyond API.md's (swh_webhook_unknown_fields)
                            that the seed or state held: kept whatever unknown_fields says */
  swh_emulator_unknown_fields unknown_fields;
  emu_state *state;    /* the --state file; NULL: nothing is saved */
  bool seeded_ids;     /* --seed given: ids come from the PRNG and a virtual clock */
  uint64_t prng;
  uint64_t id_clock_ms;
} emu_store;

/* Sets the store up from config: the state file (and its log) if it exists, else the seed
   (file or value), else config->apps generated apps; then writes the whole state file if
   there is one.
   A bad snapshot gives SWH_ERR_VALIDATION naming the place, e.g.
   "seed.json: webhooks[3].app_id: no such app \"X\"". */
swh_status emu_store_init(emu_store *store, const swh_emulator_config *config,
                          swh_error *err);

void emu_store_destroy(emu_store *store);

/* body (a create's, or an update's) with its fields beyond API.md, other than the seen ones,
   dealt with as store->unknown_fields says: a new reference to body (none, or kept), a copy
   without them (dropped), or NULL with err: SWH_ERR_VALIDATION "webhook.x: unknown field
   (…)" (refused, the first), SWH_ERR_MEMORY. */
json_t *emu_store_screen_fields(const emu_store *store, const json_t *body, swh_error *err);

/* The whole state as a snapshot value (a new reference, the caller's to change), NULL on
   allocation failure. Apps in order, then each app's webhooks in order. */
json_t *emu_store_snapshot_locked(const emu_store *store);

/* Records a change in the state file, if any: change is {"op":"create"|"update",
   "webhook":{…}} or {"op":"delete","id":…} (borrowed), appended to the log, or the whole
   state is written when the log is due for compaction. SWH_OK means it is on disk. */
swh_status emu_store_record_locked(emu_store *store, const json_t *change, swh_error *err);

/* Folds the state file's log into its snapshot, if it holds changes, so that after a clean
   stop the state file alone is the whole state (for readers of snapshots, who do not read
   the log). A failure is said on stderr; the log then still holds the changes. */
void emu_store_fold_log(emu_store *store);

/* The key that signs OAuth2 tokens, kept in the state file (EMU_STATE_KEY_LEN bytes,
   borrowed), or NULL without one: tokens then die with the process. */
const unsigned char *emu_store_token_key(const emu_store *store);

/* A fresh id, unused by any app or webhook. */
void emu_store_new_id_locked(emu_store *store, char out[EMU_ULID_LEN + 1]);


/* Checks a webhook (or, with SWH_VALIDATE_PARTIAL, an update's changes) as the server:
   API.md's rules, and trigger names among API.md's or those seen in the seed or state. */
swh_status emu_store_validate(const emu_store *store, const json_t *webhook, unsigned flags,
                              swh_error *err);

#endif
