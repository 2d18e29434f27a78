/*
 * swh_client: the calls of the Conversation API on one curl multi handle.
 *
 * A call lives in exactly one of the client's lists: waiting (queued, perhaps for a back-off
 * timer, a token, a free slot or the rate limit), in_flight (its transfer is in the multi
 * handle), done (finished, not yet handed out by swh_client_next_done) or reported (handed
 * out, not yet finished). swh_client_step moves calls along; nothing happens between steps,
 * so back-off waits are timers, never sleeps, and curl callbacks only fill C buffers.
 *
 * The parts that need no client state live apart: what a call sends in client_request, what
 * an answer means in client_answer, and the blocking forms in client_blocking.c.
 */
#define _POSIX_C_SOURCE 200809L
#include "swh_client.h"

#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "client_answer.h"
#include "client_pacing.h"
#include "client_request.h"
#include "client_token.h"
#include "client_transfer.h"
#include "client_url.h"
#include "swh_secret.h"
#include "swh_settings.h"
#include "swh_text.h"

/* Request bodies longer than this are cut in the trace. */
#define TRACE_BODY_MAX 400

typedef enum { CALL_WAITING, CALL_IN_FLIGHT, CALL_DONE } call_state;
/* A create after an ambiguous failure first looks for what it may have made (LOOKUP). */
typedef enum { PHASE_MAIN, PHASE_LOOKUP } call_phase;

typedef struct call_list {
  swh_call *head, *tail;
} call_list;

struct swh_call {
  swh_client *client; /* NULL once the client is freed */
  swh_op op;
  call_state state;
  call_phase phase;
  void *user;
  bool abandoned;
  char request[SWH_ERROR_REQUEST_MAX]; /* "PATCH /v1/projects/p/webhooks/ID" */
  swh_transfer *main;                  /* the request the caller asked for */
  swh_transfer *lookup;                /* create only: listing the app's webhooks */
  json_t *sent;                        /* the body sent, for the trace; or NULL */
  char *app_id, *target;               /* create only: what the lookup looks for */
  int attempts;                        /* sends of main */
  int lookup_attempts;                 /* sends of lookup since the last send of main */
  double first_failure_ms;             /* main's first retryable failure (0: none yet) */
  bool gave_up;                        /* main's last failure was not to be retried */
  double lookup_first_failure_ms;      /* the same for the lookups since main's last send */
  bool ambiguous;      /* a send of main may have been applied without our knowing */
  bool relooked;       /* a create refused after an ambiguous send looked once more */
  bool renewed;        /* the token was renewed once for this call after a 401 */
  unsigned token_generation;
  double not_before_ms;
  swh_error last_err;  /* the failure that sent a create looking (kept for its message) */
  json_t *result;
  swh_error err;
  call_list *list;
  swh_call *prev, *next;
};

struct swh_client {
  char *project_id, *key_id, *key_secret, *base_url, *auth_url, *auth_path;
  char *auth_url_shown; /* auth_url without a userinfo password, for messages */
  char *api_host;       /* base_url's host, lower case (swh_client_api_host) */
  char *region;         /* as given, or NULL when base_url was (swhi_client_settings) */
  bool allow_insecure_http;
  swh_auth auth;
  long timeout_ms;
  swh_retry_budget retry; /* attempts in all and time for each series of failures */
  int concurrency;
  swh_trace_fn *trace;
  void *trace_user;

  CURLM *multi;
  CURL *escaper;  /* only for curl_easy_escape */
  CURL **idle;    /* easy handles kept for reuse (and their connections) */
  size_t idle_count, idle_cap;

  call_list waiting, in_flight, done, reported;
  int in_flight_count;  /* API transfers in the multi handle, abandoned ones included */
  int active;           /* calls neither done nor abandoned */
  bool progressed;      /* a call became done during this step */

  swh_bucket bucket;
  swh_rng rng;

  swh_token_cache token;
  swh_transfer *token_transfer; /* made on first need, reused */
  bool token_in_flight;
  int token_attempts;
  double token_first_failure_ms;
  double token_not_before_ms;

  /* Driven by an event loop (swh_client_set_loop) when watch is set. */
  swh_watch_fn *watch;
  swh_timer_fn *timer;
  void *loop_user;
  double curl_deadline_ms; /* when libcurl's own timer expires; < 0: none */
};

/* ---- lists ---------------------------------------------------------------------------- */

static void list_push(call_list *list, swh_call *call) {
  call->list = list;
  call->next = NULL;
  call->prev = list->tail;
  if (list->tail)
    list->tail->next = call;
  else
    list->head = call;
  list->tail = call;
}

static void list_remove(swh_call *call) {
  call_list *list = call->list;
  if (!list) return;
  if (call->prev)
    call->prev->next = call->next;
  else
    list->head = call->next;
  if (call->next)
    call->next->prev = call->prev;
  else
    list->tail = call->prev;
  call->list = NULL;
  call->prev = call->next = NULL;
}

/* ---- global init and small helpers ------------------------------------------------------ */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT;

static void curl_init_once(void) { curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT); }

