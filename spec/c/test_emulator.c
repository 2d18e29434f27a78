/*
 * The emulator, driven in-process over HTTP with plain libcurl easy calls (not the swh
 * client, so the two are checked against API.md independently). Every test starts its own
 * emulator on 127.0.0.1 with a free port and stops it.
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "swh_emulator.h"
#include "swh_webhook.h"
#include "ulid.h"

#define PROJECT SWH_EMULATOR_DEFAULT_PROJECT
#define BASIC "emulator-key:emulator-secret"

/* ---- HTTP helpers ------------------------------------------------------------------- */

typedef struct response {
  CURLcode code;
  long status;
  char *body;
  size_t len;
  json_t *json;
  char www_authenticate[256];
  char retry_after[32];
  char content_type[64];
} response;

static size_t on_body(char *data, size_t size, size_t count, void *userdata) {
  response *r = userdata;
  size_t n = size * count;
  char *grown = realloc(r->body, r->len + n + 1);
  if (!grown)
    return 0;
  memcpy(grown + r->len, data, n);
  r->body = grown;
  r->len += n;
  r->body[r->len] = '\0';
  return n;
}

/* Copies the value of header `name` out of a header line, if it is that header. */
static void header_value(const char *line, size_t len, const char *name, char *out,
                         size_t size) {
  size_t name_len = strlen(name);
  if (len <= name_len + 1 || strncasecmp(line, name, name_len) != 0 || line[name_len] != ':')
    return;
  const char *v = line + name_len + 1;
  const char *end = line + len;
  while (v < end && *v == ' ')
    v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n'))
    end--;
  snprintf(out, size, "%.*s", (int)(end - v), v);
}

static size_t on_header(char *data, size_t size, size_t count, void *userdata) {
  response *r = userdata;
  size_t n = size * count;
  header_value(data, n, "WWW-Authenticate", r->www_authenticate, sizeof r->www_authenticate);
  header_value(data, n, "Retry-After", r->retry_after, sizeof r->retry_after);
  header_value(data, n, "Content-Type", r->content_type, sizeof r->content_type);
  return n;
}

static void response_free(response *r) {
  free(r->body);
  json_decref(r->json);
  memset(r, 0, sizeof *r);
}

/* Sets an easy handle up for one request; the list of headers is returned for freeing. */
static struct curl_slist *prepare(CURL *curl, response *r, const char *method, const char *url,
                                  const char *auth, const char *body, const char *content_type) {
  struct curl_slist *headers = NULL;
  char line[2048];
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  if (auth && strncmp(auth, "Bearer ", 7) == 0) {
    snprintf(line, sizeof line, "Authorization: %s", auth);
    headers = curl_slist_append(headers, line);
  } else if (auth) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERPWD, auth);
  }
  if (body) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    snprintf(line, sizeof line, "Content-Type: %s",
             content_type ? content_type : "application/json");
    headers = curl_slist_append(headers, line);
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  return headers;
}

static void finish(CURL *curl, response *r) {
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
  if (r->body)
    r->json = json_loads(r->body, 0, NULL);
}

/* One request on a fresh connection (so curl never silently resends on a reused one). */
static response call(const char *method, const char *auth, const char *body, const char *fmt,
                     ...) {
  char url[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(url, sizeof url, fmt, ap);
  va_end(ap);
  response r;
  memset(&r, 0, sizeof r);
  CURL *curl = curl_easy_init();
  assert_non_null(curl);
  const char *type = strstr(url, "/oauth2/token") ? "application/x-www-form-urlencoded" : NULL;
  struct curl_slist *headers = prepare(curl, &r, method, url, auth, body, type);
  r.code = curl_easy_perform(curl);
  finish(curl, &r);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return r;
}

/* Asserts an error answer in the nested form, with exact HTTP status, status and message. */
static void assert_error(const response *r, long status, const char *api_status,
                         const char *message) {
  assert_int_equal(r->code, CURLE_OK);
  if (r->status != status)
    fprintf(stderr, "unexpected answer %ld: %s\n", r->status, r->body ? r->body : "");
  assert_int_equal(r->status, status);
  assert_string_equal(r->content_type, "application/json");
  json_t *error = json_object_get(r->json, "error");
  assert_non_null(error);
  assert_int_equal(json_integer_value(json_object_get(error, "code")), status);
  assert_string_equal(json_string_value(json_object_get(error, "status")), api_status);
  assert_true(json_is_array(json_object_get(error, "details")));
  if (message)
    assert_string_equal(json_string_value(json_object_get(error, "message")), message);
}

static const char *error_message(const response *r) {
  return json_string_value(json_object_get(json_object_get(r->json, "error"), "message"));
}

static void assert_ok(const response *r) {
  assert_int_equal(r->code, CURLE_OK);
  if (r->status != 200)
    fprintf(stderr, "unexpected answer %ld: %s\n", r->status, r->body ? r->body : "");
  assert_int_equal(r->status, 200);
  assert_non_null(r->json);
}

/* ---- emulator helpers --------------------------------------------------------------- */

static swh_emulator *start(swh_emulator_config config) {
  config.quiet = true;
  if (config.rate_limit == 0)
    config.rate_limit = -1; /* most tests send bursts; the rate-limit test sets its own */
  if (config.basic_rate_limit == 0)
    config.basic_rate_limit = -1;
  swh_error err;
  swh_error_init(&err);
  swh_emulator *emulator = swh_emulator_start(&config, &err);
  if (!emulator)
    fprintf(stderr, "start failed: %s\n", err.message);
  assert_non_null(emulator);
  swh_error_clear(&err);
  return emulator;
}

/* The id of app number i (0-based) of the emulator; a static buffer. */
static const char *app_id(swh_emulator *emulator, size_t i) {
  static char id[2][64];
  json_t *snapshot = swh_emulator_snapshot(emulator);
  const char *value =
      json_string_value(json_object_get(json_array_get(json_object_get(snapshot, "apps"), i), "id"));
  assert_non_null(value);
  snprintf(id[i % 2], sizeof id[0], "%s", value);
  json_decref(snapshot);
  return id[i % 2];
}

static response create_webhook(swh_emulator *emulator, const char *app, const char *target,
                               const char *extra) {
  char body[1024];
  snprintf(body, sizeof body, "{\"app_id\":\"%s\",\"target\":\"%s\"%s%s}", app, target,
           extra ? "," : "", extra ? extra : "");
  return call("POST", BASIC, body, "%s/v1/projects/%s/webhooks", swh_emulator_url(emulator),
              PROJECT);
}

static char *created_id(swh_emulator *emulator, const char *app, const char *target,
                        const char *extra) {
  response r = create_webhook(emulator, app, target, extra);
  assert_ok(&r);
  char *id = strdup(json_string_value(json_object_get(r.json, "id")));
  response_free(&r);
  return id;
}

static char *fetch_token(swh_emulator *emulator) {
  response r = call("POST", BASIC, "grant_type=client_credentials", "%s/oauth2/token",
                    swh_emulator_url(emulator));
  assert_ok(&r);
  char bearer[2048];
  snprintf(bearer, sizeof bearer, "Bearer %s",
           json_string_value(json_object_get(r.json, "access_token")));
  response_free(&r);
  return strdup(bearer);
}

/* ---- routes ------------------------------------------------------------------------- */

static void test_unknown_routes_are_404_and_unserved_methods_501(void **state) {
  swh_emulator *e = start((swh_emulator_config){.apps = 1});
  const char *url = swh_emulator_url(e);
  response r = call("GET", BASIC, NULL, "%s/v2/nothing", url);
  assert_error(&r, 404, "NOT_FOUND", "No such route: GET /v2/nothing");
  response_free(&r);
  r = call("GET", BASIC, NULL, "%s/v1/projects/%s/apps/", url, PROJECT);
  assert_error(&r, 404, "NOT_FOUND", "No such route: GET /v1/projects/" PROJECT "/apps/");
  response_free(&r);
  r = call("POST", BASIC, "{}", "%s/v1/projects/%s/apps/%s/webhooks", url, PROJECT,
           app_id(e, 0));
  assert_error(&r, 501, "UNIMPLEMENTED", NULL);
  assert_non_null(strstr(error_message(&r), "Method POST is not implemented for /v1/projects/"));
  response_free(&r);
  r = call("PUT", BASIC, "{}", "%s/v1/projects/%s/webhooks/X", url, PROJECT);
  assert_error(&r, 501, "UNIMPLEMENTED",
               "Method PUT is not implemented for /v1/projects/" PROJECT "/webhooks/X");
  response_free(&r);
  r = call("GET", BASIC, NULL, "%s/v1/projects/%s/webhooks", url, PROJECT);
  assert_error(&r, 501, "UNIMPLEMENTED", NULL);
  response_free(&r);
  r = call("GET", NULL, NULL, "%s/oauth2/token", url);
  assert_error(&r, 501, "UNIMPLEMENTED", "Method GET is not implemented for /oauth2/token");
  response_free(&r);
  swh_emulator_stop(e);
}

static void test_wrong_project_is_403(void **state) {
  swh_emulator *e = start((swh_emulator_config){.apps = 1});
  response r = call("GET", BASIC, NULL, "%s/v1/projects/other-project/apps",
                    swh_emulator_url(e));
  assert_error(&r, 403, "PERMISSION_DENIED",
               "The credentials have no access to project \"other-project\"");
  response_free(&r);
  swh_emulator_stop(e);
}

/* The signals blocked in task (a thread id of this process), from /proc. */
static unsigned long long blocked_signals(const char *task) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/self/task/%s/status", task);
  FILE *status = fopen(path, "r");
  assert_non_null(status);
  unsigned long long mask = 0;
  bool found = false;
  while (!found && fgets(line, sizeof line, status))
    found = sscanf(line, "SigBlk: %llx", &mask) == 1;
  fclose(status);
  assert_true(found);
  return mask;
}

#define SIGNAL_BIT(sig) (1ULL << ((sig) - 1))

/* The ids of this process's threads, as a string of " id" words. */
static void list_tasks(char *out, size_t size) {
  DIR *tasks = opendir("/proc/self/task");
  assert_non_null(tasks);
  out[0] = '\0';
  for (struct dirent *t; (t = readdir(tasks));) {
    size_t used = strlen(out);
    if (t->d_name[0] != '.') snprintf(out + used, size - used, " %s ", t->d_name);
  }
  closedir(tasks);
}

/* An embedded emulator (swh --sandbox) must not take the Ctrl-C meant for the script: the
   threads it starts block it. (Threads of others, such as the sanitizers', are not judged.) */
static void test_server_threads_leave_signals_to_the_program(void **state) {
  char before[4096], after[4096], word[40];
  list_tasks(before, sizeof before);
  swh_emulator *e = start((swh_emulator_config){.apps = 1});
  list_tasks(after, sizeof after);
  int started = 0;
  for (const char *t = after; *t;) {
    int length = 0;
    if (sscanf(t, " %31s %n", word, &length) != 1) break;
    t += length;
    char quoted[48];
    snprintf(quoted, sizeof quoted, " %s ", word);
    if (strstr(before, quoted)) continue;
    /* glibc starts a thread with every signal blocked until it sets the mask it inherits:
       a thread seen in that moment is looked at again (for at most 2 s). */
    unsigned long long mask = blocked_signals(word);
    for (int tries = 0; (mask & SIGNAL_BIT(SIGSEGV)) && tries < 200; tries++) {
      nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
      mask = blocked_signals(word);
    }
    assert_true(mask & SIGNAL_BIT(SIGINT));
    assert_true(mask & SIGNAL_BIT(SIGTERM));
    assert_false(mask & SIGNAL_BIT(SIGSEGV));
    started++;
  }
  assert_true(started >= 1); /* the server's polling thread */
  char main_task[32];
  snprintf(main_task, sizeof main_task, "%d", (int)getpid());
  assert_false(blocked_signals(main_task) & SIGNAL_BIT(SIGINT)); /* the caller's mask is back */
  swh_emulator_stop(e);
}

static void test_apps_are_generated_with_settings(void **state) {
  swh_emulator *e = start((swh_emulator_config){.apps = 3});
  response r = call("GET", BASIC, NULL, "%s/v1/projects/%s/apps", swh_emulator_url(e), PROJECT);
  assert_ok(&r);
  json_t *apps = json_object_get(r.json, "apps");
  assert_int_equal(json_array_size(apps), 3);
  assert_string_equal(json_string_value(json_object_get(json_array_get(apps, 0), "display_name")),
                      "App 1");
  assert_string_equal(json_string_value(json_object_get(json_array_get(apps, 2), "display_name")),
                      "App 3");
  json_t *app = json_array_get(apps, 1);
  assert_int_equal(strlen(json_string_value(json_object_get(app, "id"))), 26);
  assert_string_equal(json_string_value(json_object_get(app, "processing_mode")), "CONVERSATION");
  assert_int_equal(json_integer_value(json_object_get(
                       json_object_get(app, "retention_policy"), "ttl_days")), 180);
  response_free(&r);
  swh_emulator_stop(e);
}

/* ---- authentication ------------------------------------------------------------------ */

static void test_api_routes_need_credentials(void **state) {
  swh_emulator *e = start((swh_emulator_config){.apps = 1});
  const char *url = swh_emulator_url(e);
  response r = call("GET", NULL, NULL, "%s/v1/projects/%s/apps", url, PROJECT);
  assert_error(&r, 401, "UNAUTHENTICATED",
               "Missing credentials: send Authorization: Bearer <token> or Basic");
  response_free(&r);
  r = call("GET", "emulator-key:wrong", NULL, "%s/v1/projects/%s/apps", url, PROJECT);
  assert_error(&r, 401, "UNAUTHENTICATED", "Invalid credentials");
  response_free(&r);
  r = call("DELETE", "Bearer abc.def.ghi", NULL, "%s/v1/projects/%s/webhooks/X", url, PROJECT);
  assert_error(&r, 401, "UNAUTHENTICATED", "Invalid credentials");
  assert_string_equal(r.www_authenticate, "Bearer error=\"invalid_token\"");
  response_free(&r);
  /* a token signed by someone else */
  r = call("GET", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjk5OTk5OTk5OTl9.c2lnbmF0dXJl", NULL,
           "%s/v1/projects/%s/apps", url, PROJECT);
  assert_error(&r, 401, "UNAUTHENTICATED", "Invalid credentials");
  response_free(&r);
  swh_emulator_stop(e);
}

