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
