/* The --state file as a snapshot plus an append-only log: see state.h. */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "hex.h"
#include "swh_file.h"
#include "swh_snapshot.h"
#include "swh_text.h"

#define LOG_SUFFIX ".log"
#define LOG_VERSION 1
/* The log is folded into the snapshot when it grows past the snapshot's size and this. */
#define MIN_LOG_BYTES (256 * 1024)
#define MEMBER "swh_emulator"

static bool is_hex_id(const char *text) {
  unsigned char bytes[EMU_STATE_ID_LEN / 2];
  return emu_hex_decode(text, bytes, sizeof bytes);
}

/* Writes all len bytes, resuming after signals and short writes; false with errno set. */
static bool write_all(int fd, const char *data, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      if (n == 0)
        errno = EIO;
      return false;
    }
    data += n;
    len -= (size_t)n;
  }
  return true;
}

/* The whole file at path in a new buffer (NUL-terminated); NULL with errno set. */
static char *read_all(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  struct stat st;
  char *data = NULL;
  size_t used = 0;
  errno = 0;
  if (fstat(fd, &st) == 0 && (data = malloc((size_t)st.st_size + 1))) {
    ssize_t n;
    while (used < (size_t)st.st_size &&
           ((n = read(fd, data + used, (size_t)st.st_size - used)) > 0 ||
            (n < 0 && errno == EINTR)))
      used += n > 0 ? (size_t)n : 0;
    data[used] = '\0';
    if (used < (size_t)st.st_size) { /* a read error, or the file shrank: not to be trusted */
      free(data);
      data = NULL;
      if (errno == 0)
        errno = EIO;
    }
  }
  int saved = errno;
  close(fd);
  errno = saved;
  *len = used;
  return data;
}

/* An id or other text from the file, fit to quote in a message. */
static const char *shown(char *out, size_t size, const char *text) {
  out[0] = '\0';
  swhi_text_append_printable(out, size, text ? text : "", text ? strlen(text) : 0, 40);
  return out;
}

/* Replays the changes of the log (text, len bytes) onto the webhooks of snapshot. */
typedef struct replay {
  const char *log_path;
  json_t *webhooks; /* the snapshot's array; deleted ones become null until the end */
  json_t *index;    /* id -> position in webhooks */
  size_t deleted;
} replay;

static swh_status replay_change(replay *r, const json_t *change, size_t line, swh_error *err) {
  const char *op = json_string_value(json_object_get(change, "op"));
  json_t *webhook = json_object_get(change, "webhook");
  const char *id = op && strcmp(op, "delete") == 0
                       ? json_string_value(json_object_get(change, "id"))
                       : json_string_value(json_object_get(webhook, "id"));
  char quoted[200];
  if (!op || !id || (strcmp(op, "delete") != 0 && !json_is_object(webhook)))
    return swh_error_set(err, SWH_ERR_VALIDATION,
                         "%s: line %zu: expected a change ({\"op\":\"create\" or \"update\", "
                         "\"webhook\":{…}} or {\"op\":\"delete\",\"id\":…})",
                         r->log_path, line);
  json_t *position = json_object_get(r->index, id);
  if (strcmp(op, "create") == 0) {
    if (position)
      return swh_error_set(err, SWH_ERR_VALIDATION,
                           "%s: line %zu: create of webhook \"%s\", which exists", r->log_path,
                           line, shown(quoted, sizeof quoted, id));
    if (json_object_set_new(r->index, id, json_integer((json_int_t)json_array_size(r->webhooks))) != 0 ||
        json_array_append(r->webhooks, webhook) != 0)
      return swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
    return SWH_OK;
  }
  if (strcmp(op, "update") != 0 && strcmp(op, "delete") != 0)
    return swh_error_set(err, SWH_ERR_VALIDATION,
                         "%s: line %zu: \"%s\" is not a change (create, update or delete)",
                         r->log_path, line, shown(quoted, sizeof quoted, op));
  if (!position)
    return swh_error_set(err, SWH_ERR_VALIDATION,
                         "%s: line %zu: %s of webhook \"%s\", which does not exist",
                         r->log_path, line, op, shown(quoted, sizeof quoted, id));
  size_t at = (size_t)json_integer_value(position);
  if (strcmp(op, "update") == 0) {
    if (json_array_set(r->webhooks, at, webhook) != 0)
      return swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
    return SWH_OK;
  }
  /* a delete leaves a null in place, so positions stay valid; the nulls go at the end */
  if (json_array_set_new(r->webhooks, at, json_null()) != 0)
    return swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
  json_object_del(r->index, id);
  r->deleted++;
  return SWH_OK;
}

