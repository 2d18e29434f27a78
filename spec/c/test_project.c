/* Unit tests of swh_project: the indexes (by id, by app, by app and target) kept right
   through creates, moves, retargets and deletes, at 2,500 webhooks too; the placement rules
   with their exact messages; allocation failures that change nothing; and the rules of one
   webhook that go with them in swh_webhook (defaults, trigger spellings, strict triggers
   with the names a server has seen). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixtures.h"
#include "swh_project.h"
#include "swh_webhook.h"

/* ---- helpers -------------------------------------------------------------------------- */

static json_t *app_value(const char *id) {
  json_t *app = json_pack("{s:s,s:{s:b}}", "id", id, "settings", "future", 1);
  assert_non_null(app);
  return app;
}

/* A webhook (id may be NULL), with an unknown field that must survive. */
static json_t *hook(const char *id, const char *app_id, const char *target) {
  json_t *webhook = json_pack("{s:s,s:s,s:[s],s:s}", "app_id", app_id, "target", target,
                              "triggers", "OPT_IN", "future_field", "kept");
  assert_non_null(webhook);
  if (id)
    assert_int_equal(json_object_set_new(webhook, "id", json_string(id)), 0);
  return webhook;
}

static void add_app(swh_project *project, const char *id) {
  swh_error err;
  swh_error_init(&err);
  json_t *app = app_value(id);
  assert_int_equal(swh_project_add_app(project, app, &err), SWH_OK);
  json_decref(app); /* the project holds its own reference */
}

/* Adds a webhook the rules allow; returns it (borrowed from the project). */
static json_t *add_hook(swh_project *project, const char *id, const char *app_id,
                        const char *target) {
  swh_error err;
  swh_error_init(&err);
  json_t *webhook = hook(id, app_id, target);
  swh_status status = swh_project_add_webhook(project, webhook, &err);
  if (status != SWH_OK)
    fail_msg("adding %s: %s", target, err.message);
  json_decref(webhook);
  return webhook;
}

/* A copy of webhook with field set to value, for a replace. */
static json_t *changed(const json_t *webhook, const char *field, const char *value) {
  json_t *copy = json_deep_copy(webhook);
  assert_non_null(copy);
  assert_int_equal(json_object_set_new(copy, field, json_string(value)), 0);
  return copy;
}

/* Expects the operation's status and message ("" for SWH_OK), then clears err. */
static void expect(swh_status status, swh_error *err, swh_status kind, const char *message) {
  if (status != kind || strcmp(err->message, message) != 0)
    fail_msg("got %s: %s\nexpected %s: %s", swh_error_kind_name(status), err->message,
             swh_error_kind_name(kind), message);
  swh_error_clear(err);
}

/* The ids of app's webhooks in order, "-" for none, joined by spaces, e.g. "W1 W3". */
static const char *ids_of(const swh_project *project, const char *app_id) {
  static char buf[256];
  buf[0] = '\0';
  const json_t *list = swh_project_app_webhooks(project, app_id);
  assert_non_null(list);
  size_t i;
  json_t *webhook;
  json_array_foreach(list, i, webhook) {
    const char *id = json_string_value(json_object_get(webhook, "id"));
    snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? " " : "", id ? id : "-");
  }
  return buf;
}

/* Checks every index against the per-app lists: each listed webhook is found by its id and
   by its app and target, belongs to its app, and the count adds up. */
static void check_indexes(const swh_project *project) {
  size_t total = 0;
  for (size_t a = 0; a < swh_project_app_count(project); a++) {
    const char *app_id = json_string_value(json_object_get(swh_project_app_at(project, a), "id"));
    assert_ptr_equal(swh_project_app(project, app_id), swh_project_app_at(project, a));
    const json_t *list = swh_project_app_webhooks(project, app_id);
    assert_true(json_array_size(list) <= SWH_WEBHOOKS_PER_APP);
    size_t i;
    json_t *webhook;
    json_array_foreach(list, i, webhook) {
      assert_string_equal(json_string_value(json_object_get(webhook, "app_id")), app_id);
      const char *target = json_string_value(json_object_get(webhook, "target"));
      assert_ptr_equal(swh_project_target_holder(project, app_id, target), webhook);
      const char *id = json_string_value(json_object_get(webhook, "id"));
      if (id)
        assert_ptr_equal(swh_project_webhook(project, id), webhook);
      total++;
    }
  }
  assert_int_equal(swh_project_webhook_count(project), total);
}