static void test_token_endpoint(void **state) {
  swh_emulator *e = start((swh_emulator_config){.apps = 1, .token_ttl = 120});
  const char *url = swh_emulator_url(e);
  response r = call("POST", "emulator-key:nope", "grant_type=client_credentials",
                    "%s/oauth2/token", url);
  assert_error(&r, 401, "UNAUTHENTICATED", "Invalid client credentials");
  response_free(&r);
  r = call("POST", NULL, "grant_type=client_credentials", "%s/oauth2/token", url);
  assert_error(&r, 401, "UNAUTHENTICATED",
               "Missing client credentials: send Authorization: Basic base64(key_id:key_secret)");
  response_free(&r);
  r = call("POST", BASIC, "grant_type=password", "%s/oauth2/token", url);
  assert_error(&r, 400, "INVALID_ARGUMENT",
               "grant_type: \"password\" is not supported (only client_credentials)");
  response_free(&r);
  r = call("POST", BASIC, "scope=", "%s/oauth2/token", url);
  assert_error(&r, 400, "INVALID_ARGUMENT",
               "grant_type: missing (expected client_credentials in a form-urlencoded body)");
  response_free(&r);
  r = call("POST", BASIC, "grant_type=client_credentials", "%s/oauth2/token", url);
  assert_ok(&r);
  assert_string_equal(json_string_value(json_object_get(r.json, "token_type")), "Bearer");
  assert_int_equal(json_integer_value(json_object_get(r.json, "expires_in")), 120);
  assert_string_equal(json_string_value(json_object_get(r.json, "scope")), "");
  const char *token = json_string_value(json_object_get(r.json, "access_token"));
  /* JWT-shaped: three base64url parts */
  const char *dot = strchr(token, '.');
  assert_non_null(dot);
  assert_non_null(strchr(dot + 1, '.'));
  char bearer[2048];
  snprintf(bearer, sizeof bearer, "Bearer %s", token);
  response_free(&r);
  r = call("GET", bearer, NULL, "%s/v1/projects/%s/apps", url, PROJECT);
  assert_ok(&r);
  response_free(&r);
  /* the form's client_id/client_secret are accepted too (RFC 6749 2.3.1) */
  r = call("POST", NULL,
           "grant_type=client_credentials&client_id=emulator-key&client_secret=emulator-secret",
           "%s/oauth2/token", url);
  assert_ok(&r);
  response_free(&r);
  /* ... and checked: a wrong secret, a secret one byte short, a wrong id are refused */
  static const char *const wrong_forms[] = {
      "grant_type=client_credentials&client_id=emulator-key&client_secret=emulator-secreT",
      "grant_type=client_credentials&client_id=emulator-key&client_secret=emulator-secre",
      "grant_type=client_credentials&client_id=emulator-kex&client_secret=emulator-secret",
  };
  for (size_t i = 0; i < sizeof wrong_forms / sizeof *wrong_forms; i++) {
    r = call("POST", NULL, wrong_forms[i], "%s/oauth2/token", url);
    assert_error(&r, 401, "UNAUTHENTICATED", "Invalid client credentials");
    response_free(&r);
  }
  swh_emulator_stop(e);
}

static void test_expired_tokens_are_401_with_www_authenticate(void **state) {
  swh_emulator *e = start((swh_emulator_config){.apps = 1});
  const char *url = swh_emulator_url(e);
  char *bearer = fetch_token(e);
  response r = call("GET", bearer, NULL, "%s/v1/projects/%s/apps", url, PROJECT);
  assert_ok(&r);
  response_free(&r);
  swh_emulator_expire_tokens(e);
  r = call("GET", bearer, NULL, "%s/v1/projects/%s/apps", url, PROJECT);
  assert_error(&r, 401, "UNAUTHENTICATED", NULL);
  assert_int_equal(strncmp(error_message(&r), "Jwt expired at 20", 17), 0);
  assert_int_equal(strlen(error_message(&r)), strlen("Jwt expired at 2024-07-08T22:12:28Z"));
  char expected[256];
  snprintf(expected, sizeof expected,
           "Bearer error=\"invalid_token\", error_description=\"%s\"", error_message(&r));
  assert_string_equal(r.www_authenticate, expected);
  response_free(&r);
  free(bearer);
  /* a new token works */
  bearer = fetch_token(e);
  r = call("GET", bearer, NULL, "%s/v1/projects/%s/apps", url, PROJECT);
  assert_ok(&r);
  response_free(&r);
  free(bearer);
  swh_emulator_stop(e);
}

static void test_token_ttl_ends_tokens(void **state) {
  swh_emulator *e = start((swh_emulator_config){.apps = 1, .token_ttl = 1});
  char *bearer = fetch_token(e);
  response r = call("GET", bearer, NULL, "%s/v1/projects/%s/apps", swh_emulator_url(e), PROJECT);
  assert_ok(&r);
  response_free(&r);
  sleep(2); /* a 1 s token lives between 1 and 2 s */
  usleep(100 * 1000);
  r = call("GET", bearer, NULL, "%s/v1/projects/%s/apps", swh_emulator_url(e), PROJECT);
  assert_error(&r, 401, "UNAUTHENTICATED", NULL);
  assert_non_null(strstr(r.www_authenticate, "Jwt expired at "));
  response_free(&r);
  free(bearer);
  swh_emulator_stop(e);
}

/* ---- webhooks ------------------------------------------------------------------------ */

static void test_create_get_list_delete(void **state) {
  swh_emulator *e = start((swh_emulator_config){.apps = 2});
  const char *url = swh_emulator_url(e);
  char app[64];
  snprintf(app, sizeof app, "%s", app_id(e, 0));
  response r = create_webhook(e, app, "https://example.com/hook",
                              "\"triggers\":[\"MESSAGE_INBOUND\",\"SMART_CONVERSATIONS\"],"
                              "\"secret\":\"s3cr3t\",\"future_field\":{\"keep\":[1,2]}");
  assert_ok(&r);
  json_t *created = json_incref(r.json);
  const char *id = json_string_value(json_object_get(created, "id"));
  assert_true(emu_ulid_valid(id));
  assert_string_equal(json_string_value(json_object_get(created, "app_id")), app);
  assert_string_equal(json_string_value(json_object_get(created, "target_type")), "HTTP");
  assert_string_equal(json_string_value(json_object_get(created, "secret")), "s3cr3t");
  assert_string_equal(
      json_string_value(json_array_get(json_object_get(created, "triggers"), 1)),
      "SMART_CONVERSATION");
  /* a field the API does not define is dropped (test_unknown_fields_are_dropped_kept_or_refused) */
  assert_null(json_object_get(created, "future_field"));
  response_free(&r);

  r = call("GET", BASIC, NULL, "%s/v1/projects/%s/webhooks/%s", url, PROJECT, id);
  assert_ok(&r);
  assert_true(json_equal(r.json, created));
  response_free(&r);

  r = call("GET", BASIC, NULL, "%s/v1/projects/%s/apps/%s/webhooks", url, PROJECT, app);
  assert_ok(&r);
  assert_int_equal(json_array_size(json_object_get(r.json, "webhooks")), 1);
  assert_true(json_equal(json_array_get(json_object_get(r.json, "webhooks"), 0), created));
  response_free(&r);
  r = call("GET", BASIC, NULL, "%s/v1/projects/%s/apps/%s/webhooks", url, PROJECT, app_id(e, 1));
  assert_ok(&r);
  assert_int_equal(json_array_size(json_object_get(r.json, "webhooks")), 0);
  response_free(&r);

  r = call("DELETE", BASIC, NULL, "%s/v1/projects/%s/webhooks/%s", url, PROJECT, id);
  assert_ok(&r);
  assert_string_equal(r.body, "{}");
  response_free(&r);
  r = call("GET", BASIC, NULL, "%s/v1/projects/%s/webhooks/%s", url, PROJECT, id);
  assert_error(&r, 404, "NOT_FOUND", "Webhook not found");
  response_free(&r);
  r = call("DELETE", BASIC, NULL, "%s/v1/projects/%s/webhooks/%s", url, PROJECT, id);
  assert_error(&r, 404, "NOT_FOUND", "Webhook not found");
  response_free(&r);
  r = call("GET", BASIC, NULL, "%s/v1/projects/%s/apps/NOAPP/webhooks", url, PROJECT);
  assert_error(&r, 404, "NOT_FOUND", "App not found");
  response_free(&r);
  json_decref(created);
  swh_emulator_stop(e);
}

/* A "%2F" in an id is part of the id, not a route separator; every segment is decoded. */
static void test_percent_encoded_segments_are_decoded_after_routing(void **state) {
  swh_emulator *e = start((swh_emulator_config){.apps = 1});
  const char *url = swh_emulator_url(e);
  char app[64];
  snprintf(app, sizeof app, "%s", app_id(e, 0));
  char *id = created_id(e, app, "https://example.com/encoded", NULL);
  const char *methods[] = {"GET", "PATCH", "DELETE"};
  for (size_t i = 0; i < 3; i++) {
    response r = call(methods[i], BASIC, i == 1 ? "{}" : NULL,
                      "%s/v1/projects/%s/webhooks/a%%2Fb%%3Fc%%20d", url, PROJECT);
    assert_error(&r, 404, "NOT_FOUND", "Webhook not found");
    response_free(&r);
  }
  response r = call("GET", BASIC, NULL, "%s/v1/projects/%s/apps/x%%2Fy/webhooks", url, PROJECT);
  assert_error(&r, 404, "NOT_FOUND", "App not found");
  response_free(&r);
  /* the decoded segment is what is looked up: the id with its first character encoded */
  r = call("GET", BASIC, NULL, "%s/v1/projects/%s/webhooks/%%%02X%s", url, PROJECT,
           (unsigned char)id[0], id + 1);
  assert_ok(&r);
  assert_string_equal(json_string_value(json_object_get(r.json, "id")), id);
  response_free(&r);
  r = call("GET", BASIC, NULL, "%s/v1/projects/%%65mulator-project/apps", url);
  assert_ok(&r);
  response_free(&r);
  /* a real separator still separates, and the 404 shows the path as sent */
  r = call("GET", BASIC, NULL, "%s/v1/projects/%s/webhooks/a/b%%2F", url, PROJECT);
  assert_error(&r, 404, "NOT_FOUND",
               "No such route: GET /v1/projects/" PROJECT "/webhooks/a/b%2F");
  response_free(&r);
  /* no id holds a NUL */
  r = call("GET", BASIC, NULL, "%s/v1/projects/%s/webhooks/a%%00b", url, PROJECT);
  assert_error(&r, 404, "NOT_FOUND", "No such route: GET /v1/projects/" PROJECT "/webhooks/a%00b");
  response_free(&r);
  free(id);
  swh_emulator_stop(e);
}

static void test_create_rules(void **state) {
  swh_emulator *e = start((swh_emulator_config){.apps = 1});
  const char *url = swh_emulator_url(e);
  char app[64];
  snprintf(app, sizeof app, "%s", app_id(e, 0));
  response r = create_webhook(e, "NOAPP", "https://example.com/a", NULL);
  assert_error(&r, 400, "INVALID_ARGUMENT",
               "webhook.app_id: no such app \"NOAPP\" in project \"" PROJECT "\"");
  response_free(&r);
  r = create_webhook(e, app, "https://conversation-api.eu.sinch.com/x", NULL);
  assert_error(&r, 400, "INVALID_ARGUMENT", NULL);
  assert_int_equal(strncmp(error_message(&r), "webhook.target: ", 16), 0);
  response_free(&r);
  r = create_webhook(e, app, "https://example.com/a", "\"triggers\":[\"UNSPECIFIED_TRIGGER\"]");
  assert_error(&r, 400, "INVALID_ARGUMENT", NULL);
  assert_int_equal(strncmp(error_message(&r), "webhook.triggers[0]", 19), 0);
  response_free(&r);
  r = create_webhook(e, app, "https://example.com/a", "\"triggers\":[\"OPT_IN\",\"OPT_IN\"]");
  assert_error(&r, 400, "INVALID_ARGUMENT",
               "webhook.triggers[1]: \"OPT_IN\" repeats webhook.triggers[0]");
  response_free(&r);
  r = create_webhook(e, app, "https://example.com/a", "\"id\":\"01ARZ3NDEKTSV4RRFFQ69G5FAV\"");
  assert_error(&r, 400, "INVALID_ARGUMENT",
               "webhook.id: must not be set when creating a webhook (the server assigns it)");
  response_free(&r);
  r = call("POST", BASIC, "{\"target\":\"https://example.com/a\"}", "%s/v1/projects/%s/webhooks",
           url, PROJECT);
  assert_error(&r, 400, "INVALID_ARGUMENT", "webhook.app_id: required");
  response_free(&r);
  r = call("POST", BASIC, "{\"app_id\":", "%s/v1/projects/%s/webhooks", url, PROJECT);
  assert_error(&r, 400, "INVALID_ARGUMENT", NULL);
  assert_int_equal(strncmp(error_message(&r), "request body: invalid JSON at line 1", 36), 0);
  response_free(&r);
  r = call("POST", BASIC, "[1,2]", "%s/v1/projects/%s/webhooks", url, PROJECT);
  assert_error(&r, 400, "INVALID_ARGUMENT", "request body: expected a JSON object");
  response_free(&r);
  r = call("POST", BASIC, "", "%s/v1/projects/%s/webhooks", url, PROJECT);
  assert_error(&r, 400, "INVALID_ARGUMENT", "request body: empty, expected a JSON object");
  response_free(&r);

  char *first = created_id(e, app, "https://example.com/1", NULL);
  r = create_webhook(e, app, "https://example.com/1", NULL);
  char expected[256];
  snprintf(expected, sizeof expected,
           "webhook.target: app \"%s\" already has a webhook with this target (%s)", app, first);
  assert_error(&r, 400, "INVALID_ARGUMENT", expected);
  response_free(&r);
  for (int i = 2; i <= SWH_WEBHOOKS_PER_APP; i++) {
    char target[64];
    snprintf(target, sizeof target, "https://example.com/%d", i);
    free(created_id(e, app, target, NULL));
  }
  r = create_webhook(e, app, "https://example.com/6", NULL);
  snprintf(expected, sizeof expected,
           "app \"%s\" already has 5 webhooks, the most an app can have", app);
  assert_error(&r, 400, "INVALID_ARGUMENT", expected);
  response_free(&r);
  json_t *snapshot = swh_emulator_snapshot(e);
  assert_int_equal(json_array_size(json_object_get(snapshot, "webhooks")), 5);
  json_decref(snapshot);
  free(first);
  swh_emulator_stop(e);
}

/* PATCH helper: query is appended as is ("" for none). */
static response patch(swh_emulator *e, const char *id, const char *query, const char *body) {
  return call("PATCH", BASIC, body, "%s/v1/projects/%s/webhooks/%s%s", swh_emulator_url(e),
              PROJECT, id, query);
}

