/*
 * Loopback tests of swh_client: every endpoint against the in-process emulator, both auth
 * schemes, token caching and renewal, errors, path encoding, update masks, retries under
 * injected faults, the create-after-ambiguous-failure lookup, concurrency and pacing, and
 * freeing a client with calls in flight. Answers the emulator cannot give (garbage, dropped
 * connections at a chosen moment, hanging) come from a tiny scripted server thread.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client_pacing.h" /* private to the core: its clocks are tested directly below */
#include "fixtures.h"
#include "swh_secret.h"
#include "raw_server.h"
#include "swh.h"
#include "swh_emulator.h"

/* ---- trace capture ----------------------------------------------------------------------- */

#define TRACE_MAX 4096

typedef struct trace_log {
  char *lines[TRACE_MAX];
  int count;
  int in_flight, max_in_flight; /* API requests between "> " and "< " lines */
} trace_log;

static void on_trace(void *user, const char *line) {
  trace_log *log = user;
  if (log->count < TRACE_MAX) log->lines[log->count++] = strdup(line);
  bool token = strstr(line, "/oauth2/token") != NULL;
  if (!token && strncmp(line, "> ", 2) == 0) {
    if (++log->in_flight > log->max_in_flight) log->max_in_flight = log->in_flight;
  } else if (!token && strncmp(line, "< ", 2) == 0) {
    log->in_flight--;
  }
}

static int trace_count(const trace_log *log, const char *prefix, const char *needle) {
  int n = 0;
  for (int i = 0; i < log->count; i++)
    if (strncmp(log->lines[i], prefix, strlen(prefix)) == 0 && strstr(log->lines[i], needle))
      n++;
  return n;
}

static bool trace_mentions(const trace_log *log, const char *needle) {
  for (int i = 0; i < log->count; i++)
    if (strstr(log->lines[i], needle)) return true;
  return false;
}

static void trace_dump(const trace_log *log) {
  for (int i = 0; i < log->count; i++) fprintf(stderr, "  | %s\n", log->lines[i]);
}

static void trace_reset(trace_log *log) {
  for (int i = 0; i < log->count; i++) free(log->lines[i]);
  memset(log, 0, sizeof *log);
}

/* ---- fixture: an emulator and a client on it --------------------------------------------- */

typedef struct fixture {
  swh_emulator *emulator;
  swh_client *client;
  trace_log trace;
  char auth_url[128];
  char app_id[64];
  char app_id2[64];
} fixture;

static swh_config client_config(fixture *f, const char *url) {
  swh_config config = {0};
  config.project_id = SWH_EMULATOR_DEFAULT_PROJECT;
  config.key_id = SWH_EMULATOR_DEFAULT_KEY_ID;
  config.key_secret = SWH_EMULATOR_DEFAULT_KEY_SECRET;
  config.base_url = url;
  snprintf(f->auth_url, sizeof f->auth_url, "%s/oauth2/token", url);
  config.auth_url = f->auth_url;
  config.timeout = 5;
  config.trace = on_trace;
  config.trace_user = &f->trace;
  return config;
}

/* Reads the emulator's app ids with a throwaway client (so f->trace stays clean). */
static void read_app_ids(fixture *f) {
  fixture scratch = {0};
  swh_config config = client_config(&scratch, swh_emulator_url(f->emulator));
  config.auth = SWH_AUTH_BASIC;
  config.trace = NULL;
  swh_client *client = fx_client(config);
  swh_error err;
  swh_error_init(&err);
  json_t *apps = NULL;
  assert_int_equal(swh_apps_list(client, &apps, &err), SWH_OK);
  assert_true(json_array_size(apps) >= 2);
  snprintf(f->app_id, sizeof f->app_id, "%s",
           json_string_value(json_object_get(json_array_get(apps, 0), "id")));
  snprintf(f->app_id2, sizeof f->app_id2, "%s",
           json_string_value(json_object_get(json_array_get(apps, 1), "id")));
  json_decref(apps);
  swh_client_free(client);
}

static fixture *fixture_new(swh_emulator_config *emu, void (*adjust)(swh_config *)) {
  fixture *f = calloc(1, sizeof *f);
  swh_emulator_config config = emu ? *emu : (swh_emulator_config){0};
  if (!config.apps) config.apps = 2;
  f->emulator = fx_emulator(config);
  read_app_ids(f);
  swh_config client = client_config(f, swh_emulator_url(f->emulator));
  if (adjust) adjust(&client);
  f->client = fx_client(client);
  return f;
}

static void fixture_free(fixture *f) {
  swh_client_free(f->client);
  swh_emulator_stop(f->emulator);
  trace_reset(&f->trace);
  free(f);
}

static json_t *webhook(const char *app_id, const char *target) {
  return json_pack("{s:s, s:s, s:[s, s]}", "app_id", app_id, "target", target, "triggers",
                   "MESSAGE_DELIVERY", "MESSAGE_INBOUND");
}

static json_t *create_ok(fixture *f, json_t *body) {
  swh_error err;
  swh_error_init(&err);
  json_t *created = NULL;
  swh_status status = swh_webhook_create(f->client, body, &created, &err);
  if (status != SWH_OK) fail_msg("create: %s", err.message);
  json_decref(body);
  return created;
}

/* ---- a scripted raw HTTP server (raw_server.h) ------------------------------------------- */

/* A Basic-auth client on a raw server. */
static swh_client *raw_client(raw_server *s, fixture *f, int retries, double timeout) {
  swh_config config = client_config(f, s->url);
  config.project_id = "p";
  config.auth = SWH_AUTH_BASIC;
  config.retries = retries;
  config.timeout = timeout;
  return fx_client(config);
}

/* Ends what a raw-server test set up: its error, its client, the server and the trace. */
static void raw_finish(raw_server *s, swh_client *client, fixture *f, swh_error *err) {
  swh_error_clear(err);
  swh_client_free(client);
  raw_stop(s);
  trace_reset(&f->trace);
}

#define WEBHOOK_JSON(id, target)                                                          \
  "{\"id\":\"" id "\",\"app_id\":\"A\",\"target\":\"" target "\",\"target_type\":\"HTTP\"," \
  "\"triggers\":[\"MESSAGE_DELIVERY\"]}"

/* ---- the client's private parts ------------------------------------------------------------- */

static void test_backoff_is_full_jitter_under_a_growing_ceiling(void **state) {
  (void)state;
  swh_rng rng;
  swhi_rng_seed(&rng);
  for (int attempt = 1; attempt <= 12; attempt++) {
    double ceiling = SWH_BACKOFF_BASE_MS * (double)(1 << (attempt - 1));
    if (ceiling > SWH_BACKOFF_CAP_MS) ceiling = SWH_BACKOFF_CAP_MS;
    double low = ceiling, high = 0;
    for (int i = 0; i < 2000; i++) {
      double wait = swhi_backoff_ms(&rng, attempt);
      assert_true(wait >= 0 && wait <= ceiling);
      if (wait < low) low = wait;
      if (wait > high) high = wait;
    }
    /* Spread over the whole range, not bunched at the top as plain exponential would be. */
    assert_true(low < ceiling * 0.05);
    assert_true(high > ceiling * 0.95);
  }
}

static void test_bucket_allows_a_burst_then_paces(void **state) {
  (void)state;
  swh_bucket bucket;
  swhi_bucket_init(&bucket, 10.0, 2.0, 1000.0);
  assert_int_equal(swhi_bucket_take(&bucket, 1000.0), 1);
  assert_int_equal(swhi_bucket_take(&bucket, 1000.0), 1);
  assert_int_equal(swhi_bucket_take(&bucket, 1000.0), 0);
  assert_true(swhi_bucket_wait_ms(&bucket, 1000.0) > 99.9);
  assert_true(swhi_bucket_wait_ms(&bucket, 1000.0) < 100.1);
  assert_int_equal(swhi_bucket_take(&bucket, 1050.0), 0);
  assert_int_equal(swhi_bucket_take(&bucket, 1100.0), 1);
  /* A long pause refills to the capacity, never beyond. */
  assert_int_equal(swhi_bucket_take(&bucket, 99000.0), 1);
  assert_int_equal(swhi_bucket_take(&bucket, 99000.0), 1);
  assert_int_equal(swhi_bucket_take(&bucket, 99000.0), 0);
}

static bool near(double a, double b) { return a > b - 1e-6 && a < b + 1e-6; }

static void test_bucket_slows_down_on_429_and_climbs_back(void **state) {
  (void)state;
  swh_bucket bucket;
  swhi_bucket_init(&bucket, 800.0, 80.0, 0.0);
  swhi_bucket_slow_down(&bucket, 0.0);
  assert_true(near(bucket.rate, 600.0)); /* 800 x 0.75 */
  assert_true(near(bucket.ceiling, 800.0));
  /* the 429s of one burst are one signal: no second cut within 250 ms */
  swhi_bucket_slow_down(&bucket, 100.0);
  assert_true(near(bucket.rate, 600.0));
  /* a second on, it has climbed by 800 x 0.01 before the next cut */
  swhi_bucket_slow_down(&bucket, 1000.0);
  assert_true(near(bucket.rate, 456.0)); /* (600 + 8) x 0.75 */
  /* tokens come at the rate of the moment: 45.6 in 100 ms after the cut to 456/s */
  bucket.tokens = 0.0;
  assert_int_equal(swhi_bucket_take(&bucket, 1100.0), 1);
  assert_true(near(bucket.tokens, 44.6));
  assert_true(near(bucket.rate, 456.8));
  /* back at the ceiling after (800 - 456.8) / 8 s, and never above it */
  assert_int_equal(swhi_bucket_take(&bucket, 100000.0), 1);
  assert_true(near(bucket.rate, 800.0));
  /* a cut never goes below 5% of the ceiling */
  bucket.rate = 45.0;
  swhi_bucket_slow_down(&bucket, 100000.0);
  assert_true(near(bucket.rate, 40.0));
}