/* ---- apps ----------------------------------------------------------------------------- */

static void test_apps_keep_their_order_and_fields(void **state) {
  swh_project *project = swh_project_new("P");
  assert_non_null(project);
  assert_string_equal(swh_project_id(project), "P");
  add_app(project, "B");
  add_app(project, "A");
  assert_int_equal(swh_project_app_count(project), 2);
  assert_string_equal(json_string_value(json_object_get(swh_project_app_at(project, 0), "id")),
                      "B");
  assert_ptr_equal(swh_project_app(project, "A"), swh_project_app_at(project, 1));
  assert_null(swh_project_app_at(project, 2));
  assert_null(swh_project_app(project, "C"));
  assert_true(json_is_true(json_object_get(
      json_object_get(swh_project_app(project, "A"), "settings"), "future")));
  assert_int_equal(json_array_size(swh_project_app_webhooks(project, "A")), 0);
  assert_null(swh_project_app_webhooks(project, "C"));

  swh_error err;
  swh_error_init(&err);
  json_t *again = app_value("A");
  expect(swh_project_add_app(project, again, &err), &err, SWH_ERR_VALIDATION,
         "app.id: \"A\" is already an app of the project");
  json_decref(again);
  json_t *no_id = json_pack("{s:s}", "display_name", "x");
  expect(swh_project_add_app(project, no_id, &err), &err, SWH_ERR_VALIDATION,
         "app.id: expected a non-empty string");
  json_decref(no_id);
  assert_int_equal(swh_project_app_count(project), 2);
  swh_project_free(project);
  swh_project_free(NULL);
}

/* ---- the rules ------------------------------------------------------------------------ */

static void test_placement_rules_with_the_apis_messages(void **state) {
  swh_project *project = swh_project_new("P");
  add_app(project, "A");
  add_app(project, "B");
  swh_error err;
  swh_error_init(&err);
  json_t *first = add_hook(project, "W1", "A", "https://e.com/1");

  /* no such app, with and without a project id to name */
  expect(swh_project_check_placement(project, "X", "https://e.com/1", NULL, &err), &err,
         SWH_ERR_VALIDATION, "webhook.app_id: no such app \"X\" in project \"P\"");
  swh_project *anonymous = swh_project_new(NULL);
  expect(swh_project_check_placement(anonymous, "X", "https://e.com/1", NULL, &err), &err,
         SWH_ERR_VALIDATION, "webhook.app_id: no such app \"X\"");
  swh_project_free(anonymous);

  /* a target is unique within its app, and only there */
  const json_t *holder = NULL;
  assert_int_equal(swh_project_placement(project, "A", "https://e.com/1", NULL, &holder),
                   SWH_PLACEMENT_TARGET_TAKEN);
  assert_ptr_equal(holder, first);
  expect(swh_project_check_placement(project, "A", "https://e.com/1", NULL, &err), &err,
         SWH_ERR_VALIDATION,
         "webhook.target: app \"A\" already has a webhook with this target (W1)");
  assert_int_equal(swh_project_placement(project, "B", "https://e.com/1", NULL, &holder),
                   SWH_PLACEMENT_OK);
  assert_null(holder);
  /* a webhook does not conflict with itself (an update that keeps its target) */
  assert_int_equal(swh_project_placement(project, "A", "https://e.com/1", first, NULL),
                   SWH_PLACEMENT_OK);
  /* the holder is named as the caller says, and as "another webhook" without an id */
  expect(swh_project_placement_error(&err, SWH_PLACEMENT_TARGET_TAKEN, NULL, "A",
                                     "webhooks[0]"),
         &err, SWH_ERR_VALIDATION,
         "webhook.target: app \"A\" already has a webhook with this target (webhooks[0])");
  add_hook(project, NULL, "B", "https://e.com/nameless");
  expect(swh_project_check_placement(project, "B", "https://e.com/nameless", NULL, &err), &err,
         SWH_ERR_VALIDATION,
         "webhook.target: app \"B\" already has a webhook with this target (another webhook)");

  /* at most 5 an app: the sixth is refused, an update of one of the five is not */
  for (int i = 2; i <= 5; i++) {
    char id[8], target[32];
    snprintf(id, sizeof id, "W%d", i);
    snprintf(target, sizeof target, "https://e.com/%d", i);
    add_hook(project, id, "A", target);
  }
  assert_int_equal(swh_project_placement(project, "A", "https://e.com/6", NULL, NULL),
                   SWH_PLACEMENT_APP_FULL);
  expect(swh_project_check_placement(project, "A", "https://e.com/6", NULL, &err), &err,
         SWH_ERR_VALIDATION, "app \"A\" already has 5 webhooks, the most an app can have");
  expect(swh_project_check_placement(project, "A", "https://e.com/6", first, &err), &err,
         SWH_OK, "");
  /* the room is checked before the target, as the API does */
  expect(swh_project_check_placement(project, "A", "https://e.com/2", NULL, &err), &err,
         SWH_ERR_VALIDATION, "app \"A\" already has 5 webhooks, the most an app can have");
  json_t *sixth = hook("W6", "A", "https://e.com/6");
  expect(swh_project_add_webhook(project, sixth, &err), &err, SWH_ERR_VALIDATION,
         "app \"A\" already has 5 webhooks, the most an app can have");
  json_decref(sixth);
  assert_string_equal(ids_of(project, "A"), "W1 W2 W3 W4 W5");
  assert_null(swh_project_webhook(project, "W6"));
  expect(swh_project_placement_error(&err, SWH_PLACEMENT_OK, "P", "A", NULL), &err, SWH_OK, "");
  check_indexes(project);
  swh_project_free(project);
}