/* The snapshot's webhooks indexed by id (those without one are not in the index). */
static swh_status index_webhooks(replay *r, json_t *snapshot, const char *path,
                                 swh_error *err) {
  r->webhooks = json_object_get(snapshot, "webhooks");
  if (!r->webhooks) {
    r->webhooks = json_array();
    if (!r->webhooks || json_object_set_new(snapshot, "webhooks", r->webhooks) != 0)
      return swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
  }
  if (!json_is_array(r->webhooks))
    return swh_error_set(err, SWH_ERR_VALIDATION, "%s: webhooks: expected an array", path);
  r->index = json_object();
  if (!r->index)
    return swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
  size_t i;
  json_t *webhook;
  json_array_foreach(r->webhooks, i, webhook) {
    const char *id = json_string_value(json_object_get(webhook, "id"));
    if (id && json_object_set_new(r->index, id, json_integer((json_int_t)i)) != 0)
      return swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
  }
  return SWH_OK;
}

/* Drops the nulls deletes left, keeping the order of the rest. */
static swh_status drop_deleted(replay *r, json_t *snapshot, swh_error *err) {
  if (r->deleted == 0)
    return SWH_OK;
  json_t *kept = json_array();
  size_t i;
  json_t *webhook;
  json_array_foreach(r->webhooks, i, webhook) {
    if (kept && !json_is_null(webhook) && json_array_append(kept, webhook) != 0) {
      json_decref(kept);
      kept = NULL;
    }
  }
  if (!kept || json_object_set_new(snapshot, "webhooks", kept) != 0)
    return swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
  return SWH_OK;
}

/* jansson ends most messages with the text it stopped at, maybe part of a secret. */
static void drop_quoted_text(char *reason) {
  char *near = strstr(reason, " near ");
  if (near)
    *near = '\0';
}

/* Reads the log at state->log_path and replays it onto snapshot if its header names
   log_id; a missing log, or one naming another snapshot, changes nothing. */
static swh_status replay_log(emu_state *state, const char *log_id, json_t *snapshot,
                             swh_error *err) {
  size_t len = 0;
  char *text = read_all(state->log_path, &len);
  if (!text && errno == ENOENT)
    return SWH_OK;
  if (!text)
    return swh_error_set(err, errno == ENOMEM ? SWH_ERR_MEMORY : SWH_ERR_USAGE,
                         "%s: cannot read: %s", state->log_path, strerror(errno));
  replay r = {.log_path = state->log_path};
  swh_status status = SWH_OK;
  size_t line = 0;
  for (size_t start = 0; start < len && status == SWH_OK;) {
    line++;
    const char *end = memchr(text + start, '\n', len - start);
    if (!end) {
      /* written whole, with its newline, before the change was acknowledged */
      fprintf(stderr, "swh-emulator: %s: line %zu was cut short when the emulator stopped "
              "while writing it; that change was never acknowledged and is ignored\n",
              state->log_path, line);
      break;
    }
    json_error_t jerr;
    json_t *value = json_loadb(text + start, (size_t)(end - text) - start,
                               JSON_REJECT_DUPLICATES, &jerr);
    start = (size_t)(end - text) + 1;
    if (!value) {
      drop_quoted_text(jerr.text);
      status = swh_error_set(err, SWH_ERR_VALIDATION, "%s: line %zu: not JSON (%s)",
                             state->log_path, line, jerr.text);
    } else if (line == 1) {
      json_t *version = json_object_get(value, "swh_state_log");
      const char *base = json_string_value(json_object_get(value, "snapshot"));
      if (!json_is_integer(version) || json_integer_value(version) != LOG_VERSION || !base)
        status = swh_error_set(err, SWH_ERR_VALIDATION,
                               "%s: line 1: expected the header {\"swh_state_log\":1,"
                               "\"snapshot\":ID}", state->log_path);
      else if (strcmp(base, log_id) != 0)
        start = len; /* folded into the snapshot already */
      else
        status = index_webhooks(&r, snapshot, state->path, err);
    } else {
      status = replay_change(&r, value, line, err);
    }
    json_decref(value);
  }
  if (status == SWH_OK && r.index)
    status = drop_deleted(&r, snapshot, err);
  json_decref(r.index);
  OPENSSL_cleanse(text, len); /* it holds secrets */
  free(text);
  return status;
}

/* Reads the member of the snapshot that is the emulator's own (the log's id into log_id, ""
   without one; the token key, or a new one), then removes it. A snapshot without it is a
   state from an older emulator, or a seed. */