static void trace_line(swh_client *client, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void trace_line(swh_client *client, const char *fmt, ...) {
  if (!client->trace) return;
  char small[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof small) {
    client->trace(client->trace_user, small);
    return;
  }
  char *big = malloc((size_t)n + 1);
  if (!big) {
    client->trace(client->trace_user, small); /* cut, but still a line */
    return;
  }
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  client->trace(client->trace_user, big);
  free(big);
}

/* Appends to err's message, cut to fit and kept one valid line (a cut never splits a UTF-8
   sequence of the quoted server text). */
static void append_message(swh_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void append_message(swh_error *err, const char *fmt, ...) {
  size_t used = strlen(err->message);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message + used, sizeof err->message - used, fmt, ap);
  va_end(ap);
  swhi_text_make_line(err->message);
}

static char *dup_or_null(const char *text, bool *failed) {
  if (!text) return NULL;
  char *copy = strdup(text);
  if (!copy) *failed = true;
  return copy;
}

static void free_secret(char *secret) {
  if (!secret) return;
  OPENSSL_cleanse(secret, strlen(secret));
  free(secret);
}

static CURL *easy_take(swh_client *client) {
  if (client->idle_count > 0) return client->idle[--client->idle_count];
  return curl_easy_init();
}

static void easy_put(swh_client *client, CURL *easy) {
  if (client->idle_count == client->idle_cap) {
    size_t cap = client->idle_cap ? client->idle_cap * 2 : 8;
    CURL **grown = realloc(client->idle, cap * sizeof *grown);
    if (!grown) {
      curl_easy_cleanup(easy); /* only a lost chance of reuse */
      return;
    }
    client->idle = grown;
    client->idle_cap = cap;
  }
  client->idle[client->idle_count++] = easy;
}

/* ---- creating and freeing a client -------------------------------------------------------- */

/* How messages name setting id: sources[id] ("--base-url", "SINCH_REGION", "base_url") when
   the caller knows where it came from, else "config.<name>". */
static const char *setting_source(const char *const sources[SWHI_SETTING_COUNT],
                                  swhi_setting_id id, char buffer[64]) {
  if (sources && sources[id]) return sources[id];
  snprintf(buffer, 64, "config.%s", swhi_setting_at(id)->name);
  return buffer;
}

/* Each setting as the settings table allows it, then what depends on several: credentials
   that plain http:// would carry off the machine. */
static swh_status check_config(const swh_config *config,
                               const char *const sources[SWHI_SETTING_COUNT], swh_error *err) {
  if (!config) return swh_error_set(err, SWH_ERR_USAGE, "config: required");
  char buffer[64];
  for (swhi_setting_id id = 0; id < SWHI_SETTING_COUNT; id++) {
    const char *source = setting_source(sources, id, buffer);
    const char *const *text = (const void *)((const char *)config + swhi_setting_at(id)->offset);
    if (swhi_setting_at(id)->required && (!*text || !**text))
      return swh_error_set(err, SWH_ERR_USAGE, "%s: required", source);
    if (swhi_setting_check(id, source, config, err) != SWH_OK) return err->kind;
  }
  if (!config->allow_insecure_http) {
    bool basic = config->auth == SWH_AUTH_BASIC;
    if (config->base_url &&
        swhi_url_check_private(setting_source(sources, SWHI_SETTING_BASE_URL, buffer),
                               config->base_url, basic ? "the key" : "the access token",
                               err) != SWH_OK)
      return err->kind;
    /* Basic never asks the token endpoint */
    if (!basic && config->auth_url &&
        swhi_url_check_private(setting_source(sources, SWHI_SETTING_AUTH_URL, buffer),
                               config->auth_url, "the key", err) != SWH_OK)
      return err->kind;
  }
  return SWH_OK;
}

swh_client *swh_client_new(const swh_config *config, swh_error *err) {
  return swhi_client_new(config, NULL, err);
}

swh_client *swhi_client_new(const swh_config *config,
                            const char *const sources[SWHI_SETTING_COUNT], swh_error *err) {
  if (check_config(config, sources, err) != SWH_OK) return NULL;
  pthread_once(&curl_once, curl_init_once);
  if (curl_init_result != CURLE_OK) {
    swh_error_set(err, SWH_ERR_MEMORY, "libcurl could not be initialised: %s",
                  curl_easy_strerror(curl_init_result));
    return NULL;
  }
  swh_client *client = calloc(1, sizeof *client);
  if (!client) {
    swh_error_set(err, SWH_ERR_MEMORY, "out of memory creating a client");
    return NULL;
  }
  bool failed = false;
  client->project_id = dup_or_null(config->project_id, &failed);
  client->key_id = dup_or_null(config->key_id, &failed);
  client->key_secret = dup_or_null(config->key_secret, &failed);
  client->auth_url = dup_or_null(config->auth_url ? config->auth_url : SWH_DEFAULT_AUTH_URL,
                                 &failed);
  client->allow_insecure_http = config->allow_insecure_http;
  if (config->base_url) {
    client->base_url = dup_or_null(config->base_url, &failed);
  } else {
    client->region = dup_or_null(config->region ? config->region : SWH_DEFAULT_REGION, &failed);
    char base[96];
    snprintf(base, sizeof base, "https://%s.conversation.api.sinch.com",
             config->region ? config->region : SWH_DEFAULT_REGION);
    client->base_url = dup_or_null(base, &failed);
  }
  if (client->base_url && !(client->api_host = swhi_url_host(client->base_url))) failed = true;
  if (client->auth_url) client->auth_path = swhi_url_path(client->auth_url);
  if (client->auth_url && !client->auth_path) failed = true;
  if (client->auth_url &&
      !(client->auth_url_shown = swhi_url_mask(client->auth_url, SWHI_REDACTED)))
    failed = true;
  client->auth = config->auth;
  double timeout = config->timeout > 0 ? config->timeout : SWH_DEFAULT_TIMEOUT;
  /* Clamped before the conversion: a double past the range of long does not convert (a huge
     timeout used to come out as 1 ms). */
  double timeout_ms = timeout * 1000.0;
  client->timeout_ms = timeout_ms >= INT_MAX ? INT_MAX : timeout_ms < 1 ? 1 : (long)timeout_ms;
  client->retry.attempts = config->retries > 0 ? config->retries : SWH_DEFAULT_RETRIES;
  double retry_time = config->retry_time > 0 ? config->retry_time : SWH_DEFAULT_RETRY_TIME;
  client->retry.time_ms = retry_time * 1000.0;
  client->concurrency = config->concurrency > 0 ? config->concurrency : SWH_DEFAULT_CONCURRENCY;
  double rate = config->rate > 0 ? config->rate : SWH_DEFAULT_RATE;
  /* A burst of a tenth of a second's worth: smooth, yet no wait for small scripts. */
  swhi_bucket_init(&client->bucket, rate, rate / 10.0, swhi_now_ms());
  swhi_rng_seed(&client->rng);
  client->trace = config->trace;
  client->trace_user = config->trace_user;
  client->curl_deadline_ms = -1;
  client->multi = curl_multi_init();
  client->escaper = curl_easy_init();
  if (failed || !client->multi || !client->escaper) {
    swh_client_free(client);
    swh_error_set(err, SWH_ERR_MEMORY, "out of memory creating a client");
    return NULL;
  }
  return client;
}

static void call_free(swh_call *call);
static void loop_update_timer(swh_client *client);

/* The transfer a call sends next, or has in flight: the lookup while it looks, else main. */
static swh_transfer *current_transfer(swh_call *call) {
  return call->phase == PHASE_LOOKUP ? call->lookup : call->main;
}

/* Marks a call done with err "client closed" and cuts it loose from the client. */
static void detach_call(swh_call *call) {
  list_remove(call);
  if (call->state != CALL_DONE) {
    call->state = CALL_DONE;
    swh_error_clear(&call->err);
    swh_error_set(&call->err, SWH_ERR_USAGE, "client closed before the call finished");
    snprintf(call->err.request, sizeof call->err.request, "%s", call->request);
  }
  call->client = NULL;
}

static void drop_list(swh_client *client, call_list *list) {
  while (list->head) {
    swh_call *call = list->head;
    swh_transfer *t = current_transfer(call);
    if (call->state == CALL_IN_FLIGHT && t && t->easy) {
      curl_multi_remove_handle(client->multi, t->easy);
      curl_easy_cleanup(t->easy);
      t->easy = NULL;
    }
    if (call->abandoned) {
      list_remove(call);
      call_free(call);
    } else {
      detach_call(call);
    }
  }
}

void swh_client_free(swh_client *client) {
  if (!client) return;
  drop_list(client, &client->waiting);
  drop_list(client, &client->in_flight);
  drop_list(client, &client->done);
  drop_list(client, &client->reported);
  if (client->token_transfer) {
    if (client->token_transfer->easy) {
      curl_multi_remove_handle(client->multi, client->token_transfer->easy);
      curl_easy_cleanup(client->token_transfer->easy);
    }
    swhi_transfer_free(client->token_transfer);
  }
  for (size_t i = 0; i < client->idle_count; i++) curl_easy_cleanup(client->idle[i]);
  free(client->idle);
  if (client->escaper) curl_easy_cleanup(client->escaper);
  if (client->multi) curl_multi_cleanup(client->multi);
  swhi_token_forget(&client->token);
  free(client->project_id);
  free(client->key_id);
  free_secret(client->key_secret);
  free(client->base_url);
  free(client->auth_url);
  free(client->auth_path);
  free(client->auth_url_shown);
  free(client->api_host);
  free(client->region);
  free(client);
}

const char *swh_client_api_host(const swh_client *client) { return client->api_host; }

const char *swh_client_project_id(const swh_client *client) { return client->project_id; }

void swhi_client_settings(const swh_client *client, swh_config *config) {
  memset(config, 0, sizeof *config);
  config->project_id = client->project_id;
  config->key_id = client->key_id;
  config->region = client->region;
  config->base_url = client->base_url;
  config->auth_url = client->auth_url;
  config->auth = client->auth;
  config->timeout = client->timeout_ms / 1000.0;
  config->retries = client->retry.attempts;
  config->retry_time = client->retry.time_ms / 1000.0;
  config->concurrency = client->concurrency;
  config->rate = client->bucket.ceiling;
  config->allow_insecure_http = client->allow_insecure_http;
  config->trace = client->trace;
  config->trace_user = client->trace_user;
}

void swh_client_limits(const swh_client *client, int *concurrency, double *rate) {
  *concurrency = client->concurrency;
  *rate = client->bucket.ceiling;
}

/* ---- starting a call ---------------------------------------------------------------------- */

static void call_free(swh_call *call) {
  swhi_transfer_free(call->main);
  swhi_transfer_free(call->lookup);
  json_decref(call->sent);
  json_decref(call->result);
  free(call->app_id);
  free(call->target);
  swh_error_clear(&call->last_err);
  swh_error_clear(&call->err);
  free(call);
}

static swh_call *call_start(swh_client *client, swh_op op, const char *id, const json_t *body,
                            void *user, swh_error *err) {
  if (!client) {
    swh_error_set(err, SWH_ERR_USAGE, "client: required");
    return NULL;
  }
  swh_op_shape shape;
  if (!swhi_op_shape_of(client->project_id, op, id, &shape)) {
    swh_error_set(err, SWH_ERR_USAGE, "op: unknown operation %d", (int)op);
    return NULL;
  }
  if (shape.id_name && (!id || !*id)) {
    swh_error_set(err, SWH_ERR_USAGE, "%s: required (a non-empty string)", shape.id_name);
    return NULL;
  }
  if (!shape.has_body && body) {
    swh_error_set(err, SWH_ERR_USAGE, "body: this operation takes none");
    return NULL;
  }
  swh_call *call = calloc(1, sizeof *call);
  if (!call) {
    swh_error_set(err, SWH_ERR_MEMORY, "out of memory starting a call");
    return NULL;
  }
  call->client = client;
  call->op = op;
  call->user = user;
  swh_error_init(&call->err);
  swh_error_init(&call->last_err);

  char mask[SWH_UPDATE_MASK_MAX] = "";
  char query[SWH_UPDATE_MASK_MAX + 16];
  char *body_text = NULL;
  /* The request line first, so even a refusal says which request it refused. */
  char *url = NULL, *path = NULL;
  swh_status status = swhi_url_build(client->escaper, "", shape.segments, shape.count, NULL, &url,
                                    &path, err);
  if (status == SWH_OK)
    snprintf(call->request, sizeof call->request, "%s %s", shape.method, path);
  free(url);
  free(path);
  if (status == SWH_OK && shape.id_name)
    status = swhi_segment_check(shape.id_name, id, strlen(id), SWH_ERR_VALIDATION, err);
  if (status == SWH_OK && shape.has_body)
    status = swhi_request_body(op, body, &call->sent, mask, err);
  if (status == SWH_OK && call->sent) {
    body_text = json_dumps(call->sent, JSON_COMPACT);
    if (!body_text) status = swh_error_set(err, SWH_ERR_MEMORY, "out of memory encoding a body");
  }
  if (status == SWH_OK && op == SWH_OP_WEBHOOK_CREATE) {
    bool failed = false;
    call->app_id = dup_or_null(json_string_value(json_object_get(call->sent, "app_id")), &failed);
    call->target = dup_or_null(json_string_value(json_object_get(call->sent, "target")), &failed);
    if (failed) status = swh_error_set(err, SWH_ERR_MEMORY, "out of memory starting a call");
  }
  if (status == SWH_OK) {
    if (*mask) snprintf(query, sizeof query, "update_mask=%s", mask);
    call->main = swhi_request_transfer(client->escaper, client->base_url, shape.method,
                                      shape.segments, shape.count, *mask ? query : NULL,
                                      body_text, err);
    body_text = NULL; /* owned by the transfer now, or freed */
    if (!call->main) status = err->kind;
  }
  free(body_text);
  if (call->main) {
    call->main->owner = call;
    call->main->send_once = op == SWH_OP_WEBHOOK_CREATE || op == SWH_OP_WEBHOOK_DELETE;
  }
  if (status != SWH_OK) {
    snprintf(err->request, sizeof err->request, "%s", call->request);
    call_free(call);
    return NULL;
  }
  call->state = CALL_WAITING;
  list_push(&client->waiting, call);
  client->active++;
  return call;
}

swh_call *swh_call_start(swh_client *client, swh_op op, const char *id, const json_t *body,
                         void *user, swh_error *err) {
  /* Work on a local error, so the checks above need no NULL tests. */
  swh_error local;
  swh_error_init(&local);
  swh_call *call = call_start(client, op, id, body, user, &local);
  if (call) loop_update_timer(client); /* the loop comes back to send it */
  if (err)
    swh_error_move(err, &local);
  else
    swh_error_clear(&local);
  return call;
}

/* ---- finishing a call --------------------------------------------------------------------- */

static void call_settle(swh_call *call) {
  swh_client *client = call->client;
  list_remove(call);
  call->state = CALL_DONE;
  client->active--;
  client->progressed = true;
  list_push(&client->done, call);
}

static void call_succeed(swh_call *call, json_t *result) {
  call->result = result;
  call_settle(call);
}

/* Fails the call with err (moved). */
static void call_fail(swh_call *call, swh_error *err) {
  swh_error_move(&call->err, err);
  snprintf(call->err.request, sizeof call->err.request, "%s", call->request);
  call_settle(call);
}

bool swh_call_done(const swh_call *call) { return call && call->state == CALL_DONE; }

void *swh_call_user(const swh_call *call) { return call ? call->user : NULL; }

swh_call *swh_client_next_done(swh_client *client) {
  if (!client || !client->done.head) return NULL;
  swh_call *call = client->done.head;
  list_remove(call);
  list_push(&client->reported, call);
  return call;
}

swh_status swh_call_finish(swh_call *call, json_t **result, swh_error *err) {
  if (result) *result = NULL;
  if (!call) return swh_error_set(err, SWH_ERR_USAGE, "call: required");
  if (call->state != CALL_DONE)
    return swh_error_set(err, SWH_ERR_USAGE, "call: not done yet (step the client until it is)");
  swh_status kind = call->err.kind;
  if (kind == SWH_OK) {
    if (result) {
      *result = call->result;
      call->result = NULL;
    }
  } else if (err) {
    swh_error_move(err, &call->err);
  }
  list_remove(call);
  call_free(call);
  return kind;
}

void swh_call_abandon(swh_call *call) {
  if (!call) return;
  if (!call->client || call->state != CALL_IN_FLIGHT) {
    if (call->client && call->state == CALL_WAITING) call->client->active--;
    list_remove(call);
    call_free(call);
    return;
  }
  /* Its transfer is running: the client frees it when the transfer ends. */
  call->abandoned = true;
  call->client->active--;
}

/* ---- sending -------------------------------------------------------------------------------- */

static void trace_request(swh_client *client, const swh_transfer *t, const json_t *body) {
  if (!client->trace) return;
  char *text = body ? swhi_redacted_dump(body, TRACE_BODY_MAX) : NULL;
  char *url = swhi_url_mask_text(t->url, SWHI_REDACTED);
  trace_line(client, "> %s %s%s%s", t->method, url ? url : "[a URL, out of memory]",
             text ? " " : "", text ? text : "");
  free(url);
  free(text);
}

/* Hands t to curl with the client's credentials. Returns false (err filled) on failure. */
static bool send_transfer(swh_client *client, swh_transfer *t, const json_t *body,
                          bool for_token, swh_error *err) {
  CURL *easy = easy_take(client);
  if (!easy) {
    swh_error_set(err, SWH_ERR_MEMORY, "out of memory creating a curl handle");
    return false;
  }
  swh_transfer_auth auth = {SWH_TRANSFER_AUTH_BASIC, client->key_id, client->key_secret, NULL};
  if (!for_token && client->auth == SWH_AUTH_OAUTH2)
    auth = (swh_transfer_auth){SWH_TRANSFER_AUTH_BEARER, NULL, NULL, client->token.value};
  if (!swhi_transfer_prepare(t, easy, &auth, client->timeout_ms) ||
      curl_multi_add_handle(client->multi, easy) != CURLM_OK) {
    t->easy = NULL;
    easy_put(client, easy);
    swh_error_set(err, SWH_ERR_MEMORY, "could not set up the request (out of memory?)");
    return false;
  }
  t->started_ms = swhi_now_ms();
  trace_request(client, t, body);
  return true;
}

static void start_call(swh_client *client, swh_call *call) {
  swh_transfer *t = current_transfer(call);
  swh_error err;
  swh_error_init(&err);
  call->token_generation = client->token.generation;
  if (!send_transfer(client, t, call->phase == PHASE_MAIN ? call->sent : NULL, false, &err)) {
    call_fail(call, &err);
    return;
  }
  if (call->phase == PHASE_MAIN)
    call->attempts++;
  else
    call->lookup_attempts++;
  list_remove(call);
  call->state = CALL_IN_FLIGHT;
  list_push(&client->in_flight, call);
  client->in_flight_count++;
}

static void fail_waiting_calls(swh_client *client, const swh_error *err) {
  while (client->waiting.head) {
    swh_error copy;
    swh_error_init(&copy);
    swh_error_copy(&copy, err);
    call_fail(client->waiting.head, &copy);
  }
}

static void start_token_request(swh_client *client) {
  swh_error err;
  swh_error_init(&err);
  if (!client->token_transfer) {
    char *url = strdup(client->auth_url);
    char *path = strdup(client->auth_path);
    char *body = strdup("grant_type=client_credentials");
    if (url && path && body)
      client->token_transfer = swhi_transfer_new("POST", url, path, body,
                                                "application/x-www-form-urlencoded");
    else {
      free(url);
      free(path);
      free(body);
    }
  }
  if (!client->token_transfer) {
    swh_error_set(&err, SWH_ERR_MEMORY, "out of memory requesting a token");
  } else if (send_transfer(client, client->token_transfer, NULL, true, &err)) {
    client->token_in_flight = true;
    client->token_attempts++;
    return;
  }
  /* Nothing can be sent without a token: the waiting calls fail now. */
  fail_waiting_calls(client, &err);
  swh_error_clear(&err);
}

/* Starts what may start now: a token request when one is needed, then waiting calls within
   the concurrency and rate limits, in the order they were started. */
static void dispatch(swh_client *client) {
  double now = swhi_now_ms();
  swh_call *call = client->waiting.head;
  while (call && client->in_flight_count < client->concurrency) {
    swh_call *next = call->next;
    if (call->not_before_ms > now) {
      call = next;
      continue;
    }
    if (client->auth == SWH_AUTH_OAUTH2 && !swhi_token_usable(&client->token, now)) {
      if (!client->token_in_flight && now >= client->token_not_before_ms)
        start_token_request(client);
      return; /* every call needs the token */
    }
    if (!swhi_bucket_take(&client->bucket, now)) return;
    start_call(client, call);
    call = next;
  }
}

/* ---- answers -------------------------------------------------------------------------------- */

/* What a series of failures that is not retried any more says about it. */
static void append_gave_up(swh_client *client, swh_error *err, swh_retry_verdict verdict,
                           int attempts) {
  if (verdict == SWH_RETRY_NO_TIME_LEFT)
    append_message(err, " (gave up after %d attempt%s: retry_time %g s ran out)", attempts,
                   attempts == 1 ? "" : "s", client->retry.time_ms / 1000.0);
  else if (client->retry.attempts > 1)
    append_message(err, " (gave up after %d attempts)", attempts);
}

static void requeue(swh_client *client, swh_call *call, double delay_ms) {
  list_remove(call);
  call->state = CALL_WAITING;
  call->not_before_ms = swhi_now_ms() + delay_ms;
  list_push(&client->waiting, call);
}

/* A 401 to a call sent with the cached token: renews the token once for the call (calls
   that saw the same token share one renewal) and resends the same request, main or lookup,
   without counting it as an attempt. Any 401, not only one whose WWW-Authenticate says
   "expired": a server restarted with a new signing key refuses every token it made before.
   Returns false when that does not apply (Basic, or renewed once already: no loop). */
static bool renew_after_401(swh_client *client, swh_call *call, const swh_transfer *t) {
  if (t->status != 401 || client->auth != SWH_AUTH_OAUTH2 || call->renewed) return false;
  call->renewed = true;
  trace_line(client, "~ %s was refused (401%s): renewing the token and sending it again",
             call->request, t->token_expired ? ", token expired" : "");
  if (call->phase == PHASE_LOOKUP)
    call->lookup_attempts--;
  else
    call->attempts--;
  if (call->token_generation == client->token.generation) swhi_token_forget(&client->token);
  requeue(client, call, 0);
  return true;
}

/* Makes the request that lists a create's app, once per call: false with err on failure. */
static bool lookup_prepare(swh_client *client, swh_call *call, swh_error *err) {
  if (call->lookup) return true;
  swh_op_shape list;
  swhi_op_shape_of(client->project_id, SWH_OP_WEBHOOKS_LIST, call->app_id, &list);
  call->lookup = swhi_request_transfer(client->escaper, client->base_url, list.method,
                                      list.segments, list.count, NULL, NULL, err);
  if (!call->lookup) return false;
  call->lookup->owner = call;
  return true;
}

/* As lookup_prepare, for a send whose answer err calls for a lookup: when none can be made,
   the call fails with why not (err is dropped) and false is returned. */
static bool lookup_prepare_or_fail(swh_client *client, swh_call *call, swh_error *err) {
  swh_error made;
  swh_error_init(&made);
  if (lookup_prepare(client, call, &made)) return true;
  swh_error_clear(err);
  call_fail(call, &made);
  return false;
}

/* Sends a create's lookup after delay_ms, keeping why (moved) for the call's failure. */
static void look_up(swh_client *client, swh_call *call, swh_error *why, double delay_ms) {
  call->phase = PHASE_LOOKUP;
  call->lookup_attempts = 0;
  call->lookup_first_failure_ms = 0;
  swh_error_move(&call->last_err, why);
  requeue(client, call, delay_ms);
}

swh_status swh_call_resend(swh_call *call, swh_error *err) {
  if (!call || !call->client || call->state != CALL_WAITING || call->attempts > 0 ||
      call->phase != PHASE_MAIN)
    return swh_error_set(err, SWH_ERR_USAGE, "call: resend only a call just started");
  swh_client *client = call->client;
  call->ambiguous = true;
  if (call->op != SWH_OP_WEBHOOK_CREATE) return SWH_OK;
  swh_error local;
  swh_error_init(&local);
  if (!lookup_prepare(client, call, &local)) {
    swh_status kind = local.kind;
    if (err) swh_error_move(err, &local); else swh_error_clear(&local);
    return kind;
  }
  trace_line(client, "~ %s was sent before: looking for its target in the app's webhooks",
             call->request);
  look_up(client, call, &local, 0);
  return SWH_OK;
}

/* The lookup of a create ended: return what exists, or send the create again. */
static void lookup_complete(swh_client *client, swh_call *call, swh_transfer *t,
                            CURLcode code) {
  swh_error err;
  swh_error_init(&err);
  json_t *webhooks = NULL;
  if (code != CURLE_OK)
    swhi_answer_transport_error(t, code, &err);
  else if (renew_after_401(client, call, t))
    return;
  else if (t->status != 200)
    swh_error_from_response(&err, (int)t->status, t->data, t->len, NULL);
  else
    swhi_answer_parse_success(SWH_OP_WEBHOOKS_LIST, t, &webhooks, &err);
  if (webhooks) {
    size_t i;
    json_t *webhook;
    json_array_foreach(webhooks, i, webhook) {
      const char *target = json_string_value(json_object_get(webhook, "target"));
      if (target && strcmp(target, call->target) == 0) {
        const char *id = json_string_value(json_object_get(webhook, "id"));
        trace_line(client, "~ %s: found the webhook it already made (%s)", call->request,
                   id ? id : "no id");
        json_t *found = json_incref(webhook);
        json_decref(webhooks);
        call_succeed(call, found);
        return;
      }
    }
    json_decref(webhooks);
    if (call->relooked) { /* not made: the refusal stands */
      call_fail(call, &call->last_err);
      return;
    }
    if (call->attempts == 0) { /* sent before (swh_call_resend), not made: send it */
      call->phase = PHASE_MAIN;
      requeue(client, call, 0);
      return;
    }
    double no_wait = 0;
    swh_retry_verdict verdict = swhi_retry_decide(&client->retry, call->attempts,
                                                 &call->first_failure_ms, swhi_now_ms(),
                                                 &no_wait, false);
    if (verdict != SWH_RETRY_AGAIN) {
      /* Out of attempts or time, and now known not to have been made. The time may have
         run out while looking, after main_complete decided to look before sending again. */
      if (!call->gave_up) append_gave_up(client, &call->last_err, verdict, call->attempts);
      append_message(&call->last_err, "; it was not made");
      call->last_err.retryable = true;
      call_fail(call, &call->last_err);
      return;
    }
    call->phase = PHASE_MAIN; /* nothing was made: safe to send again */
    requeue(client, call, 0);
    return;
  }
  if (err.retryable) {
    bool firm;
    double delay = swhi_answer_retry_delay(&client->rng, t, call->lookup_attempts, &firm);
    if (swhi_retry_decide(&client->retry, call->lookup_attempts, &call->lookup_first_failure_ms,
                         swhi_now_ms(), &delay, firm) == SWH_RETRY_AGAIN) {
      requeue(client, call, delay);
      swh_error_clear(&err);
      return;
    }
  }
  if (call->attempts == 0) { /* sent before (swh_call_resend): the lookup's failure is all */
    append_message(&err, "; it was sent before, and may have been applied");
    err.retryable = false;
    call_fail(call, &err);
    return;
  }
  /* Whether the create was applied stays unknown: report the first failure, and why. */
  char line[SWH_ERROR_MESSAGE_MAX];
  append_message(&call->last_err, "; it may have been applied, and looking for it failed: %s",
                 swh_error_format(&err, line, sizeof line));
  call->last_err.retryable = false;
  swh_error_clear(&err);
  call_fail(call, &call->last_err);
}

static void main_complete(swh_client *client, swh_call *call, swh_transfer *t, CURLcode code) {
  swh_error err;
  swh_error_init(&err);
  bool ambiguous = false;
  if (code != CURLE_OK) {
    ambiguous = swhi_answer_transport_error(t, code, &err);
  } else if (t->status == 200) {
    json_t *result = NULL;
    if (swhi_answer_parse_success(call->op, t, &result, &err) == SWH_OK) {
      call_succeed(call, result);
      return;
    }
  } else if (renew_after_401(client, call, t)) {
    return;
  } else if (t->status == 404 && call->op == SWH_OP_WEBHOOK_DELETE && call->ambiguous) {
    /* An earlier attempt was applied but its answer lost: the webhook is gone, as asked. */
    json_t *empty = json_object();
    if (empty) {
      call_succeed(call, empty);
      return;
    }
    swh_error_set(&err, SWH_ERR_MEMORY, "out of memory reading an answer");
  } else {
    swh_error_from_response(&err, (int)t->status, t->data, t->len, NULL);
    ambiguous = t->status >= 500;
    if (t->status == 401 && call->renewed)
      append_message(&err, " (refused again with a new token)");
    if (t->status == 400 && call->op == SWH_OP_WEBHOOK_CREATE && call->ambiguous &&
        !call->relooked) {
      /* An earlier send may have landed after the lookup found nothing: its target (unique
         in an app) or its room (5 an app) then makes this one refused. Look once more. */
      if (!lookup_prepare_or_fail(client, call, &err)) return;
      call->relooked = true;
      trace_line(client, "~ %s was refused after an earlier send: looking for its target "
                 "again", call->request);
      look_up(client, call, &err, 0);
      return;
    }
  }

  double delay = 0;
  bool again = false;
  if (err.retryable) {
    bool firm;
    delay = swhi_answer_retry_delay(&client->rng, t, call->attempts, &firm);
    swh_retry_verdict verdict = swhi_retry_decide(&client->retry, call->attempts,
                                                 &call->first_failure_ms, swhi_now_ms(), &delay,
                                                 firm);
    again = verdict == SWH_RETRY_AGAIN;
    if (!again) append_gave_up(client, &err, verdict, call->attempts);
    call->gave_up = !again;
  }
  if (err.retryable && ambiguous && call->op == SWH_OP_WEBHOOK_CREATE) {
    /* target is unique in its app: look the webhook up, before sending again or, out of
       attempts, to tell whether the create was made after all. */
    if (!lookup_prepare_or_fail(client, call, &err)) return;
    if (!again) delay = 0; /* out of attempts: look at once, to tell what happened */
    trace_line(client, "~ %s may have been applied: looking for its target in the app's "
               "webhooks in %.0f ms (attempt %d of %d: %s)",
               call->request, delay, call->attempts, client->retry.attempts, err.message);
    call->ambiguous = true;
    look_up(client, call, &err, delay);
    return;
  }
  if (ambiguous) call->ambiguous = true;
  if (again) {
    char line[SWH_ERROR_MESSAGE_MAX];
    trace_line(client, "~ retrying %s in %.0f ms (attempt %d of %d failed: %s)", call->request,
               delay, call->attempts, client->retry.attempts,
               swh_error_format(&err, line, sizeof line));
    requeue(client, call, delay);
    swh_error_clear(&err);
    return;
  }
  /* A change sent whose answer never came may have been applied: the caller must not take
     the error for "nothing happened" (a create says so after its lookup, above). */
  if (call->ambiguous && (call->op == SWH_OP_WEBHOOK_UPDATE ||
                          call->op == SWH_OP_WEBHOOK_DELETE || call->op == SWH_OP_WEBHOOK_CREATE))
    append_message(&err, "; it may have been applied");
  call_fail(call, &err);
}

static void token_complete(swh_client *client, swh_transfer *t, CURLcode code) {
  client->token_in_flight = false;
  swh_error err;
  swh_error_init(&err);
  bool retryable, transport = false;
  if (code == CURLE_OK && t->status == 200) {
    if (swhi_token_store(&client->token, t->data, t->len, client->auth_url_shown, swhi_now_ms(),
                        &err) == SWH_OK) {
      client->token_attempts = 0;
      client->token_first_failure_ms = 0;
      return;
    }
    retryable = false;
  } else if (code != CURLE_OK) {
    /* No HTTP answer (connect, timeout): reported like an API call's, kind network or
       timeout and retryable, naming the token endpoint. */
    swh_error inner;
    swh_error_init(&inner);
    swhi_answer_transport_error(t, code, &inner);
    retryable = inner.retryable;
    swh_status kind = inner.kind == SWH_ERR_NETWORK || inner.kind == SWH_ERR_TIMEOUT ||
                              inner.kind == SWH_ERR_TLS
                          ? inner.kind
                          : SWH_ERR_AUTH;
    swh_error_set(&err, kind, "the token endpoint %s failed: %s", client->auth_url_shown,
                  inner.message);
    transport = kind != SWH_ERR_AUTH;
    swh_error_clear(&inner);
  } else {
    swh_error_from_response(&err, (int)t->status, t->data, t->len, NULL);
    retryable = err.retryable;
    if (t->status == 401) {
      swh_error_set(&err, SWH_ERR_AUTH,
                    "the key was refused by %s: check key_id and key_secret",
                    client->auth_url_shown);
    } else {
      char inner[SWH_ERROR_MESSAGE_MAX];
      memcpy(inner, err.message, sizeof inner);
      swh_error_set(&err, SWH_ERR_AUTH, "the token endpoint %s answered %ld: %s",
                    client->auth_url_shown, t->status, inner);
    }
  }
  swh_retry_verdict verdict = SWH_RETRY_NO_ATTEMPTS_LEFT;
  if (retryable) {
    /* The token endpoint sends no Retry-After on 429: back off with jitter. */
    bool firm;
    double delay = swhi_answer_retry_delay(&client->rng, t, client->token_attempts, &firm);
    verdict = swhi_retry_decide(&client->retry, client->token_attempts,
                               &client->token_first_failure_ms, swhi_now_ms(), &delay, firm);
    if (verdict == SWH_RETRY_AGAIN) {
      trace_line(client, "~ retrying the token request in %.0f ms (%s)", delay, err.message);
      client->token_not_before_ms = swhi_now_ms() + delay;
      swh_error_clear(&err);
      return;
    }
  }
  if (transport && retryable) {
    /* As for an API call: retryable later, and how many attempts were made. */
    append_gave_up(client, &err, verdict, client->token_attempts);
    err.retryable = true;
  } else {
    err.retryable = false;
  }
  client->token_attempts = 0;
  client->token_first_failure_ms = 0;
  fail_waiting_calls(client, &err);
  swh_error_clear(&err);
}

/* Takes the finished transfers out of curl and moves their calls on. */
static void collect(swh_client *client) {
  CURLMsg *msg;
  int left;
  while ((msg = curl_multi_info_read(client->multi, &left))) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL *easy = msg->easy_handle;
    CURLcode code = msg->data.result;
    swh_transfer *t = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &t->status);
    curl_multi_remove_handle(client->multi, easy);
    easy_put(client, easy);
    t->easy = NULL;
    double elapsed = swhi_now_ms() - t->started_ms;
    if (code == CURLE_OK)
      trace_line(client, "< %ld %s %s (%.0f ms)", t->status, t->method, t->path, elapsed);
    else
      trace_line(client, "< %s %s %s (%.0f ms): %s",
                 code == CURLE_OPERATION_TIMEDOUT ? "timeout" : "network", t->method, t->path,
                 elapsed, swhi_answer_transport_detail(t, code));
    if (!t->owner) {
      token_complete(client, t, code);
      continue;
    }
    swh_call *call = t->owner;
    client->in_flight_count--;
    /* An API request refused for the project's limit, which is below our rate (other
       clients share it): send slower (the token endpoint's limit is its own). */
    if (code == CURLE_OK && t->status == 429) swhi_bucket_slow_down(&client->bucket, swhi_now_ms());
    if (call->abandoned) {
      list_remove(call);
      call_free(call);
      continue;
    }
    if (call->phase == PHASE_LOOKUP)
      lookup_complete(client, call, t, code);
    else
      main_complete(client, call, t, code);
  }
}

