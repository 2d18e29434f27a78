/*
 * swh_client: a Conversation API client for webhooks and apps.
 *
 * Every request of a client goes through one curl multi handle that the client owns, so
 * connections are reused and many requests can be in flight. A call is started (validated,
 * queued) and finished later; the caller drives transfers with swh_client_step. The blocking
 * functions at the end are start + step until done + finish. This is what lets the Lua
 * binding run straight-line code in many coroutines: start, yield, resume when done.
 *
 * Authentication is OAuth2 client credentials (a cached token, renewed 60 s before it
 * expires but used for at least SWH_TOKEN_MIN_LIFE_S = 1 s whatever expires_in says, one
 * renewal shared by all waiting calls, renewed and resent once on any 401 to a call sent
 * with it; a token with control characters is refused) or Basic. Answers are jansson values, kept whole,
 * so fields this code does not know survive a read and write back.
 *
 * Retries happen inside the client for 429 (after its Retry-After in seconds, else
 * exponential back-off with full jitter), 500/502/503/504, connection failures and
 * timeouts; never for other 4xx. A call is tried again while both budgets last:
 * config.retries attempts in all and config.retry_time seconds after its first failure
 * (defaults 10 and 30 s: enough to ride out a server restart). A change whose answers were
 * lost ends with "; it may have been applied". A create that failed ambiguously
 * (timeout, connection lost after sending, 5xx) lists its app's webhooks before sending again
 * and returns the one with its target if the first attempt did make it; a delete retried
 * after an ambiguous failure counts a 404 as done. A create refused (400) after an
 * ambiguous send looks once more: the earlier send may have landed after the lookup. libcurl silently resends a request whose
 * reused connection broke; for creates and deletes the client refuses that hidden resend
 * and handles the break as an ambiguous failure itself.
 *
 * A client is not thread-safe: use it from one thread.
 */
#ifndef SWH_CLIENT_H
#define SWH_CLIENT_H

#include <stdbool.h>

#include <jansson.h>

#include "swh_error.h"
#include "swh_export.h"

SWH_BEGIN_DECLS

#define SWH_DEFAULT_REGION "us"
#define SWH_DEFAULT_AUTH_URL "https://auth.sinch.com/oauth2/token"
#define SWH_DEFAULT_TIMEOUT 30.0
#define SWH_DEFAULT_RETRIES 10
#define SWH_DEFAULT_RETRY_TIME 30.0
/* Enough requests in flight to reach the rate over a network of up to ~80 ms round trips;
   the rate, the API's documented project limit (a 429 from a busier project is retried
   after its Retry-After). */
#define SWH_DEFAULT_CONCURRENCY 64
#define SWH_DEFAULT_RATE 800.0

typedef enum { SWH_AUTH_OAUTH2, SWH_AUTH_BASIC } swh_auth;

/*
 * Whether a JSON key or header name holds a secret, so that the trace, messages, plans and
 * the REPL hide its value: a name (any case) with a word (a run of letters and digits)
 * containing "secret", "password", "passwd", "authorization", "cookie" or "apikey"; whose
 * last word ends in "token" ("access_token", "refresh_token", "id_token", "idToken", but not
 * "token_type" or "token_request_type", which name a kind of token); or ending in "api_key"
 * or "private_key". "client_credentials" is not one: it holds a client_id and endpoint the
 * REPL shows, and its client_secret is hidden by its own name. NULL is not a secret's name.
 */
SWH_API bool swh_is_secret_key(const char *name);

/* One line of the HTTP trace, secrets already replaced by "[redacted]" (swh_is_secret_key,
   and URL passwords). */
typedef void swh_trace_fn(void *user, const char *line);

typedef struct swh_config {
  const char *project_id; /* required */
  const char *key_id;     /* required */
  const char *key_secret; /* required; never appears in any output */
  const char *region;     /* us, eu or br (swh_settings.c); NULL: SWH_DEFAULT_REGION */
  const char *base_url;   /* overrides the region's https://{region}.conversation.api.sinch.com */
  const char *auth_url;   /* overrides SWH_DEFAULT_AUTH_URL */
  swh_auth auth;          /* default (0) SWH_AUTH_OAUTH2 */
  double timeout;         /* seconds per attempt; <= 0: SWH_DEFAULT_TIMEOUT; at most ~24 days */
  int retries;            /* attempts in all for a retryable failure; 0: default; 1: none */
  double retry_time;      /* seconds after a call's first failure during which it is tried
                             again; <= 0: SWH_DEFAULT_RETRY_TIME */
  int concurrency;        /* requests in flight at most; <= 0: default */
  double rate;            /* requests per second at most; <= 0: default */
  /* Plain http:// to a host that is not loopback (127.0.0.0/8, ::1, localhost) would carry
     the key or the token in clear text: swh_client_new refuses such a base_url (and, with
     OAuth2, auth_url) unless this is true. */
  bool allow_insecure_http;
  swh_trace_fn *trace;    /* NULL: no trace */
  void *trace_user;
} swh_config;