static void test_creates_index_by_id_app_and_target(void **state) {
  swh_project *project = swh_project_new(NULL);
  add_app(project, "A");
  add_app(project, "B");
  json_t *w1 = add_hook(project, "W1", "A", "https://e.com/1");
  json_t *w2 = add_hook(project, "W2", "B", "https://e.com/1");
  json_t *w3 = add_hook(project, "W3", "A", "https://e.com/3");
  json_t *nameless = add_hook(project, NULL, "B", "https://e.com/2");
  assert_int_equal(swh_project_webhook_count(project), 4);
  assert_ptr_equal(swh_project_webhook(project, "W1"), w1);
  assert_ptr_equal(swh_project_webhook(project, "W2"), w2);
  assert_null(swh_project_webhook(project, "W4"));
  assert_null(swh_project_webhook(project, NULL));
  assert_ptr_equal(swh_project_target_holder(project, "A", "https://e.com/1"), w1);
  assert_ptr_equal(swh_project_target_holder(project, "B", "https://e.com/1"), w2);
  assert_ptr_equal(swh_project_target_holder(project, "A", "https://e.com/3"), w3);
  assert_ptr_equal(swh_project_target_holder(project, "B", "https://e.com/2"), nameless);
  assert_null(swh_project_target_holder(project, "B", "https://e.com/3"));
  assert_null(swh_project_target_holder(project, "X", "https://e.com/1"));
  assert_string_equal(ids_of(project, "A"), "W1 W3");
  assert_string_equal(ids_of(project, "B"), "W2 -");
  /* kept whole */
  assert_string_equal(json_string_value(json_object_get(w1, "future_field")), "kept");

  swh_error err;
  swh_error_init(&err);
  json_t *twin = hook("W1", "B", "https://e.com/9");
  expect(swh_project_add_webhook(project, twin, &err), &err, SWH_ERR_VALIDATION,
         "webhook.id: \"W1\" is already the id of another webhook");
  json_decref(twin);
  json_t *bad = json_pack("{s:s,s:i}", "app_id", "A", "target", 7);
  expect(swh_project_add_webhook(project, bad, &err), &err, SWH_ERR_USAGE,
         "webhook: expected an object with string app_id and target, and a string id or "
         "none");
  json_decref(bad);
  assert_int_equal(swh_project_webhook_count(project), 4);
  check_indexes(project);
  swh_project_free(project);
}