static void test_redaction_reaches_every_depth(void **state) {
  (void)state;
  json_t *value = json_pack("{s:s, s:{s:s, s:s}, s:[{s:s}], s:n, s:s}", "secret", "a1",
                            "client_credentials", "client_id", "visible", "client_secret", "b2",
                            "list", "Access_Token", "c3", "key_secret", "target", "t");
  char *text = swhi_redacted_dump(value, 1000);
  assert_string_equal(text,
                      "{\"secret\":\"[redacted]\",\"client_credentials\":{\"client_id\":"
                      "\"visible\",\"client_secret\":\"[redacted]\"},\"list\":[{\"Access_Token\":"
                      "\"[redacted]\"}],\"key_secret\":null,\"target\":\"t\"}");
  free(text);
  text = swhi_redacted_dump(value, 20);
  assert_string_equal(text, "{\"secret\":\"[redac..."); /* 20 bytes in all */
  free(text);
  /* A cut never splits a character: "\xc3\xa9" (e acute) is dropped whole, not halved. */
  json_t *accented = json_pack("{s:s}", "t", "ab\xc3\xa9!!"); /* 14 bytes of JSON */
  text = swhi_redacted_dump(accented, 12); /* room for {"t":"ab and the first byte of it */
  assert_string_equal(text, "{\"t\":\"ab...");
  free(text);
  text = swhi_redacted_dump(accented, 13);
  assert_string_equal(text, "{\"t\":\"ab\xc3\xa9...");
  free(text);
  json_decref(accented);
  /* The caller's value is untouched. */
  assert_string_equal(json_string_value(json_object_get(value, "secret")), "a1");
  json_decref(value);
}

/* ---- configuration ------------------------------------------------------------------------- */

