/* The emulator's callback deliveries (see delivery.h and doc/CALLBACKS.md). */
#include "delivery.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "swh_signature.h"
#include "ulid.h"

/* Callbacks in flight at once; more wait in the queue. */
#define MAX_IN_FLIGHT 256
/* Connections kept to one host (libcurl reuses them between callbacks). */
#define MAX_HOST_CONNECTIONS 64
/* How long a target (or a token endpoint) has to answer. */
#define ATTEMPT_TIMEOUT_MS 10000
#define CONNECT_TIMEOUT_MS 5000
/* A token is renewed this long before it expires, so none expires on the way. */
#define TOKEN_MARGIN_S 30
/* expires_in when a token answer has none (OAuth2's usual hour). */
#define TOKEN_DEFAULT_TTL_S 3600
#define MAX_TOKEN_ANSWER (64 * 1024)

/* The body of one event, shared by its callbacks; only the delivery thread releases it. */
typedef struct shared_body {
  int refs;
  size_t len;
  char data[];
} shared_body;

typedef struct credentials {
  char *endpoint, *client_id, *client_secret, *scope;
  bool form;       /* token_request_type FORM; BASIC otherwise (the docs' default) */
  char *cache_key; /* all of the above: a change of any of them fetches a new token */
} credentials;

typedef struct job {
  shared_body *body;
  char *trigger, *webhook_id, *target, *secret;
  credentials *credentials;
  int attempts;
  double due;           /* monotonic seconds */
  double first_start;   /* of the first attempt */
  double attempt_start;
  CURL *easy;
  struct job *prev, *next; /* in the list of transfers, while easy is set */
  struct curl_slist *headers;
  char error[CURL_ERROR_SIZE];
} job;

typedef struct log_entry {
  char *trigger, *webhook_id, *target, *error;
  const char *outcome;
  long status;
  int attempts;
  double latency_ms, elapsed_ms;
} log_entry;

struct emu_delivery {
  pthread_t thread;
  pthread_mutex_t lock; /* guards the queue, the counts and the log */
  pthread_cond_t idle;  /* signalled when nothing is pending */
  bool stop;
  CURLM *multi;
  long retry_ms;
  int max_attempts;
  job **queue;          /* a min-heap on due */
  size_t queued, queue_size;
  size_t in_flight;
  unsigned long long delivered, failed;
  log_entry *log;       /* a ring of EMU_DELIVERY_LOG_MAX */
  size_t log_next, log_count;
  json_t *tokens;       /* cache_key -> {"token","expires"}; the delivery thread's own */
  job *transfers;       /* the jobs with a transfer in the multi handle (the thread's own) */
};

static double monotonic_s(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec + now.tv_nsec / 1e9;
}

/* ---- the queue: a binary min-heap on due time ---------------------------------------- */

/* Makes room for `more` jobs. */
static bool heap_reserve(emu_delivery *d, size_t more) {
  if (d->queued + more <= d->queue_size)
    return true;
  size_t size = d->queue_size ? d->queue_size : 1024;
  while (size < d->queued + more)
    size *= 2;
  job **grown = realloc(d->queue, size * sizeof *grown);
  if (!grown)
    return false;
  d->queue = grown;
  d->queue_size = size;
  return true;
}

static bool heap_push(emu_delivery *d, job *j) {
  if (!heap_reserve(d, 1))
    return false;
  size_t i = d->queued++;
  while (i > 0 && d->queue[(i - 1) / 2]->due > j->due) {
    d->queue[i] = d->queue[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  d->queue[i] = j;
  return true;
}

static job *heap_pop(emu_delivery *d) {
  job *top = d->queue[0];
  job *last = d->queue[--d->queued];
  size_t i = 0;
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= d->queued)
      break;
    if (child + 1 < d->queued && d->queue[child + 1]->due < d->queue[child]->due)
      child++;
    if (d->queue[child]->due >= last->due)
      break;
    d->queue[i] = d->queue[child];
    i = child;
  }
  if (d->queued)
    d->queue[i] = last;
  return top;
}

/* ---- jobs ----------------------------------------------------------------------------- */