static swh_status take_member(emu_state *state, json_t *snapshot, char *log_id,
                              swh_error *err) {
  log_id[0] = '\0';
  json_t *member = json_object_get(snapshot, MEMBER);
  if (!member)
    return RAND_bytes(state->token_key, EMU_STATE_KEY_LEN) == 1
               ? SWH_OK
               : swh_error_set(err, SWH_ERR_MEMORY, "cannot draw a token signing key");
  json_t *log = json_object_get(member, "log");
  json_t *key = json_object_get(member, "token_key");
  if (!json_is_object(member) || (log && !is_hex_id(json_string_value(log))))
    return swh_error_set(err, SWH_ERR_VALIDATION,
                         "%s: " MEMBER ".log: expected %d hex digits", state->path,
                         EMU_STATE_ID_LEN);
  if (key && !emu_hex_decode(json_string_value(key), state->token_key, EMU_STATE_KEY_LEN))
    return swh_error_set(err, SWH_ERR_VALIDATION,
                         "%s: " MEMBER ".token_key: expected %d hex digits", state->path,
                         2 * EMU_STATE_KEY_LEN);
  if (log)
    memcpy(log_id, json_string_value(log), EMU_STATE_ID_LEN + 1);
  bool has_key = key != NULL;
  json_object_del(snapshot, MEMBER);
  if (!has_key && RAND_bytes(state->token_key, EMU_STATE_KEY_LEN) != 1)
    return swh_error_set(err, SWH_ERR_MEMORY, "cannot draw a token signing key");
  return SWH_OK;
}

/* Sets up an empty state for path. */
static swh_status init_paths(emu_state *state, const char *path, swh_error *err) {
  memset(state, 0, sizeof *state);
  state->log_fd = -1;
  state->path = strdup(path);
  state->log_path = malloc(strlen(path) + sizeof LOG_SUFFIX);
  if (!state->path || !state->log_path) {
    emu_state_close(state);
    return swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
  }
  memcpy(state->log_path, path, strlen(path));
  memcpy(state->log_path + strlen(path), LOG_SUFFIX, sizeof LOG_SUFFIX);
  return SWH_OK;
}

/* Reads the snapshot at state->path and replays its log onto it. */
static swh_status read_with_log(emu_state *state, json_t **snapshot, swh_error *err) {
  json_t *loaded = NULL;
  char log_id[EMU_STATE_ID_LEN + 1];
  swh_status status = swh_snapshot_read(state->path, &loaded, err);
  if (status == SWH_OK && !json_is_object(loaded))
    status = swh_error_set(err, SWH_ERR_VALIDATION, "%s: expected a JSON object (a snapshot)",
                           state->path);
  if (status == SWH_OK)
    status = take_member(state, loaded, log_id, err);
  if (status == SWH_OK && log_id[0])
    status = replay_log(state, log_id, loaded, err);
  if (status != SWH_OK) {
    json_decref(loaded);
    loaded = NULL;
  }
  *snapshot = loaded;
  return status;
}

swh_status emu_state_open(emu_state *state, const char *path, json_t **snapshot,
                          swh_error *err) {
  *snapshot = NULL;
  swh_status status = init_paths(state, path, err);
  if (status != SWH_OK)
    return status;
  swh_file_remove_temporaries(state->path);
  swh_file_remove_temporaries(state->log_path);
  struct stat st;
  if (stat(path, &st) != 0 && errno == ENOENT) {
    /* a new state; the first compaction writes it */
    if (RAND_bytes(state->token_key, EMU_STATE_KEY_LEN) != 1)
      status = swh_error_set(err, SWH_ERR_MEMORY, "cannot draw a token signing key");
  } else {
    status = read_with_log(state, snapshot, err);
  }
  if (status != SWH_OK)
    emu_state_close(state);
  return status;
}

swh_status emu_state_read(const char *path, json_t **snapshot, swh_error *err) {
  emu_state state;
  *snapshot = NULL;
  swh_status status = init_paths(&state, path, err);
  if (status == SWH_OK)
    status = read_with_log(&state, snapshot, err);
  emu_state_close(&state);
  return status;
}

void emu_state_close(emu_state *state) {
  if (state->log_fd >= 0)
    close(state->log_fd);
  free(state->path);
  free(state->log_path);
  OPENSSL_cleanse(state->token_key, sizeof state->token_key);
  memset(state, 0, sizeof *state);
  state->log_fd = -1;
}

bool emu_state_wants_compaction(const emu_state *state) {
  size_t limit = state->snapshot_bytes > MIN_LOG_BYTES ? state->snapshot_bytes : MIN_LOG_BYTES;
  return state->must_compact || state->log_fd < 0 || state->log_bytes >= limit;
}

/* snapshot with the emulator's member, as jansson indents it ("{\n  ...\n}"): a new string,
   NULL without memory. */