static void pump(swh_client *client) {
  int running = 0;
  dispatch(client);
  curl_multi_perform(client->multi, &running);
  collect(client);
  dispatch(client);
}

/* Milliseconds until a timer (back-off, token retry, rate limit) lets something start, or
   -1 when nothing waits on a timer. */
static double next_timer_ms(swh_client *client) {
  double now = swhi_now_ms(), best = -1;
  bool ready = false;
  for (swh_call *call = client->waiting.head; call; call = call->next) {
    if (call->not_before_ms <= now) {
      ready = true;
      continue;
    }
    double wait = call->not_before_ms - now;
    if (best < 0 || wait < best) best = wait;
  }
  /* A ready call blocked by a full set of transfers or a token request in flight waits for
     an answer, which wakes curl_multi_poll: no timer, so no busy polling. */
  if (ready && client->in_flight_count < client->concurrency) {
    double wait = -1;
    if (client->auth == SWH_AUTH_OAUTH2 && !swhi_token_usable(&client->token, now)) {
      if (!client->token_in_flight)
        wait = client->token_not_before_ms > now ? client->token_not_before_ms - now : 0;
    } else {
      wait = swhi_bucket_wait_ms(&client->bucket, now);
    }
    if (wait >= 0 && (best < 0 || wait < best)) best = wait;
  }
  return best;
}