static void free_secret(char *s) {
  if (s) {
    OPENSSL_cleanse(s, strlen(s));
    free(s);
  }
}

static void free_credentials(credentials *c) {
  if (!c)
    return;
  free(c->endpoint);
  free(c->client_id);
  free_secret(c->client_secret);
  free(c->scope);
  free_secret(c->cache_key);
  free(c);
}

static char *copy(const char *s) { return strdup(s ? s : ""); }

static credentials *copy_credentials(const json_t *cc) {
  credentials *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  const char *type = json_string_value(json_object_get(cc, "token_request_type"));
  c->endpoint = copy(json_string_value(json_object_get(cc, "endpoint")));
  c->client_id = copy(json_string_value(json_object_get(cc, "client_id")));
  c->client_secret = copy(json_string_value(json_object_get(cc, "client_secret")));
  c->scope = copy(json_string_value(json_object_get(cc, "scope")));
  /* an unknown type is BASIC, as the docs say of the default */
  c->form = type && strcmp(type, "FORM") == 0;
  if (c->endpoint && c->client_id && c->client_secret && c->scope) {
    size_t size = strlen(c->endpoint) + strlen(c->client_id) + strlen(c->client_secret) +
                  strlen(c->scope) + 8;
    c->cache_key = malloc(size);
    if (c->cache_key)
      snprintf(c->cache_key, size, "%s\n%s\n%s\n%s\n%c", c->endpoint, c->client_id,
               c->client_secret, c->scope, c->form ? 'F' : 'B');
  }
  if (!c->cache_key) {
    free_credentials(c);
    return NULL;
  }
  return c;
}

static void free_job(job *j) {
  if (j->body && --j->body->refs == 0)
    free(j->body);
  free(j->trigger);
  free(j->webhook_id);
  free(j->target);
  free_secret(j->secret);
  free_credentials(j->credentials);
  curl_slist_free_all(j->headers);
  free(j);
}

static job *new_job(const char *trigger, const emu_delivery_target *t) {
  job *j = calloc(1, sizeof *j);
  if (!j)
    return NULL;
  j->trigger = copy(trigger);
  j->webhook_id = copy(t->webhook_id);
  j->target = copy(t->target);
  j->secret = t->secret && *t->secret ? strdup(t->secret) : NULL;
  j->credentials = t->client_credentials ? copy_credentials(t->client_credentials) : NULL;
  if (!j->trigger || !j->webhook_id || !j->target || (t->secret && *t->secret && !j->secret) ||
      (t->client_credentials && !j->credentials)) {
    free_job(j);
    return NULL;
  }
  return j;
}

/* ---- the log -------------------------------------------------------------------------- */

static void log_clear(log_entry *e) {
  free(e->trigger);
  free(e->webhook_id);
  free(e->target);
  free(e->error);
  memset(e, 0, sizeof *e);
}

/* Records the job's outcome and frees it; the caller holds the lock. */
static void finish_locked(emu_delivery *d, job *j, const char *outcome, long status,
                          double now) {
  log_entry *e = &d->log[d->log_next];
  log_clear(e);
  e->trigger = j->trigger;
  e->webhook_id = j->webhook_id;
  e->target = j->target;
  j->trigger = j->webhook_id = j->target = NULL;
  e->error = j->error[0] ? strdup(j->error) : NULL;
  e->outcome = outcome;
  e->status = status;
  e->attempts = j->attempts;
  e->latency_ms = (now - j->attempt_start) * 1000;
  e->elapsed_ms = (now - j->first_start) * 1000;
  d->log_next = (d->log_next + 1) % EMU_DELIVERY_LOG_MAX;
  if (d->log_count < EMU_DELIVERY_LOG_MAX)
    d->log_count++;
  if (strcmp(outcome, "delivered") == 0)
    d->delivered++;
  else
    d->failed++;
  free_job(j);
  if (d->queued + d->in_flight == 0)
    pthread_cond_broadcast(&d->idle);
}

/* ---- tokens (OAuth2 client credentials toward the target) ----------------------------- */

typedef struct buffer {
  char *data;
  size_t len;
  bool too_long;
} buffer;