static void test_update_mask_forms(void **state) {
  swh_emulator *e = start((swh_emulator_config){.apps = 1});
  char app[64];
  snprintf(app, sizeof app, "%s", app_id(e, 0));
  char *id = created_id(e, app, "https://example.com/u",
                        "\"secret\":\"old\",\"triggers\":[\"MESSAGE_INBOUND\"]");
  const char *change = "{\"target\":\"https://example.com/v\",\"secret\":\"new\","
                       "\"triggers\":[\"OPT_IN\"],\"target_type\":\"DISMISS\"}";
  /* comma-joined: only the masked fields change */
  response r = patch(e, id, "?update_mask=target,secret", change);
  assert_ok(&r);
  assert_string_equal(json_string_value(json_object_get(r.json, "target")), "https://example.com/v");
  assert_string_equal(json_string_value(json_object_get(r.json, "secret")), "new");
  assert_string_equal(json_string_value(json_array_get(json_object_get(r.json, "triggers"), 0)),
                      "MESSAGE_INBOUND");
  assert_string_equal(json_string_value(json_object_get(r.json, "target_type")), "HTTP");
  response_free(&r);
  /* repeated */
  r = patch(e, id, "?update_mask=triggers&update_mask=target_type", change);
  assert_ok(&r);
  assert_string_equal(json_string_value(json_array_get(json_object_get(r.json, "triggers"), 0)),
                      "OPT_IN");
  assert_string_equal(json_string_value(json_object_get(r.json, "target_type")), "DISMISS");
  response_free(&r);
  /* percent-encoded, name and value alike */
  r = patch(e, id, "?update%5Fmask=triggers%2Ctarget_type", change);
  assert_ok(&r);
  assert_string_equal(json_string_value(json_object_get(r.json, "target_type")), "DISMISS");
  response_free(&r);
  /* update_mask.paths repeated */
  r = patch(e, id, "?update_mask.paths=secret&update_mask.paths=triggers",
            "{\"secret\":\"third\",\"triggers\":[\"CAPABILITY\",\"OPT_OUT\"]}");
  assert_ok(&r);
  assert_string_equal(json_string_value(json_object_get(r.json, "secret")), "third");
  assert_int_equal(json_array_size(json_object_get(r.json, "triggers")), 2);
  response_free(&r);
  /* no mask: exactly the fields present (an unknown one dropped) */
  r = patch(e, id, "", "{\"target_type\":\"HTTP\",\"x_new\":true}");
  assert_ok(&r);
  assert_string_equal(json_string_value(json_object_get(r.json, "target_type")), "HTTP");
  assert_null(json_object_get(r.json, "x_new"));
  assert_string_equal(json_string_value(json_object_get(r.json, "secret")), "third");
  response_free(&r);
  /* unknown mask path, and id */
  r = patch(e, id, "?update_mask=targets", "{}");
  assert_error(&r, 400, "INVALID_ARGUMENT", NULL);
  assert_int_equal(strncmp(error_message(&r), "update_mask: unknown field \"targets\"", 36), 0);
  response_free(&r);
  r = patch(e, id, "?update_mask=id", "{\"id\":\"X\"}");
  assert_error(&r, 400, "INVALID_ARGUMENT", NULL);
  assert_int_equal(strncmp(error_message(&r), "update_mask: \"id\" is read-only", 30), 0);
  response_free(&r);
  r = patch(e, id, "", "{\"id\":\"01ARZ3NDEKTSV4RRFFQ69G5FAV\"}");
  assert_error(&r, 400, "INVALID_ARGUMENT", "webhook.id: read-only, it cannot be changed");
  response_free(&r);
  r = patch(e, id, "?update_mask=%ff", "{}");
  assert_error(&r, 400, "INVALID_ARGUMENT", "update_mask: not valid UTF-8");
  response_free(&r);
  r = patch(e, id, "?update_mask=target", "{}");
  assert_error(&r, 400, "INVALID_ARGUMENT",
               "webhook.target: named in update_mask but missing from the body");
  response_free(&r);
  r = patch(e, id, "?update_mask=target", "{\"target\":\"https://conversation-api.us.sinch.com/\"}");
  assert_error(&r, 400, "INVALID_ARGUMENT", NULL);
  assert_int_equal(strncmp(error_message(&r), "webhook.target: the host ", 25), 0);
  response_free(&r);
  r = patch(e, "01ARZ3NDEKTSV4RRFFQ69G5FAV", "?update_mask=secret", "{\"secret\":\"a\"}");
  assert_error(&r, 404, "NOT_FOUND", "Webhook not found");
  response_free(&r);
  /* nothing above changed it */
  r = call("GET", BASIC, NULL, "%s/v1/projects/%s/webhooks/%s", swh_emulator_url(e), PROJECT, id);
  assert_string_equal(json_string_value(json_object_get(r.json, "target")), "https://example.com/v");
  response_free(&r);
  free(id);
  swh_emulator_stop(e);
}

/* A mask naming secret (or client_credentials) with the field absent from the body resets
   it, as a Google-style field mask does: the secret is cleared, not refused with a 400. */
static void test_update_mask_naming_an_absent_secret_clears_it(void **state) {
  swh_emulator *e = start((swh_emulator_config){.apps = 1});
  char app[64];
  snprintf(app, sizeof app, "%s", app_id(e, 0));
  char *id = created_id(e, app, "https://example.com/m",
                        "\"secret\":\"s\",\"triggers\":[\"OPT_IN\"],\"client_credentials\":"
                        "{\"client_id\":\"c\",\"client_secret\":\"cs\","
                        "\"endpoint\":\"https://auth.example.com/t\"}");
  response r = patch(e, id, "?update_mask=secret", "{}");
  assert_ok(&r);
  assert_null(json_object_get(r.json, "secret"));
  assert_non_null(json_object_get(r.json, "client_credentials"));
  assert_string_equal(json_string_value(json_array_get(json_object_get(r.json, "triggers"), 0)),
                      "OPT_IN");
  response_free(&r);
  r = patch(e, id, "?update_mask=clientCredentials", "{\"target\":\"https://example.com/x\"}");
  assert_ok(&r);
  assert_null(json_object_get(r.json, "client_credentials"));
  assert_string_equal(json_string_value(json_object_get(r.json, "target")), "https://example.com/m");
  response_free(&r);
  json_t *snapshot = swh_emulator_snapshot(e);
  json_t *stored = json_array_get(json_object_get(snapshot, "webhooks"), 0);
  assert_null(json_object_get(stored, "secret"));
  assert_null(json_object_get(stored, "client_credentials"));
  json_decref(snapshot);
  free(id);
  swh_emulator_stop(e);
}

/* Fields the API does not define, in a create or update: dropped by default, kept or
   refused by flag; those a seed held are the emulated API's own and always kept. */
static void test_unknown_fields_are_dropped_kept_or_refused(void **state) {
  json_t *seed = json_loads(
      "{\"apps\":[{\"id\":\"A\"}],\"webhooks\":[{\"id\":\"01ARZ3NDEKTSV4RRFFQ69G5FAV\","
      "\"app_id\":\"A\",\"target\":\"https://example.com/s\",\"future_field\":{\"n\":1}}]}",
      0, NULL);
  assert_non_null(seed);
  const char *extra = "\"signing_secret\":\"x\",\"future_field\":2,\"client_credentials\":"
                      "{\"client_id\":\"c\",\"client_secret\":\"cs\",\"endpoint\":"
                      "\"https://auth.example.com/t\",\"audience\":\"a\"}";
  /* drop (the default) */
  swh_emulator *e = start((swh_emulator_config){.seed = seed});
  response r = create_webhook(e, "A", "https://example.com/d", extra);
  assert_ok(&r);
  assert_null(json_object_get(r.json, "signing_secret"));
  assert_null(json_object_get(json_object_get(r.json, "client_credentials"), "audience"));
  assert_string_equal(json_string_value(json_object_get(json_object_get(r.json,
                                                        "client_credentials"), "client_id")), "c");
  assert_int_equal(json_integer_value(json_object_get(r.json, "future_field")), 2); /* seeded */
  char *id = strdup(json_string_value(json_object_get(r.json, "id")));
  response_free(&r);
  r = patch(e, id, "", "{\"signing_secret\":\"y\",\"target\":\"https://example.com/d2\"}");
  assert_ok(&r);
  assert_null(json_object_get(r.json, "signing_secret"));
  assert_string_equal(json_string_value(json_object_get(r.json, "target")),
                      "https://example.com/d2");
  response_free(&r);
  free(id);
  swh_emulator_stop(e);
  /* keep */
  e = start((swh_emulator_config){.seed = seed, .unknown_fields = SWH_EMULATOR_UNKNOWN_KEEP});
  r = create_webhook(e, "A", "https://example.com/k", extra);
  assert_ok(&r);
  assert_string_equal(json_string_value(json_object_get(r.json, "signing_secret")), "x");
  assert_string_equal(json_string_value(json_object_get(json_object_get(r.json,
                                                        "client_credentials"), "audience")), "a");
  response_free(&r);
  swh_emulator_stop(e);
  /* refuse: the first unknown field named; a seeded one passes */
  e = start((swh_emulator_config){.seed = seed, .unknown_fields = SWH_EMULATOR_UNKNOWN_REFUSE});
  r = create_webhook(e, "A", "https://example.com/r", extra);
  assert_error(&r, 400, "INVALID_ARGUMENT",
               "webhook.signing_secret: unknown field (the API defines id, app_id, target, "
               "target_type, secret, triggers, client_credentials)");
  response_free(&r);
  r = create_webhook(e, "A", "https://example.com/r", "\"future_field\":3,\"client_credentials\":"
                     "{\"client_id\":\"c\",\"client_secret\":\"cs\",\"endpoint\":"
                     "\"https://auth.example.com/t\",\"audience\":\"a\"}");
  assert_error(&r, 400, "INVALID_ARGUMENT",
               "webhook.client_credentials.audience: unknown field (the API defines client_id, "
               "client_secret, endpoint, scope, response_type, token_request_type)");
  response_free(&r);
  r = create_webhook(e, "A", "https://example.com/r", "\"future_field\":3");
  assert_ok(&r);
  response_free(&r);
  swh_emulator_stop(e);
  json_decref(seed);
}

/* Enum values beyond API.md that the seed held (read from a live API: a newer
   token_request_type, a legacy target_type) are the emulated API's own: a read-modify-write
   sending them back passes; a value nobody has seen is refused. */
static void test_enum_values_a_seed_held_pass(void **state) {
  json_t *seed = json_loads(
      "{\"apps\":[{\"id\":\"A\"}],\"webhooks\":[{\"id\":\"01ARZ3NDEKTSV4RRFFQ69G5FAV\","
      "\"app_id\":\"A\",\"target\":\"https://example.com/s\",\"target_type\":\"GRPC\","
      "\"client_credentials\":{\"client_id\":\"c\",\"client_secret\":\"cs\",\"endpoint\":"
      "\"https://auth.example.com/t\",\"token_request_type\":\"JWT\"}}]}",
      0, NULL);
  assert_non_null(seed);
  swh_emulator *e = start((swh_emulator_config){.seed = seed});
  response r = patch(e, "01ARZ3NDEKTSV4RRFFQ69G5FAV", "?update_mask=client_credentials",
                     "{\"client_credentials\":{\"client_id\":\"c\",\"client_secret\":\"new\","
                     "\"endpoint\":\"https://auth.example.com/t\",\"token_request_type\":\"JWT\"}}");
  assert_ok(&r);
  assert_string_equal(json_string_value(json_object_get(json_object_get(r.json,
                      "client_credentials"), "token_request_type")), "JWT");
  assert_string_equal(json_string_value(json_object_get(r.json, "target_type")), "GRPC");
  response_free(&r);
  r = patch(e, "01ARZ3NDEKTSV4RRFFQ69G5FAV", "?update_mask=target_type",
            "{\"target_type\":\"WEBSOCKET\"}");
  assert_error(&r, 400, "INVALID_ARGUMENT",
               "webhook.target_type: must be \"HTTP\" or \"DISMISS\", got \"WEBSOCKET\"");
  response_free(&r);
  swh_emulator_stop(e);
  json_decref(seed);
}

static void test_update_clears_secret_and_client_credentials(void **state) {
  swh_emulator *e = start((swh_emulator_config){.apps = 1});
  char app[64];
  snprintf(app, sizeof app, "%s", app_id(e, 0));
  char *id = created_id(e, app, "https://example.com/c",
                        "\"secret\":\"s\",\"client_credentials\":{\"client_id\":\"c\","
                        "\"client_secret\":\"cs\",\"endpoint\":\"https://auth.example.com/t\"}");
  response r = patch(e, id, "?update_mask=secret,client_credentials",
                     "{\"secret\":\"\",\"client_credentials\":null}");
  assert_ok(&r);
  assert_null(json_object_get(r.json, "secret"));
  assert_null(json_object_get(r.json, "client_credentials"));
  assert_string_equal(json_string_value(json_object_get(r.json, "target")), "https://example.com/c");
  response_free(&r);
  json_t *snapshot = swh_emulator_snapshot(e);
  json_t *stored = json_array_get(json_object_get(snapshot, "webhooks"), 0);
  assert_null(json_object_get(stored, "secret"));
  assert_null(json_object_get(stored, "client_credentials"));
  json_decref(snapshot);
  free(id);
  swh_emulator_stop(e);
}

static void test_update_moves_between_apps_under_their_limits(void **state) {
  swh_emulator *e = start((swh_emulator_config){.apps = 2});
  char a[64], b[64], query[128], body[256], expected[256];
  snprintf(a, sizeof a, "%s", app_id(e, 0));
  snprintf(b, sizeof b, "%s", app_id(e, 1));
  char *mover = created_id(e, a, "https://example.com/same", NULL);
  char *other = created_id(e, b, "https://example.com/same", NULL);
  snprintf(query, sizeof query, "?update_mask=app_id");
  snprintf(body, sizeof body, "{\"app_id\":\"%s\"}", b);
  response r = patch(e, mover, query, body);
  snprintf(expected, sizeof expected,
           "webhook.target: app \"%s\" already has a webhook with this target (%s)", b, other);
  assert_error(&r, 400, "INVALID_ARGUMENT", expected);
  response_free(&r);
  r = patch(e, mover, query, "{\"app_id\":\"NOAPP\"}");
  assert_error(&r, 400, "INVALID_ARGUMENT",
               "webhook.app_id: no such app \"NOAPP\" in project \"" PROJECT "\"");
  response_free(&r);
  for (int i = 2; i <= SWH_WEBHOOKS_PER_APP; i++) {
    char target[64];
    snprintf(target, sizeof target, "https://example.com/b%d", i);
    free(created_id(e, b, target, NULL));
  }
  snprintf(body, sizeof body, "{\"app_id\":\"%s\",\"target\":\"https://example.com/moved\"}", b);
  r = patch(e, mover, "?update_mask=app_id,target", body);
  snprintf(expected, sizeof expected,
           "app \"%s\" already has 5 webhooks, the most an app can have", b);
  assert_error(&r, 400, "INVALID_ARGUMENT", expected);
  response_free(&r);
  /* make room, then the move works */
  r = call("DELETE", BASIC, NULL, "%s/v1/projects/%s/webhooks/%s", swh_emulator_url(e), PROJECT,
           other);
  assert_ok(&r);
  response_free(&r);
  r = patch(e, mover, "?update_mask=app_id,target", body);
  assert_ok(&r);
  assert_string_equal(json_string_value(json_object_get(r.json, "app_id")), b);
  assert_string_equal(json_string_value(json_object_get(r.json, "id")), mover);
  response_free(&r);
  /* staying in a full app is not joining it */
  r = patch(e, mover, "?update_mask=secret", "{\"secret\":\"k\"}");
  assert_ok(&r);
  response_free(&r);
  free(mover);
  free(other);
  swh_emulator_stop(e);
}