static void test_config_is_checked(void **state) {
  (void)state;
  swh_error err;
  swh_error_init(&err);
  swh_config config = {.project_id = "p", .key_id = "k", .key_secret = "s"};

  config.project_id = NULL;
  assert_null(swh_client_new(&config, &err));
  assert_int_equal(err.kind, SWH_ERR_USAGE);
  assert_string_equal(err.message, "config.project_id: required");
  config.project_id = "p";

  config.key_secret = "";
  assert_null(swh_client_new(&config, &err));
  assert_string_equal(err.message, "config.key_secret: required");
  config.key_secret = "s";

  config.region = "mars";
  assert_null(swh_client_new(&config, &err));
  /* the settings table's one wording (swh_settings.c) */
  assert_string_equal(err.message, "config.region: \"mars\" is not a region (us, eu, br)");
  config.region = "eu";

  config.project_id = "..";
  assert_null(swh_client_new(&config, &err));
  assert_int_equal(err.kind, SWH_ERR_USAGE);
  assert_string_equal(err.message, "config.project_id: \"..\" cannot be an id (as a path "
                                   "segment it would change the request's path)");
  config.project_id = "p";

  config.base_url = "ftp://x";
  assert_null(swh_client_new(&config, &err));
  assert_string_equal(err.message, "config.base_url: \"ftp://x\" is not an http:// or https:// URL");
  config.base_url = NULL;

  config.auth_url = "localhost:9/token";
  assert_null(swh_client_new(&config, &err));
  assert_string_equal(err.message,
                      "config.auth_url: \"localhost:9/token\" is not an http:// or https:// URL");
  config.auth_url = NULL;

  /* libcurl's parser has the last word: what it cannot parse is refused here, not retried
     five times as a network failure */
  static const struct {
    const char *url, *message;
  } bad[] = {
      {"http://", "config.base_url: \"http://\" has no host"},
      {"http://u:pw@", "config.base_url: \"http://u:[redacted]@\" has no host"},
      {"http://[::1", "config.base_url: \"http://[::1\" is not a valid URL (Bad IPv6 address)"},
      {"http://127.0.0.1:99999/", "config.base_url: \"http://127.0.0.1:99999/\" is not a valid "
                                  "URL (Port number was not a decimal number between 0 and 65535)"},
      {"http://h/ x", "config.base_url: \"http://h/ x\" is not a valid URL (Bad path)"},
      /* a password with a '/', '?' or '#' the user did not encode: to the parser the
         authority ends there, but it is a password all the same */
      {"http://u:pa/ss@h/", "config.base_url: \"http://u:[redacted]@h/\" is not a valid URL "
                            "(Port number was not a decimal number between 0 and 65535)"},
      {"https://u:p?w#d@h", "config.base_url: \"https://u:[redacted]@h\" is not a valid URL "
                            "(Port number was not a decimal number between 0 and 65535)"},
      {"http://h/v1?x=1", "config.base_url: \"http://h/v1?x=1\" has a query or fragment "
                          "('?' or '#'), which an API URL cannot have"},
      {"http://h/v1#top", "config.base_url: \"http://h/v1#top\" has a query or fragment "
                          "('?' or '#'), which an API URL cannot have"},
      {"http://h?", "config.base_url: \"http://h?\" has a query or fragment ('?' or '#'), "
                    "which an API URL cannot have"},
      {"http://h/#", "config.base_url: \"http://h/#\" has a query or fragment ('?' or '#'), "
                     "which an API URL cannot have"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    config.base_url = bad[i].url;
    assert_null(swh_client_new(&config, &err));
    assert_int_equal(err.kind, SWH_ERR_USAGE);
    assert_string_equal(err.message, bad[i].message);
  }
  config.base_url = "HTTP://u:pw@LocalHost:8080/v1";
  assert_int_equal(swh_url_check("x", config.base_url, &err), SWH_OK);

  swh_client *client = swh_client_new(&config, &err);
  assert_non_null(client);
  assert_string_equal(swh_client_api_host(client), "localhost");
  swh_client_free(client);
  config.base_url = NULL;
  config.region = "eu";
  client = swh_client_new(&config, &err);
  assert_non_null(client);
  assert_string_equal(swh_client_api_host(client), "eu.conversation.api.sinch.com");
  swh_client_free(client);
  swh_client_free(NULL);
  swh_error_clear(&err);
}

static void test_calls_outlive_their_client(void **state) {
  (void)state;
  swh_config config = {.project_id = "p", .key_id = "k", .key_secret = "s", .region = "br",
                       .auth = SWH_AUTH_BASIC};
  swh_error err;
  swh_error_init(&err);
  swh_client *client = swh_client_new(&config, &err);
  /* Never stepped, so nothing leaves the machine. */
  swh_call *call = swh_call_start(client, SWH_OP_WEBHOOK_GET, "W1", NULL, NULL, &err);
  assert_non_null(call);
  assert_false(swh_call_done(call));
  swh_client_free(client);
  assert_true(swh_call_done(call));
  assert_int_equal(swh_call_finish(call, NULL, &err), SWH_ERR_USAGE);
  assert_string_equal(err.message, "client closed before the call finished");
  assert_string_equal(err.request, "GET /v1/projects/p/webhooks/W1");
  swh_error_clear(&err);
}

/* ---- the endpoints against the emulator ----------------------------------------------------- */

static void test_every_endpoint_with_oauth2(void **state) {
  (void)state;
  fixture *f = fixture_new(NULL, NULL);
  swh_error err;
  swh_error_init(&err);

  json_t *apps = NULL;
  assert_int_equal(swh_apps_list(f->client, &apps, &err), SWH_OK);
  assert_int_equal(json_array_size(apps), 2);
  assert_string_equal(json_string_value(json_object_get(json_array_get(apps, 0), "id")),
                      f->app_id);
  json_decref(apps);

  json_t *list = NULL;
  assert_int_equal(swh_webhooks_list(f->client, f->app_id, &list, &err), SWH_OK);
  assert_true(json_is_array(list));
  assert_int_equal(json_array_size(list), 0);
  json_decref(list);

  json_t *created = create_ok(f, webhook(f->app_id, "https://example.com/hook"));
  const char *id = json_string_value(json_object_get(created, "id"));
  assert_non_null(id);
  assert_int_equal(strlen(id), 26);
  assert_string_equal(json_string_value(json_object_get(created, "target")),
                      "https://example.com/hook");
  assert_string_equal(json_string_value(json_object_get(created, "target_type")), "HTTP");

  json_t *got = NULL;
  assert_int_equal(swh_webhook_get(f->client, id, &got, &err), SWH_OK);
  assert_true(json_equal(got, created));
  json_decref(got);

  json_t *changes = json_pack("{s:s}", "target", "https://example.com/moved");
  json_t *updated = NULL;
  assert_int_equal(swh_webhook_update(f->client, id, changes, &updated, &err), SWH_OK);
  assert_string_equal(json_string_value(json_object_get(updated, "target")),
                      "https://example.com/moved");
  assert_true(json_equal(json_object_get(updated, "triggers"),
                         json_object_get(created, "triggers")));
  json_decref(changes);
  json_decref(updated);
  char line[256];
  snprintf(line, sizeof line, "> PATCH %s/v1/projects/%s/webhooks/%s?update_mask=target ",
           swh_emulator_url(f->emulator), SWH_EMULATOR_DEFAULT_PROJECT, id);
  assert_int_equal(trace_count(&f->trace, line, ""), 1);

  assert_int_equal(swh_webhooks_list(f->client, f->app_id, &list, &err), SWH_OK);
  assert_int_equal(json_array_size(list), 1);
  json_decref(list);

  assert_int_equal(swh_webhook_delete(f->client, id, &err), SWH_OK);
  assert_int_equal(swh_webhook_get(f->client, id, &got, &err), SWH_ERR_HTTP);
  assert_null(got);
  assert_int_equal(err.http_status, 404);
  assert_string_equal(err.api_status, "NOT_FOUND");
  assert_string_equal(err.message, "Webhook not found");
  snprintf(line, sizeof line, "GET /v1/projects/%s/webhooks/%s", SWH_EMULATOR_DEFAULT_PROJECT, id);
  assert_string_equal(err.request, line);
  assert_false(err.retryable);

  /* One token for all of it. */
  assert_int_equal(trace_count(&f->trace, "> POST ", "/oauth2/token"), 1);
  assert_int_equal(trace_count(&f->trace, "< 200 POST /oauth2/token", ""), 1);
  json_decref(created);
  swh_error_clear(&err);
  fixture_free(f);
}

static void use_basic(swh_config *config) { config->auth = SWH_AUTH_BASIC; }

static void test_basic_auth_sends_no_token_request(void **state) {
  (void)state;
  fixture *f = fixture_new(NULL, use_basic);
  swh_error err;
  swh_error_init(&err);
  json_t *created = create_ok(f, webhook(f->app_id, "https://example.com/basic"));
  json_t *list = NULL;
  assert_int_equal(swh_webhooks_list(f->client, f->app_id, &list, &err), SWH_OK);
  assert_int_equal(json_array_size(list), 1);
  assert_false(trace_mentions(&f->trace, "/oauth2/token"));
  assert_int_equal(trace_count(&f->trace, "< 200 POST /v1/projects/", "/webhooks"), 1);
  json_decref(list);
  json_decref(created);
  fixture_free(f);
}

static void wrong_secret(swh_config *config) { config->key_secret = "not-the-secret"; }

static void wrong_secret_basic(swh_config *config) {
  config->key_secret = "not-the-secret";
  config->auth = SWH_AUTH_BASIC;
}

static void test_wrong_credentials_are_kind_auth(void **state) {
  (void)state;
  fixture *f = fixture_new(NULL, wrong_secret);
  swh_error err;
  swh_error_init(&err);
  json_t *list = NULL;
  assert_int_equal(swh_webhooks_list(f->client, f->app_id, &list, &err), SWH_ERR_AUTH);
  assert_int_equal(err.http_status, 401);
  char message[256];
  snprintf(message, sizeof message, "the key was refused by %s: check key_id and key_secret",
           f->auth_url);
  assert_string_equal(err.message, message);
  assert_false(err.retryable);
  /* The token endpoint's 401 is not retried, and no API call was sent. */
  assert_int_equal(trace_count(&f->trace, "> POST ", "/oauth2/token"), 1);
  assert_int_equal(trace_count(&f->trace, "> GET ", "/webhooks"), 0);
  assert_false(trace_mentions(&f->trace, "not-the-secret"));
  fixture_free(f);

  f = fixture_new(NULL, wrong_secret_basic);
  assert_int_equal(swh_webhooks_list(f->client, f->app_id, &list, &err), SWH_ERR_AUTH);
  assert_int_equal(err.http_status, 401);
  assert_string_equal(err.api_status, "UNAUTHENTICATED");
  assert_false(err.retryable);
  assert_int_equal(trace_count(&f->trace, "< 401 GET ", "/webhooks"), 1);
  swh_error_clear(&err);
  fixture_free(f);
}

/* curl's connect failure says how long it took ("after 0 ms"): that number becomes N, so the
   rest of a message can be compared exactly. */
static void normalize_ms(char *message) {
  char *p = strstr(message, " after ");
  if (!p) return;
  char *digits = p + 7, *end = digits;
  while (*end >= '0' && *end <= '9') end++;
  if (end == digits || strncmp(end, " ms", 3) != 0) return;
  *digits = 'N';
  memmove(digits + 1, end, strlen(end) + 1);
}

static void test_unreachable_token_endpoint_is_kind_network_and_retried(void **state) {
  (void)state;
  fixture f = {0};
  swh_config config = client_config(&f, "http://127.0.0.1:1");
  config.retries = 3;
  swh_error err;
  swh_error_init(&err);
  swh_client *client = swh_client_new(&config, &err);
  assert_non_null(client);
  json_t *out = NULL;
  /* Like the same failure on the API URL: network, retryable, and how often it was tried. */
  assert_int_equal(swh_apps_list(client, &out, &err), SWH_ERR_NETWORK);
  assert_int_equal(err.kind, SWH_ERR_NETWORK);
  assert_true(err.retryable);
  assert_int_equal(err.http_status, 0);
  normalize_ms(err.message);
  assert_string_equal(err.message,
                      "the token endpoint http://127.0.0.1:1/oauth2/token failed: Failed to "
                      "connect to 127.0.0.1 port 1 after N ms: Couldn't connect to server "
                      "(gave up after 3 attempts)");
  assert_string_equal(err.request, "GET /v1/projects/emulator-project/apps");
  assert_int_equal(trace_count(&f.trace, "> POST http://127.0.0.1:1/oauth2/token", ""), 3);
  assert_int_equal(trace_count(&f.trace, "> GET ", ""), 0);
  /* A second call starts afresh, with the full number of attempts. */
  assert_int_equal(swh_apps_list(client, &out, &err), SWH_ERR_NETWORK);
  assert_non_null(strstr(err.message, "(gave up after 3 attempts)"));
  swh_error_clear(&err);
  swh_client_free(client);
  trace_reset(&f.trace);

  /* With one attempt there is nothing to count; a password in the URL is never quoted. */
  config = client_config(&f, "http://127.0.0.1:1");
  config.auth_url = "http://u:PWLEAK13@127.0.0.1:1/t";
  config.retries = 1;
  client = swh_client_new(&config, &err);
  assert_non_null(client);
  assert_int_equal(swh_apps_list(client, &out, &err), SWH_ERR_NETWORK);
  assert_true(err.retryable);
  normalize_ms(err.message);
  assert_string_equal(err.message,
                      "the token endpoint http://u:[redacted]@127.0.0.1:1/t failed: Failed to connect to "
                      "127.0.0.1 port 1 after N ms: Couldn't connect to server");
  assert_int_equal(f.trace.count, 2);
  assert_string_equal(f.trace.lines[0], "> POST http://u:[redacted]@127.0.0.1:1/t");
  assert_false(trace_mentions(&f.trace, "PWLEAK13"));
  swh_error_clear(&err);
  swh_client_free(client);
  trace_reset(&f.trace);
}

static void test_token_endpoint_refusal_quotes_no_password(void **state) {
  (void)state;
  raw_server *s = raw_start();
  raw_answer(s, 401, "", "{\"error\":{\"code\":401,\"message\":\"no\",\"status\":\"UNAUTHENTICATED\"}}");
  raw_answer(s, 200, "", "{\"no_token\":true}");
  raw_run(s);
  fixture f = {0};
  swh_config config = client_config(&f, s->url);
  char auth_url[160];
  snprintf(auth_url, sizeof auth_url, "http://key:PWLEAK14@%s/oauth2/token",
           s->url + strlen("http://"));
  config.auth_url = auth_url;
  swh_error err;
  swh_error_init(&err);
  swh_client *client = swh_client_new(&config, &err);
  assert_non_null(client);
  char shown[160], message[256];
  /* the password masked where it was, as in every message */
  snprintf(shown, sizeof shown, "http://key:[redacted]@%s/oauth2/token",
           s->url + strlen("http://"));
  /* A 401 stays kind auth, not retried. */
  assert_int_equal(swh_apps_list(client, NULL, &err), SWH_ERR_AUTH);
  assert_false(err.retryable);
  snprintf(message, sizeof message, "the key was refused by %s: check key_id and key_secret",
           shown);
  assert_string_equal(err.message, message);
  /* An answer without a token names the endpoint the same way. */
  assert_int_equal(swh_apps_list(client, NULL, &err), SWH_ERR_AUTH);
  snprintf(message, sizeof message,
           "the token endpoint %s answered without a usable access_token and expires_in", shown);
  assert_string_equal(err.message, message);
  assert_false(trace_mentions(&f.trace, "PWLEAK14"));
  raw_finish(s, client, &f, &err);
}

static void test_url_passwords_are_redacted(void **state) {
  (void)state;
  static const struct {
    const char *in, *out;
  } cases[] = {
      {"https://user:pw@host/h", "https://user:[redacted]@host/h"},
      {"https://user@host/h", "https://user@host/h"},
      {"https://host/a@b:c", "https://host/a@b:c"},
      {"https://host?u=a:b@c", "https://host?u=a:b@c"},
      {"https://u:p@ss@host:8443#x", "https://u:[redacted]@host:8443#x"},
      {"https://u:@host", "https://u:[redacted]@host"},
      {"see http://a:1@x and ftp://b:2@y/z", "see http://a:[redacted]@x and ftp://b:[redacted]@y/z"},
      {"no url: here", "no url: here"},
      {"", ""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *got = swhi_url_mask_text(cases[i].in, SWHI_REDACTED);
    assert_string_equal(got, cases[i].out);
    free(got);
  }
  /* A whole URL quoted in a message: masked up to its last '@', even where its writer left
     a '/' in the password (the parser would end the authority there). */
  static const struct {
    const char *in, *out;
  } whole[] = {
      {"http://u:PWLEAK13@127.0.0.1:1/t", "http://u:[redacted]@127.0.0.1:1/t"},
      {"https://auth.sinch.com/oauth2/token", "https://auth.sinch.com/oauth2/token"},
      {"http://u:p w@[bad/t", "http://u:[redacted]@[bad/t"},
      {"http://u:pa/ss@host/t", "http://u:[redacted]@host/t"},
  };
  for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++) {
    char *url = swhi_url_mask(whole[i].in, SWHI_REDACTED);
    assert_string_equal(url, whole[i].out);
    free(url);
  }

  /* In a traced body, at any depth, a string's URL password is redacted. */
  json_t *value = json_pack("{s:s, s:{s:s}, s:[s]}", "target", "https://user:pw@host/h",
                            "client_credentials", "endpoint", "https://id:pw2@auth/t", "list",
                            "http://x/y");
  char *text = swhi_redacted_dump(value, 1000);
  assert_string_equal(text,
                      "{\"target\":\"https://user:[redacted]@host/h\",\"client_credentials\":"
                      "{\"endpoint\":\"https://id:[redacted]@auth/t\"},\"list\":[\"http://x/y\"]}");
  free(text);
  assert_string_equal(json_string_value(json_object_get(value, "target")),
                      "https://user:pw@host/h"); /* the caller's value is untouched */
  json_decref(value);
}

static void test_trace_of_a_create_redacts_the_target_password(void **state) {
  (void)state;
  fixture *f = fixture_new(NULL, NULL);
  json_t *created = create_ok(f, webhook(f->app_id, "https://user:pw@example.com/h"));
  /* The webhook is made with its password; only the trace hides it. */
  assert_string_equal(json_string_value(json_object_get(created, "target")),
                      "https://user:pw@example.com/h");
  char line[512];
  snprintf(line, sizeof line,
           "> POST %s/v1/projects/%s/webhooks {\"app_id\":\"%s\",\"target\":"
           "\"https://user:[redacted]@example.com/h\",\"triggers\":[\"MESSAGE_DELIVERY\","
           "\"MESSAGE_INBOUND\"]}",
           swh_emulator_url(f->emulator), SWH_EMULATOR_DEFAULT_PROJECT, f->app_id);
  if (getenv("TRACE")) trace_dump(&f->trace);
  assert_int_equal(trace_count(&f->trace, line, ""), 1);
  assert_false(trace_mentions(&f->trace, ":pw@"));
  json_decref(created);
  fixture_free(f);
}

/* ---- tokens ------------------------------------------------------------------------------------ */

static void test_token_is_cached_across_many_calls(void **state) {
  (void)state;
  fixture *f = fixture_new(NULL, NULL);
  swh_error err;
  swh_error_init(&err);
  swh_call *calls[20];
  for (int i = 0; i < 20; i++) {
    calls[i] = swh_call_start(f->client, SWH_OP_WEBHOOKS_LIST, i % 2 ? f->app_id : f->app_id2,
                              NULL, NULL, &err);
    assert_non_null(calls[i]);
  }
  double deadline = fx_now_ms() + 10000;
  while (swh_client_step(f->client, 100) > 0 && fx_now_ms() < deadline) {
  }
  for (int i = 0; i < 20; i++) {
    json_t *list = NULL;
    assert_int_equal(swh_call_finish(calls[i], &list, &err), SWH_OK);
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
  }
  /* All twenty waited for, and shared, one token request. */
  assert_int_equal(trace_count(&f->trace, "> POST ", "/oauth2/token"), 1);
  assert_int_equal(trace_count(&f->trace, "< 200 GET ", "/webhooks"), 20);
  fixture_free(f);
}

static void test_expired_token_is_renewed_once_for_all_waiting(void **state) {
  (void)state;
  fixture *f = fixture_new(NULL, NULL);
  swh_error err;
  swh_error_init(&err);
  json_t *list = NULL;
  assert_int_equal(swh_webhooks_list(f->client, f->app_id, &list, &err), SWH_OK);
  json_decref(list);
  swh_emulator_expire_tokens(f->emulator);

  swh_call *calls[6];
  for (int i = 0; i < 6; i++)
    calls[i] = swh_call_start(f->client, SWH_OP_APPS_LIST, NULL, NULL, NULL, &err);
  double deadline = fx_now_ms() + 10000;
  while (swh_client_step(f->client, 100) > 0 && fx_now_ms() < deadline) {
  }
  for (int i = 0; i < 6; i++) {
    json_t *apps = NULL;
    assert_int_equal(swh_call_finish(calls[i], &apps, &err), SWH_OK);
    assert_int_equal(json_array_size(apps), 2);
    json_decref(apps);
  }
  if (getenv("TRACE")) trace_dump(&f->trace);
  /* Six 401s saying "expired", one renewal, six resends. */
  assert_int_equal(trace_count(&f->trace, "< 401 GET ", "/apps ("), 6);
  assert_int_equal(trace_count(&f->trace, "> POST ", "/oauth2/token"), 2);
  assert_int_equal(trace_count(&f->trace, "< 200 GET ", "/apps ("), 6);
  fixture_free(f);
}

static void test_short_lived_token_is_renewed_before_it_expires(void **state) {
  (void)state;
  swh_emulator_config emu = {.token_ttl = 2};
  fixture *f = fixture_new(&emu, NULL);
  swh_error err;
  swh_error_init(&err);
  json_t *apps = NULL;
  assert_int_equal(swh_apps_list(f->client, &apps, &err), SWH_OK);
  json_decref(apps);
  /* A 2 s token is renewed after half its life, before the server would refuse it. */
  fx_sleep_ms(1100);
  assert_int_equal(swh_apps_list(f->client, &apps, &err), SWH_OK);
  json_decref(apps);
  assert_int_equal(trace_count(&f->trace, "> POST ", "/oauth2/token"), 2);
  assert_int_equal(trace_count(&f->trace, "< 401", ""), 0);
  fixture_free(f);
}

static void test_token_endpoint_trouble_fails_waiting_calls_with_kind_auth(void **state) {
  (void)state;
  raw_server *s = raw_start();
  raw_answer(s, 503, "", "{\"error\":{\"code\":503,\"message\":\"down\",\"status\":\"UNAVAILABLE\"}}");
  raw_answer(s, 503, "", "{\"error\":{\"code\":503,\"message\":\"down\",\"status\":\"UNAVAILABLE\"}}");
  raw_run(s);
  fixture f = {0};
  swh_config config = client_config(&f, s->url);
  config.retries = 2;
  swh_error err;
  swh_error_init(&err);
  swh_client *client = swh_client_new(&config, &err);
  swh_call *a = swh_call_start(client, SWH_OP_APPS_LIST, NULL, NULL, NULL, &err);
  swh_call *b = swh_call_start(client, SWH_OP_WEBHOOK_GET, "W", NULL, NULL, &err);
  double deadline = fx_now_ms() + 5000;
  while (swh_client_step(client, 100) > 0 && fx_now_ms() < deadline) {
  }
  char message[256];
  snprintf(message, sizeof message, "the token endpoint %s answered 503: down", f.auth_url);
  assert_int_equal(swh_call_finish(a, NULL, &err), SWH_ERR_AUTH);
  assert_string_equal(err.message, message);
  assert_int_equal(err.http_status, 503);
  assert_string_equal(err.request, "GET /v1/projects/emulator-project/apps");
  assert_int_equal(swh_call_finish(b, NULL, &err), SWH_ERR_AUTH);
  assert_string_equal(err.message, message);
  assert_string_equal(err.request, "GET /v1/projects/emulator-project/webhooks/W");
  assert_int_equal(s->served, 2); /* two token attempts, no API call */
  assert_non_null(strstr(s->requests[0], "POST /oauth2/token HTTP/1.1"));
  assert_non_null(strstr(s->requests[0], "Authorization: Basic "));
  assert_non_null(strstr(s->requests[0], "Content-Type: application/x-www-form-urlencoded"));
  raw_finish(s, client, &f, &err);
}

/* ---- errors, encoding, masks -------------------------------------------------------------------- */

static void test_api_errors_carry_status_and_message(void **state) {
  (void)state;
  fixture *f = fixture_new(NULL, NULL);
  swh_error err;
  swh_error_init(&err);
  json_t *created = create_ok(f, webhook(f->app_id, "https://example.com/one"));

  json_t *again = NULL;
  json_t *dup = webhook(f->app_id, "https://example.com/one");
  assert_int_equal(swh_webhook_create(f->client, dup, &again, &err), SWH_ERR_HTTP);
  assert_int_equal(err.http_status, 400);
  assert_string_equal(err.api_status, "INVALID_ARGUMENT");
  char message[256];
  snprintf(message, sizeof message,
           "webhook.target: app \"%s\" already has a webhook with this target (%s)", f->app_id,
           json_string_value(json_object_get(created, "id")));
  assert_string_equal(err.message, message);
  assert_string_equal(err.request, "POST /v1/projects/emulator-project/webhooks");
  assert_false(err.retryable);
  json_decref(dup);

  /* Five per app: the sixth is refused. */
  for (int i = 2; i <= 5; i++) {
    char target[64];
    snprintf(target, sizeof target, "https://example.com/%d", i);
    json_decref(create_ok(f, webhook(f->app_id, target)));
  }
  dup = webhook(f->app_id, "https://example.com/6");
  assert_int_equal(swh_webhook_create(f->client, dup, &again, &err), SWH_ERR_HTTP);
  assert_int_equal(err.http_status, 400);
  assert_string_equal(err.api_status, "INVALID_ARGUMENT");
  snprintf(message, sizeof message, "app \"%s\" already has 5 webhooks, the most an app can have",
           f->app_id);
  assert_string_equal(err.message, message);
  json_decref(dup);
  /* Refusals are not retried and send no lookup. */
  assert_int_equal(trace_count(&f->trace, "> GET ", "/webhooks"), 0);

  json_t *list = NULL;
  assert_int_equal(swh_webhooks_list(f->client, "NO-SUCH-APP", &list, &err), SWH_ERR_HTTP);
  assert_int_equal(err.http_status, 404);
  assert_string_equal(err.api_status, "NOT_FOUND");
  assert_string_equal(err.message, "App not found");

  assert_int_equal(swh_webhook_delete(f->client, "01NOSUCHWEBHOOK00000000000", &err),
                   SWH_ERR_HTTP);
  assert_int_equal(err.http_status, 404);
  assert_string_equal(err.message, "Webhook not found");
  assert_string_equal(err.request,
                      "DELETE /v1/projects/emulator-project/webhooks/01NOSUCHWEBHOOK00000000000");
  /* Not retried: one request each. */
  assert_int_equal(trace_count(&f->trace, "> DELETE ", ""), 1);
  json_decref(created);
  swh_error_clear(&err);
  fixture_free(f);
}

static void test_bad_input_is_refused_before_sending(void **state) {
  (void)state;
  fixture *f = fixture_new(NULL, NULL);
  swh_error err;
  swh_error_init(&err);
  json_t *out = NULL;
  json_t *bad = json_pack("{s:s, s:s, s:[s]}", "app_id", f->app_id, "target",
                          "https://example.com/x", "triggers", "MESAGE_DELIVERY");
  assert_int_equal(swh_webhook_create(f->client, bad, &out, &err), SWH_ERR_VALIDATION);
  assert_string_equal(err.message,
                      "webhook.triggers[0]: unknown trigger \"MESAGE_DELIVERY\" (did you mean "
                      "\"MESSAGE_DELIVERY\"?)");
  assert_string_equal(err.request, "POST /v1/projects/emulator-project/webhooks");
  json_decref(bad);

  bad = json_pack("{s:s, s:s, s:s}", "id", "X", "app_id", f->app_id, "target",
                  "https://example.com/x");
  assert_int_equal(swh_webhook_create(f->client, bad, &out, &err), SWH_ERR_VALIDATION);
  assert_string_equal(err.message, "webhook.id: must be absent on create (the server assigns it)");
  json_decref(bad);

  bad = json_pack("{s:s}", "id", "Y");
  assert_int_equal(swh_webhook_update(f->client, "W", bad, &out, &err), SWH_ERR_VALIDATION);
  assert_string_equal(err.message,
                      "webhook.id: read-only, it cannot be updated (updatable: app_id, target, "
                      "target_type, triggers, secret, client_credentials)");
  assert_string_equal(err.request, "PATCH /v1/projects/emulator-project/webhooks/W");
  json_decref(bad);

  bad = json_object();
  assert_int_equal(swh_webhook_update(f->client, "W", bad, &out, &err), SWH_ERR_VALIDATION);
  assert_string_equal(err.message,
                      "changes: nothing to update; give at least one of app_id, target, "
                      "target_type, triggers, secret, client_credentials");
  json_decref(bad);

  assert_int_equal(swh_webhook_get(f->client, "", &out, &err), SWH_ERR_USAGE);
  assert_string_equal(err.message, "webhook_id: required (a non-empty string)");
  assert_int_equal(swh_webhooks_list(f->client, NULL, &out, &err), SWH_ERR_USAGE);
  assert_string_equal(err.message, "app_id: required (a non-empty string)");
  json_t *array = json_array();
  assert_int_equal(swh_webhook_create(f->client, array, &out, &err), SWH_ERR_USAGE);
  assert_string_equal(err.message, "webhook: must be a JSON object");
  json_decref(array);
  assert_null(swh_call_start(f->client, SWH_OP_WEBHOOK_GET, "W", json_null(), NULL, &err));
  assert_string_equal(err.message, "body: this operation takes none");

  /* "." and ".." would be dropped from the path by libcurl ("DELETE .." deleted nothing but
     hit /v1/projects/p/), and a NUL would cut an id short: refused, naming the id. */
  static const char dots_why[] = "cannot be an id (as a path segment it would change the "
                                 "request's path)";
  char message[256];
  assert_int_equal(swh_webhook_delete(f->client, "..", &err), SWH_ERR_VALIDATION);
  snprintf(message, sizeof message, "webhook_id: \"..\" %s", dots_why);
  assert_string_equal(err.message, message);
  assert_string_equal(err.request, "DELETE /v1/projects/emulator-project/webhooks/..");
  assert_int_equal(swh_webhook_get(f->client, ".", &out, &err), SWH_ERR_VALIDATION);
  snprintf(message, sizeof message, "webhook_id: \".\" %s", dots_why);
  assert_string_equal(err.message, message);
  assert_int_equal(swh_webhooks_list(f->client, "..", &out, &err), SWH_ERR_VALIDATION);
  snprintf(message, sizeof message, "app_id: \"..\" %s", dots_why);
  assert_string_equal(err.message, message);
  bad = json_pack("{s:s, s:s}", "app_id", ".", "target", "https://example.com/x");
  assert_int_equal(swh_webhook_create(f->client, bad, &out, &err), SWH_ERR_VALIDATION);
  snprintf(message, sizeof message, "webhook.app_id: \".\" %s", dots_why);
  assert_string_equal(err.message, message);
  json_decref(bad);
  assert_int_equal(swh_id_check(SWH_OP_WEBHOOK_DELETE, "W\0junk", 6, &err), SWH_ERR_VALIDATION);
  assert_string_equal(err.message,
                      "webhook_id: contains a NUL byte (byte 2 of 6), which would cut it short");
  assert_int_equal(swh_id_check(SWH_OP_WEBHOOKS_LIST, "A", 1, &err), SWH_OK);
  assert_int_equal(swh_id_check(SWH_OP_WEBHOOK_GET, "...", 3, &err), SWH_OK);

  assert_int_equal(f->trace.count, 0); /* nothing was sent, not even a token request */
  swh_error_clear(&err);
  fixture_free(f);
}

static void test_path_segments_are_percent_encoded(void **state) {
  (void)state;
  raw_server *s = raw_start();
  raw_answer(s, 404, "", "{\"error\":{\"code\":404,\"message\":\"Webhook not found\",\"status\":\"NOT_FOUND\",\"details\":[]}}");
  raw_answer(s, 200, "", "{}");
  raw_run(s);
  fixture f = {0};
  swh_client *client = raw_client(s, &f, 1, 5);
  swh_error err;
  swh_error_init(&err);
  json_t *got = NULL;
  assert_int_equal(swh_webhook_get(client, "a/b?c d#e%", &got, &err), SWH_ERR_HTTP);
  assert_string_equal(err.request, "GET /v1/projects/p/webhooks/a%2Fb%3Fc%20d%23e%25");
  assert_string_equal(err.message, "Webhook not found");
  assert_non_null(strstr(s->requests[0], "GET /v1/projects/p/webhooks/a%2Fb%3Fc%20d%23e%25 HTTP/1.1"));
  assert_non_null(strstr(s->requests[0], "Authorization: Basic "));
  assert_int_equal(swh_webhook_delete(client, "../apps", &err), SWH_OK);
  assert_non_null(strstr(s->requests[1], "DELETE /v1/projects/p/webhooks/..%2Fapps HTTP/1.1"));
  raw_finish(s, client, &f, &err);
}

static void test_update_masks_and_clearing(void **state) {
  (void)state;
  fixture *f = fixture_new(NULL, NULL);
  swh_error err;
  swh_error_init(&err);
  json_t *body = webhook(f->app_id, "https://example.com/masked");
  json_object_set_new(body, "secret", json_string("hush-hush-123"));
  json_object_set_new(body, "client_credentials",
                      json_pack("{s:s, s:s, s:s}", "client_id", "cid", "client_secret",
                                "very-private-456", "endpoint", "https://auth.example.com/t"));
  json_t *created = create_ok(f, body);
  const char *id = json_string_value(json_object_get(created, "id"));
  assert_string_equal(json_string_value(json_object_get(created, "secret")), "hush-hush-123");

  /* Two fields: one comma-joined mask in API.md's order. */
  json_t *changes = json_pack("{s:[s], s:s}", "triggers", "SMART_CONVERSATIONS", "target_type",
                              "DISMISS");
  json_t *updated = NULL;
  assert_int_equal(swh_webhook_update(f->client, id, changes, &updated, &err), SWH_OK);
  assert_string_equal(json_string_value(json_object_get(updated, "target_type")), "DISMISS");
  /* The Node SDK's spelling is normalised before sending. */
  assert_string_equal(json_string_value(json_array_get(json_object_get(updated, "triggers"), 0)),
                      "SMART_CONVERSATION");
  assert_string_equal(json_string_value(json_object_get(updated, "target")),
                      "https://example.com/masked");
  assert_int_equal(trace_count(&f->trace, "> PATCH ", "?update_mask=target_type,triggers "), 1);
  json_decref(changes);
  json_decref(updated);

  changes = json_pack("{s:s}", "secret", "");
  assert_int_equal(swh_webhook_update(f->client, id, changes, &updated, &err), SWH_OK);
  const char *secret = json_string_value(json_object_get(updated, "secret"));
  assert_true(secret == NULL || *secret == '\0');
  assert_non_null(json_object_get(updated, "client_credentials"));
  json_decref(changes);
  json_decref(updated);

  changes = json_pack("{s:n}", "client_credentials");
  assert_int_equal(swh_webhook_update(f->client, id, changes, &updated, &err), SWH_OK);
  assert_null(json_object_get(updated, "client_credentials"));
  assert_int_equal(trace_count(&f->trace, "> PATCH ", "?update_mask=client_credentials {\"client_credentials\":null}"), 1);
  json_decref(changes);
  json_decref(updated);

  json_t *got = NULL;
  assert_int_equal(swh_webhook_get(f->client, id, &got, &err), SWH_OK);
  assert_null(json_object_get(got, "client_credentials"));
  secret = json_string_value(json_object_get(got, "secret"));
  assert_true(secret == NULL || *secret == '\0');
  json_decref(got);

  /* Secrets never reach the trace, neither the webhook's nor the key's. */
  assert_false(trace_mentions(&f->trace, "hush-hush-123"));
  assert_false(trace_mentions(&f->trace, "very-private-456"));
  assert_false(trace_mentions(&f->trace, SWH_EMULATOR_DEFAULT_KEY_SECRET));
  assert_true(trace_mentions(&f->trace, "\"secret\":\"[redacted]\""));
  json_decref(created);
  swh_error_clear(&err);
  fixture_free(f);
}

/* ---- answers that are not what API.md says ------------------------------------------------------- */

static void test_garbage_and_odd_answers(void **state) {
  (void)state;
  raw_server *s = raw_start();
  raw_answer(s, 200, "", "<html>proxy says hi</html>");
  raw_answer(s, 200, "", "[1,2]");
  raw_answer(s, 200, "", "{\"webhooks\":{}}");
  raw_answer(s, 200, "", "{}");
  raw_answer(s, 200, "", "{\"apps\":[{\"id\":\"A\",\"display_name\":\"x\",\"rate_limits\":{\"outbound\":5}}]}");
  raw_answer(s, 502, "Content-Type: text/html\r\n", "<html><body>Bad gateway</body></html>");
  raw_run(s);
  fixture f = {0};
  swh_client *client = raw_client(s, &f, 1, 5);
  swh_error err;
  swh_error_init(&err);
  json_t *out = NULL;
  assert_int_equal(swh_webhook_get(client, "W", &out, &err), SWH_ERR_PROTOCOL);
  assert_string_equal(err.message, "the answer (200, 26 bytes) is not JSON (line 1, column 1)");
  assert_string_equal(err.request, "GET /v1/projects/p/webhooks/W");
  assert_int_equal(swh_webhook_get(client, "W", &out, &err), SWH_ERR_PROTOCOL);
  assert_string_equal(err.message, "the answer (200) is JSON but not an object");
  assert_int_equal(swh_webhooks_list(client, "A", &out, &err), SWH_ERR_PROTOCOL);
  assert_string_equal(err.message, "the answer (200) has \"webhooks\" but it is not an array");
  assert_int_equal(swh_webhooks_list(client, "A", &out, &err), SWH_OK);
  assert_true(json_is_array(out));
  assert_int_equal(json_array_size(out), 0);
  json_decref(out);
  assert_int_equal(swh_apps_list(client, &out, &err), SWH_OK);
  /* Fields this code does not know are kept. */
  assert_int_equal(json_integer_value(json_object_get(
                       json_object_get(json_array_get(out, 0), "rate_limits"), "outbound")),
                   5);
  json_decref(out);
  assert_int_equal(swh_webhook_get(client, "W", &out, &err), SWH_ERR_HTTP);
  assert_int_equal(err.http_status, 502);
  assert_true(err.retryable);
  assert_null(out);
  raw_finish(s, client, &f, &err);
}

/* ---- retries ---------------------------------------------------------------------------------- */

static void test_retry_after_is_honoured_and_4xx_is_not_retried(void **state) {
  (void)state;
  raw_server *s = raw_start();
  raw_answer(s, 429, "Retry-After: 1\r\n", "{\"error\":{\"code\":429,\"message\":\"slow down\",\"status\":\"RESOURCE_EXHAUSTED\"}}");
  raw_answer(s, 200, "", WEBHOOK_JSON("W", "https://example.com/a"));
  raw_answer(s, 403, "", "{\"code\":403,\"message\":\"no access\",\"status\":\"PERMISSION_DENIED\",\"details\":[]}");
  raw_run(s);
  fixture f = {0};
  swh_client *client = raw_client(s, &f, 3, 5);
  swh_error err;
  swh_error_init(&err);
  json_t *out = NULL;
  double start = fx_now_ms();
  assert_int_equal(swh_webhook_get(client, "W", &out, &err), SWH_OK);
  double elapsed = fx_now_ms() - start;
  assert_true(elapsed >= 1000);
  assert_true(elapsed < 3000);
  assert_string_equal(json_string_value(json_object_get(out, "id")), "W");
  json_decref(out);
  assert_int_equal(trace_count(&f.trace, "~ retrying GET /v1/projects/p/webhooks/W in 1000 ms", ""), 1);

  assert_int_equal(swh_webhook_get(client, "W", &out, &err), SWH_ERR_AUTH);
  assert_int_equal(err.http_status, 403);
  assert_string_equal(err.api_status, "PERMISSION_DENIED");
  assert_string_equal(err.message, "no access");
  assert_int_equal(s->served, 3);
  raw_finish(s, client, &f, &err);
}

static void test_retries_give_up_with_the_last_error(void **state) {
  (void)state;
  raw_server *s = raw_start();
  raw_special(s, RAW_DROP);
  raw_answer(s, 500, "", "{\"error\":{\"code\":500,\"message\":\"boom\",\"status\":\"INTERNAL\"}}");
  raw_answer(s, 503, "", "{\"error\":{\"code\":503,\"message\":\"later\",\"status\":\"UNAVAILABLE\"}}");
  raw_run(s);
  fixture f = {0};
  swh_client *client = raw_client(s, &f, 3, 5);
  swh_error err;
  swh_error_init(&err);
  json_t *out = NULL;
  assert_int_equal(swh_webhook_get(client, "W", &out, &err), SWH_ERR_HTTP);
  assert_int_equal(err.http_status, 503);
  assert_string_equal(err.api_status, "UNAVAILABLE");
  assert_string_equal(err.message, "later (gave up after 3 attempts)");
  assert_true(err.retryable);
  assert_int_equal(s->served, 3);
  assert_int_equal(trace_count(&f.trace, "< network GET /v1/projects/p/webhooks/W", ""), 1);
  raw_finish(s, client, &f, &err);
}

static void test_network_failure_and_timeout_kinds(void **state) {
  (void)state;
  raw_server *s = raw_start();
  raw_special(s, RAW_DROP);
  raw_special(s, RAW_HANG);
  raw_run(s);
  fixture f = {0};
  swh_client *client = raw_client(s, &f, 1, 0.3);
  swh_error err;
  swh_error_init(&err);
  json_t *out = NULL;
  assert_int_equal(swh_webhook_get(client, "W", &out, &err), SWH_ERR_NETWORK);
  assert_true(err.retryable);
  assert_int_equal(err.http_status, 0);
  assert_string_equal(err.request, "GET /v1/projects/p/webhooks/W");
  double start = fx_now_ms();
  assert_int_equal(swh_webhook_get(client, "W", &out, &err), SWH_ERR_TIMEOUT);
  assert_true(fx_now_ms() - start < 2000);
  assert_non_null(strstr(err.message, "no answer in time"));
  raw_finish(s, client, &f, &err);

  /* Nobody listening: a connection failure, certainly not applied. */
  int probe = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(probe, (struct sockaddr *)&addr, sizeof addr), 0);
  socklen_t len = sizeof addr;
  getsockname(probe, (struct sockaddr *)&addr, &len);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(addr.sin_port));
  close(probe);
  swh_config config = client_config(&f, url);
  config.auth = SWH_AUTH_BASIC;
  config.retries = 2;
  client = swh_client_new(&config, &err);
  assert_int_equal(swh_apps_list(client, &out, &err), SWH_ERR_NETWORK);
  assert_string_equal(err.request, "GET /v1/projects/emulator-project/apps");
  assert_non_null(strstr(err.message, "(gave up after 2 attempts)"));
  assert_int_equal(trace_count(&f.trace, "> GET ", "/apps"), 2);
  swh_error_clear(&err);
  swh_client_free(client);
  trace_reset(&f.trace);
}