static char *head_text(const emu_state *state, const json_t *snapshot, const char *log_id) {
  char key_hex[2 * EMU_STATE_KEY_LEN + 1];
  emu_hex_encode(state->token_key, EMU_STATE_KEY_LEN, key_hex);
  json_t *whole = json_copy((json_t *)snapshot); /* shallow: the member is added to it only */
  json_t *member = json_pack("{s:s,s:s}", "log", log_id, "token_key", key_hex);
  OPENSSL_cleanse(key_hex, sizeof key_hex);
  char *text = NULL;
  if (whole && member && json_object_size(whole) == json_object_size(snapshot) &&
      json_object_set(whole, MEMBER, member) == 0)
    text = json_dumps(whole, JSON_INDENT(2));
  if (member)
    OPENSSL_cleanse((char *)json_string_value(json_object_get(member, "token_key")),
                    2 * EMU_STATE_KEY_LEN);
  json_decref(member);
  json_decref(whole);
  return text;
}

/* What the state file is written from: the head's text up to its closing "\n}", then the
   "webhooks" member, its value written by the store. */
typedef struct state_file {
  const char *head;
  size_t head_len;
  swh_file_writer webhooks;
  void *ctx;
} state_file;

static bool write_state(swh_file_sink *sink, void *ctx) {
  const state_file *f = ctx;
  static const char member[] = ",\n  \"webhooks\": ", end[] = "\n}\n";
  return swh_file_sink_write(sink, f->head, f->head_len) &&
         swh_file_sink_write(sink, member, sizeof member - 1) && f->webhooks(sink, f->ctx) &&
         swh_file_sink_write(sink, end, sizeof end - 1);
}

swh_status emu_state_compact(emu_state *state, const json_t *snapshot, swh_file_writer webhooks,
                             void *ctx, swh_error *err) {
  state->must_compact = true; /* until both files are written */
  unsigned char random[EMU_STATE_ID_LEN / 2];
  char log_id[EMU_STATE_ID_LEN + 1];
  if (RAND_bytes(random, sizeof random) != 1)
    return swh_error_set(err, SWH_ERR_MEMORY, "cannot draw an id for the state log");
  emu_hex_encode(random, sizeof random, log_id);
  char *head = head_text(state, snapshot, log_id);
  size_t len = head ? strlen(head) : 0;
  if (!head || len < 2 || strcmp(head + len - 2, "\n}") != 0) { /* an object's, with members */
    free(head);
    return swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
  }
  state_file file = {head, len - 2, webhooks, ctx};
  swh_status status = swh_file_write_atomic_with(state->path, write_state, &file, err);
  OPENSSL_cleanse(head, len); /* it holds the token key */
  free(head);
  struct stat written;
  if (status != SWH_OK)
    return status;
  /* From here the snapshot holds everything: the old log is stale (its header names the old
     id) and must take no more changes, whatever happens next. */
  if (state->log_fd >= 0)
    close(state->log_fd);
  state->log_fd = -1;
  char header[96];
  int header_len = snprintf(header, sizeof header, "{\"swh_state_log\":%d,\"snapshot\":\"%s\"}\n",
                            LOG_VERSION, log_id);
  status = swh_file_write_atomic(state->log_path, header, (size_t)header_len, err);
  if (status != SWH_OK)
    return status;
  state->log_fd = open(state->log_path, O_WRONLY | O_APPEND | O_CLOEXEC);
  if (state->log_fd < 0)
    return swh_error_set(err, SWH_ERR_USAGE, "%s: cannot open: %s", state->log_path,
                         strerror(errno));
  memcpy(state->log_id, log_id, sizeof log_id);
  state->log_bytes = 0;
  state->snapshot_bytes = stat(state->path, &written) == 0 ? (size_t)written.st_size : len;
  state->must_compact = false;
  return SWH_OK;
}

swh_status emu_state_append(emu_state *state, const json_t *change, swh_error *err) {
  if (state->log_fd < 0) {
    state->must_compact = true;
    return swh_error_set(err, SWH_ERR_USAGE, "%s: not open for writing", state->log_path);
  }
  char *text = json_dumps(change, JSON_COMPACT); /* one line: jansson escapes newlines */
  size_t len = text ? strlen(text) : 0;
  char *line = text ? realloc(text, len + 2) : NULL;
  if (!line) {
    if (text)
      OPENSSL_cleanse(text, len);
    free(text);
    state->must_compact = true;
    return swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
  }
  memcpy(line + len, "\n", 2);
  len++;
  bool ok = write_all(state->log_fd, line, len) && fdatasync(state->log_fd) == 0;
  int saved = errno;
  OPENSSL_cleanse(line, len); /* it holds secrets */
  free(line);
  if (!ok) {
    /* part of the line may be in the log; the next save rewrites both files */
    state->must_compact = true;
    return swh_error_set(err, SWH_ERR_USAGE, "%s: cannot write: %s", state->log_path,
                         strerror(saved));
  }
  state->log_bytes += len;
  return SWH_OK;
}