static size_t keep_body(char *data, size_t size, size_t count, void *userdata) {
  buffer *b = userdata;
  size_t n = size * count;
  if (b->len + n > MAX_TOKEN_ANSWER) {
    b->too_long = true;
    return 0;
  }
  char *grown = realloc(b->data, b->len + n + 1);
  if (!grown)
    return 0;
  memcpy(grown + b->len, data, n);
  b->data = grown;
  b->len += n;
  b->data[b->len] = '\0';
  return n;
}

static size_t discard_body(char *data, size_t size, size_t count, void *userdata) {
  (void)data, (void)userdata;
  return size * count;
}

/* Appends "&name=value" (value URL-encoded) to form. */
static bool form_add(CURL *easy, char *form, size_t size, const char *name, const char *value) {
  char *escaped = curl_easy_escape(easy, value, 0);
  if (!escaped)
    return false;
  size_t used = strlen(form);
  int n = snprintf(form + used, size - used, "&%s=%s", name, escaped);
  OPENSSL_cleanse(escaped, strlen(escaped));
  curl_free(escaped);
  return n > 0 && (size_t)n < size - used;
}

/* Fetches a token for c, blocking (at most ATTEMPT_TIMEOUT_MS; once an hour per webhook's
   credentials). Returns the token (the caller frees it) or NULL with *status (the token
   endpoint's HTTP status, 0 for a network error) and error filled. */
static char *fetch_token(const credentials *c, long *status, char error[CURL_ERROR_SIZE],
                         long *ttl) {
  *status = 0;
  CURL *easy = curl_easy_init();
  if (!easy) {
    snprintf(error, CURL_ERROR_SIZE, "token: cannot create a transfer");
    return NULL;
  }
  size_t size = 64 + 3 * (strlen(c->client_id) + strlen(c->client_secret) + strlen(c->scope));
  char *form = calloc(1, size);
  buffer answer = {0};
  char *token = NULL;
  bool ok = form != NULL;
  if (ok) {
    strcpy(form, "grant_type=client_credentials");
    if (*c->scope)
      ok = form_add(easy, form, size, "scope", c->scope);
    if (ok && c->form)
      ok = form_add(easy, form, size, "client_id", c->client_id) &&
           form_add(easy, form, size, "client_secret", c->client_secret);
  }
  if (!ok) {
    snprintf(error, CURL_ERROR_SIZE, "token: out of memory");
    goto done;
  }
  curl_easy_setopt(easy, CURLOPT_URL, c->endpoint);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, form);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)ATTEMPT_TIMEOUT_MS);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, keep_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "swh-emulator");
  if (!c->form) {
    curl_easy_setopt(easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    curl_easy_setopt(easy, CURLOPT_USERNAME, c->client_id);
    curl_easy_setopt(easy, CURLOPT_PASSWORD, c->client_secret);
  }
  CURLcode code = curl_easy_perform(easy);
  if (code != CURLE_OK) {
    snprintf(error, CURL_ERROR_SIZE, "token: %s", curl_easy_strerror(code));
    goto done;
  }
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, status);
  if (*status != 200) {
    snprintf(error, CURL_ERROR_SIZE, "token: the endpoint answered %ld", *status);
    goto done;
  }
  json_t *json = json_loadb(answer.data ? answer.data : "", answer.len, 0, NULL);
  const char *value = json_string_value(json_object_get(json, "access_token"));
  json_t *expires = json_object_get(json, "expires_in");
  *ttl = json_is_integer(expires) ? (long)json_integer_value(expires) : TOKEN_DEFAULT_TTL_S;
  if (*ttl < 1)
    *ttl = TOKEN_DEFAULT_TTL_S; /* no lifetime given: else a fetch before every callback */
  if (value && *value)
    token = strdup(value);
  else
    snprintf(error, CURL_ERROR_SIZE, "token: the answer has no access_token");
  if (!token)
    *status = 0; /* a broken answer counts as a failed attempt, retried */
  json_decref(json);
done:
  if (form) {
    OPENSSL_cleanse(form, strlen(form));
    free(form);
  }
  if (answer.data) {
    OPENSSL_cleanse(answer.data, answer.len);
    free(answer.data);
  }
  curl_easy_cleanup(easy);
  return token;
}