static void test_a_huge_timeout_is_long_not_instant(void **state) {
  (void)state;
  raw_server *s = raw_start();
  raw_special(s, RAW_HANG);
  raw_run(s);
  fixture f = {0};
  swh_client *client = raw_client(s, &f, 1, 1e300); /* past the range of long in ms */
  swh_error err;
  swh_error_init(&err);
  swh_call *call = swh_call_start(client, SWH_OP_APPS_LIST, NULL, NULL, NULL, &err);
  assert_non_null(call);
  double deadline = fx_now_ms() + 300;
  while (fx_now_ms() < deadline) swh_client_step(client, 20);
  assert_int_equal(s->served, 1);
  assert_false(swh_call_done(call)); /* still waiting for the answer, not timed out */
  swh_call_abandon(call);
  raw_finish(s, client, &f, &err);
}

static void test_create_after_lost_answer_returns_what_it_made(void **state) {
  (void)state;
  raw_server *s = raw_start();
  raw_special(s, RAW_DROP); /* the create, applied or not: nobody knows */
  raw_answer(s, 200, "", "{\"webhooks\":[" WEBHOOK_JSON("OTHER", "https://example.com/other") ","
                         WEBHOOK_JSON("MADE", "https://example.com/new") "]}");
  raw_run(s);
  fixture f = {0};
  swh_client *client = raw_client(s, &f, 3, 5);
  swh_error err;
  swh_error_init(&err);
  json_t *body = json_pack("{s:s, s:s}", "app_id", "A", "target", "https://example.com/new");
  json_t *created = NULL;
  assert_int_equal(swh_webhook_create(client, body, &created, &err), SWH_OK);
  assert_string_equal(json_string_value(json_object_get(created, "id")), "MADE");
  assert_int_equal(s->served, 2);
  assert_non_null(strstr(s->requests[0], "POST /v1/projects/p/webhooks HTTP/1.1"));
  assert_non_null(strstr(s->requests[1], "GET /v1/projects/p/apps/A/webhooks HTTP/1.1"));
  /* the trace says what happens in words, not in libcurl's */
  assert_int_equal(trace_count(&f.trace, "~ POST /v1/projects/p/webhooks may have been applied: "
                                         "looking for its target in the app's webhooks in ",
                               ""), 1);
  assert_int_equal(trace_count(&f.trace, "~ POST /v1/projects/p/webhooks: found the webhook it "
                                         "already made (MADE)", ""), 1);
  json_decref(created);
  json_decref(body);
  raw_finish(s, client, &f, &err);

  /* Not there: the create is sent again. A 400 is never retried, so no lookup for it. */
  s = raw_start();
  raw_answer(s, 503, "", "{}");
  raw_answer(s, 200, "", "{}");
  raw_answer(s, 200, "", WEBHOOK_JSON("NEW", "https://example.com/new"));
  raw_run(s);
  client = raw_client(s, &f, 3, 5);
  body = json_pack("{s:s, s:s}", "app_id", "A", "target", "https://example.com/new");
  assert_int_equal(swh_webhook_create(client, body, &created, &err), SWH_OK);
  assert_string_equal(json_string_value(json_object_get(created, "id")), "NEW");
  assert_int_equal(s->served, 3);
  assert_non_null(strstr(s->requests[2], "POST /v1/projects/p/webhooks HTTP/1.1"));
  json_decref(created);
  json_decref(body);
  raw_finish(s, client, &f, &err);
}

