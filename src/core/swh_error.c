/* swh_error: see swh_error.h. */
#include "swh_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "swh_text.h"

/* How much of a body that is not an API error is quoted in the message. */
#define QUOTE_CHARS 64
/* A body larger than this is not parsed: no API error is that big, and parsing it would
   only cost time and memory while handling a failure. */
#define PARSE_MAX_BYTES (1024 * 1024)

static const char *const kind_names[] = {
#define SWH_X_NAME(constant, name, retryable) name,
    SWH_ERROR_KINDS(SWH_X_NAME)
#undef SWH_X_NAME
};

static const bool kind_retryable[] = {
#define SWH_X_RETRYABLE(constant, name, retryable) retryable,
    SWH_ERROR_KINDS(SWH_X_RETRYABLE)
#undef SWH_X_RETRYABLE
};

void swh_error_init(swh_error *err) {
  if (!err) return;
  memset(err, 0, sizeof *err);
  err->kind = SWH_OK;
}

void swh_error_clear(swh_error *err) {
  if (!err) return;
  json_decref(err->details);
  swh_error_init(err);
}

void swh_error_move(swh_error *dst, swh_error *src) {
  if (!dst || !src || dst == src) return;
  swh_error_clear(dst);
  *dst = *src;
  swh_error_init(src);
}

void swh_error_copy(swh_error *dst, const swh_error *src) {
  if (!dst || !src || dst == src) return;
  swh_error_clear(dst);
  *dst = *src;
  if (dst->details) json_incref(dst->details);
}

const char *swh_error_kind_name(swh_status kind) {
  if ((int)kind < 0 || kind >= SWH_ERROR_KIND_COUNT) return "unknown";
  return kind_names[kind];
}

bool swh_error_kind_retryable(swh_status kind) {
  if ((int)kind < 0 || kind >= SWH_ERROR_KIND_COUNT) return false;
  return kind_retryable[kind];
}

static void set_message_v(swh_error *err, const char *fmt, va_list ap) {
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  swhi_text_make_line(err->message);
}