int swh_client_step(swh_client *client, int timeout_ms) {
  if (!client) return 0;
  client->progressed = false;
  pump(client);
  bool busy = client->in_flight_count > 0 || client->token_in_flight || client->waiting.head;
  if (!client->progressed && timeout_ms > 0 && busy) {
    double wait = timeout_ms;
    double timer = next_timer_ms(client);
    if (timer >= 0 && timer < wait) wait = timer + 1; /* +1: past the timer, not just before */
    curl_multi_poll(client->multi, NULL, 0, (int)wait, NULL);
    pump(client);
  }
  loop_update_timer(client);
  return client->active;
}

/* ---- driven by an event loop ------------------------------------------------------------ */

/* CURLMOPT_SOCKETFUNCTION: passes libcurl's wish for a socket on to the loop. */
static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *user, void *socketp) {
  swh_client *client = user;
  int watch = what == CURL_POLL_REMOVE ? 0
              : ((what & CURL_POLL_IN) ? SWH_WATCH_IN : 0) |
                    ((what & CURL_POLL_OUT) ? SWH_WATCH_OUT : 0);
  client->watch(client->loop_user, (int)fd, watch);
  return 0;
}

/* CURLMOPT_TIMERFUNCTION: kept, and merged with the client's own timers (back-off, rate
   limit, token retry) into the one timer the loop keeps, when the action ends. */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *user) {
  swh_client *client = user;
  client->curl_deadline_ms = timeout_ms < 0 ? -1 : swhi_now_ms() + (double)timeout_ms;
  return 0;
}