static void test_a_lookup_renews_an_expired_token_like_any_call(void **state) {
  (void)state;
  static const char token[] = "{\"access_token\":\"T\",\"token_type\":\"Bearer\",\"expires_in\":3600}";
  raw_server *s = raw_start();
  raw_answer(s, 200, "", token);
  raw_special(s, RAW_DROP); /* the create: applied or not, nobody knows */
  raw_answer(s, 401, "WWW-Authenticate: Bearer error=\"invalid_token\", error_description=\"expired\"\r\n",
             "{\"error\":{\"code\":401,\"message\":\"expired\",\"status\":\"UNAUTHENTICATED\"}}");
  raw_answer(s, 200, "", token);
  raw_answer(s, 200, "", "{\"webhooks\":[" WEBHOOK_JSON("MADE", "https://example.com/new") "]}");
  raw_run(s);
  fixture f = {0};
  swh_config config = client_config(&f, s->url);
  config.project_id = "p";
  config.retries = 1;
  swh_error err;
  swh_error_init(&err);
  swh_client *client = swh_client_new(&config, &err);
  assert_non_null(client);
  json_t *body = json_pack("{s:s, s:s}", "app_id", "A", "target", "https://example.com/new");
  json_t *created = NULL;
  assert_int_equal(swh_webhook_create(client, body, &created, &err), SWH_OK);
  assert_string_equal(json_string_value(json_object_get(created, "id")), "MADE");
  assert_int_equal(s->served, 5);
  assert_non_null(strstr(s->requests[3], "POST /oauth2/token HTTP/1.1"));
  assert_non_null(strstr(s->requests[4], "GET /v1/projects/p/apps/A/webhooks HTTP/1.1"));
  json_decref(created);
  json_decref(body);
  raw_finish(s, client, &f, &err);
}

