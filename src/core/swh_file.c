/* swh_file: see swh_file.h. */
#define _DEFAULT_SOURCE /* explicit_bzero, and POSIX 2008 */
#include "swh_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TEMP_SUFFIX ".tmp.XXXXXX"
#define TEMP_NAME_MAX 200

/* How much of the name at path+name_start the temporary file keeps (see below). */
static size_t kept_name_length(const char *path, size_t name_start) {
  size_t name_len = strlen(path + name_start);
  return name_len > TEMP_NAME_MAX ? TEMP_NAME_MAX : name_len;
}

/* Writes all len bytes to fd, resuming after signals and short writes; false with errno
   set when the file system refuses (no space, file too large...). */
static bool write_all(int fd, const char *data, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return false;
    if (n == 0) { /* no progress and no reason given: do not spin */
      errno = EIO;
      return false;
    }
    data += n;
    len -= (size_t)n;
  }
  return true;
}

/* The sink's buffer: large enough that writes are few, small enough to stay in cache. */
#define SINK_BUFFER (64 * 1024)

struct swh_file_sink {
  int fd;
  bool refused;   /* a write failed; errno_at_refusal says why */
  int errno_at_refusal;
  size_t used;
  char buffer[SINK_BUFFER];
};

/* Writes out what the sink holds; false (and refused) when the file system refuses. The
   buffer is wiped as it is emptied: it held a snapshot's secrets. */
static bool sink_flush(swh_file_sink *sink) {
  if (!sink->refused && !write_all(sink->fd, sink->buffer, sink->used)) {
    sink->refused = true;
    sink->errno_at_refusal = errno;
  }
  explicit_bzero(sink->buffer, sink->used);
  sink->used = 0;
  return !sink->refused;
}

bool swh_file_sink_write(swh_file_sink *sink, const char *data, size_t len) {
  while (len > 0 && !sink->refused) {
    if (sink->used == SINK_BUFFER && !sink_flush(sink))
      break;
    size_t room = SINK_BUFFER - sink->used, n = len < room ? len : room;
    memcpy(sink->buffer + sink->used, data, n);
    sink->used += n;
    data += n;
    len -= n;
  }
  return !sink->refused;
}

/* The writer that fills the temporary file, and whether it ran out of memory. */
typedef struct filling {
  swh_file_writer write;
  void *ctx;
  bool out_of_memory; /* the writer failed without a refused write */
} filling;

/* Fills the temporary file fd and puts it in place of path; errno says why when false
   (out_of_memory instead when the writer ran out of it). */
static bool fill_and_rename(int fd, const char *temp, const char *path, filling *fill) {
  /* mkstemp makes 0600 less the umask: say 0600 exactly, so the owner can read it back */
  bool ok = fchmod(fd, S_IRUSR | S_IWUSR) == 0;
  if (ok) {
    swh_file_sink *sink = malloc(sizeof *sink);
    if (!sink) {
      fill->out_of_memory = true;
      ok = false;
    } else {
      sink->fd = fd;
      sink->refused = false;
      sink->used = 0;
      ok = fill->write(sink, fill->ctx) && sink_flush(sink);
      if (!ok && sink->refused)
        errno = sink->errno_at_refusal;
      else if (!ok)
        fill->out_of_memory = true;
      explicit_bzero(sink->buffer, sink->used);
      free(sink);
    }
  }
  ok = ok && fsync(fd) == 0;
  int saved_errno = errno;
  if (close(fd) != 0 && ok) { /* a delayed write error (NFS) shows up here */
    ok = false;
    saved_errno = errno;
  }
  if (ok && rename(temp, path) != 0) {
    ok = false;
    saved_errno = errno;
  }
  errno = saved_errno;
  return ok;
}

/* A writer of one buffer, for swh_file_write_atomic. */
typedef struct buffer {
  const char *data;
  size_t len;
} buffer;