/* The cached token for c, fetching one when there is none or it is about to expire;
   NULL with status and error as fetch_token's. Borrowed from the cache. */
static const char *token_for(emu_delivery *d, const credentials *c, long *status,
                             char error[CURL_ERROR_SIZE]) {
  json_t *cached = json_object_get(d->tokens, c->cache_key);
  double now = monotonic_s();
  if (cached && json_real_value(json_object_get(cached, "expires")) > now)
    return json_string_value(json_object_get(cached, "token"));
  long ttl = TOKEN_DEFAULT_TTL_S;
  char *token = fetch_token(c, status, error, &ttl);
  if (!token)
    return NULL;
  double lifetime = ttl > 2 * TOKEN_MARGIN_S ? ttl - TOKEN_MARGIN_S : ttl / 2.0;
  int stored = json_object_set_new(d->tokens, c->cache_key,
                      json_pack("{s:s,s:f}", "token", token, "expires", now + lifetime));
  OPENSSL_cleanse(token, strlen(token));
  free(token);
  if (stored != 0) { /* out of memory: a failed attempt, retried, not a delivery */
    *status = 0;
    snprintf(error, CURL_ERROR_SIZE, "token: out of memory caching it");
    return NULL;
  }
  return json_string_value(json_object_get(json_object_get(d->tokens, c->cache_key), "token"));
}

/* ---- attempts ------------------------------------------------------------------------- */

/* Appends "name: value" to list, sized to fit (a Bearer token may be long); the copy made
   for libcurl's list is wiped, as it may hold a token. */
static bool add_header(struct curl_slist **list, const char *name, const char *value) {
  size_t size = strlen(name) + 2 + strlen(value) + 1;
  char *line = malloc(size);
  if (!line)
    return false;
  snprintf(line, size, "%s: %s", name, value);
  struct curl_slist *grown = curl_slist_append(*list, line);
  OPENSSL_cleanse(line, size);
  free(line);
  if (!grown)
    return false;
  *list = grown;
  return true;
}

/* The headers of one attempt: signed afresh (a new nonce and timestamp each time). */
static bool build_headers(emu_delivery *d, job *j, long *status) {
  curl_slist_free_all(j->headers);
  j->headers = NULL;
  bool ok = add_header(&j->headers, "Content-Type", "application/json") &&
            add_header(&j->headers, "Expect", ""); /* no 100-continue round trip */
  if (ok && j->secret) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    unsigned char random[10];
    if (RAND_bytes(random, sizeof random) != 1)
      return snprintf(j->error, sizeof j->error, "no randomness for a nonce"), false;
    char nonce[EMU_ULID_LEN + 1], timestamp[24], signature[SWH_SIGNATURE_SIZE];
    emu_ulid_format(nonce, (uint64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000, random);
    snprintf(timestamp, sizeof timestamp, "%lld", (long long)now.tv_sec);
    swh_error err;
    swh_error_init(&err);
    ok = swh_signature_compute(j->secret, j->body->data, j->body->len, nonce, timestamp,
                               signature, &err) == SWH_OK;
    if (!ok)
      snprintf(j->error, sizeof j->error, "%.200s", err.message);
    swh_error_clear(&err);
    ok = ok && add_header(&j->headers, "x-sinch-webhook-signature", signature) &&
         add_header(&j->headers, "x-sinch-webhook-signature-nonce", nonce) &&
         add_header(&j->headers, "x-sinch-webhook-signature-timestamp", timestamp) &&
         add_header(&j->headers, "x-sinch-webhook-signature-algorithm",
                    SWH_SIGNATURE_ALGORITHM);
  }
  if (ok && j->credentials) {
    const char *token = token_for(d, j->credentials, status, j->error);
    if (!token)
      return false;
    *status = 0; /* the token endpoint's 200, not the callback's: a failure below is ours */
    size_t size = strlen("Bearer ") + strlen(token) + 1;
    char *bearer = malloc(size);
    ok = bearer != NULL;
    if (ok) {
      snprintf(bearer, size, "Bearer %s", token);
      ok = add_header(&j->headers, "Authorization", bearer);
      OPENSSL_cleanse(bearer, size);
      free(bearer);
    }
  }
  if (!ok && !j->error[0])
    snprintf(j->error, sizeof j->error, "out of memory building the request");
  return ok;
}