/* With 35% of requests failing, ten attempts make giving up a 1-in-30000 event. */
static void ten_attempts(swh_config *config) { config->retries = 10; }

static void test_create_out_of_attempts_still_finds_out_whether_it_was_made(void **state) {
  (void)state;
  raw_server *s = raw_start();
  raw_special(s, RAW_DROP);
  raw_answer(s, 200, "", "{\"webhooks\":[" WEBHOOK_JSON("MADE", "https://example.com/new") "]}");
  raw_answer(s, 503, "", "{\"error\":{\"code\":503,\"message\":\"later\",\"status\":\"UNAVAILABLE\"}}");
  raw_answer(s, 200, "", "{\"webhooks\":[]}");
  raw_answer(s, 503, "", "{\"error\":{\"code\":503,\"message\":\"later\",\"status\":\"UNAVAILABLE\"}}");
  raw_answer(s, 200, "", "{}");
  raw_run(s);
  fixture f = {0};
  /* One attempt only: no resend, but a lookup still turns "unknown" into an answer. */
  swh_client *client = raw_client(s, &f, 1, 5);
  swh_error err;
  swh_error_init(&err);
  json_t *body = json_pack("{s:s, s:s}", "app_id", "A", "target", "https://example.com/new");
  json_t *created = NULL;
  assert_int_equal(swh_webhook_create(client, body, &created, &err), SWH_OK);
  assert_string_equal(json_string_value(json_object_get(created, "id")), "MADE");
  json_decref(created);
  swh_client_free(client);

  /* Two attempts, both 503, neither made: the error says so. */
  client = raw_client(s, &f, 2, 5);
  assert_int_equal(swh_webhook_create(client, body, &created, &err), SWH_ERR_HTTP);
  assert_null(created);
  assert_int_equal(err.http_status, 503);
  assert_string_equal(err.api_status, "UNAVAILABLE");
  assert_string_equal(err.message, "later (gave up after 2 attempts); it was not made");
  assert_string_equal(err.request, "POST /v1/projects/p/webhooks");
  assert_int_equal(s->served, 6);
  assert_non_null(strstr(s->requests[4], "POST /v1/projects/p/webhooks HTTP/1.1"));
  assert_non_null(strstr(s->requests[5], "GET /v1/projects/p/apps/A/webhooks HTTP/1.1"));
  json_decref(body);
  raw_finish(s, client, &f, &err);
}

/* The lookup's own error is appended to the create's: a message cut to fit its buffer
   never ends inside a UTF-8 sequence of the quoted server text. */