/* ---- changes -------------------------------------------------------------------------- */

static void test_a_move_keeps_every_index_right(void **state) {
  swh_project *project = swh_project_new("P");
  add_app(project, "A");
  add_app(project, "B");
  add_app(project, "FULL");
  json_t *w1 = add_hook(project, "W1", "A", "https://e.com/1");
  add_hook(project, "W2", "A", "https://e.com/2");
  add_hook(project, "W3", "B", "https://e.com/3");
  for (int i = 0; i < SWH_WEBHOOKS_PER_APP; i++) {
    char id[8], target[32];
    snprintf(id, sizeof id, "F%d", i);
    snprintf(target, sizeof target, "https://e.com/%d", i);
    add_hook(project, id, "FULL", target);
  }
  swh_error err;
  swh_error_init(&err);

  /* A -> B: it leaves A's list and index, joins B's last, keeps its id */
  json_t *moved = changed(w1, "app_id", "B");
  expect(swh_project_replace_webhook(project, w1, moved, &err), &err, SWH_OK, "");
  assert_string_equal(ids_of(project, "A"), "W2");
  assert_string_equal(ids_of(project, "B"), "W3 W1");
  assert_ptr_equal(swh_project_webhook(project, "W1"), moved);
  assert_ptr_equal(swh_project_target_holder(project, "B", "https://e.com/1"), moved);
  assert_null(swh_project_target_holder(project, "A", "https://e.com/1"));
  assert_int_equal(swh_project_webhook_count(project), 2 + 1 + SWH_WEBHOOKS_PER_APP);
  check_indexes(project);

  /* into a full app, onto a taken target, into no app: refused, nothing changed */
  json_t *refused = changed(moved, "app_id", "FULL");
  expect(swh_project_replace_webhook(project, moved, refused, &err), &err, SWH_ERR_VALIDATION,
         "app \"FULL\" already has 5 webhooks, the most an app can have");
  json_decref(refused);
  refused = changed(moved, "app_id", "A");
  json_object_set_new(refused, "target", json_string("https://e.com/2"));
  expect(swh_project_replace_webhook(project, moved, refused, &err), &err, SWH_ERR_VALIDATION,
         "webhook.target: app \"A\" already has a webhook with this target (W2)");
  json_decref(refused);
  refused = changed(moved, "app_id", "NONE");
  expect(swh_project_replace_webhook(project, moved, refused, &err), &err, SWH_ERR_VALIDATION,
         "webhook.app_id: no such app \"NONE\" in project \"P\"");
  json_decref(refused);
  assert_string_equal(ids_of(project, "B"), "W3 W1");
  assert_ptr_equal(swh_project_webhook(project, "W1"), moved);
  check_indexes(project);

  /* and back, taking a target A freed, to the end of A's list */
  json_t *back = changed(moved, "app_id", "A");
  expect(swh_project_replace_webhook(project, moved, back, &err), &err, SWH_OK, "");
  json_decref(moved);
  json_decref(back);
  assert_string_equal(ids_of(project, "A"), "W2 W1");
  assert_string_equal(ids_of(project, "B"), "W3");
  check_indexes(project);
  swh_project_free(project);
}