static void set_message(swh_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_message(swh_error *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  set_message_v(err, fmt, ap);
  va_end(ap);
}

swh_status swh_error_set(swh_error *err, swh_status kind, const char *fmt, ...) {
  if (!err) return kind;
  err->kind = kind;
  err->retryable = swh_error_kind_retryable(kind);
  va_list ap;
  va_start(ap, fmt);
  set_message_v(err, fmt, ap);
  va_end(ap);
  return kind;
}

/* "HTTP 502 with a non-JSON body: <html>..." and the like: what to say about a body that
   is not an API error. what is the description ("a non-JSON body"). */
static void set_body_message(swh_error *err, int http_status, const char *what,
                             const char *body, size_t body_len) {
  set_message(err, "HTTP %d with %s: ", http_status, what);
  swhi_text_append_printable(err->message, sizeof err->message, body, body_len, QUOTE_CHARS);
}

/* Copies an API status such as "NOT_FOUND" if it looks like one; a status is an
   identifier, so anything else (too long, spaces, lower-case prose) is not kept. */
static void set_api_status(swh_error *err, const char *status) {
  size_t len = strlen(status);
  if (len == 0 || len >= sizeof err->api_status) return;
  for (size_t i = 0; i < len; i++) {
    char c = status[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return;
  }
  memcpy(err->api_status, status, len + 1);
}

/* Keeps details as an array: an array as is, any other value wrapped in one. */
static void set_details(swh_error *err, json_t *details) {
  if (!details || json_is_null(details)) return;
  if (json_is_array(details)) {
    err->details = json_incref(details);
  } else {
    err->details = json_array();
    /* On allocation failure the details are lost, as promised, but nothing else. */
    if (err->details && json_array_append(err->details, details) != 0) {
      json_decref(err->details);
      err->details = NULL;
    }
  }
}

/* Fills status, message and details from an API error object (nested or flat form). */
static void fill_from_api_error(swh_error *err, int http_status, json_t *error) {
  json_t *status = json_object_get(error, "status");
  json_t *message = json_object_get(error, "message");
  if (json_is_string(status)) set_api_status(err, json_string_value(status));
  if (json_is_string(message) && json_string_length(message) > 0) {
    err->message[0] = '\0';
    swhi_text_append_printable(err->message, sizeof err->message, json_string_value(message),
                              json_string_length(message), sizeof err->message);
  } else {
    set_message(err, "HTTP %d, and the API error has no message", http_status);
  }
  set_details(err, json_object_get(error, "details"));
}

/* The OAuth2 form of the token endpoint: {"error":"invalid_client","error_description":"…"}.
   Either part may be empty; the message is never. */
static void fill_from_oauth_error(swh_error *err, int http_status, json_t *root) {
  json_t *code = json_object_get(root, "error");
  json_t *description = json_object_get(root, "error_description");
  bool has_description = json_is_string(description) && json_string_length(description) > 0;
  err->message[0] = '\0';
  swhi_text_append_printable(err->message, sizeof err->message, json_string_value(code),
                            json_string_length(code), 64);
  if (has_description) {
    if (err->message[0])
      strncat(err->message, ": ", sizeof err->message - strlen(err->message) - 1);
    swhi_text_append_printable(err->message, sizeof err->message,
                              json_string_value(description), json_string_length(description),
                              sizeof err->message);
  }
  if (!err->message[0]) set_message(err, "HTTP %d, and the OAuth2 error has no code", http_status);
}

static bool looks_like_flat_error(json_t *root) {
  return json_object_get(root, "code") || json_object_get(root, "message") ||
         json_object_get(root, "status");
}

static void fill_from_body(swh_error *err, int http_status, const char *body, size_t len) {
  if (!body || len == 0) {
    set_message(err, "HTTP %d with an empty body", http_status);
    return;
  }
  if (len > PARSE_MAX_BYTES) {
    char what[64];
    snprintf(what, sizeof what, "a %zu-byte body, too large for an API error", len);
    set_body_message(err, http_status, what, body, len);
    return;
  }
  json_error_t jerr;
  json_t *root = json_loadb(body, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
  if (!root && json_error_code(&jerr) == json_error_out_of_memory) {
    set_message(err, "HTTP %d, and no memory left to read its body", http_status);
    return;
  }
  if (!root) {
    bool cut = json_error_code(&jerr) == json_error_premature_end_of_input;
    set_body_message(err, http_status, cut ? "a cut-off JSON body" : "a non-JSON body", body,
                     len);
    return;
  }
  json_t *nested = json_is_object(root) ? json_object_get(root, "error") : NULL;
  if (json_is_object(nested)) {
    fill_from_api_error(err, http_status, nested);
  } else if (json_is_string(nested)) {
    fill_from_oauth_error(err, http_status, root);
  } else if (json_is_object(root) && !nested && looks_like_flat_error(root)) {
    fill_from_api_error(err, http_status, root);
  } else {
    set_body_message(err, http_status, "a JSON body that is not an API error", body, len);
  }
  json_decref(root);
}

swh_status swh_error_from_response(swh_error *err, int http_status, const char *body,
                                   size_t body_len, const char *request) {
  if (!err) return SWH_ERR_HTTP;
  /* A NULL request keeps the one the caller may have set before. */
  char kept_request[SWH_ERROR_REQUEST_MAX];
  memcpy(kept_request, err->request, sizeof kept_request);
  swh_error_clear(err);
  if (request) {
    snprintf(err->request, sizeof err->request, "%s", request);
    swhi_text_make_line(err->request);
  } else {
    memcpy(err->request, kept_request, sizeof err->request);
    err->request[sizeof err->request - 1] = '\0';
  }
  err->http_status = http_status;
  err->kind = (http_status == 401 || http_status == 403) ? SWH_ERR_AUTH : SWH_ERR_HTTP;
  err->retryable = http_status == 429 || http_status == 500 || http_status == 502 ||
                   http_status == 503 || http_status == 504;
  fill_from_body(err, http_status, body, body_len);
  return err->kind;
}

const char *swh_error_format(const swh_error *err, char *buf, size_t size) {
  if (!buf || size == 0) return buf;
  if (!err) {
    snprintf(buf, size, "unknown error");
    return buf;
  }
  const char *message = err->message[0] ? err->message : "no message";
  int n;
  if (err->kind == SWH_OK)
    n = snprintf(buf, size, "ok");
  else if (err->http_status != 0)
    n = snprintf(buf, size, "%s (%d): %s",
                 err->api_status[0] ? err->api_status : swh_error_kind_name(err->kind),
                 err->http_status, message);
  else
    n = snprintf(buf, size, "%s: %s", swh_error_kind_name(err->kind), message);
  if (n >= 0 && (size_t)n < size && err->kind != SWH_OK && err->request[0])
    snprintf(buf + n, size - (size_t)n, " [%s]", err->request);
  swhi_text_make_line(buf);
  return buf;
}
