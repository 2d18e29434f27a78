/*
 * swh_file: writing a file so that a crash never leaves half of it.
 *
 * The emulator's --state file and the snapshots of swh.save hold webhook secrets and are the
 * only copy of a project someone may need back: a crash, a full disk or a kill -9 during the
 * write must leave either the old file or the new one, never a mix, and never a copy that
 * other users can read.
 */
#ifndef SWH_FILE_H
#define SWH_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "swh_error.h"
#include "swh_export.h"

SWH_BEGIN_DECLS

/*
 * Replaces the file at path with the len bytes of data, atomically: a temporary file beside
 * it (same directory, so the rename cannot cross file systems) is written, flushed to disk
 * (fsync), given mode 0600, renamed over path, and the directory is flushed so the rename
 * itself survives a crash. Whatever path was (absent, or a file of any mode), it ends as a
 * file of mode 0600 holding data; a symbolic link at path is replaced, not followed.
 * On failure path is as it was and no temporary file is left. Errors, of kind SWH_ERR_USAGE:
 *   "dir/x.json: cannot write in dir: No such file or directory"  (no file can be made there)
 *   "dir/x.json: cannot write: File too large"          (writing, flushing or renaming failed)
 * and SWH_ERR_MEMORY. The message names path and never quotes data.
 */
SWH_API swh_status swh_file_write_atomic(const char *path, const char *data, size_t len,
                                         swh_error *err);

/* Where swh_file_write_atomic_with's writer puts the file's bytes (buffered). */
typedef struct swh_file_sink swh_file_sink;

/* Appends len bytes of data to the file being written; false once the file system has
   refused a write (the writer should then stop and return false). */
SWH_API bool swh_file_sink_write(swh_file_sink *sink, const char *data, size_t len);

/* Writes the whole content of a file into sink (swh_file_sink_write) from ctx; false when it
   could not: a refused write, or (sink never refused) out of memory. */
typedef bool (*swh_file_writer)(swh_file_sink *sink, void *ctx);

/*
 * As swh_file_write_atomic, the content written by write(sink, ctx) a piece at a time, so
 * that it never needs to be whole in memory (a snapshot of 100,000 webhooks is 40 MB of
 * text). The same guarantees and errors; a writer that fails without a refused write is
 * SWH_ERR_MEMORY "out of memory".
 */
SWH_API swh_status swh_file_write_atomic_with(const char *path, swh_file_writer write,
                                              void *ctx, swh_error *err);

/*
 * Removes the temporary files swh_file_write_atomic leaves beside path when its process is
 * killed during a write (path's name, cut as that function cuts it, then ".tmp." and six
 * characters): regular files of this user only, nothing else. Call it where nothing else can
 * be writing path (the start of the one program that owns it). Returns how many it removed;
 * a name it cannot remove is skipped, being only litter.
 */
SWH_API size_t swh_file_remove_temporaries(const char *path);

SWH_END_DECLS

#endif
