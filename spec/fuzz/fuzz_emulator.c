/*
 * The emulator's handling of requests, in-process and without a socket: each request goes
 * through the code server.c runs for it (emu_masks_add for the query, emu_form_parse for a
 * form body, emu_route for the route, credentials, body and handler), against a store
 * seeded afresh for every input. Input: up to 16 requests separated by a line "###", each
 *   METHOD PATH[?QUERY]
 *   Header: value          (Authorization and Content-Type are used; the value
 *   ...                     "Bearer $token" becomes a token the emulator issued)
 *   <empty line>
 *   body
 * The seed has apps "app-1" and "app-2" and webhook "wh-1" (project "fuzz-project", key
 * emulator-key:emulator-secret). Promises checked after each request: an answer with a
 * status the emulator uses and a JSON body, errors in API.md's nested form with the code
 * and API status of the HTTP status and a message of valid UTF-8; and the store still a
 * snapshot the emulator would load (5 webhooks an app at most, distinct targets...).
 * A reply without a body (sent as "500 out of memory") is a finding: without faults the
 * emulator always has memory, so it means an answer it could not build (as request text
 * that is not UTF-8, quoted in an error, once made).
 */
#include "fuzz.h"

#include <pthread.h>
#include <strings.h>

#include <jansson.h>

#include "emulator_internal.h"
#include "request.h"
#include "routes.h"
#include "swh_snapshot.h"

#define MAX_REQUESTS 16
#define SEPARATOR "\n###\n"

static const char seed_text[] =
    "{\"swh_snapshot\":1,\"project_id\":\"fuzz-project\","
    "\"apps\":[{\"id\":\"app-1\",\"display_name\":\"One\"},{\"id\":\"app-2\"}],"
    "\"webhooks\":[{\"id\":\"wh-1\",\"app_id\":\"app-1\",\"target\":\"https://example.com/a\","
    "\"target_type\":\"HTTP\",\"triggers\":[\"MESSAGE_DELIVERY\"],\"secret\":\"s3cr3t\"}]}";

static struct swh_emulator emulator;
static swh_emulator_config config;

/* The emulator's parts as swh_emulator_start makes them, minus the server, with no rate
   limits (their clock would make runs differ) and no faults. The store is made per input. */
static void start_once(void) {
  static bool started;
  if (started) return;
  started = true;
  swh_error err;
  swh_error_init(&err);
  config.seed = json_loads(seed_text, 0, NULL);
  config.seed_random = 1; /* ids from a seeded PRNG: the same input, the same ids */
  config.quiet = true;
  if (!config.seed || emu_faults_init(&emulator.faults, NULL, 1, &err) != SWH_OK ||
      emu_auth_init(&emulator.auth, SWH_EMULATOR_DEFAULT_KEY_ID,
                    SWH_EMULATOR_DEFAULT_KEY_SECRET, 3600, NULL, &err) != SWH_OK ||
      !emu_bucket_init(&emulator.project_bucket, -1, 0) ||
      !emu_bucket_init(&emulator.token_bucket, -1, 0)) {
    fprintf(stderr, "fuzz_emulator: cannot start: %s\n", err.message);
    abort();
  }
}

/* The query as libmicrohttpd splits it: at '&', then at the first '=', '+' made a space. */
static void collect_query(char *query, emu_masks *masks) {
  char *save = NULL;
  for (char *arg = strtok_r(query, "&", &save); arg; arg = strtok_r(NULL, "&", &save)) {
    for (char *c = arg; *c; c++)
      if (*c == '+') *c = ' ';
    char *eq = strchr(arg, '=');
    if (eq) *eq = '\0';
    emu_masks_add(masks, arg, eq ? eq + 1 : NULL);
  }
}

static void check_reply(const emu_reply *reply) {
  static const int statuses[] = {200, 400, 401, 403, 404, 409, 413, 429, 500, 501, 503};
  bool known = false;
  for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
    known = known || reply->status == statuses[i];
  FUZZ_EXPECT(known, "a status of API.md, not %d", reply->status);
  FUZZ_EXPECT(!reply->drop, "no dropped connection without faults");
  /* a body serialised under the store's lock (emu_reply_dump) is read back */
  json_t *parsed = reply->text ? json_loads(reply->text, 0, NULL) : NULL;
  const json_t *body = reply->text ? parsed : reply->body;
  if (!body) {
    FUZZ_EXPECT(false, "a body (status %d)", reply->status);
    return;
  }
  FUZZ_EXPECT(json_is_object(body), "an object");
  char *text = json_dumps(body, JSON_COMPACT);
  FUZZ_EXPECT(text, "a body that can be sent");
  FUZZ_EXPECT(reply->status != 500, "no 500 without faults: %s", text);
  if (reply->status != 200) {
    json_t *error = json_object_get(body, "error");
    const char *message = json_string_value(json_object_get(error, "message"));
    const char *api_status = json_string_value(json_object_get(error, "status"));
    FUZZ_EXPECT(json_integer_value(json_object_get(error, "code")) == reply->status &&
                    api_status && strcmp(api_status, emu_api_status(reply->status)) == 0 &&
                    message && *message && json_is_array(json_object_get(error, "details")),
                "the nested error form: %s", text);
    FUZZ_EXPECT(fuzz_valid_utf8(message, strlen(message)), "UTF-8 in %s", text);
  }
  free(text);
  json_decref(parsed);
}

