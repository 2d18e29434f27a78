/* Unit tests of swh_snapshot: reading a snapshot file, and the check the emulator (seed and
   state) and swh.load share, with every message exact. */
#define _DEFAULT_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixtures.h"
#include "swh_snapshot.h"
#include "swh_webhook.h"

/* ---- swh_snapshot_read ---------------------------------------------------------------- */

/* A temporary file holding text; its path is written into path (at least 32 bytes). */
static void temp_file(char *path, const char *text) {
  strcpy(path, "/tmp/swh-snapshot-XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  size_t len = strlen(text);
  assert_int_equal(write(fd, text, len), (ssize_t)len);
  close(fd);
}

/* Reads text from a file and expects the failure kind with message "<path>: <tail>". */
static void expect_read_failure(const char *text, swh_status kind, const char *tail) {
  char path[32], expected[512];
  temp_file(path, text);
  json_t *snapshot = (json_t *)1;
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swh_snapshot_read(path, &snapshot, &err), kind);
  assert_null(snapshot);
  snprintf(expected, sizeof expected, "%s: %s", path, tail);
  assert_string_equal(err.message, expected);
  swh_error_clear(&err);
  unlink(path);
}

static void test_read_names_the_file_and_the_place(void **state) {
  swh_error err;
  swh_error_init(&err);
  json_t *snapshot = (json_t *)1;
  assert_int_equal(swh_snapshot_read("/nonexistent-swh-dir/snap.json", &snapshot, &err),
                   SWH_ERR_USAGE);
  assert_null(snapshot);
  assert_string_equal(err.message,
                      "/nonexistent-swh-dir/snap.json: cannot open: No such file or directory");
  swh_error_clear(&err);
  /* a directory opens, then would read as an empty file */
  snapshot = (json_t *)1;
  assert_int_equal(swh_snapshot_read("/", &snapshot, &err), SWH_ERR_USAGE);
  assert_null(snapshot);
  assert_string_equal(err.message, "/: cannot read: Is a directory");
  swh_error_clear(&err);

  expect_read_failure("{\"apps\": [\n  {\"id\": }]}", SWH_ERR_VALIDATION,
                      "line 2, column 10: unexpected token");
  expect_read_failure("", SWH_ERR_VALIDATION,
                      "line 1, column 0: '[' or '{' expected near end of file");
  expect_read_failure("{\"apps\": [], \"apps\": []}", SWH_ERR_VALIDATION,
                      "line 1, column 19: duplicate object key");
  /* jansson would quote the text it stopped at: here, a secret */
  expect_read_failure("{\"secret\": s3cr3t-value}", SWH_ERR_VALIDATION,
                      "line 1, column 12: invalid token");
  expect_read_failure("{\"secret\": \"s3cr3t-val", SWH_ERR_VALIDATION,
                      "line 1, column 22: premature end of input");
}

static void test_read_returns_the_value_unchecked(void **state) {
  char path[32];
  temp_file(path, "{\"swh_snapshot\": 7, \"extra\": [1, 2.5, null]}\n");
  json_t *snapshot = NULL;
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swh_snapshot_read(path, &snapshot, &err), SWH_OK);
  json_t *expected = json_loads("{\"swh_snapshot\": 7, \"extra\": [1, 2.5, null]}", 0, NULL);
  assert_true(json_equal(snapshot, expected));
  json_decref(expected);
  json_decref(snapshot);
  unlink(path);
}

/* ---- swh_snapshot_check --------------------------------------------------------------- */

#define APP_A "{\"id\":\"A\"}"
#define HOOK(target) "{\"app_id\":\"A\",\"target\":\"https://e.com/" target "\"}"

typedef struct {
  const char *json;
  swh_status kind;     /* SWH_OK: accepted */
  const char *message; /* exact, when refused */
} check_case;