/* ---- limits -------------------------------------------------------------------------- */

static void test_bodies_over_1_mib_are_413(void **state) {
  swh_emulator *e = start((swh_emulator_config){.apps = 1});
  size_t size = 2 * 1024 * 1024;
  char *big = malloc(size + 1);
  assert_non_null(big);
  memset(big, ' ', size);
  big[0] = '{';
  big[size - 1] = '}';
  big[size] = '\0';
  response r = call("POST", BASIC, big, "%s/v1/projects/%s/webhooks", swh_emulator_url(e), PROJECT);
  assert_error(&r, 413, "INVALID_ARGUMENT", "request body: larger than 1048576 bytes (1 MiB)");
  response_free(&r);

  /* chunked: no Content-Length, so the size shows only while reading */
  memset(&r, 0, sizeof r);
  CURL *curl = curl_easy_init();
  char url[256];
  snprintf(url, sizeof url, "%s/v1/projects/%s/webhooks", swh_emulator_url(e), PROJECT);
  struct curl_slist *headers = prepare(curl, &r, "POST", url, BASIC, big, NULL);
  headers = curl_slist_append(headers, "Transfer-Encoding: chunked");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, -1L);
  r.code = curl_easy_perform(curl);
  finish(curl, &r);
  assert_error(&r, 413, "INVALID_ARGUMENT", "request body: larger than 1048576 bytes (1 MiB)");
  response_free(&r);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  free(big);
  swh_emulator_stop(e);
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_project_rate_limit_is_429_with_retry_after(void **state) {
  /* 1/s: a burst of one, so the second request within the second is refused */
  swh_emulator *e = start((swh_emulator_config){.apps = 1, .rate_limit = 1});
  double t0 = now_seconds();
  response r = call("GET", BASIC, NULL, "%s/v1/projects/%s/apps", swh_emulator_url(e), PROJECT);
  assert_ok(&r);
  response_free(&r);
  r = call("GET", BASIC, NULL, "%s/v1/projects/%s/apps", swh_emulator_url(e), PROJECT);
  if (now_seconds() - t0 < 0.9) { /* always, unless the machine stalled for a second */
    assert_error(&r, 429, "RESOURCE_EXHAUSTED", "Too many requests for project \"" PROJECT "\"");
    assert_string_equal(r.retry_after, "1");
  }
  response_free(&r);
  usleep(1100 * 1000);
  r = call("GET", BASIC, NULL, "%s/v1/projects/%s/apps", swh_emulator_url(e), PROJECT);
  assert_ok(&r);
  response_free(&r);
  swh_emulator_stop(e);
}

/* Basic auth has its own, tighter limit within the project's; OAuth2 requests are not held
   by it. With no_retry_after, the 429s come without Retry-After. */
static void test_basic_auth_is_limited_more_tightly(void **state) {
  for (int without = 0; without < 2; without++) {
    swh_emulator *e = start((swh_emulator_config){.apps = 1, .basic_rate_limit = 1,
                                                  .no_retry_after = without});
    char *bearer = fetch_token(e);
    double t0 = now_seconds();
    response r = call("GET", BASIC, NULL, "%s/v1/projects/%s/apps", swh_emulator_url(e), PROJECT);
    assert_ok(&r);
    response_free(&r);
    r = call("GET", BASIC, NULL, "%s/v1/projects/%s/apps", swh_emulator_url(e), PROJECT);
    if (now_seconds() - t0 < 0.9) { /* always, unless the machine stalled for a second */
      assert_error(&r, 429, "RESOURCE_EXHAUSTED",
                   "Too many requests with Basic authentication for project \"" PROJECT
                   "\" (OAuth2 is limited less)");
      assert_string_equal(r.retry_after, without ? "" : "1");
    }
    response_free(&r);
    for (int i = 0; i < 5; i++) {
      r = call("GET", bearer, NULL, "%s/v1/projects/%s/apps", swh_emulator_url(e), PROJECT);
      assert_ok(&r);
      response_free(&r);
    }
    free(bearer);
    swh_emulator_stop(e);
  }
}

/* GET …/apps/{id}: the app as the list shows it, with the fields the Node SDK's AppResponse
   models; 404 for another id. */
static void test_get_app(void **state) {
  swh_emulator *e = start((swh_emulator_config){.apps = 2});
  char app[64];
  snprintf(app, sizeof app, "%s", app_id(e, 1));
  response r = call("GET", BASIC, NULL, "%s/v1/projects/%s/apps/%s", swh_emulator_url(e),
                    PROJECT, app);
  assert_ok(&r);
  assert_string_equal(json_string_value(json_object_get(r.json, "id")), app);
  assert_string_equal(json_string_value(json_object_get(r.json, "display_name")), "App 2");
  assert_int_equal(json_integer_value(json_object_get(json_object_get(r.json, "queue_stats"),
                                                      "outbound_limit")), 500000);
  assert_true(json_is_false(json_object_get(json_object_get(r.json, "persist_message_status"),
                                            "enabled")));
  assert_true(json_is_false(json_object_get(json_object_get(r.json, "message_search"),
                                            "enabled")));
  assert_non_null(json_object_get(json_object_get(r.json, "callback_settings"),
                                  "secret_for_overridden_callback_urls"));
  response_free(&r);
  r = call("GET", BASIC, NULL, "%s/v1/projects/%s/apps/NONE", swh_emulator_url(e), PROJECT);
  assert_error(&r, 404, "NOT_FOUND", "App not found");
  response_free(&r);
  r = call("DELETE", BASIC, NULL, "%s/v1/projects/%s/apps/%s", swh_emulator_url(e), PROJECT,
           app);
  assert_int_equal(r.status, 501);
  response_free(&r);
  swh_emulator_stop(e);
}

/* --error-form flat: the same error without its {"error":…} wrapper. */
static void test_flat_error_form(void **state) {
  swh_emulator *e = start((swh_emulator_config){.apps = 1, .flat_errors = true});
  response r = call("GET", BASIC, NULL, "%s/v1/projects/%s/webhooks/NONE", swh_emulator_url(e),
                    PROJECT);
  assert_int_equal(r.status, 404);
  json_t *expected = json_pack("{s:i,s:s,s:s,s:[]}", "code", 404, "message", "Webhook not found",
                               "status", "NOT_FOUND", "details");
  assert_true(json_equal(r.json, expected));
  json_decref(expected);
  response_free(&r);
  r = call("GET", BASIC, NULL, "%s/v1/projects/%s/apps", swh_emulator_url(e), PROJECT);
  assert_ok(&r); /* answers that are not errors are as they were */
  assert_non_null(json_object_get(r.json, "apps"));
  response_free(&r);
  swh_emulator_stop(e);
}

static void test_token_endpoint_rate_limit_has_no_retry_after(void **state) {
  swh_emulator *e = start((swh_emulator_config){.apps = 1});
  int ok = 0, limited = 0, first_ok = 0;
  char retry_after[32] = "unset";
  double t0 = now_seconds();
  for (int i = 0; i < 45; i++) {
    response r = call("POST", BASIC, "grant_type=client_credentials", "%s/oauth2/token",
                      swh_emulator_url(e));
    if (r.status == 200) {
      ok++;
      first_ok += i < 30;
    } else {
      if (!limited++)
        snprintf(retry_after, sizeof retry_after, "%s", r.retry_after);
      assert_error(&r, 429, "RESOURCE_EXHAUSTED", "Too many token requests");
    }
    response_free(&r);
  }
  double elapsed = now_seconds() - t0;
  assert_int_equal(first_ok, 30); /* the burst */
  /* beyond the burst, only what 10/s refilled meanwhile */
  assert_true(ok <= 30 + (int)(elapsed * 10) + 1);
  if (elapsed < 1.0) {
    assert_true(limited >= 45 - 30 - 11);
    assert_string_equal(retry_after, "");
  }
  swh_emulator_stop(e);
}

/* ---- faults -------------------------------------------------------------------------- */

static void test_faults_spec_errors(void **state) {
  const char *specs[] = {"boom=0.1", "500=2", "500", "drop=0.6,lost=0.6"};
  const char *messages[] = {
      "--faults: unknown fault \"boom\" (known: 500, 503, 429, 429ra, drop, lost)",
      "--faults: 500: probability \"2\" is not a number from 0 to 1",
      "--faults: \"500\" is not KIND=PROBABILITY",
      "--faults: the probabilities add up to 1.2, more than 1",
  };
  for (size_t i = 0; i < 4; i++) {
    swh_error err;
    swh_error_init(&err);
    swh_emulator_config config = {.faults = specs[i], .quiet = true};
    assert_null(swh_emulator_start(&config, &err));
    assert_int_equal(err.kind, SWH_ERR_USAGE);
    assert_string_equal(err.message, messages[i]);
    swh_error_clear(&err);
  }
}

static void test_each_fault_kind(void **state) {
  struct {
    const char *spec;
    long status;
    const char *api_status;
    const char *message;
    const char *retry_after;
    bool dropped;
    size_t stored;
  } cases[] = {
      {"500=1", 500, "INTERNAL", "Internal error (injected by --faults)", "", false, 0},
      {"503=1", 503, "UNAVAILABLE", "Service unavailable (injected by --faults)", "", false, 0},
      {"429=1", 429, "RESOURCE_EXHAUSTED", "Too many requests (injected by --faults)", "", false,
       0},
      {"429ra=1", 429, "RESOURCE_EXHAUSTED", "Too many requests (injected by --faults)", "1",
       false, 0},
      {"drop=1", 0, NULL, NULL, NULL, true, 0},
      {"lost=1", 0, NULL, NULL, NULL, true, 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    swh_emulator *e = start((swh_emulator_config){.apps = 1, .faults = cases[i].spec});
    /* the token endpoint is not subject to faults */
    free(fetch_token(e));
    response r = create_webhook(e, app_id(e, 0), "https://example.com/f", NULL);
    if (cases[i].dropped) {
      assert_int_equal(r.code, CURLE_GOT_NOTHING);
    } else {
      assert_error(&r, cases[i].status, cases[i].api_status, cases[i].message);
      assert_string_equal(r.retry_after, cases[i].retry_after);
    }
    response_free(&r);
    json_t *snapshot = swh_emulator_snapshot(e);
    assert_int_equal(json_array_size(json_object_get(snapshot, "webhooks")), cases[i].stored);
    json_decref(snapshot);
    swh_emulator_stop(e);
  }
}

/* The outcomes of n requests as a string of letters, one per request. */
static void fault_sequence(unsigned seed, char *out, int n) {
  swh_emulator *e = start((swh_emulator_config){
      .apps = 1, .seed_random = seed,
      .faults = "500=0.1,503=0.1,429=0.1,429ra=0.1,drop=0.1,lost=0.1"});
  for (int i = 0; i < n; i++) {
    response r = call("GET", BASIC, NULL, "%s/v1/projects/%s/apps", swh_emulator_url(e), PROJECT);
    out[i] = r.code != CURLE_OK ? 'x'
             : r.status == 200  ? '.'
             : r.status == 429  ? (r.retry_after[0] ? 'R' : 'r')
             : r.status == 500  ? '5'
             : r.status == 503  ? '3'
                                : '?';
    response_free(&r);
  }
  out[n] = '\0';
  swh_emulator_stop(e);
}

static void test_faults_are_deterministic_for_a_seed(void **state) {
  char first[61], again[61], other[61];
  fault_sequence(42, first, 60);
  fault_sequence(42, again, 60);
  fault_sequence(43, other, 60);
  assert_string_equal(first, again);
  assert_string_not_equal(first, other);
  /* every kind shows up with these odds in 60 draws, and so do plain answers */
  for (const char *kind = ".x5r3R"; *kind; kind++)
    assert_non_null(strchr(first, *kind));
  assert_null(strchr(first, '?'));
}

/* ---- state and seeds ---------------------------------------------------------------- */

/* Removes a state file and its log, then dir if given. */
static void remove_state(const char *dir, const char *path) {
  char log[300];
  snprintf(log, sizeof log, "%s.log", path);
  unlink(path);
  unlink(log);
  if (dir)
    assert_int_equal(rmdir(dir), 0);
}

static void test_state_persists_across_restarts(void **state) {
  char dir[] = "/tmp/swh-emulator-test-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char path[256];
  snprintf(path, sizeof path, "%s/state.json", dir);
  swh_emulator *e = start((swh_emulator_config){.apps = 2, .state_file = path});
  char app[64];
  snprintf(app, sizeof app, "%s", app_id(e, 1));
  char *id = created_id(e, app, "https://example.com/p", "\"secret\":\"kept\",\"z\":[]");
  json_t *before = swh_emulator_snapshot(e);
  swh_emulator_stop(e);

  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);

  /* --apps is ignored when the state exists */
  e = start((swh_emulator_config){.apps = 7, .state_file = path});
  json_t *after = swh_emulator_snapshot(e);
  assert_true(json_equal(before, after));
  response r = call("GET", BASIC, NULL, "%s/v1/projects/%s/webhooks/%s", swh_emulator_url(e),
                    PROJECT, id);
  assert_ok(&r);
  assert_string_equal(json_string_value(json_object_get(r.json, "secret")), "kept");
  response_free(&r);
  r = call("DELETE", BASIC, NULL, "%s/v1/projects/%s/webhooks/%s", swh_emulator_url(e), PROJECT, id);
  assert_ok(&r);
  response_free(&r);
  swh_emulator_stop(e);
  e = start((swh_emulator_config){.state_file = path});
  json_t *saved = swh_emulator_snapshot(e);
  swh_emulator_stop(e);
  assert_int_equal(json_array_size(json_object_get(saved, "webhooks")), 0);
  assert_int_equal(json_array_size(json_object_get(saved, "apps")), 2);
  json_decref(saved);
  json_decref(before);
  json_decref(after);
  free(id);
  remove_state(dir, path);
}

/* A token issued before a restart on the same state works after it: the key that signs
   tokens is kept in the state file (not in the snapshot anyone can take). Without a state
   file each emulator has its own key. */