static void after_attempt(emu_delivery *d, job *j, CURLcode code, long status);

static void end_transfer(emu_delivery *d, job *j) {
  curl_multi_remove_handle(d->multi, j->easy);
  curl_easy_cleanup(j->easy);
  j->easy = NULL;
  if (j->prev)
    j->prev->next = j->next;
  else
    d->transfers = j->next;
  if (j->next)
    j->next->prev = j->prev;
  j->prev = j->next = NULL;
}

static void begin_attempt(emu_delivery *d, job *j) {
  double now = monotonic_s();
  if (j->attempts++ == 0)
    j->first_start = now;
  j->attempt_start = now;
  j->error[0] = '\0';
  long status = 0;
  if (!build_headers(d, j, &status)) {
    /* a token endpoint's 5xx or 429 is retried like the target's; so is a network error */
    after_attempt(d, j, status ? CURLE_OK : CURLE_COULDNT_CONNECT, status);
    return;
  }
  CURL *easy = curl_easy_init();
  if (!easy) {
    snprintf(j->error, sizeof j->error, "cannot create a transfer");
    after_attempt(d, j, CURLE_OUT_OF_MEMORY, 0);
    return;
  }
  j->easy = easy;
  curl_easy_setopt(easy, CURLOPT_URL, j->target);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  const char *data = j->body->data;
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, data);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)j->body->len);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, j->headers);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "swh-emulator");
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)ATTEMPT_TIMEOUT_MS);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard_body);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, j->error);
  curl_easy_setopt(easy, CURLOPT_PRIVATE, j);
  if (curl_multi_add_handle(d->multi, easy) != CURLM_OK) {
    curl_easy_cleanup(easy);
    j->easy = NULL;
    snprintf(j->error, sizeof j->error, "cannot start a transfer");
    after_attempt(d, j, CURLE_OUT_OF_MEMORY, 0);
    return;
  }
  j->next = d->transfers;
  if (j->next)
    j->next->prev = j;
  d->transfers = j;
}

/* Decides on an attempt's result: delivered, failed for good, or again later. */
static void after_attempt(emu_delivery *d, job *j, CURLcode code, long status) {
  if (j->easy)
    end_transfer(d, j);
  if (code != CURLE_OK && !j->error[0])
    snprintf(j->error, sizeof j->error, "%s", curl_easy_strerror(code));
  /* a target refusing the token: the next attempt or event fetches a new one */
  if (status == 401 && j->credentials)
    json_object_del(d->tokens, j->credentials->cache_key);
  bool retry = code != CURLE_OK || status == 0 || status == 429 || status >= 500;
  double now = monotonic_s();
  pthread_mutex_lock(&d->lock);
  d->in_flight--;
  if (!retry) {
    finish_locked(d, j, status >= 200 && status < 300 ? "delivered" : "failed", status, now);
  } else if (j->attempts >= d->max_attempts || d->stop) {
    finish_locked(d, j, "gave_up", status, now);
  } else {
    /* retry_ms, then doubling: 5 s, 10 s, 20 s ... with the defaults */
    j->due = now + d->retry_ms / 1000.0 * (double)(1ULL << (j->attempts - 1 < 40 ? j->attempts - 1 : 40));
    if (!heap_push(d, j)) {
      snprintf(j->error, sizeof j->error, "out of memory queueing a retry");
      finish_locked(d, j, "gave_up", status, now);
    }
  }
  pthread_mutex_unlock(&d->lock);
}

/* ---- the thread ----------------------------------------------------------------------- */

