/* Unit tests of the emulator's packed webhooks (src/emulator/packed.h): the text is the
   answer's form and unpacks to the webhook, unknown fields included; the keys read as the
   project model reads an object's; a project of 2,000 packed webhooks keeps its rules and
   indexes through creates, moves, retargets and deletes; out of memory is NULL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixtures.h"
#include "packed.h"
#include "swh_project.h"

/* A webhook with an unknown field that must survive; id may be NULL. */
static json_t *hook(const char *id, const char *app_id, const char *target) {
  json_t *webhook = json_pack("{s:s,s:s,s:[s,s],s:{s:b}}", "app_id", app_id, "target", target,
                              "triggers", "MESSAGE_INBOUND", "OPT_IN", "future", "kept", 1);
  assert_non_null(webhook);
  if (id)
    assert_int_equal(json_object_set_new(webhook, "id", json_string(id)), 0);
  return webhook;
}

static void test_text_and_unpack_give_the_webhook_back(void **state) {
  (void)state;
  json_t *webhook = hook("W1", "A1", "https://a.example/1");
  json_t *packed = emu_packed_new(webhook);
  assert_non_null(packed);
  char *expected = json_dumps(webhook, JSON_COMPACT);
  assert_string_equal(emu_packed_text(packed), expected);
  assert_string_equal(emu_packed_text(packed),
                      "{\"app_id\":\"A1\",\"target\":\"https://a.example/1\",\"triggers\":"
                      "[\"MESSAGE_INBOUND\",\"OPT_IN\"],\"future\":{\"kept\":true},"
                      "\"id\":\"W1\"}");
  json_t *unpacked = emu_packed_unpack(packed);
  assert_true(json_equal(unpacked, webhook));
  /* a copy the caller owns: changing it leaves the packed value as it was */
  assert_int_equal(json_object_set_new(unpacked, "target", json_string("https://b.example")), 0);
  assert_string_equal(emu_packed_text(packed), expected);
  free(expected);
  json_decref(unpacked);
  json_decref(packed);
  json_decref(webhook);
}

static void test_keys(void **state) {
  (void)state;
  const char *id, *app_id, *target;
  json_t *webhook = hook("W1", "A1", "https://a.example/1");
  json_t *packed = emu_packed_new(webhook);
  assert_true(emu_packed_keys(packed, &id, &app_id, &target));
  assert_string_equal(id, "W1");
  assert_string_equal(app_id, "A1");
  assert_string_equal(target, "https://a.example/1");
  json_decref(packed);
  json_decref(webhook);

  /* without an id (a hand-written seed's): NULL, as swh_project_object_keys says */
  webhook = hook(NULL, "A1", "https://a.example/2");
  packed = emu_packed_new(webhook);
  assert_true(emu_packed_keys(packed, &id, &app_id, &target));
  assert_null(id);
  assert_string_equal(target, "https://a.example/2");
  json_decref(packed);
  json_decref(webhook);

  /* a key with a NUL in it is cut there, as the model cuts an object's; the text is whole */
  webhook = json_pack("{s:s%,s:s,s:s}", "id", "W\0x", (size_t)3, "app_id", "A1", "target",
                      "https://a.example/3");
  packed = emu_packed_new(webhook);
  assert_true(emu_packed_keys(packed, &id, &app_id, &target));
  assert_string_equal(id, "W");
  assert_string_equal(app_id, "A1");
  assert_non_null(strstr(emu_packed_text(packed), "\"W\\u0000x\""));
  json_decref(packed);
  json_decref(webhook);

  /* what is not a packed webhook has no keys */
  json_t *plain = json_string("W1");
  json_t *two_parts = json_stringn("W1\0A1", 5);
  assert_false(emu_packed_keys(plain, &id, &app_id, &target));
  assert_false(emu_packed_keys(two_parts, &id, &app_id, &target));
  assert_false(emu_packed_keys(NULL, &id, &app_id, &target));
  json_decref(plain);
  json_decref(two_parts);
}

static void test_without_keys_or_memory_is_null(void **state) {
  (void)state;
  json_t *no_target = json_pack("{s:s}", "app_id", "A1");
  json_t *number_id = json_pack("{s:i,s:s,s:s}", "id", 7, "app_id", "A1", "target", "t");
  assert_null(emu_packed_new(no_target));
  assert_null(emu_packed_new(number_id));
  json_decref(no_target);
  json_decref(number_id);
  /* out of memory at each allocation in turn: NULL, or the whole value, never a part */
  json_t *webhook = hook("W1", "A1", "https://a.example/1");
  char *expected = json_dumps(webhook, JSON_COMPACT);
  int failed = 0;
  for (long n = 0; n < 200; n++) {
    fx_allocations_fail(n);
    json_t *packed = emu_packed_new(webhook);
    json_t *unpacked = packed ? emu_packed_unpack(packed) : NULL;
    fx_allocations_fail(-1);
    if (packed)
      assert_string_equal(emu_packed_text(packed), expected);
    if (unpacked)
      assert_true(json_equal(unpacked, webhook));
    failed += !unpacked;
    json_decref(unpacked);
    json_decref(packed);
  }
  assert_in_range(failed, 3, 199); /* some failed, and enough room made them all succeed */
  free(expected);
  json_decref(webhook);
}