static void test_tokens_outlive_a_restart_on_the_same_state(void **state) {
  char dir[] = "/tmp/swh-emulator-test-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char path[256];
  snprintf(path, sizeof path, "%s/state.json", dir);
  swh_emulator *e = start((swh_emulator_config){.apps = 1, .state_file = path});
  char *bearer = fetch_token(e);
  swh_emulator_stop(e);
  e = start((swh_emulator_config){.apps = 1, .state_file = path});
  response r = call("GET", bearer, NULL, "%s/v1/projects/%s/apps", swh_emulator_url(e), PROJECT);
  assert_ok(&r);
  response_free(&r);
  json_t *snapshot = swh_emulator_snapshot(e);
  assert_null(json_object_get(snapshot, "swh_emulator"));
  json_decref(snapshot);
  swh_emulator_stop(e);
  json_t *saved = json_load_file(path, 0, NULL);
  const char *key = json_string_value(
      json_object_get(json_object_get(saved, "swh_emulator"), "token_key"));
  assert_non_null(key);
  assert_int_equal(strlen(key), 64);
  json_decref(saved);
  /* another state, another key */
  char other[256];
  snprintf(other, sizeof other, "%s/other.json", dir);
  e = start((swh_emulator_config){.apps = 1, .state_file = other});
  r = call("GET", bearer, NULL, "%s/v1/projects/%s/apps", swh_emulator_url(e), PROJECT);
  assert_error(&r, 401, "UNAUTHENTICATED", "Invalid credentials");
  response_free(&r);
  swh_emulator_stop(e);
  remove_state(NULL, other);
  free(bearer);
  /* without a state file, tokens die with the emulator */
  e = start((swh_emulator_config){.apps = 1});
  bearer = fetch_token(e);
  swh_emulator_stop(e);
  e = start((swh_emulator_config){.apps = 1});
  r = call("GET", bearer, NULL, "%s/v1/projects/%s/apps", swh_emulator_url(e), PROJECT);
  assert_error(&r, 401, "UNAUTHENTICATED", "Invalid credentials");
  response_free(&r);
  swh_emulator_stop(e);
  free(bearer);
  remove_state(dir, path);
}

/* The path of the swh-emulator built beside this test (BUILD/spec/c/test_emulator). */
static void emulator_executable(char *out, size_t size) {
  char self[1024];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  assert_true(n > 0);
  self[n] = '\0';
  for (int up = 0; up < 3; up++)
    *strrchr(self, '/') = '\0';
  snprintf(out, size, "%s/swh-emulator", self);
  assert_int_equal(access(out, X_OK), 0);
}

static void test_state_file_in_a_missing_directory_is_named(void **state) {
  swh_error err;
  swh_error_init(&err);
  swh_emulator_config config = {.apps = 1, .quiet = true,
                                .state_file = "/nonexistent-swh-dir/x.json"};
  assert_null(swh_emulator_start(&config, &err));
  assert_int_equal(err.kind, SWH_ERR_USAGE);
  assert_string_equal(err.message, "/nonexistent-swh-dir/x.json: cannot write in "
                                   "/nonexistent-swh-dir: No such file or directory");
  swh_error_clear(&err);

  /* the command line names the flag */
  char executable[1100], command[1300], line[512] = "";
  emulator_executable(executable, sizeof executable);
  snprintf(command, sizeof command, "'%s' --state /nonexistent-swh-dir/x.json 2>&1", executable);
  FILE *output = popen(command, "r");
  assert_non_null(output);
  assert_non_null(fgets(line, sizeof line, output));
  int status = pclose(output);
  assert_string_equal(line, "swh-emulator: --state /nonexistent-swh-dir/x.json: cannot write "
                            "in /nonexistent-swh-dir: No such file or directory\n");
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 2);
}

/* ---- the state file under kill -9 ---------------------------------------------------- */

typedef struct child {
  pid_t pid;
  char url[64];
} child;

/* Starts the swh-emulator executable on the state file, its stderr to err_path, and waits
   for the URL it prints. */
static child spawn_emulator(const char *state_path, const char *err_path) {
  char executable[1100];
  emulator_executable(executable, sizeof executable);
  int out[2];
  assert_int_equal(pipe(out), 0);
  child c = {0};
  c.pid = fork();
  assert_true(c.pid >= 0);
  if (c.pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    FILE *err = freopen(err_path, "a", stderr);
    (void)err;
    close(out[0]);
    execl(executable, executable, "--port", "0", "-q", "--apps", "450", "--rate-limit", "-1",
          "--basic-rate-limit", "-1", "--state", state_path, (char *)NULL);
    _exit(127);
  }
  close(out[1]);
  FILE *lines = fdopen(out[0], "r");
  char line[256] = "";
  assert_non_null(fgets(line, sizeof line, lines));
  fclose(lines);
  assert_int_equal(sscanf(line, "swh-emulator listening on %63s", c.url), 1);
  return c;
}

static void kill_hard(child *c) {
  kill(c->pid, SIGKILL);
  int status;
  assert_int_equal(waitpid(c->pid, &status, 0), c->pid);
}

#define KILL_APPS 400
#define KILL_CREATES 1200 /* 3 webhooks in each of 400 apps */
#define KILL_UPDATES 600
#define KILL_DELETES 300
#define KILL_CHANGES (KILL_CREATES + KILL_UPDATES + KILL_DELETES)

typedef struct modelled {
  char id[EMU_ULID_LEN + 1];
  char target[96];
  bool present;
} modelled;

/* Change number n of the run: creates, then updates of the first 600 (each updated once),
   then deletes of the last 300 (never updated). Fills method, url and body. */
static void change(int n, modelled *model, json_t *apps, const char *base, char *method,
                   char *url, char *body, size_t size) {
  if (n < KILL_CREATES) {
    snprintf(model[n].target, sizeof model[n].target, "https://example.com/k/%d", n);
    strcpy(method, "POST");
    snprintf(url, size, "%s/v1/projects/%s/webhooks", base, PROJECT);
    snprintf(body, size, "{\"app_id\":\"%s\",\"target\":\"%s\",\"secret\":\"s%d\"}",
             json_string_value(json_object_get(json_array_get(apps, (size_t)n % KILL_APPS), "id")),
             model[n].target, n);
  } else if (n < KILL_CREATES + KILL_UPDATES) {
    int w = n - KILL_CREATES;
    strcpy(method, "PATCH");
    snprintf(url, size, "%s/v1/projects/%s/webhooks/%s", base, PROJECT, model[w].id);
    snprintf(body, size, "{\"target\":\"https://example.com/k/%d?updated\"}", w);
  } else {
    int w = KILL_CREATES - 1 - (n - KILL_CREATES - KILL_UPDATES);
    strcpy(method, "DELETE");
    snprintf(url, size, "%s/v1/projects/%s/webhooks/%s", base, PROJECT, model[w].id);
    body[0] = '\0';
  }
}

/* What the model holds once change n is applied (r: its answer, for a create's id). */
static void applied(int n, modelled *model, const char *created_id) {
  if (n < KILL_CREATES) {
    snprintf(model[n].id, sizeof model[n].id, "%s", created_id);
    model[n].present = true;
  } else if (n < KILL_CREATES + KILL_UPDATES) {
    int w = n - KILL_CREATES;
    snprintf(model[w].target, sizeof model[w].target, "https://example.com/k/%d?updated", w);
  } else {
    model[KILL_CREATES - 1 - (n - KILL_CREATES - KILL_UPDATES)].present = false;
  }
}

/* Whether change n, whose answer was lost to a kill, is in the state (asked of the running
   emulator at base), and if so applies it to the model. */
static void settle_unknown(int n, modelled *model, json_t *apps, const char *base) {
  if (n < KILL_CREATES) {
    const char *app = json_string_value(json_object_get(json_array_get(apps, (size_t)n % KILL_APPS), "id"));
    response r = call("GET", BASIC, NULL, "%s/v1/projects/%s/apps/%s/webhooks", base, PROJECT, app);
    assert_ok(&r);
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(r.json, "webhooks"), i, w) {
      if (strcmp(json_string_value(json_object_get(w, "target")), model[n].target) == 0)
        applied(n, model, json_string_value(json_object_get(w, "id")));
    }
    response_free(&r);
    return;
  }
  int w = n < KILL_CREATES + KILL_UPDATES ? n - KILL_CREATES
                                          : KILL_CREATES - 1 - (n - KILL_CREATES - KILL_UPDATES);
  response r = call("GET", BASIC, NULL, "%s/v1/projects/%s/webhooks/%s", base, PROJECT, model[w].id);
  if (n < KILL_CREATES + KILL_UPDATES) {
    assert_ok(&r);
    if (strstr(json_string_value(json_object_get(r.json, "target")), "?updated"))
      applied(n, model, NULL);
  } else if (r.status == 404) {
    applied(n, model, NULL);
  }
  response_free(&r);
}

static bool contains(const char *path, const char *text) {
  FILE *file = fopen(path, "rb");
  if (!file)
    return false;
  static char data[65536];
  size_t n = fread(data, 1, sizeof data - 1, file);
  data[n] = '\0';
  fclose(file);
  return strstr(data, text) != NULL;
}

/* 2,100 changes (creates, updates, deletes) to an emulator killed with SIGKILL at six points,
   each with a request in flight, and restarted on its state each time; once, a torn last
   line and temporary files are left as a kill during a write would leave them. Every
   acknowledged change is in the final state, and nothing else is. */
static void test_acknowledged_changes_survive_kill_9(void **state) {
  char dir[] = "/tmp/swh-emulator-test-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char path[256], err_path[256], log_path[300], temp[320];
  snprintf(path, sizeof path, "%s/state.json", dir);
  snprintf(err_path, sizeof err_path, "%s/stderr", dir);
  snprintf(log_path, sizeof log_path, "%s.log", path);
  static modelled model[KILL_CREATES];
  memset(model, 0, sizeof model);
  child c = spawn_emulator(path, err_path);
  response r = call("GET", BASIC, NULL, "%s/v1/projects/%s/apps", c.url, PROJECT);
  assert_ok(&r);
  json_t *apps = json_incref(json_object_get(r.json, "apps"));
  response_free(&r);
  static const int kill_after[] = {150, 500, 900, 1300, 1700, 2000};
  size_t next_kill = 0;
  char method[16], url[512], body[512];
  for (int n = 0; n < KILL_CHANGES; n++) {
    change(n, model, apps, c.url, method, url, body, sizeof url);
    if (next_kill < sizeof kill_after / sizeof *kill_after && n == kill_after[next_kill]) {
      next_kill++;
      /* this change is sent, and the emulator killed before or while it answers */
      CURLM *multi = curl_multi_init();
      CURL *curl = curl_easy_init();
      response lost;
      memset(&lost, 0, sizeof lost);
      struct curl_slist *headers =
          prepare(curl, &lost, method, url, BASIC, body[0] ? body : NULL, NULL);
      curl_multi_add_handle(multi, curl);
      int running = 1;
      for (int i = 0; i < 20 && running; i++) {
        curl_multi_perform(multi, &running);
        curl_multi_poll(multi, NULL, 0, 1, NULL);
      }
      kill_hard(&c);
      curl_multi_remove_handle(multi, curl);
      curl_easy_cleanup(curl);
      curl_multi_cleanup(multi);
      curl_slist_free_all(headers);
      response_free(&lost);
      if (next_kill == 3) { /* what a kill during a write leaves */
        FILE *log = fopen(log_path, "ab");
        assert_non_null(log);
        fputs("{\"op\":\"delete\",\"id\":\"01", log);
        fclose(log);
        snprintf(temp, sizeof temp, "%s.tmp.AbCdEf", path);
        fclose(fopen(temp, "wb"));
        snprintf(temp, sizeof temp, "%s.tmp.GhIjKl", log_path);
        fclose(fopen(temp, "wb"));
      }
      c = spawn_emulator(path, err_path);
      if (next_kill == 3) {
        assert_int_equal(access(temp, F_OK), -1);
        snprintf(temp, sizeof temp, "%s.tmp.AbCdEf", path);
        assert_int_equal(access(temp, F_OK), -1);
        assert_true(contains(err_path, "state.json.log: line "));
        assert_true(contains(err_path, " was cut short when the emulator stopped while writing "
                                       "it; that change was never acknowledged and is ignored"));
      }
      settle_unknown(n, model, apps, c.url);
      continue;
    }
    r = call(method, BASIC, body[0] ? body : NULL, "%s", url);
    assert_ok(&r);
    applied(n, model, json_string_value(json_object_get(r.json, "id")));
    response_free(&r);
  }
  kill_hard(&c);

  /* the state, loaded in-process, is the model; used as a seed (read, not written), it is
     the same, its log included */
  swh_emulator *e = start((swh_emulator_config){.seed_file = path});
  json_t *seeded = swh_emulator_snapshot(e);
  swh_emulator_stop(e);
  e = start((swh_emulator_config){.state_file = path});
  json_t *snapshot = swh_emulator_snapshot(e);
  swh_emulator_stop(e);
  assert_true(json_equal(seeded, snapshot));
  json_decref(seeded);
  json_t *by_id = json_object();
  size_t i;
  json_t *webhook;
  json_array_foreach(json_object_get(snapshot, "webhooks"), i, webhook)
    json_object_set(by_id, json_string_value(json_object_get(webhook, "id")), webhook);
  size_t present = 0;
  for (int w = 0; w < KILL_CREATES; w++) {
    json_t *found = json_object_get(by_id, model[w].id);
    if (!model[w].present) {
      assert_null(found);
      continue;
    }
    present++;
    assert_non_null(found);
    assert_string_equal(json_string_value(json_object_get(found, "target")), model[w].target);
  }
  assert_int_equal(json_object_size(by_id), present);
  assert_int_equal(json_array_size(json_object_get(snapshot, "webhooks")), present);
  json_decref(by_id);
  json_decref(snapshot);
  json_decref(apps);
  unlink(err_path);
  remove_state(dir, path);
}

/* Appends text to the file at path. */
static void append_text(const char *path, const char *text) {
  FILE *file = fopen(path, "ab");
  assert_non_null(file);
  fputs(text, file);
  fclose(file);
}

static void expect_refused_state(const char *path, const char *message) {
  swh_error err;
  swh_error_init(&err);
  swh_emulator_config config = {.quiet = true, .state_file = path};
  assert_null(swh_emulator_start(&config, &err));
  assert_int_equal(err.kind, SWH_ERR_VALIDATION);
  assert_string_equal(err.message, message);
  swh_error_clear(&err);
}

/* The log is replayed when its header names the snapshot, ignored when it names another (a
   compaction a kill cut between its two writes), and a bad line in it stops the start,
   naming the line, rather than be skipped. */
