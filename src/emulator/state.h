/*
 * emu_state: the --state file, kept as a snapshot plus an append-only log of changes, so a
 * change costs one appended line and an fdatasync instead of a rewrite of the whole project.
 *
 *   FILE      the snapshot (swh_snapshot.h's format, mode 0600) with one more member, which
 *             other readers of snapshots ignore:
 *               "swh_emulator": {"log": ID, "token_key": HEX}
 *             the id of the log that continues it, and the key that signs OAuth2 tokens
 *             (kept, so a token issued before a restart works after it until it expires).
 *   FILE.log  JSON lines (mode 0600): a header {"swh_state_log":1,"snapshot":ID}, then one
 *             change a line, in the order they were made:
 *               {"op":"create","webhook":{…}}   appended to the webhooks
 *               {"op":"update","webhook":{…}}   the whole webhook after the change
 *               {"op":"delete","id":"…"}
 *
 * A change is acknowledged only once its line is written and flushed to disk, so it survives
 * a kill -9 (and a power cut). Loading reads the snapshot and replays the log whose header
 * names it, in linear time; a log naming another snapshot was already folded in by a
 * compaction a kill interrupted, and is ignored. A last line cut short by a crash was never
 * acknowledged: it is ignored, with a note on stderr. Compaction writes the whole state as a
 * new snapshot (atomically), then a new empty log; it happens at start and when the log
 * outgrows the snapshot (and 1 MiB), so a change costs a constant amount on average.
 * Temporary files a kill left beside FILE or FILE.log are removed at start.
 *
 * The log knows webhooks by id only, nothing of the store's layout.
 */
#ifndef EMU_STATE_H
#define EMU_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "swh_error.h"
#include "swh_file.h"

#define EMU_STATE_KEY_LEN 32
#define EMU_STATE_ID_LEN 16 /* hex digits */

typedef struct emu_state {
  char *path;                  /* the snapshot */
  char *log_path;              /* path + ".log" */
  int log_fd;                  /* open for appending; -1 until the first compaction */
  char log_id[EMU_STATE_ID_LEN + 1];
  size_t log_bytes;            /* written to the log since its header */
  size_t snapshot_bytes;       /* size of the last snapshot written */
  bool must_compact;           /* an append failed: the log may lack a change */
  unsigned char token_key[EMU_STATE_KEY_LEN];
} emu_state;

/* Opens the state at path: removes the temporary files a kill left, then reads the snapshot
   (if the file exists) and replays its log onto its webhooks. *snapshot gets the result (a
   new reference; NULL when path does not exist yet), to be checked by the caller. The token
   key is the stored one, or a new random one. Nothing is written: the caller compacts once
   it has the whole state. Errors name the file and, in the log, the line:
     SWH_ERR_USAGE       "state.json: cannot open: Permission denied"
     SWH_ERR_VALIDATION  "state.json.log: line 7: update of webhook \"X\", which does not exist"
   (or SWH_ERR_MEMORY); then the state holds nothing to close. */
swh_status emu_state_open(emu_state *state, const char *path, json_t **snapshot,
                          swh_error *err);

/* Reads a snapshot file without changing anything: when it is a state file, with the changes
   of its log (so a state file used as a seed is whole even after a kill -9), and without
   the emulator's member. *snapshot is a new reference, NULL on failure; errors as
   emu_state_open's. */
swh_status emu_state_read(const char *path, json_t **snapshot, swh_error *err);

/* Closes the log. Safe on a state that failed to open. */
void emu_state_close(emu_state *state);

/* Whether the next change should be saved with emu_state_compact rather than appended: the
   log has outgrown the snapshot, or an append failed. */
bool emu_state_wants_compaction(const emu_state *state);

/* Saves snapshot (borrowed; its members are left as they were; an object with members) and
   its webhooks as the whole state: a new snapshot file with a new log id, then a new empty
   log. webhooks(sink, ctx) writes the value of the "webhooks" member (a JSON array), which
   snapshot leaves out, as the file is written (at 100,000 webhooks the text is 40 MB). On
   failure the old files stay, and must_compact stays set. Errors as
   swh_file_write_atomic's (SWH_ERR_USAGE naming the file). */
swh_status emu_state_compact(emu_state *state, const json_t *snapshot, swh_file_writer webhooks,
                             void *ctx, swh_error *err);

/* Appends one change (borrowed: {"op":…, "webhook" or "id"}) and flushes it to disk. On
   failure must_compact is set, so that the next save rewrites everything; SWH_ERR_USAGE
   "state.json.log: cannot write: No space left on device". */
swh_status emu_state_append(emu_state *state, const json_t *change, swh_error *err);

#endif