static void test_a_retarget_frees_the_old_target_and_keeps_the_place(void **state) {
  swh_project *project = swh_project_new("P");
  add_app(project, "A");
  json_t *w1 = add_hook(project, "W1", "A", "https://e.com/1");
  json_t *w2 = add_hook(project, "W2", "A", "https://e.com/2");
  add_hook(project, "W3", "A", "https://e.com/3");
  swh_error err;
  swh_error_init(&err);
  json_t *retargeted = changed(w2, "target", "https://e.com/new");
  expect(swh_project_replace_webhook(project, w2, retargeted, &err), &err, SWH_OK, "");
  assert_string_equal(ids_of(project, "A"), "W1 W2 W3");
  assert_ptr_equal(swh_project_target_holder(project, "A", "https://e.com/new"), retargeted);
  assert_null(swh_project_target_holder(project, "A", "https://e.com/2"));
  assert_ptr_equal(swh_project_webhook(project, "W2"), retargeted);
  /* the freed target is free for another */
  add_hook(project, "W4", "A", "https://e.com/2");
  /* onto a taken one: refused */
  json_t *clash = changed(w1, "target", "https://e.com/3");
  expect(swh_project_replace_webhook(project, w1, clash, &err), &err, SWH_ERR_VALIDATION,
         "webhook.target: app \"A\" already has a webhook with this target (W3)");
  json_decref(clash);
  /* an update that keeps app and target (other fields change) keeps its place, in a full
     app too */
  add_hook(project, "W5", "A", "https://e.com/5");
  json_t *edited = changed(w1, "future_field", "edited");
  expect(swh_project_replace_webhook(project, w1, edited, &err), &err, SWH_OK, "");
  assert_string_equal(ids_of(project, "A"), "W1 W2 W3 W4 W5");
  assert_ptr_equal(swh_project_target_holder(project, "A", "https://e.com/1"), edited);
  json_decref(retargeted);
  json_decref(edited);
  check_indexes(project);
  swh_project_free(project);
}

static void test_ids_are_given_once_and_never_change(void **state) {
  swh_project *project = swh_project_new(NULL);
  add_app(project, "A");
  json_t *nameless = add_hook(project, NULL, "A", "https://e.com/1");
  add_hook(project, "W2", "A", "https://e.com/2");
  swh_error err;
  swh_error_init(&err);
  /* an id another webhook has: refused */
  json_t *named = changed(nameless, "id", "W2");
  expect(swh_project_replace_webhook(project, nameless, named, &err), &err, SWH_ERR_VALIDATION,
         "webhook.id: \"W2\" is already the id of another webhook");
  json_decref(named);
  /* a new one: found by it from now on, in the same place */
  named = changed(nameless, "id", "W1");
  expect(swh_project_replace_webhook(project, nameless, named, &err), &err, SWH_OK, "");
  assert_ptr_equal(swh_project_webhook(project, "W1"), named);
  assert_string_equal(ids_of(project, "A"), "W1 W2");
  /* an id that changes or goes: misuse */
  json_t *renamed = changed(named, "id", "W9");
  expect(swh_project_replace_webhook(project, named, renamed, &err), &err, SWH_ERR_USAGE,
         "webhook.id: an id cannot change");
  json_object_del(renamed, "id");
  expect(swh_project_replace_webhook(project, named, renamed, &err), &err, SWH_ERR_USAGE,
         "webhook.id: an id cannot change");
  json_decref(renamed);
  /* replacing what is not in the project: misuse */
  json_t *stranger = hook("W7", "A", "https://e.com/7");
  expect(swh_project_replace_webhook(project, stranger, named, &err), &err, SWH_ERR_USAGE,
         "webhook: not a webhook of this project");
  json_decref(stranger);
  json_decref(named);
  check_indexes(project);
  swh_project_free(project);
}

static void test_a_delete_clears_every_index(void **state) {
  swh_project *project = swh_project_new(NULL);
  add_app(project, "A");
  json_t *w1 = add_hook(project, "W1", "A", "https://e.com/1");
  add_hook(project, "W2", "A", "https://e.com/2");
  json_t *nameless = add_hook(project, NULL, "A", "https://e.com/3");
  swh_error err;
  swh_error_init(&err);
  json_incref(w1); /* kept to try again below */
  expect(swh_project_delete_webhook(project, w1, &err), &err, SWH_OK, "");
  expect(swh_project_delete_webhook(project, nameless, &err), &err, SWH_OK, "");
  assert_string_equal(ids_of(project, "A"), "W2");
  assert_null(swh_project_webhook(project, "W1"));
  assert_null(swh_project_target_holder(project, "A", "https://e.com/1"));
  assert_null(swh_project_target_holder(project, "A", "https://e.com/3"));
  assert_int_equal(swh_project_webhook_count(project), 1);
  expect(swh_project_delete_webhook(project, w1, &err), &err, SWH_ERR_USAGE,
         "webhook: not a webhook of this project");
  json_decref(w1);
  /* the freed id and targets can be used again */
  add_hook(project, "W1", "A", "https://e.com/1");
  add_hook(project, "W3", "A", "https://e.com/3");
  assert_string_equal(ids_of(project, "A"), "W2 W1 W3");
  check_indexes(project);
  swh_project_free(project);
}