static bool write_buffer(swh_file_sink *sink, void *ctx) {
  const buffer *b = ctx;
  return swh_file_sink_write(sink, b->data, b->len);
}

swh_status swh_file_write_atomic(const char *path, const char *data, size_t len,
                                 swh_error *err) {
  buffer b = {data, len};
  return swh_file_write_atomic_with(path, write_buffer, &b, err);
}

swh_status swh_file_write_atomic_with(const char *path, swh_file_writer write, void *ctx,
                                      swh_error *err) {
  if (!path || !*path)
    return swh_error_set(err, SWH_ERR_USAGE, "no file name to write to");
  /* The temporary file is path's name, cut to TEMP_NAME_MAX bytes, plus the suffix, in the
     same directory: a name near the file system's limit (255 bytes) has no room for the
     suffix, and would otherwise be refused though it could be written. */
  const char *slash = strrchr(path, '/');
  size_t name_start = slash ? (size_t)(slash + 1 - path) : 0;
  size_t kept = name_start + kept_name_length(path, name_start);
  char *temp = malloc(kept + sizeof TEMP_SUFFIX);
  char *dir = strdup(path); /* dirname may write into its argument */
  if (!temp || !dir) {
    free(temp);
    free(dir);
    return swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
  }
  memcpy(temp, path, kept);
  memcpy(temp + kept, TEMP_SUFFIX, sizeof TEMP_SUFFIX);
  const char *dir_name = dirname(dir);
  swh_status status = SWH_OK;
  filling fill = {write, ctx, false};
  int fd = mkstemp(temp);
  if (fd < 0) {
    /* the temporary file is an implementation detail: name the directory it needs */
    status = swh_error_set(err, SWH_ERR_USAGE, "%s: cannot write in %s: %s", path, dir_name,
                           strerror(errno));
  } else if (!fill_and_rename(fd, temp, path, &fill)) {
    status = fill.out_of_memory
                 ? swh_error_set(err, SWH_ERR_MEMORY, "out of memory")
                 : swh_error_set(err, SWH_ERR_USAGE, "%s: cannot write: %s", path,
                                 strerror(errno));
    unlink(temp);
  } else {
    /* The new file is in place; flushing the directory makes the rename survive a crash.
       A failure here is not reported: the file is already replaced, and saying it was not
       would be wrong. */
    int dir_fd = open(dir_name, O_RDONLY | O_DIRECTORY);
    if (dir_fd >= 0) {
      fsync(dir_fd);
      close(dir_fd);
    }
  }
  free(temp);
  free(dir);
  return status;
}

size_t swh_file_remove_temporaries(const char *path) {
  if (!path || !*path)
    return 0;
  const char *slash = strrchr(path, '/');
  size_t name_start = slash ? (size_t)(slash + 1 - path) : 0;
  char *dir_name = slash ? strndup(path, name_start) : strdup(".");
  /* the prefix of the temporary names: the kept name and ".tmp." */
  size_t kept = kept_name_length(path, name_start);
  size_t prefix_len = kept + sizeof TEMP_SUFFIX - 1 - 6;
  char *prefix = malloc(prefix_len + 1);
  DIR *dir = dir_name && prefix ? opendir(dir_name) : NULL;
  size_t removed = 0;
  if (dir) {
    memcpy(prefix, path + name_start, kept);
    memcpy(prefix + kept, TEMP_SUFFIX, prefix_len - kept);
    prefix[prefix_len] = '\0';
    struct dirent *entry;
    while ((entry = readdir(dir))) {
      if (strlen(entry->d_name) != prefix_len + 6 ||
          strncmp(entry->d_name, prefix, prefix_len) != 0)
        continue;
      struct stat st;
      if (fstatat(dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
          S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
          unlinkat(dirfd(dir), entry->d_name, 0) == 0)
        removed++;
    }
    closedir(dir);
  }
  free(dir_name);
  free(prefix);
  return removed;
}