typedef struct swh_client swh_client;

/*
 * Checks url as base_url and auth_url must be: an absolute http:// or https:// URL with a
 * host, that libcurl can parse (a port in range, a closed IPv6 bracket, no spaces). On
 * failure returns SWH_ERR_USAGE with a message starting with name and saying why, any
 * password in the URL masked:
 *   --base-url: "http://127.0.0.1:99999/" is not a valid URL (Port number was not a ...)
 * SWH_ERR_MEMORY if it cannot tell.
 */
SWH_API swh_status swh_url_check(const char *name, const char *url, swh_error *err);

/*
 * A new client (the caller frees it with swh_client_free), or NULL with err filled:
 * SWH_ERR_USAGE naming the field for a missing project_id/key_id/key_secret, a project_id
 * of "." or "..", an unknown region, a base_url or auth_url that fails swh_url_check, or
 * that is plain http:// to a host that is not loopback without allow_insecure_http
 * (checked on the URL's text, before any connection or name lookup); SWH_ERR_MEMORY. The
 * config's strings are copied. No request is sent until the first call.
 */
SWH_API swh_client *swh_client_new(const swh_config *config, swh_error *err);

/* The host of the API the client talks to, in lower case ("eu.conversation.api.sinch.com",
   "127.0.0.1"): what a journal records, so that a run is not resumed against another. */
SWH_API const char *swh_client_api_host(const swh_client *client);

/* The project the client works on (borrowed until the client is freed). */
SWH_API const char *swh_client_project_id(const swh_client *client);

/* The limits the client paces its requests by, defaults applied: requests in flight at most
   and requests per second at most. */
SWH_API void swh_client_limits(const swh_client *client, int *concurrency, double *rate);

/* Cancels every call still running (they finish with kind SWH_ERR_USAGE "client closed"
   only if their owner still holds them: see swh_call_abandon) and frees the client. NULL is
   a no-op. */
SWH_API void swh_client_free(swh_client *client);

/* The operations of the API. */
typedef enum {
  SWH_OP_WEBHOOKS_LIST,   /* id: app_id; body: NULL. Result: array of webhooks. */
  SWH_OP_WEBHOOK_CREATE,  /* id: NULL; body: webhook without id. Result: the webhook. */
  SWH_OP_WEBHOOK_GET,     /* id: webhook_id; body: NULL. Result: the webhook. */
  SWH_OP_WEBHOOK_UPDATE,  /* id: webhook_id; body: the changes; update_mask = their keys. */
  SWH_OP_WEBHOOK_DELETE,  /* id: webhook_id; body: NULL. Result: an empty object. */
  SWH_OP_APPS_LIST,       /* id: NULL; body: NULL. Result: array of apps. */
} swh_op;

typedef struct swh_call swh_call;

/*
 * Checks the id of op (the app_id of a list; the webhook_id of a get, update or delete) as a
 * path segment: len is its length in bytes, so that a NUL byte inside is found (C would take
 * it for the end: a delete of "ID\0junk" acted on "ID"), and "." or ".." are refused
 * (libcurl drops them from the path: a delete of ".." reached /v1/projects/p/). Returns
 * SWH_OK (also for an op without an id, or a NULL id), or SWH_ERR_VALIDATION naming the id.
 * swh_call_start makes the same check on strlen(id); the Lua binding calls this first, with
 * the string's real length.
 */
SWH_API swh_status swh_id_check(swh_op op, const char *id, size_t len, swh_error *err);

/*
 * Validates the arguments and queues the request; nothing is sent until swh_client_step.
 * body is borrowed (copied as needed). user is returned by swh_call_user. Returns the call
 * (owned by the caller until swh_call_finish or swh_call_abandon), or NULL with err filled:
 * SWH_ERR_USAGE (missing id, body of the wrong type), SWH_ERR_VALIDATION (API.md's rules,
 * swh_id_check),
 * SWH_ERR_MEMORY.
 */
SWH_API swh_call *swh_call_start(swh_client *client, swh_op op, const char *id, const json_t *body,
                                 void *user, swh_error *err);