static void test_check_refuses_with_the_place(void **state) {
  const check_case cases[] = {
      {"[]", SWH_ERR_VALIDATION, "snap.json: expected a JSON object (a snapshot)"},
      /* a misspelt key is not read as "no webhooks" */
      {"{\"apps\":[],\"webhook\":[]}", SWH_ERR_VALIDATION,
       "snap.json: webhook: unknown key (did you mean \"webhooks\"?)"},
      {"{\"app\":[],\"webhooks\":[]}", SWH_ERR_VALIDATION,
       "snap.json: app: unknown key (did you mean \"apps\"?)"},
      {"{\"swh_snapshot\":2}", SWH_ERR_VALIDATION,
       "snap.json: swh_snapshot: expected 1 (the only format version)"},
      {"{\"swh_snapshot\":\"1\"}", SWH_ERR_VALIDATION,
       "snap.json: swh_snapshot: expected 1 (the only format version)"},
      {"{\"project_id\":\"\"}", SWH_ERR_VALIDATION,
       "snap.json: project_id: expected a non-empty string"},
      {"{\"project_id\":7}", SWH_ERR_VALIDATION,
       "snap.json: project_id: expected a non-empty string"},
      {"{\"apps\":{}}", SWH_ERR_VALIDATION, "snap.json: apps: expected an array"},
      {"{\"webhooks\":{}}", SWH_ERR_VALIDATION, "snap.json: webhooks: expected an array"},
      {"{\"apps\":[" APP_A ",3]}", SWH_ERR_VALIDATION, "snap.json: apps[1]: expected an object"},
      {"{\"apps\":[{\"display_name\":\"x\"}]}", SWH_ERR_VALIDATION,
       "snap.json: apps[0].id: expected a non-empty string"},
      {"{\"apps\":[" APP_A "," APP_A "]}", SWH_ERR_VALIDATION,
       "snap.json: apps[1].id: \"A\" is also apps[0].id"},
      {"{\"apps\":[{\"id\":\"A\",\"display_name\":1}]}", SWH_ERR_VALIDATION,
       "snap.json: apps[0].display_name: expected a string"},
      {"{\"apps\":[" APP_A "],\"webhooks\":[[]]}", SWH_ERR_VALIDATION,
       "snap.json: webhooks[0]: expected an object"},
      {"{\"apps\":[" APP_A "],\"webhooks\":[{\"id\":\"\",\"app_id\":\"A\",\"target\":\"https://e.com/\"}]}",
       SWH_ERR_VALIDATION, "snap.json: webhooks[0].id: expected a non-empty string"},
      {"{\"apps\":[" APP_A "],\"webhooks\":[{\"app_id\":\"A\"}]}", SWH_ERR_VALIDATION,
       "snap.json: webhooks[0].target: required"},
      {"{\"apps\":[" APP_A "],\"webhooks\":[" HOOK("1") ",{\"app_id\":\"A\",\"target\":\"https://e.com/2\","
       "\"triggers\":[\"MESAGE_DELIVERY\"]}]}",
       SWH_ERR_VALIDATION,
       "snap.json: webhooks[1].triggers[0]: unknown trigger \"MESAGE_DELIVERY\" (did you mean "
       "\"MESSAGE_DELIVERY\"?)"},
      {"{\"apps\":[" APP_A "],\"webhooks\":[{\"app_id\":\"X\",\"target\":\"https://e.com/\"}]}",
       SWH_ERR_VALIDATION, "snap.json: webhooks[0].app_id: no such app \"X\""},
      {"{\"apps\":[" APP_A "],\"webhooks\":[{\"id\":\"W\",\"app_id\":\"A\",\"target\":\"https://e.com/1\"},"
       "{\"id\":\"W\",\"app_id\":\"A\",\"target\":\"https://e.com/2\"}]}",
       SWH_ERR_VALIDATION, "snap.json: webhooks[1].id: \"W\" is also webhooks[0].id"},
      {"{\"apps\":[" APP_A "],\"webhooks\":[" HOOK("1") "," HOOK("1") "]}", SWH_ERR_VALIDATION,
       "snap.json: webhooks[1].target: app \"A\" already has a webhook with this target (webhooks[0])"},
      {"{\"apps\":[" APP_A "],\"webhooks\":[" HOOK("1") "," HOOK("2") "," HOOK("3") "," HOOK("4")
       "," HOOK("5") "," HOOK("6") "]}",
       SWH_ERR_VALIDATION, "snap.json: webhooks[5]: app \"A\" already has 5 webhooks, the most an app can have"},
      /* accepted: nothing at all, unknown fields, a trigger newer than API.md */
      {"{}", SWH_OK, NULL},
      {"{\"swh_snapshot\":1,\"project_id\":\"p\",\"future\":[],\"apps\":[{\"id\":\"A\","
       "\"settings\":{}}],\"webhooks\":[{\"id\":\"W\",\"app_id\":\"A\",\"target\":\"https://e.com/\","
       "\"triggers\":[\"FUTURE_TRIGGER_2031\"],\"future\":null}]}",
       SWH_OK, NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_error_t jerr;
    json_t *snapshot = json_loads(cases[i].json, JSON_DECODE_ANY, &jerr);
    if (!snapshot)
      fail_msg("case %zu: bad test JSON: %s", i, jerr.text);
    json_t *apps = (json_t *)1, *webhooks = (json_t *)1;
    const char *project = "unset";
    swh_error err;
    swh_error_init(&err);
    swh_status status = swh_snapshot_check(snapshot, "snap.json", &apps, &webhooks, &project, &err);
    if (status != cases[i].kind ||
        (cases[i].message && strcmp(err.message, cases[i].message) != 0))
      fail_msg("case %zu: %s\n  got %s: %s\n  expected %s: %s", i, cases[i].json,
               swh_error_kind_name(status), err.message, swh_error_kind_name(cases[i].kind),
               cases[i].message ? cases[i].message : "");
    if (status == SWH_OK) {
      assert_true(json_is_array(apps));
      assert_true(json_is_array(webhooks));
      json_decref(apps);
      json_decref(webhooks);
    } else {
      assert_null(apps);
      assert_null(webhooks);
      assert_null(project);
    }
    swh_error_clear(&err);
    /* in place: the same answer and message */
    json_t *own = json_deep_copy(snapshot);
    project = "unset";
    status = swh_snapshot_check_in_place(own, "snap.json", true, &project, &err);
    assert_int_equal(status, cases[i].kind);
    if (cases[i].message)
      assert_string_equal(err.message, cases[i].message);
    swh_error_clear(&err);
    json_decref(own);
    json_decref(snapshot);
  }
}

/* In place: the snapshot's own lists, trigger names normalised only when asked. */
static void test_check_in_place_changes_only_trigger_names(void **state) {
  const char *text =
      "{\"project_id\":\"p\",\"apps\":[{\"id\":\"A\"}],\"webhooks\":[{\"app_id\":\"A\","
      "\"target\":\"https://e.com/\",\"triggers\":[\"SMART_CONVERSATIONS\"]}]}";
  json_t *snapshot = json_loads(text, 0, NULL);
  json_t *original = json_deep_copy(snapshot);
  const char *project;
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swh_snapshot_check_in_place(snapshot, "s", false, &project, &err), SWH_OK);
  assert_string_equal(project, "p");
  assert_true(json_equal(snapshot, original));
  assert_int_equal(swh_snapshot_check_in_place(snapshot, "s", true, &project, &err), SWH_OK);
  json_t *triggers = json_object_get(json_array_get(json_object_get(snapshot, "webhooks"), 0),
                                     "triggers");
  assert_string_equal(json_string_value(json_array_get(triggers, 0)), "SMART_CONVERSATION");
  json_decref(snapshot);
  json_decref(original);
}