static void test_a_cut_message_never_splits_a_character(void **state) {
  (void)state;
  char accents[2 * 250 + 1] = "";
  for (int i = 0; i < 250; i++) strcat(accents, "\xc3\xa9"); /* e acute */
  char lookup_answer[640];
  snprintf(lookup_answer, sizeof lookup_answer,
           "{\"error\":{\"code\":400,\"message\":\"%s\",\"status\":\"INVALID_ARGUMENT\"}}",
           accents);
  raw_server *s = raw_start();
  raw_answer(s, 503, "", "{\"error\":{\"code\":503,\"message\":\"down!\",\"status\":\"UNAVAILABLE\"}}");
  raw_answer(s, 400, "", lookup_answer);
  raw_run(s);
  fixture f = {0};
  swh_client *client = raw_client(s, &f, 1, 5);
  swh_error err;
  swh_error_init(&err);
  json_t *body = json_pack("{s:s, s:s}", "app_id", "A", "target", "https://example.com/new");
  json_t *created = NULL;
  assert_int_equal(swh_webhook_create(client, body, &created, &err), SWH_ERR_HTTP);
  /* 84 bytes of prefix leave 427 for the accents: 213 of them, not 213 and a half. */
  char expected[SWH_ERROR_MESSAGE_MAX] =
      "down!; it may have been applied, and looking for it failed: INVALID_ARGUMENT (400): ";
  assert_int_equal(strlen(expected), 84);
  memcpy(expected + 84, accents, 2 * 213);
  expected[84 + 2 * 213] = '\0';
  assert_string_equal(err.message, expected);
  assert_false(err.retryable);
  json_decref(body);
  raw_finish(s, client, &f, &err);
}

static void test_delete_after_lost_answer_counts_a_404_as_done(void **state) {
  (void)state;
  raw_server *s = raw_start();
  raw_special(s, RAW_DROP); /* applied, answer lost */
  raw_answer(s, 404, "", "{\"error\":{\"code\":404,\"message\":\"Webhook not found\",\"status\":\"NOT_FOUND\"}}");
  raw_answer(s, 404, "", "{\"error\":{\"code\":404,\"message\":\"Webhook not found\",\"status\":\"NOT_FOUND\"}}");
  raw_run(s);
  fixture f = {0};
  swh_client *client = raw_client(s, &f, 3, 5);
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swh_webhook_delete(client, "W", &err), SWH_OK);
  assert_int_equal(s->served, 2);
  /* Without an earlier doubt, a 404 is the error it is. */
  assert_int_equal(swh_webhook_delete(client, "W", &err), SWH_ERR_HTTP);
  assert_int_equal(err.http_status, 404);
  assert_string_equal(err.message, "Webhook not found");
  raw_finish(s, client, &f, &err);
}

/* ---- a call sent before by another run (swh_call_resend) ----------------------------------- */

#define LIST_OF(...) "{\"webhooks\":[" __VA_ARGS__ "]}"
#define TARGET_TAKEN                                                                          \
  "{\"error\":{\"code\":400,\"message\":\"target already used in this app\","              \
  "\"status\":\"INVALID_ARGUMENT\"}}"

/* Starts op as resent and runs it to the end: its status, *result and err. */
static swh_status resent(swh_client *client, swh_op op, const char *id, const char *target,
                         json_t **result, swh_error *err) {
  json_t *body = target ? json_pack("{s:s, s:s}", "app_id", "A", "target", target) : NULL;
  swh_call *call = swh_call_start(client, op, id, body, NULL, err);
  json_decref(body);
  assert_non_null(call);
  assert_int_equal(swh_call_resend(call, err), SWH_OK);
  for (int i = 0; i < 500 && !swh_call_done(call); i++) swh_client_step(client, 20);
  return swh_call_finish(call, result, err);
}

static void test_a_resent_create_returns_what_the_earlier_send_made(void **state) {
  (void)state;
  raw_server *s = raw_start();
  raw_answer(s, 200, "", LIST_OF(WEBHOOK_JSON("W0", "https://t/0") ","
                                 WEBHOOK_JSON("W1", "https://t/1")));
  raw_run(s);
  fixture f = {0};
  swh_client *client = raw_client(s, &f, 3, 5);
  swh_error err;
  swh_error_init(&err);
  json_t *made = NULL;
  assert_int_equal(resent(client, SWH_OP_WEBHOOK_CREATE, NULL, "https://t/1", &made, &err),
                   SWH_OK);
  assert_string_equal(json_string_value(json_object_get(made, "id")), "W1");
  assert_int_equal(s->served, 1); /* looked, and sent nothing again */
  assert_non_null(strstr(s->requests[0], "GET /v1/projects/p/apps/A/webhooks HTTP/1.1"));
  json_decref(made);
  raw_finish(s, client, &f, &err);
}

static void test_a_resent_create_not_made_is_sent(void **state) {
  (void)state;
  raw_server *s = raw_start();
  raw_answer(s, 200, "", LIST_OF(WEBHOOK_JSON("W0", "https://t/0")));
  raw_answer(s, 200, "", WEBHOOK_JSON("W1", "https://t/1"));
  raw_run(s);
  fixture f = {0};
  swh_client *client = raw_client(s, &f, 3, 5);
  swh_error err;
  swh_error_init(&err);
  json_t *made = NULL;
  assert_int_equal(resent(client, SWH_OP_WEBHOOK_CREATE, NULL, "https://t/1", &made, &err),
                   SWH_OK);
  assert_string_equal(json_string_value(json_object_get(made, "id")), "W1");
  assert_int_equal(s->served, 2);
  assert_non_null(strstr(s->requests[1], "POST /v1/projects/p/webhooks HTTP/1.1"));
  json_decref(made);
  raw_finish(s, client, &f, &err);
}

/* The earlier send lands between the lookup and the resend: the resend is refused, and a
   second lookup finds what the earlier one made. */
static void test_a_resent_create_refused_looks_again(void **state) {
  (void)state;
  raw_server *s = raw_start();
  raw_answer(s, 200, "", LIST_OF(""));
  raw_answer(s, 400, "", TARGET_TAKEN);
  raw_answer(s, 200, "", LIST_OF(WEBHOOK_JSON("W1", "https://t/1")));
  raw_answer(s, 200, "", LIST_OF(""));
  raw_answer(s, 400, "", TARGET_TAKEN);
  raw_answer(s, 200, "", LIST_OF(""));
  raw_run(s);
  fixture f = {0};
  swh_client *client = raw_client(s, &f, 3, 5);
  swh_error err;
  swh_error_init(&err);
  json_t *made = NULL;
  assert_int_equal(resent(client, SWH_OP_WEBHOOK_CREATE, NULL, "https://t/1", &made, &err),
                   SWH_OK);
  assert_string_equal(json_string_value(json_object_get(made, "id")), "W1");
  assert_int_equal(s->served, 3);
  json_decref(made);
  /* Not there the second time either: the refusal is the answer, as the server gave it. */
  assert_int_equal(resent(client, SWH_OP_WEBHOOK_CREATE, NULL, "https://t/1", &made, &err),
                   SWH_ERR_HTTP);
  assert_int_equal(err.http_status, 400);
  assert_string_equal(err.message, "target already used in this app");
  assert_string_equal(err.request, "POST /v1/projects/p/webhooks");
  assert_int_equal(s->served, 6);
  raw_finish(s, client, &f, &err);
}

static void test_a_resent_create_whose_lookup_fails_may_have_been_applied(void **state) {
  (void)state;
  raw_server *s = raw_start();
  raw_answer(s, 404, "", "{\"error\":{\"code\":404,\"message\":\"App not found\","
                         "\"status\":\"NOT_FOUND\"}}");
  raw_run(s);
  fixture f = {0};
  swh_client *client = raw_client(s, &f, 3, 5);
  swh_error err;
  swh_error_init(&err);
  json_t *made = NULL;
  assert_int_equal(resent(client, SWH_OP_WEBHOOK_CREATE, NULL, "https://t/1", &made, &err),
                   SWH_ERR_HTTP);
  assert_int_equal(err.http_status, 404);
  assert_string_equal(err.message,
                      "App not found; it was sent before, and may have been applied");
  assert_false(err.retryable);
  assert_int_equal(s->served, 1);
  raw_finish(s, client, &f, &err);
}

static void test_a_resent_delete_counts_a_404_as_done(void **state) {
  (void)state;
  raw_server *s = raw_start();
  raw_answer(s, 404, "", "{\"error\":{\"code\":404,\"message\":\"Webhook not found\","
                         "\"status\":\"NOT_FOUND\"}}");
  raw_run(s);
  fixture f = {0};
  swh_client *client = raw_client(s, &f, 3, 5);
  swh_error err;
  swh_error_init(&err);
  json_t *result = NULL;
  assert_int_equal(resent(client, SWH_OP_WEBHOOK_DELETE, "W", NULL, &result, &err), SWH_OK);
  json_decref(result);
  assert_int_equal(s->served, 1);
  /* Only a call not yet sent can be marked. */
  swh_call *call = swh_call_start(client, SWH_OP_WEBHOOK_GET, "W", NULL, NULL, &err);
  raw_answer(s, 200, "", WEBHOOK_JSON("W", "https://t/1"));
  while (!swh_call_done(call)) swh_client_step(client, 20);
  assert_int_equal(swh_call_resend(call, &err), SWH_ERR_USAGE);
  assert_string_equal(err.message, "call: resend only a call just started");
  swh_error_clear(&err);
  assert_int_equal(swh_call_finish(call, NULL, &err), SWH_OK);
  raw_finish(s, client, &f, &err);
}