/* ---- at scale ------------------------------------------------------------------------- */

/*
 * 500 apps of 5 webhooks (2,500), then in turn: every webhook of the even apps moves to
 * the next app after the odd app has freed its places by deleting them, every webhook left
 * is retargeted, and every tenth deleted; the indexes are checked against the lists after
 * each round, and the lists against what the rounds must have left.
 */
#define SCALE_APPS 500

static void test_indexes_stay_right_at_2500_webhooks(void **state) {
  swh_project *project = swh_project_new("P");
  char app_id[16], id[16], target[64];
  for (int a = 0; a < SCALE_APPS; a++) {
    snprintf(app_id, sizeof app_id, "APP%03d", a);
    add_app(project, app_id);
    for (int k = 0; k < SWH_WEBHOOKS_PER_APP; k++) {
      snprintf(id, sizeof id, "W%03d%d", a, k);
      snprintf(target, sizeof target, "https://old.example.com/%d", k);
      add_hook(project, id, app_id, target);
    }
  }
  assert_int_equal(swh_project_webhook_count(project), SCALE_APPS * SWH_WEBHOOKS_PER_APP);
  check_indexes(project);
  swh_error err;
  swh_error_init(&err);

  /* odd apps empty themselves; the even app before each moves its webhooks there */
  for (int a = 1; a < SCALE_APPS; a += 2) {
    for (int k = 0; k < SWH_WEBHOOKS_PER_APP; k++) {
      snprintf(id, sizeof id, "W%03d%d", a, k);
      expect(swh_project_delete_webhook(project, swh_project_webhook(project, id), &err), &err,
             SWH_OK, "");
    }
    snprintf(app_id, sizeof app_id, "APP%03d", a);
    for (int k = 0; k < SWH_WEBHOOKS_PER_APP; k++) {
      snprintf(id, sizeof id, "W%03d%d", a - 1, k);
      json_t *webhook = swh_project_webhook(project, id);
      json_t *moved = changed(webhook, "app_id", app_id);
      expect(swh_project_replace_webhook(project, webhook, moved, &err), &err, SWH_OK, "");
      json_decref(moved);
    }
  }
  assert_int_equal(swh_project_webhook_count(project), SCALE_APPS / 2 * SWH_WEBHOOKS_PER_APP);
  check_indexes(project);
  assert_string_equal(ids_of(project, "APP000"), "");
  assert_string_equal(ids_of(project, "APP001"), "W0000 W0001 W0002 W0003 W0004");

  /* every webhook to a new host; then every tenth deleted */
  for (int a = 0; a < SCALE_APPS; a += 2) {
    for (int k = 0; k < SWH_WEBHOOKS_PER_APP; k++) {
      snprintf(id, sizeof id, "W%03d%d", a, k);
      snprintf(target, sizeof target, "https://new.example.com/%d", k);
      json_t *webhook = swh_project_webhook(project, id);
      json_t *retargeted = changed(webhook, "target", target);
      expect(swh_project_replace_webhook(project, webhook, retargeted, &err), &err, SWH_OK, "");
      json_decref(retargeted);
    }
  }
  check_indexes(project);
  size_t left = swh_project_webhook_count(project);
  for (int a = 0; a < SCALE_APPS; a += 10) {
    snprintf(id, sizeof id, "W%03d%d", a, a % SWH_WEBHOOKS_PER_APP);
    expect(swh_project_delete_webhook(project, swh_project_webhook(project, id), &err), &err,
           SWH_OK, "");
    left--;
  }
  assert_int_equal(swh_project_webhook_count(project), left);
  check_indexes(project);
  for (int a = 1; a < SCALE_APPS; a += 2) {
    snprintf(app_id, sizeof app_id, "APP%03d", a);
    assert_null(swh_project_target_holder(project, app_id, "https://old.example.com/1"));
    /* W<a-1>0 was deleted where a-1 is a multiple of 10 */
    json_t *holder = swh_project_target_holder(project, app_id, "https://new.example.com/0");
    if ((a - 1) % 10 == 0)
      assert_null(holder);
    else
      assert_non_null(holder);
    assert_int_equal(json_array_size(swh_project_app_webhooks(project, app_id)),
                     (a - 1) % 10 == 0 ? SWH_WEBHOOKS_PER_APP - 1 : SWH_WEBHOOKS_PER_APP);
  }
  swh_project_free(project);
}