/* Tells the loop when to call swh_client_timeout: the earlier of libcurl's timer and the
   client's own. */
static void loop_update_timer(swh_client *client) {
  if (!client->timer) return;
  double now = swhi_now_ms();
  double wait = next_timer_ms(client);
  if (wait > 0) wait += 1; /* past the timer, not just before, as in swh_client_step */
  if (client->curl_deadline_ms >= 0) {
    double curl_wait = client->curl_deadline_ms > now ? client->curl_deadline_ms - now : 0;
    if (wait < 0 || curl_wait < wait) wait = curl_wait;
  }
  long ms = wait < 0 ? -1 : wait >= LONG_MAX ? LONG_MAX : (long)wait + ((long)wait < wait);
  client->timer(client->loop_user, ms);
}

swh_status swh_client_set_loop(swh_client *client, swh_watch_fn *watch, swh_timer_fn *timer,
                               void *user, swh_error *err) {
  if (!client || !watch || !timer)
    return swh_error_set(err, SWH_ERR_USAGE, "swh_client_set_loop: client, watch and timer "
                                             "are required");
  /* Queued calls are fine (they are sent from the loop); a transfer libcurl already runs
     would have sockets the loop was never told of. */
  if (client->watch || client->in_flight_count || client->token_in_flight)
    return swh_error_set(err, SWH_ERR_USAGE,
                         "swh_client_set_loop: only once, while no request is in flight");
  if (curl_multi_setopt(client->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket) != CURLM_OK ||
      curl_multi_setopt(client->multi, CURLMOPT_SOCKETDATA, client) != CURLM_OK ||
      curl_multi_setopt(client->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) != CURLM_OK ||
      curl_multi_setopt(client->multi, CURLMOPT_TIMERDATA, client) != CURLM_OK)
    return swh_error_set(err, SWH_ERR_MEMORY, "libcurl refused the socket callbacks");
  client->watch = watch;
  client->timer = timer;
  client->loop_user = user;
  loop_update_timer(client); /* for the calls already queued */
  return SWH_OK;
}