/* 3,000 webhooks in 600 apps: the rules are checked against every earlier webhook (through
   the project model), and a refusal names the right places at the end of a long file. */
static void test_check_at_3000_webhooks(void **state) {
  json_t *apps = json_array(), *webhooks = json_array();
  for (int a = 0; a < 600; a++) {
    char app_id[16], id[24], target[48];
    snprintf(app_id, sizeof app_id, "APP%d", a);
    json_array_append_new(apps, json_pack("{s:s}", "id", app_id));
    for (int k = 0; k < SWH_WEBHOOKS_PER_APP; k++) {
      snprintf(id, sizeof id, "W%d-%d", a, k);
      snprintf(target, sizeof target, "https://e.com/%d", k);
      json_array_append_new(webhooks, json_pack("{s:s,s:s,s:s,s:[s]}", "id", id, "app_id",
                                                app_id, "target", target, "triggers", "OPT_IN"));
    }
  }
  json_t *snapshot = json_pack("{s:o,s:o}", "apps", apps, "webhooks", webhooks);
  assert_non_null(snapshot);
  const char *project;
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swh_snapshot_check_in_place(snapshot, "s", true, &project, &err), SWH_OK);

  /* a sixth in the first app, a target taken in the last, an id taken from the first */
  json_t *extra = json_pack("{s:s,s:s}", "app_id", "APP0", "target", "https://e.com/new");
  json_array_append_new(webhooks, extra);
  assert_int_equal(swh_snapshot_check_in_place(snapshot, "s", true, &project, &err),
                   SWH_ERR_VALIDATION);
  assert_string_equal(err.message, "s: webhooks[3000]: app \"APP0\" already has 5 webhooks, "
                                   "the most an app can have");
  json_object_set_new(extra, "app_id", json_string("APP599"));
  json_object_set_new(extra, "target", json_string("https://e.com/2"));
  json_array_remove(webhooks, 2999);
  assert_int_equal(swh_snapshot_check_in_place(snapshot, "s", true, &project, &err),
                   SWH_ERR_VALIDATION);
  assert_string_equal(err.message, "s: webhooks[2999].target: app \"APP599\" already has a "
                                   "webhook with this target (webhooks[2997])");
  json_object_set_new(extra, "target", json_string("https://e.com/new"));
  json_object_set_new(extra, "id", json_string("W0-0"));
  assert_int_equal(swh_snapshot_check_in_place(snapshot, "s", true, &project, &err),
                   SWH_ERR_VALIDATION);
  assert_string_equal(err.message, "s: webhooks[2999].id: \"W0-0\" is also webhooks[0].id");
  json_decref(snapshot);
}

/* What comes back: copies (the snapshot is not changed), normalised trigger names, empty
   arrays for absent lists, and the project id. */