/* ---- allocation failures -------------------------------------------------------------- */


/* Runs op with the n-th of jansson's allocations failing, for n = 0, 1, ... until it
   succeeds: each failure must be kind memory and leave the project as it was. */
typedef swh_status (*project_op)(swh_project *project, json_t *a, json_t *b, swh_error *err);

static swh_status op_add(swh_project *project, json_t *a, json_t *b, swh_error *err) {
  (void)b;
  return swh_project_add_webhook(project, a, err);
}
static swh_status op_replace(swh_project *project, json_t *a, json_t *b, swh_error *err) {
  return swh_project_replace_webhook(project, a, b, err);
}
static swh_status op_add_app(swh_project *project, json_t *a, json_t *b, swh_error *err) {
  (void)b;
  return swh_project_add_app(project, a, err);
}

static void run_until_it_succeeds(swh_project *project, project_op op, json_t *a, json_t *b,
                                  const char *before) {
  bool failed_once = false;
  for (int n = 0; n < 50; n++) {
    swh_error err;
    swh_error_init(&err);
    fx_allocations_fail(n);
    swh_status status = op(project, a, b, &err);
    fx_allocations_fail(-1);
    check_indexes(project);
    if (status == SWH_OK)
      return;
    if (status != SWH_ERR_MEMORY)
      fail_msg("after %d allocations: %s: %s", n, swh_error_kind_name(status), err.message);
    assert_string_equal(ids_of(project, "A"), before);
    failed_once = true;
  }
  fail_msg("still failing after 50 allocations (failed once: %d)", failed_once);
}

static void test_allocation_failures_change_nothing(void **state) {
  swh_project *project = swh_project_new(NULL);
  add_app(project, "A");
  add_app(project, "B");
  json_t *w1 = add_hook(project, "W1", "A", "https://e.com/1");
  json_t *app = app_value("C");
  run_until_it_succeeds(project, op_add_app, app, NULL, "W1");
  json_decref(app);
  assert_non_null(swh_project_app(project, "C"));

  json_t *w2 = hook("W2", "A", "https://e.com/2");
  run_until_it_succeeds(project, op_add, w2, NULL, "W1");
  assert_string_equal(ids_of(project, "A"), "W1 W2");
  json_t *moved = changed(w1, "app_id", "C"); /* C has no target index yet */
  run_until_it_succeeds(project, op_replace, w1, moved, "W1 W2");
  assert_string_equal(ids_of(project, "A"), "W2");
  assert_string_equal(ids_of(project, "C"), "W1");
  json_t *retargeted = changed(w2, "target", "https://e.com/new");
  run_until_it_succeeds(project, op_replace, w2, retargeted, "W2");
  assert_ptr_equal(swh_project_target_holder(project, "A", "https://e.com/new"), retargeted);
  json_decref(w2);
  json_decref(moved);
  json_decref(retargeted);
  swh_project_free(project);
}

/* ---- defaults (swh_webhook) ----------------------------------------------------------- */