/* The store must stay a snapshot the emulator would load from --state. */
static void check_store(void) {
  pthread_rwlock_rdlock(&emulator.store.lock);
  json_t *snapshot = emu_store_snapshot_locked(&emulator.store);
  pthread_rwlock_unlock(&emulator.store.lock);
  FUZZ_EXPECT(snapshot, "a snapshot");
  json_t *apps, *webhooks;
  const char *project_id;
  swh_error err;
  swh_error_init(&err);
  swh_status status = swh_snapshot_check(snapshot, "state", &apps, &webhooks, &project_id, &err);
  FUZZ_EXPECT(status == SWH_OK, "a state that loads again: %s", err.message);
  json_decref(apps);
  json_decref(webhooks);
  json_decref(snapshot);
  swh_error_clear(&err);
}

/* One request from its text (NUL-terminated in place, body bytes len). */
static void handle(char *text, size_t len) {
  char *head_end = strstr(text, "\n\n");
  char *body = head_end ? head_end + 2 : text + len;
  size_t body_len = (size_t)(text + len - body);
  if (head_end) *head_end = '\0';
  char *save = NULL;
  char *request_line = strtok_r(text, "\n", &save);
  if (!request_line) return;
  const char *authorization = NULL, *content_type = NULL;
  char *token = NULL;
  for (char *header = strtok_r(NULL, "\n", &save); header; header = strtok_r(NULL, "\n", &save)) {
    char *colon = strchr(header, ':');
    if (!colon) continue;
    *colon = '\0';
    char *value = colon + 1 + strspn(colon + 1, " ");
    if (strcasecmp(header, "Authorization") == 0)
      authorization = value;
    else if (strcasecmp(header, "Content-Type") == 0)
      content_type = value;
  }
  if (authorization && strcmp(authorization, "Bearer $token") == 0) {
    char *issued = emu_auth_issue_token(&emulator.auth);
    token = issued ? malloc(strlen(issued) + 8) : NULL;
    if (token) sprintf(token, "Bearer %s", issued);
    free(issued);
    authorization = token;
  }
  char *method = request_line;
  char *path = strchr(request_line, ' ');
  if (path) *path++ = '\0';
  else path = "";
  char *query = strchr(path, '?');
  if (query) *query++ = '\0';

  emu_masks masks = {json_array(), false};
  if (query) collect_query(query, &masks);
  json_t *form = NULL;
  if (content_type && strncasecmp(content_type, "application/x-www-form-urlencoded", 33) == 0)
    form = emu_form_parse(body, body_len);
  emu_request request = {
      .method = method,
      .path = path,
      .authorization = authorization,
      .masks = json_array_size(masks.values) ? masks.values : NULL,
      .masks_invalid = masks.invalid,
      .form = form,
      .body = body_len ? body : NULL,
      .body_len = body_len,
      .body_too_large = false,
  };
  emu_reply reply;
  emu_reply_init(&reply);
  emu_route(&emulator, &request, &reply);
  check_reply(&reply);
  check_store();
  emu_reply_clear(&reply);
  json_decref(masks.values);
  json_decref(form);
  free(token);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  start_once();
  fuzz_reader r;
  if (!fuzz_reader_init(&r, data, size)) return 0;
  swh_error err;
  swh_error_init(&err);
  if (emu_store_init(&emulator.store, &config, &err) != SWH_OK) {
    fprintf(stderr, "fuzz_emulator: the seed does not load: %s\n", err.message);
    abort();
  }
  char *at = r.text, *end = r.text + r.size;
  for (int n = 0; n < MAX_REQUESTS && at < end; n++) {
    char *next = memmem(at, (size_t)(end - at), SEPARATOR, strlen(SEPARATOR));
    char *stop = next ? next : end;
    *stop = '\0';
    handle(at, (size_t)(stop - at));
    at = next ? next + strlen(SEPARATOR) : end;
  }
  emu_store_destroy(&emulator.store);
  fuzz_reader_free(&r);
  return 0;
}