/* Adds webhook id to app_id with target, packed; returns the packed value (borrowed). */
static json_t *add_packed(swh_project *project, const char *id, const char *app_id,
                          const char *target, swh_status expected, const char *message) {
  swh_error err;
  swh_error_init(&err);
  json_t *webhook = hook(id, app_id, target);
  json_t *packed = emu_packed_new(webhook);
  assert_non_null(packed);
  swh_status status = swh_project_add_webhook(project, packed, &err);
  if (status != expected || strcmp(err.message, message) != 0)
    fail_msg("adding %s: got %s", id, err.message);
  swh_error_clear(&err);
  json_decref(packed);
  json_decref(webhook);
  return status == SWH_OK ? packed : NULL;
}

static void test_a_project_of_2000_packed_webhooks(void **state) {
  (void)state;
  swh_project *project = swh_project_new_keyed("P", emu_packed_keys);
  assert_non_null(project);
  swh_error err;
  swh_error_init(&err);
  char id[32], app_id[32], target[64];
  for (int a = 0; a < 400; a++) {
    snprintf(app_id, sizeof app_id, "A%d", a);
    json_t *app = json_pack("{s:s}", "id", app_id);
    assert_int_equal(swh_project_add_app(project, app, &err), SWH_OK);
    json_decref(app);
    for (int k = 0; k < 5; k++) {
      snprintf(id, sizeof id, "W%d", a * 5 + k);
      snprintf(target, sizeof target, "https://h.example/%d/%d", a, k);
      add_packed(project, id, app_id, target, SWH_OK, "");
    }
  }
  assert_int_equal(swh_project_webhook_count(project), 2000);

  /* the rules, their messages naming the holder by the id its packed keys give */
  add_packed(project, "X1", "A7", "https://h.example/7/2", SWH_ERR_VALIDATION,
             "app \"A7\" already has 5 webhooks, the most an app can have");
  json_t *w37 = swh_project_webhook(project, "W37");
  json_t *holder = swh_project_target_holder(project, "A7", "https://h.example/7/2");
  assert_ptr_equal(holder, w37);
  assert_int_equal(swh_project_check_placement(project, "A7", "https://h.example/7/2", NULL,
                                               &err),
                   SWH_ERR_VALIDATION);
  assert_string_equal(err.message, "app \"A7\" already has 5 webhooks, the most an app can have");
  swh_error_clear(&err);
  assert_int_equal(swh_project_check_placement(project, "A7", "https://h.example/7/2",
                                               swh_project_webhook(project, "W36"), &err),
                   SWH_ERR_VALIDATION);
  assert_string_equal(err.message, "webhook.target: app \"A7\" already has a webhook with this "
                                   "target (W37)");
  swh_error_clear(&err);

  /* a delete, then a move into the freed place with a new target: every index follows */
  assert_int_equal(swh_project_delete_webhook(project, w37, &err), SWH_OK);
  assert_null(swh_project_webhook(project, "W37"));
  assert_null(swh_project_target_holder(project, "A7", "https://h.example/7/2"));
  json_t *moving = hook("W1999", "A7", "https://h.example/moved");
  json_t *moved = emu_packed_new(moving);
  assert_int_equal(swh_project_replace_webhook(project, swh_project_webhook(project, "W1999"),
                                               moved, &err),
                   SWH_OK);
  assert_ptr_equal(swh_project_webhook(project, "W1999"), moved);
  assert_ptr_equal(swh_project_target_holder(project, "A7", "https://h.example/moved"), moved);
  assert_null(swh_project_target_holder(project, "A399", "https://h.example/399/4"));
  assert_int_equal(json_array_size(swh_project_app_webhooks(project, "A7")), 5);
  assert_int_equal(json_array_size(swh_project_app_webhooks(project, "A399")), 4);
  assert_int_equal(swh_project_webhook_count(project), 1999);
  json_decref(moved);
  json_decref(moving);

  /* every webhook still found by id, and by its target within its app */
  for (int n = 0; n < 1999; n++) {
    if (n == 37)
      continue;
    snprintf(id, sizeof id, "W%d", n);
    json_t *packed = swh_project_webhook(project, id);
    const char *held_id, *held_app, *held_target;
    assert_true(emu_packed_keys(packed, &held_id, &held_app, &held_target));
    assert_string_equal(held_id, id);
    assert_ptr_equal(swh_project_target_holder(project, held_app, held_target), packed);
  }
  swh_project_free(project);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_text_and_unpack_give_the_webhook_back),
      cmocka_unit_test(test_keys),
      cmocka_unit_test(test_without_keys_or_memory_is_null),
      cmocka_unit_test(test_a_project_of_2000_packed_webhooks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