static void *run(void *arg) {
  emu_delivery *d = arg;
  job *ready[MAX_IN_FLIGHT];
  for (;;) {
    size_t count = 0;
    double now = monotonic_s();
    pthread_mutex_lock(&d->lock);
    if (d->stop) {
      pthread_mutex_unlock(&d->lock);
      break;
    }
    while (d->queued && d->queue[0]->due <= now && d->in_flight < MAX_IN_FLIGHT) {
      ready[count++] = heap_pop(d);
      d->in_flight++;
    }
    pthread_mutex_unlock(&d->lock);
    for (size_t i = 0; i < count; i++)
      begin_attempt(d, ready[i]);
    int running = 0;
    curl_multi_perform(d->multi, &running);
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(d->multi, &left))) {
      if (msg->msg != CURLMSG_DONE)
        continue;
      job *j = NULL;
      long status = 0;
      CURLcode code = msg->data.result;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
      curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
      after_attempt(d, j, code, code == CURLE_OK ? status : 0);
    }
    /* Sleep until a transfer needs attention (curl wakes the poll) or the next queued
       callback is due, judged after the completions above freed their slots. */
    pthread_mutex_lock(&d->lock);
    bool room = d->in_flight < MAX_IN_FLIGHT;
    double wait_s = room && d->queued ? d->queue[0]->due - monotonic_s() : 1;
    pthread_mutex_unlock(&d->lock);
    int timeout_ms = wait_s <= 0 ? 0 : wait_s >= 1 ? 1000 : (int)(wait_s * 1000) + 1;
    curl_multi_poll(d->multi, NULL, 0, timeout_ms, NULL);
  }
  return NULL;
}

emu_delivery *emu_delivery_start(int retry_ms, int attempts, swh_error *err) {
  if (retry_ms < 0 || attempts < 0) {
    swh_error_set(err, SWH_ERR_USAGE, "callback retries: %d ms and %d attempts must not be "
                  "negative", retry_ms, attempts);
    return NULL;
  }
  emu_delivery *d = calloc(1, sizeof *d);
  if (!d) {
    swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
    return NULL;
  }
  d->retry_ms = retry_ms ? retry_ms : EMU_DELIVERY_RETRY_MS;
  d->max_attempts = attempts ? attempts : EMU_DELIVERY_ATTEMPTS;
  d->log = calloc(EMU_DELIVERY_LOG_MAX, sizeof *d->log);
  d->tokens = json_object();
  d->multi = curl_multi_init();
  pthread_condattr_t attr;
  bool ok = d->log && d->tokens && d->multi && pthread_condattr_init(&attr) == 0;
  if (ok) {
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    ok = pthread_cond_init(&d->idle, &attr) == 0;
    pthread_condattr_destroy(&attr);
    if (ok && pthread_mutex_init(&d->lock, NULL) != 0) {
      pthread_cond_destroy(&d->idle);
      ok = false;
    }
  }
  if (ok) {
    curl_multi_setopt(d->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)MAX_HOST_CONNECTIONS);
    /* The thread must leave the signals meant for the program embedding the emulator (a
       Ctrl-C for swh's script) to its main thread: it starts with all blocked but those
       a fault raises, which blocked would kill at once. */
    sigset_t blocked, previous;
    sigfillset(&blocked);
    static const int faults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS};
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++)
      sigdelset(&blocked, faults[i]);
    pthread_sigmask(SIG_BLOCK, &blocked, &previous);
    int started = pthread_create(&d->thread, NULL, run, d);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (started != 0) {
      pthread_mutex_destroy(&d->lock);
      pthread_cond_destroy(&d->idle);
      ok = false;
    }
  }
  if (!ok) {
    curl_multi_cleanup(d->multi);
    json_decref(d->tokens);
    free(d->log);
    free(d);
    swh_error_set(err, SWH_ERR_MEMORY, "cannot start the callback thread");
    return NULL;
  }
  return d;
}

void emu_delivery_stop(emu_delivery *d) {
  if (!d)
    return;
  pthread_mutex_lock(&d->lock);
  d->stop = true;
  pthread_mutex_unlock(&d->lock);
  curl_multi_wakeup(d->multi);
  pthread_join(d->thread, NULL);
  /* what is still in flight or queued is dropped */
  while (d->transfers) {
    job *j = d->transfers;
    end_transfer(d, j);
    free_job(j);
  }
  for (size_t i = 0; i < d->queued; i++)
    free_job(d->queue[i]);
  free(d->queue);
  for (size_t i = 0; i < EMU_DELIVERY_LOG_MAX; i++)
    log_clear(&d->log[i]);
  free(d->log);
  curl_multi_cleanup(d->multi);
  json_decref(d->tokens);
  pthread_mutex_destroy(&d->lock);
  pthread_cond_destroy(&d->idle);
  free(d);
}