static void test_state_log_is_checked_line_by_line(void **state) {
  char dir[] = "/tmp/swh-emulator-test-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char path[256], log[300], saved_log[300], line[512];
  snprintf(path, sizeof path, "%s/state.json", dir);
  snprintf(log, sizeof log, "%s.log", path);
  swh_emulator *e = start((swh_emulator_config){.apps = 1, .state_file = path});
  char app[64];
  snprintf(app, sizeof app, "%s", app_id(e, 0));
  swh_emulator_stop(e);
  /* a create written by hand, then a delete of it */
  snprintf(line, sizeof line, "{\"op\":\"create\",\"webhook\":{\"id\":\"H1\",\"app_id\":\"%s\","
           "\"target\":\"https://example.com/h1\"}}\n", app);
  append_text(log, line);
  snprintf(saved_log, sizeof saved_log, "%s/saved.log", dir);
  char command[1024];
  snprintf(command, sizeof command, "cp '%s' '%s'", log, saved_log);
  assert_int_equal(system(command), 0);
  e = start((swh_emulator_config){.state_file = path});
  response r = call("GET", BASIC, NULL, "%s/v1/projects/%s/webhooks/H1", swh_emulator_url(e),
                    PROJECT);
  assert_ok(&r);
  response_free(&r);
  swh_emulator_stop(e);
  /* the old log again: its header names the snapshot before the restart's compaction */
  snprintf(command, sizeof command, "cp '%s' '%s' && echo '{\"op\":\"delete\",\"id\":\"H1\"}' >> '%s'",
           saved_log, log, log);
  assert_int_equal(system(command), 0);
  e = start((swh_emulator_config){.state_file = path});
  r = call("GET", BASIC, NULL, "%s/v1/projects/%s/webhooks/H1", swh_emulator_url(e), PROJECT);
  assert_ok(&r); /* neither created twice nor deleted */
  response_free(&r);
  swh_emulator_stop(e);
  /* bad lines, each after the current header */
  const struct {
    const char *line;
    const char *message;
  } bad[] = {
      {"{\"op\":\"update\",\"webhook\":{\"id\":\"NOPE\"}}\n",
       "line 2: update of webhook \"NOPE\", which does not exist"},
      {"{\"op\":\"delete\",\"id\":\"NOPE\"}\n", "line 2: delete of webhook \"NOPE\", which does not exist"},
      {"{\"op\":\"create\",\"webhook\":{\"id\":\"H1\"}}\n", "line 2: create of webhook \"H1\", which exists"},
      {"{\"op\":\"rename\",\"id\":\"H1\"}\n",
       "line 2: expected a change ({\"op\":\"create\" or \"update\", \"webhook\":{…}} or "
       "{\"op\":\"delete\",\"id\":…})"},
      {"{\"op\":\"upsert\",\"webhook\":{\"id\":\"H1\"}}\n",
       "line 2: \"upsert\" is not a change (create, update or delete)"},
      {"{\"op\":\"delete\",\"id\":\"H1\" secret\n", "line 2: not JSON ('}' expected)"},
      {"{\"op\":\"delete\",\"id\":\"H1\"}\nnot json\n{\"op\":\"delete\",\"id\":\"H1\"}\n",
       "line 3: not JSON ('[' or '{' expected)"},
  };
  snprintf(command, sizeof command, "cp '%s' '%s'", log, saved_log);
  assert_int_equal(system(command), 0);
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    snprintf(command, sizeof command, "cp '%s' '%s'", saved_log, log);
    assert_int_equal(system(command), 0);
    append_text(log, bad[i].line);
    char expected[512];
    snprintf(expected, sizeof expected, "%s: %s", log, bad[i].message);
    expect_refused_state(path, expected);
  }
  unlink(saved_log);
  remove_state(dir, path);
}

static void test_seed_snapshots_are_checked(void **state) {
  struct {
    const char *json;
    const char *message;
  } cases[] = {
      {"[]", "seed: expected a JSON object (a snapshot)"},
      {"{\"swh_snapshot\":2}", "seed: swh_snapshot: expected 1 (the only format version)"},
      {"{\"apps\":[{\"id\":\"A\"},{\"id\":\"A\"}]}", "seed: apps[1].id: \"A\" is also apps[0].id"},
      {"{\"apps\":[{\"id\":\"A\"}],\"webhooks\":[{\"app_id\":\"X\",\"target\":\"https://e.com/\"}]}",
       "seed: webhooks[0].app_id: no such app \"X\""},
      {"{\"apps\":[{\"id\":\"A\"}],\"webhooks\":[{\"app_id\":\"A\"}]}",
       "seed: webhooks[0].target: required"},
      {"{\"apps\":[{\"id\":\"A\"}],\"webhooks\":[{\"app_id\":\"A\",\"target\":\"https://e.com/\"},"
       "{\"app_id\":\"A\",\"target\":\"https://e.com/\"}]}",
       "seed: webhooks[1].target: app \"A\" already has a webhook with this target (webhooks[0])"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_t *seed = json_loads(cases[i].json, 0, NULL);
    assert_non_null(seed);
    swh_emulator_config config = {.seed = seed, .quiet = true};
    swh_error err;
    swh_error_init(&err);
    assert_null(swh_emulator_start(&config, &err));
    assert_int_equal(err.kind, SWH_ERR_VALIDATION);
    assert_string_equal(err.message, cases[i].message);
    swh_error_clear(&err);
    json_decref(seed);
  }
  /* a file: its name and the place in it */
  char path[] = "/tmp/swh-seed-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "{\"apps\": [\n  {\"id\": }]}", 23), 23);
  close(fd);
  swh_emulator_config config = {.seed_file = path, .quiet = true};
  swh_error err;
  swh_error_init(&err);
  assert_null(swh_emulator_start(&config, &err));
  char expected[256];
  snprintf(expected, sizeof expected, "%s: line 2, column 10: ", path);
  assert_int_equal(strncmp(err.message, expected, strlen(expected)), 0);
  swh_error_clear(&err);
  unlink(path);
}

static void test_seed_snapshot_is_served_whole(void **state) {
  json_t *seed = json_loads(
      "{\"swh_snapshot\":1,\"project_id\":\"seeded\",\"apps\":[{\"id\":\"APP1\","
      "\"display_name\":\"Seeded\",\"channel_credentials\":[{\"channel\":\"WHATSAPP\"}]}],"
      "\"webhooks\":[{\"id\":\"01W4FFL35P4NC4K35WEBHOOK04\",\"app_id\":\"APP1\","
      "\"target\":\"https://e.com/s\",\"target_type\":\"HTTP\",\"triggers\":[\"SMART_CONVERSATIONS\"],"
      "\"unknown_enum\":\"FUTURE_VALUE\"}]}", 0, NULL);
  assert_non_null(seed);
  swh_emulator *e = start((swh_emulator_config){.seed = seed, .apps = 4});
  json_decref(seed);
  assert_string_equal(swh_emulator_project(e), "seeded");
  response r = call("GET", BASIC, NULL, "%s/v1/projects/seeded/apps", swh_emulator_url(e));
  assert_ok(&r);
  assert_int_equal(json_array_size(json_object_get(r.json, "apps")), 1);
  assert_string_equal(json_string_value(json_object_get(
                          json_array_get(json_object_get(r.json, "apps"), 0), "display_name")),
                      "Seeded");
  response_free(&r);
  r = call("GET", BASIC, NULL, "%s/v1/projects/seeded/webhooks/01W4FFL35P4NC4K35WEBHOOK04",
           swh_emulator_url(e));
  assert_ok(&r);
  assert_string_equal(json_string_value(json_object_get(r.json, "unknown_enum")), "FUTURE_VALUE");
  assert_string_equal(json_string_value(json_array_get(json_object_get(r.json, "triggers"), 0)),
                      "SMART_CONVERSATION");
  response_free(&r);
  swh_emulator_stop(e);
}

/* A snapshot of the real API may hold triggers newer than API.md: the emulator then plays a
   server that knows them, and still refuses names it has never seen, and typos. */
static void test_seed_triggers_beyond_api_md_are_known(void **state) {
  json_t *seed = json_loads(
      "{\"swh_snapshot\":1,\"apps\":[{\"id\":\"APP1\"}],\"webhooks\":[{\"id\":\"W1\","
      "\"app_id\":\"APP1\",\"target\":\"https://e.com/a\",\"triggers\":[\"FUTURE_TRIGGER_X\"]}]}",
      0, NULL);
  assert_non_null(seed);
  swh_emulator *e = start((swh_emulator_config){.seed = seed});
  json_decref(seed);
  response r = patch(e, "W1", "?update_mask=target", "{\"target\":\"https://e.com/b\"}");
  assert_ok(&r);
  response_free(&r);
  r = create_webhook(e, "APP1", "https://e.com/c", "\"triggers\":[\"FUTURE_TRIGGER_X\"]");
  assert_ok(&r);
  response_free(&r);
  r = create_webhook(e, "APP1", "https://e.com/d", "\"triggers\":[\"OTHER_FUTURE_Y\"]");
  assert_error(&r, 400, "INVALID_ARGUMENT",
               "webhook.triggers[0]: unknown trigger \"OTHER_FUTURE_Y\"");
  response_free(&r);
  r = create_webhook(e, "APP1", "https://e.com/d", "\"triggers\":[\"MESAGE_DELIVERY\"]");
  assert_error(&r, 400, "INVALID_ARGUMENT",
               "webhook.triggers[0]: unknown trigger \"MESAGE_DELIVERY\" "
               "(did you mean \"MESSAGE_DELIVERY\"?)");
  response_free(&r);
  swh_emulator_stop(e);
}

static void test_seeded_ids_repeat(void **state) {
  swh_emulator *a = start((swh_emulator_config){.apps = 2, .seed_random = 9});
  swh_emulator *b = start((swh_emulator_config){.apps = 2, .seed_random = 9});
  assert_string_equal(app_id(a, 0), app_id(b, 0));
  assert_string_equal(app_id(a, 1), app_id(b, 1));
  assert_string_not_equal(app_id(a, 0), app_id(a, 1));
  swh_emulator_stop(a);
  swh_emulator_stop(b);
}

/* ---- robustness ---------------------------------------------------------------------- */

static int port_of(swh_emulator *e) {
  return atoi(strrchr(swh_emulator_url(e), ':') + 1);
}

/* Sends raw bytes, reads whatever comes back (at most 1 s); returns the bytes read. */
static ssize_t raw_exchange(int port, const char *data, size_t len, char *out, size_t size) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(connect(fd, (struct sockaddr *)&address, sizeof address), 0);
  struct timeval timeout = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ssize_t sent = send(fd, data, len, MSG_NOSIGNAL);
  (void)sent;
  shutdown(fd, SHUT_WR);
  ssize_t got = 0, n;
  while ((size_t)got + 1 < size && (n = recv(fd, out + got, size - 1 - (size_t)got, 0)) > 0)
    got += n;
  out[got] = '\0';
  close(fd);
  return got;
}

static void test_garbage_requests_do_not_crash_it(void **state) {
  swh_emulator *e = start((swh_emulator_config){.apps = 1});
  int port = port_of(e);
  char answer[4096];
  const char *garbage[] = {
      "HELLO\r\n\r\n",
      "GET\r\n\r\n",
      "GET /v1/projects HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
      "POST /v1/projects/" PROJECT "/webhooks HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n{",
      "POST /oauth2/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n",
      "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 binary TLS hello",
      "GET /%00%ff%2e%2e/../.. HTTP/1.1\r\nHost: x\r\nAuthorization: Basic !!!\r\n\r\n",
      "PATCH /v1/projects/" PROJECT "/webhooks/X?update_mask=%zz&update_mask HTTP/1.1\r\n"
      "Host: x\r\nAuthorization: Bearer ...\r\nContent-Length: 2\r\n\r\n{}",
  };
  for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++)
    raw_exchange(port, garbage[i], strlen(garbage[i]), answer, sizeof answer);
  /* a raw but well-formed request gets the nested 401 */
  const char *good = "GET /v1/projects/" PROJECT "/apps HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  raw_exchange(port, good, strlen(good), answer, sizeof answer);
  assert_int_equal(strncmp(answer, "HTTP/1.1 401", 12), 0);
  assert_non_null(strstr(answer, "\"status\":\"UNAUTHENTICATED\""));
  response r = call("GET", BASIC, NULL, "%s/v1/projects/%s/apps", swh_emulator_url(e), PROJECT);
  assert_ok(&r);
  response_free(&r);
  swh_emulator_stop(e);
}

/* A raw request's answer: its status and its body parsed as JSON (NULL if the body is not
   JSON); the caller frees the JSON. */
static int raw_answer(int port, const char *request, size_t len, json_t **body) {
  static char answer[65536];
  raw_exchange(port, request, len, answer, sizeof answer);
  int status = 0;
  sscanf(answer, "HTTP/1.1 %d", &status);
  const char *blank = strstr(answer, "\r\n\r\n");
  *body = blank ? json_loads(blank + 4, 0, NULL) : NULL;
  return status;
}

/* n copies of text, in a static buffer */
static const char *repeat(const char *text, size_t n) {
  static char out[8192];
  out[0] = '\0';
  for (size_t i = 0; i < n && strlen(out) + strlen(text) < sizeof out; i++)
    strcat(out, text);
  return out;
}

#define E_ACUTE "\xc3\xa9" /* é in UTF-8 */

/* Request text quoted in an error (a path, a project, a value) is made valid UTF-8, cut at a
   character boundary: the answer is the 4xx it should be, never the 500 jansson's refusal of
   an invalid string would give. */