static void test_faults_with_a_seed_are_retried_away(void **state) {
  (void)state;
  swh_emulator_config emu = {.faults = "500=0.1,503=0.05,429=0.05,drop=0.05,lost=0.1",
                             .seed_random = 42};
  fixture *f = fixture_new(&emu, ten_attempts);
  swh_error err;
  swh_error_init(&err);
  /* Five creates in each of two apps, all at once, through faults ("lost" ones included,
     where the server applied the create but the answer never came): exactly ten made. */
  swh_call *calls[10];
  for (int i = 0; i < 10; i++) {
    char target[64];
    snprintf(target, sizeof target, "https://example.com/fault/%d", i);
    json_t *body = webhook(i % 2 ? f->app_id2 : f->app_id, target);
    calls[i] = swh_call_start(f->client, SWH_OP_WEBHOOK_CREATE, NULL, body, NULL, &err);
    assert_non_null(calls[i]);
    json_decref(body);
  }
  double deadline = fx_now_ms() + 30000;
  while (swh_client_step(f->client, 100) > 0 && fx_now_ms() < deadline) {
  }
  char ids[10][64];
  for (int i = 0; i < 10; i++) {
    json_t *created = NULL;
    swh_status status = swh_call_finish(calls[i], &created, &err);
    if (status != SWH_OK) fail_msg("create %d: %s", i, err.message);
    snprintf(ids[i], sizeof ids[i], "%s", json_string_value(json_object_get(created, "id")));
    json_decref(created);
  }
  json_t *list = NULL;
  for (int app = 0; app < 2; app++) {
    if (swh_webhooks_list(f->client, app ? f->app_id2 : f->app_id, &list, &err) != SWH_OK)
      fail_msg("list: %s", err.message);
    assert_int_equal(json_array_size(list), 5);
    json_decref(list);
  }
  /* Deletes through the same faults: a lost answer and then a 404 is a delete done. */
  for (int i = 0; i < 10; i++) {
    calls[i] = swh_call_start(f->client, SWH_OP_WEBHOOK_DELETE, ids[i], NULL, NULL, &err);
    assert_non_null(calls[i]);
  }
  while (swh_client_step(f->client, 100) > 0 && fx_now_ms() < deadline) {
  }
  for (int i = 0; i < 10; i++) {
    if (swh_call_finish(calls[i], NULL, &err) != SWH_OK) fail_msg("delete %d: %s", i, err.message);
  }
  for (int app = 0; app < 2; app++) {
    if (swh_webhooks_list(f->client, app ? f->app_id2 : f->app_id, &list, &err) != SWH_OK)
      fail_msg("list: %s", err.message);
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
  }
  assert_true(trace_count(&f->trace, "~ retrying", "") > 0);
  swh_error_clear(&err);
  fixture_free(f);
}

/* ---- concurrency and pacing ---------------------------------------------------------------------- */

static void three_at_a_time(swh_config *config) { config->concurrency = 3; }

static void test_concurrency_bounds_requests_in_flight(void **state) {
  (void)state;
  swh_emulator_config emu = {.latency_ms = 40};
  fixture *f = fixture_new(&emu, three_at_a_time);
  swh_error err;
  swh_error_init(&err);
  swh_call *calls[12];
  for (int i = 0; i < 12; i++) {
    calls[i] = swh_call_start(f->client, SWH_OP_WEBHOOKS_LIST, f->app_id, NULL, (void *)(intptr_t)i, &err);
    assert_non_null(calls[i]);
  }
  double start = fx_now_ms();
  int done = 0;
  bool seen[12] = {0};
  while (done < 12 && fx_now_ms() - start < 10000) {
    swh_client_step(f->client, 100);
    swh_call *call;
    while ((call = swh_client_next_done(f->client))) {
      int i = (int)(intptr_t)swh_call_user(call);
      assert_false(seen[i]);
      seen[i] = true;
      json_t *list = NULL;
      assert_int_equal(swh_call_finish(call, &list, &err), SWH_OK);
      json_decref(list);
      done++;
    }
  }
  assert_int_equal(done, 12);
  assert_int_equal(f->trace.max_in_flight, 3);
  /* Four rounds of three, 40 ms each: clearly faster than twelve in a row. */
  assert_true(fx_now_ms() - start < 12 * 40);
  fixture_free(f);
}

static void twenty_per_second(swh_config *config) {
  config->rate = 20;
  config->auth = SWH_AUTH_BASIC;
}

static void test_rate_paces_requests(void **state) {
  (void)state;
  fixture *f = fixture_new(NULL, twenty_per_second);
  swh_error err;
  swh_error_init(&err);
  swh_call *calls[12];
  for (int i = 0; i < 12; i++)
    calls[i] = swh_call_start(f->client, SWH_OP_APPS_LIST, NULL, NULL, NULL, &err);
  double start = fx_now_ms();
  while (swh_client_step(f->client, 100) > 0 && fx_now_ms() - start < 10000) {
  }
  double elapsed = fx_now_ms() - start;
  for (int i = 0; i < 12; i++) assert_int_equal(swh_call_finish(calls[i], NULL, &err), SWH_OK);
  /* A burst of 2, then one every 50 ms: 10 more take at least 500 ms. */
  assert_true(elapsed >= 480);
  assert_true(elapsed < 2000);
  fixture_free(f);
}

/* ---- lifetimes ------------------------------------------------------------------------------------ */

static void test_free_with_calls_in_flight_and_abandoned(void **state) {
  (void)state;
  swh_emulator_config emu = {.latency_ms = 100};
  fixture *f = fixture_new(&emu, NULL);
  swh_error err;
  swh_error_init(&err);
  swh_call *calls[6];
  for (int i = 0; i < 6; i++)
    calls[i] = swh_call_start(f->client, SWH_OP_WEBHOOKS_LIST, f->app_id, NULL, NULL, &err);
  /* Get them onto the wire. */
  double deadline = fx_now_ms() + 3000;
  while (trace_count(&f->trace, "> GET ", "/webhooks") < 6 && fx_now_ms() < deadline)
    swh_client_step(f->client, 20);
  if (getenv("TRACE")) trace_dump(&f->trace);
  assert_int_equal(trace_count(&f->trace, "> GET ", "/webhooks"), 6);
  assert_false(swh_call_done(calls[0]));
  swh_call_abandon(calls[0]);
  swh_call_abandon(calls[1]);
  assert_int_equal(swh_client_step(f->client, 0), 4);
  /* Not finishing a call that is not done. */
  assert_int_equal(swh_call_finish(calls[2], NULL, &err), SWH_ERR_USAGE);
  assert_string_equal(err.message, "call: not done yet (step the client until it is)");

  swh_client_free(f->client);
  f->client = NULL;
  for (int i = 2; i < 6; i++) {
    assert_true(swh_call_done(calls[i]));
    json_t *list = NULL;
    assert_int_equal(swh_call_finish(calls[i], &list, &err), SWH_ERR_USAGE);
    assert_null(list);
    assert_string_equal(err.message, "client closed before the call finished");
  }
  swh_error_clear(&err);
  fixture_free(f);
}

static void test_abandoned_calls_are_freed_when_their_answer_comes(void **state) {
  (void)state;
  fixture *f = fixture_new(NULL, NULL);
  swh_error err;
  swh_error_init(&err);
  swh_call *a = swh_call_start(f->client, SWH_OP_APPS_LIST, NULL, NULL, NULL, &err);
  swh_call *b = swh_call_start(f->client, SWH_OP_APPS_LIST, NULL, NULL, NULL, &err);
  swh_call *c = swh_call_start(f->client, SWH_OP_APPS_LIST, NULL, NULL, NULL, &err);
  swh_call_abandon(a); /* not sent yet: freed at once */
  assert_int_equal(swh_client_step(f->client, 0), 2);
  double deadline = fx_now_ms() + 5000;
  while (!swh_call_done(b) && fx_now_ms() < deadline) swh_client_step(f->client, 50);
  swh_call_abandon(b); /* done, not finished */
  while (!trace_count(&f->trace, "> GET ", "/apps") && fx_now_ms() < deadline)
    swh_client_step(f->client, 50);
  swh_call_abandon(c); /* maybe in flight */
  while (swh_client_step(f->client, 50) > 0 && fx_now_ms() < deadline) {
  }
  assert_null(swh_client_next_done(f->client));
  swh_call_abandon(NULL);
  swh_error_clear(&err);
  fixture_free(f); /* ASan reports anything left behind */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_backoff_is_full_jitter_under_a_growing_ceiling),
      cmocka_unit_test(test_bucket_allows_a_burst_then_paces),
      cmocka_unit_test(test_bucket_slows_down_on_429_and_climbs_back),
      cmocka_unit_test(test_redaction_reaches_every_depth),
      cmocka_unit_test(test_url_passwords_are_redacted),
      cmocka_unit_test(test_unreachable_token_endpoint_is_kind_network_and_retried),
      cmocka_unit_test(test_token_endpoint_refusal_quotes_no_password),
      cmocka_unit_test(test_trace_of_a_create_redacts_the_target_password),
      cmocka_unit_test(test_config_is_checked),
      cmocka_unit_test(test_calls_outlive_their_client),
      cmocka_unit_test(test_every_endpoint_with_oauth2),
      cmocka_unit_test(test_basic_auth_sends_no_token_request),
      cmocka_unit_test(test_wrong_credentials_are_kind_auth),
      cmocka_unit_test(test_token_is_cached_across_many_calls),
      cmocka_unit_test(test_expired_token_is_renewed_once_for_all_waiting),
      cmocka_unit_test(test_short_lived_token_is_renewed_before_it_expires),
      cmocka_unit_test(test_token_endpoint_trouble_fails_waiting_calls_with_kind_auth),
      cmocka_unit_test(test_api_errors_carry_status_and_message),
      cmocka_unit_test(test_bad_input_is_refused_before_sending),
      cmocka_unit_test(test_path_segments_are_percent_encoded),
      cmocka_unit_test(test_update_masks_and_clearing),
      cmocka_unit_test(test_garbage_and_odd_answers),
      cmocka_unit_test(test_retry_after_is_honoured_and_4xx_is_not_retried),
      cmocka_unit_test(test_retries_give_up_with_the_last_error),
      cmocka_unit_test(test_network_failure_and_timeout_kinds),
      cmocka_unit_test(test_a_huge_timeout_is_long_not_instant),
      cmocka_unit_test(test_create_after_lost_answer_returns_what_it_made),
      cmocka_unit_test(test_create_out_of_attempts_still_finds_out_whether_it_was_made),
      cmocka_unit_test(test_a_cut_message_never_splits_a_character),
      cmocka_unit_test(test_a_lookup_renews_an_expired_token_like_any_call),
      cmocka_unit_test(test_delete_after_lost_answer_counts_a_404_as_done),
      cmocka_unit_test(test_a_resent_create_returns_what_the_earlier_send_made),
      cmocka_unit_test(test_a_resent_create_not_made_is_sent),
      cmocka_unit_test(test_a_resent_create_refused_looks_again),
      cmocka_unit_test(test_a_resent_create_whose_lookup_fails_may_have_been_applied),
      cmocka_unit_test(test_a_resent_delete_counts_a_404_as_done),
      cmocka_unit_test(test_faults_with_a_seed_are_retried_away),
      cmocka_unit_test(test_concurrency_bounds_requests_in_flight),
      cmocka_unit_test(test_rate_paces_requests),
      cmocka_unit_test(test_free_with_calls_in_flight_and_abandoned),
      cmocka_unit_test(test_abandoned_calls_are_freed_when_their_answer_comes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