static void test_check_returns_normalised_copies(void **state) {
  json_t *snapshot = json_loads(
      "{\"project_id\":\"p\",\"apps\":[{\"id\":\"A\",\"x\":1}],\"webhooks\":[{\"app_id\":\"A\","
      "\"target\":\"https://e.com/\",\"triggers\":[\"SMART_CONVERSATIONS\"],\"keep\":[]}]}",
      0, NULL);
  assert_non_null(snapshot);
  json_t *original = json_deep_copy(snapshot);
  json_t *apps, *webhooks;
  const char *project;
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swh_snapshot_check(snapshot, "s", &apps, &webhooks, &project, &err), SWH_OK);
  assert_string_equal(project, "p");
  assert_true(json_equal(snapshot, original));
  json_t *expected_apps = json_loads("[{\"id\":\"A\",\"x\":1}]", 0, NULL);
  json_t *expected_webhooks = json_loads(
      "[{\"app_id\":\"A\",\"target\":\"https://e.com/\",\"triggers\":[\"SMART_CONVERSATION\"],"
      "\"keep\":[]}]", 0, NULL);
  assert_true(json_equal(apps, expected_apps));
  assert_true(json_equal(webhooks, expected_webhooks));
  json_decref(expected_apps);
  json_decref(expected_webhooks);
  json_decref(apps);
  json_decref(webhooks);

  json_t *empty = json_object();
  assert_int_equal(swh_snapshot_check(empty, "s", &apps, &webhooks, &project, &err), SWH_OK);
  assert_null(project);
  assert_int_equal(json_array_size(apps), 0);
  assert_int_equal(json_array_size(webhooks), 0);
  json_decref(apps);
  json_decref(webhooks);
  json_decref(empty);
  json_decref(snapshot);
  json_decref(original);
}

/* A snapshot holds secrets; a message about a bad webhook never quotes them. */
static void test_check_messages_quote_no_secret(void **state) {
  json_t *snapshot = json_loads(
      "{\"apps\":[{\"id\":\"A\"}],\"webhooks\":[{\"app_id\":\"A\",\"target\":\"https://e.com/\","
      "\"secret\":\"hook-secret-1\",\"client_credentials\":{\"client_id\":\"c\","
      "\"client_secret\":\"oauth-secret-2\",\"endpoint\":\"ldap://oauth-secret-2\"}}]}",
      0, NULL);
  assert_non_null(snapshot);
  json_t *apps, *webhooks;
  const char *project;
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swh_snapshot_check(snapshot, "s", &apps, &webhooks, &project, &err),
                   SWH_ERR_VALIDATION);
  assert_string_equal(err.message, "s: webhooks[0].client_credentials.endpoint: must be an "
                                   "http or https URL, not ldap");
  assert_null(strstr(err.message, "secret-"));
  json_decref(snapshot);
}

/* An allocation failure while checking is kind memory, whatever step it hits. */
static void test_check_allocation_failures_are_memory_errors(void **state) {
  json_t *snapshot = json_loads(
      "{\"apps\":[{\"id\":\"A\"}],\"webhooks\":[{\"app_id\":\"A\",\"target\":\"https://e.com/\","
      "\"triggers\":[\"OPT_IN\"]}]}", 0, NULL);
  assert_non_null(snapshot);
  bool saw_memory = false, saw_ok = false;
  for (int n = 0; n < 200 && !saw_ok; n++) {
    json_t *apps = NULL, *webhooks = NULL;
    const char *project;
    swh_error err;
    swh_error_init(&err);
    fx_allocations_fail(n);
    swh_status status = swh_snapshot_check(snapshot, "s", &apps, &webhooks, &project, &err);
    fx_allocations_fail(-1);
    if (status == SWH_OK) {
      saw_ok = true;
    } else {
      if (status != SWH_ERR_MEMORY)
        fail_msg("after %d allocations: %s: %s", n, swh_error_kind_name(status), err.message);
      assert_null(apps);
      assert_null(webhooks);
      saw_memory = true;
    }
    json_decref(apps);
    json_decref(webhooks);
    swh_error_clear(&err);
  }
  assert_true(saw_memory);
  assert_true(saw_ok);
  json_decref(snapshot);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_read_names_the_file_and_the_place),
      cmocka_unit_test(test_read_returns_the_value_unchecked),
      cmocka_unit_test(test_check_refuses_with_the_place),
      cmocka_unit_test(test_check_returns_normalised_copies),
      cmocka_unit_test(test_check_in_place_changes_only_trigger_names),
      cmocka_unit_test(test_check_at_3000_webhooks),
      cmocka_unit_test(test_check_messages_quote_no_secret),
      cmocka_unit_test(test_check_allocation_failures_are_memory_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