static void test_hostile_request_text_gets_the_right_4xx(void **state) {
  swh_emulator *e = start((swh_emulator_config){.apps = 1});
  const char *url = swh_emulator_url(e);
  char expected[4096], body[4096];
  response r = call("GET", BASIC, NULL, "%s/v1/projects/%%ff/apps", url);
  assert_error(&r, 403, "PERMISSION_DENIED", "The credentials have no access to project \"?\"");
  response_free(&r);
  r = call("GET", BASIC, NULL, "%s/v1/projects/%%C3%%A9%%ff%%C3/apps", url);
  assert_error(&r, 403, "PERMISSION_DENIED",
               "The credentials have no access to project \"" E_ACUTE "??\"");
  response_free(&r);
  /* a long project is cut after 128 characters, between two of them */
  r = call("GET", BASIC, NULL, "%s/v1/projects/x%s/apps", url, repeat("%C3%A9", 200));
  snprintf(expected, sizeof expected, "The credentials have no access to project \"x%s...\"",
           repeat(E_ACUTE, 127));
  assert_error(&r, 403, "PERMISSION_DENIED", expected);
  response_free(&r);
  /* ids that are not UTF-8 are ids no webhook has */
  r = call("GET", BASIC, NULL, "%s/v1/projects/%s/webhooks/%%ff", url, PROJECT);
  assert_error(&r, 404, "NOT_FOUND", "Webhook not found");
  response_free(&r);
  r = call("DELETE", BASIC, NULL, "%s/v1/projects/%s/webhooks/%%C3%%28", url, PROJECT);
  assert_error(&r, 404, "NOT_FOUND", "Webhook not found");
  response_free(&r);
  r = call("GET", BASIC, NULL, "%s/v1/projects/%s/apps/%%fe%%ff/webhooks", url, PROJECT);
  assert_error(&r, 404, "NOT_FOUND", "App not found");
  response_free(&r);
  /* the query: an update_mask that is not UTF-8, or long and unknown */
  r = call("PATCH", BASIC, "{}", "%s/v1/projects/%s/webhooks/X?update_mask=%%ff", url, PROJECT);
  assert_error(&r, 400, "INVALID_ARGUMENT", "update_mask: not valid UTF-8");
  response_free(&r);
  char *id = created_id(e, app_id(e, 0), "https://example.com/hostile", NULL);
  r = call("PATCH", BASIC, "{}", "%s/v1/projects/%s/webhooks/%s?update_mask=x%s", url, PROJECT,
           id, repeat("%C3%A9", 400));
  assert_error(&r, 400, "INVALID_ARGUMENT", NULL);
  response_free(&r);
  /* bodies: bytes that are not UTF-8 in a key or a value, and a long app id */
  r = call("POST", BASIC, "{\"app_id\":\"\xff\"}", "%s/v1/projects/%s/webhooks", url, PROJECT);
  assert_error(&r, 400, "INVALID_ARGUMENT",
               "request body: invalid JSON at line 1, column 11: unable to decode byte 0xff "
               "near '\"'");
  response_free(&r);
  r = call("PATCH", BASIC, "{\"\xc3\":1}", "%s/v1/projects/%s/webhooks/%s", url, PROJECT, id);
  assert_error(&r, 400, "INVALID_ARGUMENT",
               "request body: invalid JSON at line 1, column 2: unable to decode byte 0xc3 "
               "near '\"'");
  response_free(&r);
  snprintf(body, sizeof body, "{\"app_id\":\"x%s\",\"target\":\"https://example.com/h\"}",
           repeat(E_ACUTE, 380));
  r = call("POST", BASIC, body, "%s/v1/projects/%s/webhooks", url, PROJECT);
  snprintf(expected, sizeof expected, "webhook.app_id: no such app \"x%s...\" in project \""
           PROJECT "\"", repeat(E_ACUTE, 127));
  assert_error(&r, 400, "INVALID_ARGUMENT", expected);
  response_free(&r);
  /* the token endpoint's form */
  r = call("POST", BASIC, repeat("grant_type=x%C3%A9", 1), "%s/oauth2/token", url);
  assert_error(&r, 400, "INVALID_ARGUMENT",
               "grant_type: \"x" E_ACUTE "\" is not supported (only client_credentials)");
  response_free(&r);
  snprintf(body, sizeof body, "grant_type=x%s", repeat("%C3%A9", 80));
  r = call("POST", BASIC, body, "%s/oauth2/token", url);
  snprintf(expected, sizeof expected,
           "grant_type: \"x%s...\" is not supported (only client_credentials)",
           repeat(E_ACUTE, 63));
  assert_error(&r, 400, "INVALID_ARGUMENT", expected);
  response_free(&r);
  /* paths sent raw: bytes that are not UTF-8, control characters, a cut inside a character */
  int port = port_of(e);
  json_t *json;
  const char *raw = "GET /v2/\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  assert_int_equal(raw_answer(port, raw, strlen(raw), &json), 404);
  assert_string_equal(json_string_value(json_object_get(json_object_get(json, "error"), "message")),
                      "No such route: GET /v2/??");
  json_decref(json);
  snprintf(body, sizeof body, "GET /v2/x%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
           repeat(E_ACUTE, 300));
  assert_int_equal(raw_answer(port, body, strlen(body), &json), 404);
  snprintf(expected, sizeof expected, "No such route: GET /v2/x%s...", repeat(E_ACUTE, 251));
  assert_string_equal(json_string_value(json_object_get(json_object_get(json, "error"), "message")),
                      expected);
  json_decref(json);
  snprintf(body, sizeof body, "PUT /v1/projects/%%ff/webhooks/\xe2\x82 HTTP/1.1\r\nHost: x\r\n"
           "Connection: close\r\nContent-Length: 0\r\n\r\n");
  assert_int_equal(raw_answer(port, body, strlen(body), &json), 501);
  assert_string_equal(json_string_value(json_object_get(json_object_get(json, "error"), "message")),
                      "Method PUT is not implemented for /v1/projects/%ff/webhooks/??");
  json_decref(json);
  free(id);
  swh_emulator_stop(e);

  /* the project's rate limit quotes the project too */
  e = start((swh_emulator_config){.apps = 1, .rate_limit = 1});
  double t0 = now_seconds();
  r = call("GET", BASIC, NULL, "%s/v1/projects/%%ff/apps", swh_emulator_url(e));
  assert_error(&r, 403, "PERMISSION_DENIED", NULL);
  response_free(&r);
  r = call("GET", BASIC, NULL, "%s/v1/projects/%%ff/apps", swh_emulator_url(e));
  if (now_seconds() - t0 < 0.9) /* always, unless the machine stalled for a second */
    assert_error(&r, 429, "RESOURCE_EXHAUSTED", "Too many requests for project \"?\"");
  response_free(&r);
  swh_emulator_stop(e);
}

/* The request log: one line per request, without credentials or secrets. */
static void test_request_log_has_no_secrets(void **state) {
  char path[] = "/tmp/swh-emulator-log-XXXXXX";
  int log_fd = mkstemp(path);
  assert_true(log_fd >= 0);
  fflush(stderr);
  int saved = dup(STDERR_FILENO);
  dup2(log_fd, STDERR_FILENO);
  swh_error err;
  swh_error_init(&err);
  swh_emulator_config config = {.apps = 1, .rate_limit = -1, .quiet = false};
  swh_emulator *e = swh_emulator_start(&config, &err);
  if (e) {
    char *bearer = fetch_token(e);
    char body[256];
    snprintf(body, sizeof body,
             "{\"app_id\":\"%s\",\"target\":\"https://example.com/log\",\"secret\":\"TOPSECRET\"}",
             app_id(e, 0));
    response r = call("POST", bearer, body, "%s/v1/projects/%s/webhooks?update_mask=x",
                      swh_emulator_url(e), PROJECT);
    response_free(&r);
    free(bearer);
    swh_emulator_stop(e);
  }
  fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  assert_non_null(e);
  char log[8192] = "";
  ssize_t n = pread(log_fd, log, sizeof log - 1, 0);
  close(log_fd);
  unlink(path);
  assert_true(n > 0);
  log[n] = '\0';
  assert_non_null(strstr(log, "swh-emulator: POST /oauth2/token -> 200 "));
  assert_non_null(strstr(log, "swh-emulator: POST /v1/projects/" PROJECT "/webhooks -> 200 "));
  assert_null(strstr(log, "TOPSECRET"));
  assert_null(strstr(log, "emulator-secret"));
  assert_null(strstr(log, "Bearer"));
  assert_null(strstr(log, "Basic"));
  assert_null(strstr(log, "eyJ")); /* no token */
}

/* A connection to the emulator with text sent on it (not a whole request). */
static int open_slow(int port, const char *text) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(connect(fd, (struct sockaddr *)&address, sizeof address), 0);
  assert_int_equal(send(fd, text, strlen(text), MSG_NOSIGNAL), (ssize_t)strlen(text));
  return fd;
}

/* Whether the server has closed fd (EOF or reset), without waiting. */
static bool closed_by_server(int fd) {
  char byte;
  ssize_t n = recv(fd, &byte, 1, MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

/* A client sending its headers a line at a time (each line resets libmicrohttpd's own idle
   timeout) is cut when the request's time is up; so is a keep-alive connection left idle. */
static void test_a_request_sent_slowly_is_cut_at_its_deadline(void **state) {
  swh_emulator *e = start((swh_emulator_config){.apps = 1, .request_timeout_ms = 1000});
  int port = port_of(e);
  int fd = open_slow(port, "GET /v1/projects/" PROJECT "/apps HTTP/1.1\r\nHost: x\r\n");
  double t0 = now_seconds(), closed_at = 0;
  while (now_seconds() - t0 < 5 && !closed_at) {
    usleep(200 * 1000);
    if (closed_by_server(fd) || send(fd, "X-Slow: 1\r\n", 11, MSG_NOSIGNAL) < 0)
      closed_at = now_seconds() - t0;
  }
  close(fd);
  assert_true(closed_at > 0.9);
  assert_true(closed_at < 3.0);
  /* an answered connection has the same time for its next request */
  fd = open_slow(port, "GET /v1/projects/" PROJECT "/apps HTTP/1.1\r\nHost: x\r\n\r\n");
  char answer[512];
  ssize_t n = recv(fd, answer, sizeof answer - 1, 0);
  assert_true(n > 12);
  assert_int_equal(strncmp(answer, "HTTP/1.1 401", 12), 0);
  t0 = now_seconds();
  closed_at = 0;
  while (now_seconds() - t0 < 5 && !closed_at) {
    usleep(50 * 1000);
    while (recv(fd, answer, sizeof answer, MSG_DONTWAIT) > 0) {
    } /* the rest of the answer */
    if (closed_by_server(fd))
      closed_at = now_seconds() - t0;
  }
  close(fd);
  assert_true(closed_at > 0.5);
  assert_true(closed_at < 3.0);
  swh_emulator_stop(e);
}

/* 2,100 connections stuck in their headers (slowloris) take no thread and no more than
   their descriptors: another client is answered at once. */
static void test_slow_connections_do_not_starve_others(void **state) {
  /* both ends of every connection are in this process */
  struct rlimit limit;
  assert_int_equal(getrlimit(RLIMIT_NOFILE, &limit), 0);
  rlim_t wanted = limit.rlim_max == RLIM_INFINITY || limit.rlim_max > 8192 ? 8192 : limit.rlim_max;
  if (limit.rlim_cur < wanted) {
    limit.rlim_cur = wanted;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &limit), 0);
  }
  int count = (int)(wanted - 400) / 2;
  if (count > 2100)
    count = 2100;
  swh_emulator *e = start((swh_emulator_config){.apps = 1});
  int port = port_of(e);
  static int slow[2100];
  for (int i = 0; i < count; i++)
    slow[i] = open_slow(port, "GET /v1/projects/" PROJECT "/apps HTTP/1.1\r\nHost: x\r\n");
  double t0 = now_seconds();
  response r = call("GET", BASIC, NULL, "%s/v1/projects/%s/apps", swh_emulator_url(e), PROJECT);
  double seconds = now_seconds() - t0;
  assert_ok(&r);
  response_free(&r);
  assert_true(seconds < 5.0); /* at once, in fact: nothing waits for the slow ones */
  for (int i = 0; i < count; i++)
    assert_false(closed_by_server(slow[i])); /* still open, within their time */
  for (int i = 0; i < count; i++)
    close(slow[i]);
  swh_emulator_stop(e);
}

#define CONCURRENT 200

/* 200 keep-alive connections at once: with 300 ms latency each round takes about 300 ms,
   not 60 s, and the second round reuses every connection. */
static void test_hundreds_of_concurrent_keep_alive_connections(void **state) {
  swh_emulator *e = start((swh_emulator_config){.apps = 1, .latency_ms = 300});
  char url[256];
  snprintf(url, sizeof url, "%s/v1/projects/%s/apps", swh_emulator_url(e), PROJECT);
  CURLM *multi = curl_multi_init();
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)CONCURRENT);
  static CURL *handles[CONCURRENT];
  static response responses[CONCURRENT];
  static struct curl_slist *headers[CONCURRENT];
  for (int i = 0; i < CONCURRENT; i++) {
    handles[i] = curl_easy_init();
    memset(&responses[i], 0, sizeof responses[i]);
    headers[i] = prepare(handles[i], &responses[i], "GET", url, BASIC, NULL, NULL);
  }
  for (int round = 0; round < 2; round++) {
    for (int i = 0; i < CONCURRENT; i++) {
      response_free(&responses[i]);
      curl_multi_add_handle(multi, handles[i]);
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int running = 0, loops = 0;
    do {
      curl_multi_perform(multi, &running);
      if (running)
        curl_multi_poll(multi, NULL, 0, 100, NULL);
    } while (running && ++loops < 100000);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    long connects = 0;
    int ok = 0;
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(multi, &left))) {
      if (msg->msg == CURLMSG_DONE && msg->data.result == CURLE_OK)
        ok++;
    }
    for (int i = 0; i < CONCURRENT; i++) {
      long n = 0, status = 0;
      curl_easy_getinfo(handles[i], CURLINFO_NUM_CONNECTS, &n);
      curl_easy_getinfo(handles[i], CURLINFO_RESPONSE_CODE, &status);
      connects += n;
      ok -= status != 200;
      curl_multi_remove_handle(multi, handles[i]);
    }
    assert_int_equal(ok, CONCURRENT);
    assert_int_equal(connects, round == 0 ? CONCURRENT : 0);
    assert_true(seconds < 10.0); /* serialised it would be 60 s */
  }
  for (int i = 0; i < CONCURRENT; i++) {
    response_free(&responses[i]);
    curl_slist_free_all(headers[i]);
    curl_easy_cleanup(handles[i]);
  }
  curl_multi_cleanup(multi);
  swh_emulator_stop(e);
}

typedef struct stopper {
  swh_emulator *emulator;
  double seconds; /* how long swh_emulator_stop took */
} stopper;

static double monotonic_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *stop_in_thread(void *arg) {
  stopper *s = arg;
  double t0 = monotonic_seconds();
  swh_emulator_stop(s->emulator);
  s->seconds = monotonic_seconds() - t0;
  return NULL;
}

#define IN_FLIGHT 8

/* A stop while requests are being handled answers them all (SIGTERM in swh-emulator does
   the same), and refuses new connections meanwhile. */