/* One turn of the loop's work: what pump does, with curl_multi_socket_action on the one
   socket (or timeout) that is due instead of curl_multi_perform over all of them. */
static void loop_action(swh_client *client, curl_socket_t fd, int events) {
  if (!client || !client->watch) return;
  int running = 0;
  dispatch(client);
  curl_multi_socket_action(client->multi, fd, events, &running);
  collect(client);
  dispatch(client);
}

void swh_client_socket_ready(swh_client *client, int fd, int what) {
  int events = ((what & SWH_WATCH_IN) ? CURL_CSELECT_IN : 0) |
               ((what & SWH_WATCH_OUT) ? CURL_CSELECT_OUT : 0) |
               ((what & SWH_WATCH_ERROR) ? CURL_CSELECT_ERR : 0);
  loop_action(client, (curl_socket_t)fd, events);
  if (client && client->watch) loop_update_timer(client);
}

/* libcurl's deadline is kept: a loop that calls early finds it still ahead, and libcurl
   tells the next one (or -1) once it has run the expired timer. When libcurl says nothing
   although the deadline has passed (it rounds timeouts down to the millisecond, and only
   calls back when its earliest timer changes), it is asked what it now waits for, so the
   loop is not called back at once over and over for a timer libcurl does not yet run. */
void swh_client_timeout(swh_client *client) {
  if (!client || !client->watch) return;
  double deadline = client->curl_deadline_ms;
  loop_action(client, CURL_SOCKET_TIMEOUT, 0);
  double now = swhi_now_ms();
  long left = -1;
  if (deadline >= 0 && client->curl_deadline_ms == deadline && deadline <= now &&
      curl_multi_timeout(client->multi, &left) == CURLM_OK)
    client->curl_deadline_ms = left < 0 ? -1 : now + (double)(left > 0 ? left : 1);
  loop_update_timer(client);
}
