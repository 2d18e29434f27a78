/*
 * swh_error: the one structured error of libswh.
 *
 * Every fallible function of the core returns an swh_status and fills an swh_error that the
 * caller passes in. The error carries what a user needs to act: the kind of failure, the HTTP
 * status and API status when a server answered, a one-line message, the API's details, and
 * the request line ("GET /v1/projects/p/webhooks/ID") it belongs to. Messages never contain
 * secrets. The kinds are kept once, in SWH_ERROR_KINDS, which makes the enum and the names
 * that Lua sees; a kind never changes meaning.
 */
#ifndef SWH_ERROR_H
#define SWH_ERROR_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include "swh_export.h"

SWH_BEGIN_DECLS

/* X(enum constant, name seen by Lua and in messages, retryable by default) */
#define SWH_ERROR_KINDS(X)                                                       \
  X(SWH_OK, "ok", false)                 /* no error */                          \
  X(SWH_ERR_USAGE, "usage", false)       /* the caller misused the API */        \
  X(SWH_ERR_MEMORY, "memory", false)     /* an allocation failed */              \
  X(SWH_ERR_HTTP, "http", false)         /* the server answered 4xx/5xx */       \
  X(SWH_ERR_NETWORK, "network", true)    /* no answer: connect, reset, DNS */    \
  X(SWH_ERR_TIMEOUT, "timeout", true)    /* no answer in time */                 \
  X(SWH_ERR_AUTH, "auth", false)         /* credentials refused or token failed */\
  X(SWH_ERR_VALIDATION, "validation", false) /* refused before sending */        \
  X(SWH_ERR_PROTOCOL, "protocol", false) /* the answer was not what API.md says */ \
  X(SWH_ERR_TLS, "tls", false)           /* the server's certificate was refused */

typedef enum {
#define SWH_X_ENUM(constant, name, retryable) constant,
  SWH_ERROR_KINDS(SWH_X_ENUM)
#undef SWH_X_ENUM
  SWH_ERROR_KIND_COUNT
} swh_status;

#define SWH_ERROR_MESSAGE_MAX 512
#define SWH_ERROR_API_STATUS_MAX 48
#define SWH_ERROR_REQUEST_MAX 320

typedef struct swh_error {
  swh_status kind;
  int http_status;                              /* 0 when no HTTP answer came */
  char api_status[SWH_ERROR_API_STATUS_MAX];    /* "NOT_FOUND", or "" */
  char message[SWH_ERROR_MESSAGE_MAX];          /* one line, no secrets */
  char request[SWH_ERROR_REQUEST_MAX];          /* "PATCH /v1/projects/p/webhooks/ID", or "" */
  json_t *details;                              /* owned; an array, or NULL */
  bool retryable;
} swh_error;

/* A zeroed error of kind SWH_OK. An error must be initialised before first use. */
SWH_API void swh_error_init(swh_error *err);

/* Frees what the error owns (details) and resets it to SWH_OK. Safe on an initialised error. */
SWH_API void swh_error_clear(swh_error *err);

/* Moves src into dst (dst is cleared first; src is left initialised and empty). */
SWH_API void swh_error_move(swh_error *dst, swh_error *src);

/* Copies src into dst (dst is cleared first; the details array is shared, by reference). */
SWH_API void swh_error_copy(swh_error *dst, const swh_error *src);

/*
 * Sets kind and a printf-style message (truncated to fit), keeps http_status, api_status and
 * request as they are, sets retryable to the kind's default. Returns kind, so a function can
 * `return swh_error_set(err, SWH_ERR_VALIDATION, "...")`. err may be NULL.
 */
SWH_API swh_status swh_error_set(swh_error *err, swh_status kind, const char *fmt, ...)
            __attribute__((format(printf, 3, 4)));

/* The kind's name ("http", "validation" ...); "unknown" for a value outside the enum. */
SWH_API const char *swh_error_kind_name(swh_status kind);

/* Whether the kind is retryable by default. */
SWH_API bool swh_error_kind_retryable(swh_status kind);

/*
 * Fills err from a server's answer: http_status, and api_status/message/details parsed from
 * the nested form {"error":{...}}, the flat form {"code","message","status","details"}, or
 * from anything else (HTML, empty, cut off, huge), which gives a message quoting at most a
 * short, single-line, printable prefix of the body. kind is SWH_ERR_AUTH for 401/403 and
 * SWH_ERR_HTTP otherwise; retryable for 429, 500, 502, 503, 504. request may be NULL, which
 * keeps the request already in err. Everything else err held is cleared first.
 * Also understood: the OAuth2 form of the token endpoint {"error":"invalid_client",
 * "error_description":"..."}, which gives the message "invalid_client: ...".
 * api_status is "" unless the server sent one that looks like an API status (A-Z, 0-9, _);
 * it is never guessed from the HTTP status. Details that are not an array are wrapped in
 * one. A body over 1 MiB is quoted, not parsed.
 * Never fails (an allocation failure only loses details). Returns err->kind.
 */
SWH_API swh_status swh_error_from_response(swh_error *err, int http_status, const char *body,
                                           size_t body_len, const char *request);

/*
 * Writes the one-line form into buf (always NUL-terminated, truncated to fit):
 *   "NOT_FOUND (404): Webhook not found [GET /v1/projects/p/webhooks/ID]"
 *   "network: Could not connect to 127.0.0.1:1 [GET /v1/...]"
 *   "validation: webhook.target: ..."
 * Returns buf.
 */
SWH_API const char *swh_error_format(const swh_error *err, char *buf, size_t size);

SWH_END_DECLS

#endif