static void test_stop_answers_the_requests_in_flight(void **state) {
  /* Each answer takes 1 s: the stop below lasts about 0.9 s, and the late connection at
     0.2 s falls well inside it however slowly the thread starts. */
  swh_emulator *e = start((swh_emulator_config){.apps = 2, .latency_ms = 1000});
  char base[128], apps_url[256], create_url[256], app[2][64], bodies[IN_FLIGHT][256];
  snprintf(base, sizeof base, "%s", swh_emulator_url(e));
  snprintf(apps_url, sizeof apps_url, "%s/v1/projects/%s/apps", base, PROJECT);
  snprintf(create_url, sizeof create_url, "%s/v1/projects/%s/webhooks", base, PROJECT);
  snprintf(app[0], sizeof app[0], "%s", app_id(e, 0));
  snprintf(app[1], sizeof app[1], "%s", app_id(e, 1));
  CURLM *multi = curl_multi_init();
  CURL *handles[IN_FLIGHT];
  response responses[IN_FLIGHT];
  struct curl_slist *headers[IN_FLIGHT];
  for (int i = 0; i < IN_FLIGHT; i++) {
    handles[i] = curl_easy_init();
    memset(&responses[i], 0, sizeof responses[i]);
    /* half creates (they change the state), half reads */
    snprintf(bodies[i], sizeof bodies[i], "{\"app_id\":\"%s\",\"target\":\"https://example.com/%d\"}",
             app[i % 2], i);
    headers[i] = i < IN_FLIGHT / 2
                     ? prepare(handles[i], &responses[i], "POST", create_url, BASIC, bodies[i], NULL)
                     : prepare(handles[i], &responses[i], "GET", apps_url, BASIC, NULL, NULL);
    curl_multi_add_handle(multi, handles[i]);
  }
  /* 100 ms of sending: every request reaches the emulator and sleeps in its latency */
  int running = 0;
  double t0 = monotonic_seconds();
  do {
    curl_multi_perform(multi, &running);
    curl_multi_poll(multi, NULL, 0, 10, NULL);
  } while (monotonic_seconds() - t0 < 0.1);

  pthread_t thread;
  stopper s = {e, 0};
  assert_int_equal(pthread_create(&thread, NULL, stop_in_thread, &s), 0);
  usleep(200 * 1000);
  /* stopping: a new connection is refused rather than left waiting */
  response late = call("GET", BASIC, NULL, "%s", apps_url);
  assert_int_equal(late.code, CURLE_COULDNT_CONNECT);
  response_free(&late);
  pthread_join(thread, NULL);
  assert_true(s.seconds < 5.0); /* it waited for the answers, not for its bound */

  int loops = 0;
  do {
    curl_multi_perform(multi, &running);
    if (running)
      curl_multi_poll(multi, NULL, 0, 100, NULL);
  } while (running && ++loops < 1000);
  for (int i = 0; i < IN_FLIGHT; i++)
    responses[i].code = CURLE_AGAIN; /* until curl says the transfer is done */
  CURLMsg *msg;
  int left;
  while ((msg = curl_multi_info_read(multi, &left)))
    if (msg->msg == CURLMSG_DONE)
      for (int j = 0; j < IN_FLIGHT; j++)
        if (handles[j] == msg->easy_handle)
          responses[j].code = msg->data.result;
  for (int i = 0; i < IN_FLIGHT; i++) {
    finish(handles[i], &responses[i]);
    assert_ok(&responses[i]);
    if (i < IN_FLIGHT / 2)
      assert_string_equal(json_string_value(json_object_get(responses[i].json, "app_id")),
                          app[i % 2]);
    else
      assert_int_equal(json_array_size(json_object_get(responses[i].json, "apps")), 2);
    curl_multi_remove_handle(multi, handles[i]);
    response_free(&responses[i]);
    curl_slist_free_all(headers[i]);
    curl_easy_cleanup(handles[i]);
  }
  curl_multi_cleanup(multi);
}

/* ---- scale --------------------------------------------------------------------------- */

/* One request on a kept-alive connection (curl reset between requests, its connection
   kept), for tests of thousands of requests. */
static response call_on(CURL *curl, const char *method, const char *body, const char *fmt,
                        ...) {
  char url[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(url, sizeof url, fmt, ap);
  va_end(ap);
  response r;
  memset(&r, 0, sizeof r);
  curl_easy_reset(curl);
  struct curl_slist *headers = prepare(curl, &r, method, url, BASIC, body, NULL);
  r.code = curl_easy_perform(curl);
  finish(curl, &r);
  curl_slist_free_all(headers);
  return r;
}

#define SCALE_APPS 500
#define SCALE_HOOKS 2000 /* in the first 400 apps, 5 each; the last 100 start empty */

typedef struct scale_hook {
  char id[32];
  int app;
  char target[64];
  bool present;
} scale_hook;

/* A webhook joining an app (a create or a move). */
typedef struct scale_join {
  int hook, app;
} scale_join;

/* Every app's list is exactly the model's webhooks of that app, in the order they joined
   it. */
static void assert_lists_match(CURL *curl, swh_emulator *e, char apps[][64],
                               const scale_hook *hooks, const scale_join *joined, int joins) {
  for (int a = 0; a < SCALE_APPS; a++) {
    response r = call_on(curl, "GET", NULL, "%s/v1/projects/%s/apps/%s/webhooks",
                         swh_emulator_url(e), PROJECT, apps[a]);
    assert_ok(&r);
    json_t *list = json_object_get(r.json, "webhooks");
    size_t at = 0;
    for (int j = 0; j < joins; j++) {
      const scale_hook *h = &hooks[joined[j].hook];
      if (joined[j].app != a || h->app != a || !h->present)
        continue;
      json_t *webhook = json_array_get(list, at++);
      assert_non_null(webhook);
      assert_string_equal(json_string_value(json_object_get(webhook, "id")), h->id);
      assert_string_equal(json_string_value(json_object_get(webhook, "app_id")), apps[a]);
      assert_string_equal(json_string_value(json_object_get(webhook, "target")), h->target);
    }
    assert_int_equal(json_array_size(list), at);
    response_free(&r);
  }
}

/* 2,000 webhooks through the routes: created, moved between apps, retargeted, deleted, each
   app's list checked after each step, and the rules (5 an app, a target unique in its app)
   still applied from the indexes as they are after the changes. */
static void test_thousands_of_webhooks_keep_the_indexes_right(void **state) {
  swh_emulator *e = start((swh_emulator_config){.apps = SCALE_APPS});
  static char apps[SCALE_APPS][64];
  json_t *snapshot = swh_emulator_snapshot(e);
  for (int a = 0; a < SCALE_APPS; a++)
    snprintf(apps[a], sizeof apps[a], "%s", json_string_value(json_object_get(
        json_array_get(json_object_get(snapshot, "apps"), (size_t)a), "id")));
  json_decref(snapshot);
  static scale_hook hooks[SCALE_HOOKS];
  static scale_join joined[2 * SCALE_HOOKS]; /* in the order they happened */
  int joins = 0;
  CURL *curl = curl_easy_init();
  assert_non_null(curl);
  char body[512], expected[512];
  for (int w = 0; w < SCALE_HOOKS; w++) {
    scale_hook *h = &hooks[w];
    h->app = w % 400;
    h->present = true;
    snprintf(h->target, sizeof h->target, "https://example.com/%d", w);
    snprintf(body, sizeof body, "{\"app_id\":\"%s\",\"target\":\"%s\"}", apps[h->app], h->target);
    response r = call_on(curl, "POST", body, "%s/v1/projects/%s/webhooks", swh_emulator_url(e),
                         PROJECT);
    assert_ok(&r);
    snprintf(h->id, sizeof h->id, "%s", json_string_value(json_object_get(r.json, "id")));
    response_free(&r);
    joined[joins++] = (scale_join){w, h->app};
  }
  assert_lists_match(curl, e, apps, hooks, joined, joins);
  /* the webhooks of apps 0-99 move to the empty apps 400-499, keeping their targets */
  for (int w = 0; w < SCALE_HOOKS; w++) {
    scale_hook *h = &hooks[w];
    if (h->app >= 100)
      continue;
    h->app += 400;
    snprintf(body, sizeof body, "{\"app_id\":\"%s\"}", apps[h->app]);
    response r = call_on(curl, "PATCH", body, "%s/v1/projects/%s/webhooks/%s?update_mask=app_id",
                         swh_emulator_url(e), PROJECT, h->id);
    assert_ok(&r);
    assert_string_equal(json_string_value(json_object_get(r.json, "app_id")), apps[h->app]);
    response_free(&r);
    joined[joins++] = (scale_join){w, h->app};
  }
  /* every webhook retargeted */
  for (int w = 0; w < SCALE_HOOKS; w++) {
    scale_hook *h = &hooks[w];
    snprintf(h->target, sizeof h->target, "https://example.com/retargeted/%d", w);
    snprintf(body, sizeof body, "{\"target\":\"%s\"}", h->target);
    response r = call_on(curl, "PATCH", body, "%s/v1/projects/%s/webhooks/%s?update_mask=target",
                         swh_emulator_url(e), PROJECT, h->id);
    assert_ok(&r);
    response_free(&r);
  }
  /* every third deleted */
  for (int w = 0; w < SCALE_HOOKS; w += 3) {
    response r = call_on(curl, "DELETE", NULL, "%s/v1/projects/%s/webhooks/%s",
                         swh_emulator_url(e), PROJECT, hooks[w].id);
    assert_ok(&r);
    response_free(&r);
    hooks[w].present = false;
    r = call_on(curl, "GET", NULL, "%s/v1/projects/%s/webhooks/%s", swh_emulator_url(e),
                PROJECT, hooks[w].id);
    assert_error(&r, 404, "NOT_FOUND", "Webhook not found");
    response_free(&r);
  }
  assert_lists_match(curl, e, apps, hooks, joined, joins);
  /* the rules read the indexes as they are now. App 401 holds webhooks 1, 401, 1201 and
     1601 (moved from app 1; 801 deleted): webhook 1's new target is taken, its old one free */
  const scale_hook *one = &hooks[1];
  snprintf(body, sizeof body, "{\"app_id\":\"%s\",\"target\":\"%s\"}", apps[one->app],
           one->target);
  response r = call_on(curl, "POST", body, "%s/v1/projects/%s/webhooks", swh_emulator_url(e),
                       PROJECT);
  snprintf(expected, sizeof expected,
           "webhook.target: app \"%s\" already has a webhook with this target (%s)",
           apps[one->app], one->id);
  assert_error(&r, 400, "INVALID_ARGUMENT", expected);
  response_free(&r);
  snprintf(body, sizeof body, "{\"app_id\":\"%s\",\"target\":\"https://example.com/1\"}",
           apps[one->app]);
  r = call_on(curl, "POST", body, "%s/v1/projects/%s/webhooks", swh_emulator_url(e), PROJECT);
  assert_ok(&r);
  response_free(&r);
  /* app 200 held webhooks 200, 600, 1000, 1400 and 1800; 600 and 1800 were deleted: room
     for two more */
  snprintf(body, sizeof body, "{\"app_id\":\"%s\",\"target\":\"https://example.com/new\"}",
           apps[200]);
  for (int i = 0; i < 2; i++) {
    r = call_on(curl, "POST", body, "%s/v1/projects/%s/webhooks", swh_emulator_url(e), PROJECT);
    assert_ok(&r);
    response_free(&r);
    snprintf(body, sizeof body, "{\"app_id\":\"%s\",\"target\":\"https://example.com/new2\"}",
             apps[200]);
  }
  snprintf(body, sizeof body, "{\"app_id\":\"%s\",\"target\":\"https://example.com/new3\"}",
           apps[200]);
  r = call_on(curl, "POST", body, "%s/v1/projects/%s/webhooks", swh_emulator_url(e), PROJECT);
  snprintf(expected, sizeof expected,
           "app \"%s\" already has 5 webhooks, the most an app can have", apps[200]);
  assert_error(&r, 400, "INVALID_ARGUMENT", expected);
  response_free(&r);
  size_t present = 0;
  for (int w = 0; w < SCALE_HOOKS; w++)
    present += hooks[w].present;
  snapshot = swh_emulator_snapshot(e);
  assert_int_equal(json_array_size(json_object_get(snapshot, "webhooks")), present + 3);
  json_decref(snapshot);
  curl_easy_cleanup(curl);
  swh_emulator_stop(e);
}

int main(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_unknown_routes_are_404_and_unserved_methods_501),
      cmocka_unit_test(test_wrong_project_is_403),
      cmocka_unit_test(test_server_threads_leave_signals_to_the_program),
      cmocka_unit_test(test_apps_are_generated_with_settings),
      cmocka_unit_test(test_api_routes_need_credentials),
      cmocka_unit_test(test_token_endpoint),
      cmocka_unit_test(test_expired_tokens_are_401_with_www_authenticate),
      cmocka_unit_test(test_token_ttl_ends_tokens),
      cmocka_unit_test(test_create_get_list_delete),
      cmocka_unit_test(test_percent_encoded_segments_are_decoded_after_routing),
      cmocka_unit_test(test_create_rules),
      cmocka_unit_test(test_update_mask_forms),
      cmocka_unit_test(test_update_clears_secret_and_client_credentials),
      cmocka_unit_test(test_enum_values_a_seed_held_pass),
      cmocka_unit_test(test_unknown_fields_are_dropped_kept_or_refused),
      cmocka_unit_test(test_update_mask_naming_an_absent_secret_clears_it),
      cmocka_unit_test(test_update_moves_between_apps_under_their_limits),
      cmocka_unit_test(test_bodies_over_1_mib_are_413),
      cmocka_unit_test(test_project_rate_limit_is_429_with_retry_after),
      cmocka_unit_test(test_token_endpoint_rate_limit_has_no_retry_after),
      cmocka_unit_test(test_basic_auth_is_limited_more_tightly),
      cmocka_unit_test(test_flat_error_form),
      cmocka_unit_test(test_get_app),
      cmocka_unit_test(test_faults_spec_errors),
      cmocka_unit_test(test_each_fault_kind),
      cmocka_unit_test(test_faults_are_deterministic_for_a_seed),
      cmocka_unit_test(test_state_persists_across_restarts),
      cmocka_unit_test(test_tokens_outlive_a_restart_on_the_same_state),
      cmocka_unit_test(test_state_file_in_a_missing_directory_is_named),
      cmocka_unit_test(test_acknowledged_changes_survive_kill_9),
      cmocka_unit_test(test_state_log_is_checked_line_by_line),
      cmocka_unit_test(test_seed_snapshots_are_checked),
      cmocka_unit_test(test_seed_snapshot_is_served_whole),
      cmocka_unit_test(test_seed_triggers_beyond_api_md_are_known),
      cmocka_unit_test(test_seeded_ids_repeat),
      cmocka_unit_test(test_garbage_requests_do_not_crash_it),
      cmocka_unit_test(test_hostile_request_text_gets_the_right_4xx),
      cmocka_unit_test(test_request_log_has_no_secrets),
      cmocka_unit_test(test_a_request_sent_slowly_is_cut_at_its_deadline),
      cmocka_unit_test(test_slow_connections_do_not_starve_others),
      cmocka_unit_test(test_hundreds_of_concurrent_keep_alive_connections),
      cmocka_unit_test(test_stop_answers_the_requests_in_flight),
      cmocka_unit_test(test_thousands_of_webhooks_keep_the_indexes_right),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return failed;
}