/*
 * Marks a call just started (before any swh_client_step) as a request an earlier run may
 * have sent already, its answer lost (a journal that says "sent" and nothing after). The
 * call then goes on as after an ambiguous failure of its own: a create first lists its
 * app's webhooks and returns the one with its target if there is one, else sends; a delete
 * counts a 404 as done; a change that fails says "; it may have been applied". Returns
 * SWH_OK, SWH_ERR_USAGE for a call already sent, SWH_ERR_MEMORY.
 */
SWH_API swh_status swh_call_resend(swh_call *call, swh_error *err);

/*
 * Drives transfers, retries and renewals, waiting at most timeout_ms for something to
 * happen (0: do not wait). Returns the number of calls not yet done (abandoned calls not
 * counted, though their transfers still run to the end in later steps).
 */
SWH_API int swh_client_step(swh_client *client, int timeout_ms);

/* The next call that became done since the last time, in completion order, or NULL. */
SWH_API swh_call *swh_client_next_done(swh_client *client);

SWH_API bool swh_call_done(const swh_call *call);
SWH_API void *swh_call_user(const swh_call *call);

/*
 * Takes the outcome of a done call and frees it. On success returns SWH_OK and *result (the
 * caller owns it). Otherwise returns the error's kind with err filled (err->request set) and
 * *result NULL. Finishing a call that is not done is SWH_ERR_USAGE and frees nothing.
 */
SWH_API swh_status swh_call_finish(swh_call *call, json_t **result, swh_error *err);

/* Gives up a call the caller no longer wants: the client frees it when the transfer ends
   (or at once if it was not sent). NULL is a no-op. */
SWH_API void swh_call_abandon(swh_call *call);

/*
 * Driving the client from an event loop (epoll, libuv, luv, cqueues...), instead of
 * swh_client_step: libcurl's multi socket interface, passed on. The client says, through
 * two callbacks, which descriptors to watch for what and when to call back; the loop calls
 * swh_client_socket_ready or swh_client_timeout then, and the client does work only inside
 * those (and inside swh_client_step and the blocking forms, which keep working). After each,
 * swh_client_next_done hands out the calls that finished.
 *
 * watch(user, fd, what): from now on watch fd for what (SWH_WATCH_IN, SWH_WATCH_OUT or
 * both), replacing what was asked for fd before; what == 0: stop watching fd.
 * timer(user, timeout_ms): call swh_client_timeout once timeout_ms milliseconds have passed
 * (0: as soon as the loop can), replacing the timer asked before; -1: no timer.
 * Neither callback may call the client. swh_call_start asks for a timer (the call waits for
 * it to be sent); swh_client_free stops watching every descriptor.
 */
enum { SWH_WATCH_IN = 1, SWH_WATCH_OUT = 2, SWH_WATCH_ERROR = 4 };
typedef void swh_watch_fn(void *user, int fd, int what);
typedef void swh_timer_fn(void *user, long timeout_ms);

/* Attaches the callbacks, once, while no request is in flight (calls may be queued: the
   timer callback is asked at once): SWH_ERR_USAGE otherwise, or for a NULL callback. */
SWH_API swh_status swh_client_set_loop(swh_client *client, swh_watch_fn *watch,
                                       swh_timer_fn *timer, void *user, swh_error *err);

/* fd became ready for what (SWH_WATCH_IN, SWH_WATCH_OUT, SWH_WATCH_ERROR, or'ed). */
SWH_API void swh_client_socket_ready(swh_client *client, int fd, int what);

/* The time the timer callback asked for has come. */
SWH_API void swh_client_timeout(swh_client *client);

/* Blocking forms: start, step until done, finish. Results are owned by the caller. */
SWH_API swh_status swh_webhooks_list(swh_client *client, const char *app_id, json_t **webhooks,
                                     swh_error *err);
SWH_API swh_status swh_webhook_create(swh_client *client, const json_t *webhook, json_t **created,
                                      swh_error *err);
SWH_API swh_status swh_webhook_get(swh_client *client, const char *webhook_id, json_t **webhook,
                                   swh_error *err);
SWH_API swh_status swh_webhook_update(swh_client *client, const char *webhook_id,
                                      const json_t *changes, json_t **updated, swh_error *err);
SWH_API swh_status swh_webhook_delete(swh_client *client, const char *webhook_id, swh_error *err);
SWH_API swh_status swh_apps_list(swh_client *client, json_t **apps, swh_error *err);

SWH_END_DECLS

#endif