swh_status emu_delivery_send(emu_delivery *d, const char *trigger,
                             const emu_delivery_target *targets, size_t count,
                             const char *body, size_t len, long delay_ms, swh_error *err) {
  if (count == 0)
    return SWH_OK;
  shared_body *shared = malloc(sizeof *shared + len + 1);
  job **jobs = calloc(count, sizeof *jobs);
  bool ok = shared && jobs;
  for (size_t i = 0; ok && i < count; i++)
    ok = (jobs[i] = new_job(trigger, &targets[i])) != NULL;
  double due = monotonic_s() + (delay_ms > 0 ? delay_ms / 1000.0 : 0);
  if (ok) {
    memcpy(shared->data, body, len);
    shared->data[len] = '\0';
    shared->len = len;
    shared->refs = (int)count;
    pthread_mutex_lock(&d->lock);
    /* room for all first, so that either every callback is queued or none */
    ok = heap_reserve(d, count);
    for (size_t i = 0; ok && i < count; i++) {
      jobs[i]->body = shared;
      jobs[i]->due = due;
      heap_push(d, jobs[i]);
    }
    pthread_mutex_unlock(&d->lock);
    if (ok)
      curl_multi_wakeup(d->multi);
  }
  if (!ok) {
    for (size_t i = 0; jobs && i < count; i++)
      if (jobs[i])
        free_job(jobs[i]); /* none has the body yet */
    free(shared);
    free(jobs);
    return swh_error_set(err, SWH_ERR_MEMORY, "out of memory queueing %zu callbacks", count);
  }
  free(jobs);
  return SWH_OK;
}

static json_t *entry_json(const log_entry *e) {
  json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:I,s:i,s:f,s:f}", "trigger", e->trigger,
                        "webhook_id", e->webhook_id, "target", e->target, "outcome",
                        e->outcome, "status", (json_int_t)e->status, "attempts", e->attempts,
                        "latency_ms", e->latency_ms, "elapsed_ms", e->elapsed_ms);
  if (o && e->error && json_object_set_new(o, "error", json_string(e->error)) != 0) {
    json_decref(o);
    return NULL;
  }
  return o;
}

json_t *emu_delivery_log(emu_delivery *d, long limit) {
  pthread_mutex_lock(&d->lock);
  size_t count = limit > 0 && (size_t)limit < d->log_count ? (size_t)limit : d->log_count;
  json_t *list = json_array();
  json_t *answer = json_pack("{s:I,s:I,s:I,s:o}", "pending",
                             (json_int_t)(d->queued + d->in_flight), "delivered",
                             (json_int_t)d->delivered, "failed", (json_int_t)d->failed,
                             "deliveries", list);
  size_t first = (d->log_next + EMU_DELIVERY_LOG_MAX - count) % EMU_DELIVERY_LOG_MAX;
  for (size_t i = 0; answer && i < count; i++)
    if (json_array_append_new(list, entry_json(&d->log[(first + i) % EMU_DELIVERY_LOG_MAX])) != 0) {
      json_decref(answer);
      answer = NULL;
    }
  pthread_mutex_unlock(&d->lock);
  return answer;
}

bool emu_delivery_wait(emu_delivery *d, long timeout_ms) {
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += timeout_ms / 1000;
  deadline.tv_nsec += (timeout_ms % 1000) * 1000000;
  if (deadline.tv_nsec >= 1000000000) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000;
  }
  pthread_mutex_lock(&d->lock);
  while (d->queued + d->in_flight > 0)
    if (pthread_cond_timedwait(&d->idle, &d->lock, &deadline) != 0)
      break;
  bool idle = d->queued + d->in_flight == 0;
  pthread_mutex_unlock(&d->lock);
  return idle;
}