static void test_defaults_of_a_webhook(void **state) {
  struct {
    const char *field, *json; /* NULL: no default */
  } cases[] = {{"target_type", "\"HTTP\""}, {"triggers", "[]"}, {"secret", "\"\""},
               {"client_credentials", "null"}, {"app_id", NULL}, {"target", NULL},
               {"nonsense", NULL}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_t *value = swh_webhook_field_default(cases[i].field);
    if (!cases[i].json) {
      assert_null(value);
      continue;
    }
    char *text = json_dumps(value, JSON_ENCODE_ANY);
    assert_string_equal(text, cases[i].json);
    free(text);
    json_decref(value);
  }
  assert_null(swh_webhook_field_default(NULL));

  json_t *webhook = json_loads("{\"app_id\":\"A\",\"target\":\"https://e.com/\",\"secret\":\"\","
                               "\"x\":1}", 0, NULL);
  assert_true(swh_webhook_apply_defaults(webhook));
  json_t *expected = json_loads("{\"app_id\":\"A\",\"target\":\"https://e.com/\",\"x\":1,"
                                "\"target_type\":\"HTTP\",\"triggers\":[]}", 0, NULL);
  assert_true(json_equal(webhook, expected));
  json_decref(expected);
  json_decref(webhook);
  /* what is given stays */
  webhook = json_loads("{\"target_type\":\"DISMISS\",\"triggers\":[\"OPT_IN\"],\"secret\":\"s\"}",
                       0, NULL);
  expected = json_deep_copy(webhook);
  assert_true(swh_webhook_apply_defaults(webhook));
  assert_true(json_equal(webhook, expected));
  json_decref(expected);
  json_decref(webhook);
}

static void test_trigger_spellings(void **state) {
  json_t *webhook = json_loads("{\"triggers\":[\"SMART_CONVERSATIONS\",\"OPT_IN\","
                               "\"FUTURE_ONE\",7]}", 0, NULL);
  swh_webhook_normalize(webhook);
  json_t *expected = json_loads("{\"triggers\":[\"SMART_CONVERSATION\",\"OPT_IN\","
                                "\"FUTURE_ONE\",7]}", 0, NULL);
  assert_true(json_equal(webhook, expected));
  assert_true(swh_trigger_known("SMART_CONVERSATIONS"));
  json_decref(expected);
  json_decref(webhook);
}

/* Strict trigger checking with the names a server has seen besides API.md's. */
static void test_strict_triggers_with_names_seen(void **state) {
  json_t *webhook = json_loads("{\"app_id\":\"A\",\"target\":\"https://e.com/\","
                               "\"triggers\":[\"OPT_IN\",\"FUTURE_ONE\"]}", 0, NULL);
  json_t *seen = json_pack("{s:b}", "FUTURE_ONE", 1);
  swh_error err;
  swh_error_init(&err);
  expect(swh_webhook_validate_with(webhook, SWH_VALIDATE_STRICT_TRIGGERS, NULL, &err), &err,
         SWH_ERR_VALIDATION, "webhook.triggers[1]: unknown trigger \"FUTURE_ONE\"");
  expect(swh_webhook_validate_with(webhook, SWH_VALIDATE_STRICT_TRIGGERS, seen, &err), &err,
         SWH_OK, "");
  /* repeats are still repeats */
  json_array_append_new(json_object_get(webhook, "triggers"), json_string("FUTURE_ONE"));
  expect(swh_webhook_validate_with(webhook, SWH_VALIDATE_STRICT_TRIGGERS, seen, &err), &err,
         SWH_ERR_VALIDATION, "webhook.triggers[2]: \"FUTURE_ONE\" repeats webhook.triggers[1]");
  json_decref(seen);
  json_decref(webhook);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_apps_keep_their_order_and_fields),
      cmocka_unit_test(test_placement_rules_with_the_apis_messages),
      cmocka_unit_test(test_creates_index_by_id_app_and_target),
      cmocka_unit_test(test_a_move_keeps_every_index_right),
      cmocka_unit_test(test_a_retarget_frees_the_old_target_and_keeps_the_place),
      cmocka_unit_test(test_ids_are_given_once_and_never_change),
      cmocka_unit_test(test_a_delete_clears_every_index),
      cmocka_unit_test(test_indexes_stay_right_at_2500_webhooks),
      cmocka_unit_test(test_allocation_failures_change_nothing),
      cmocka_unit_test(test_defaults_of_a_webhook),
      cmocka_unit_test(test_trigger_spellings),
      cmocka_unit_test(test_strict_triggers_with_names_seen),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
