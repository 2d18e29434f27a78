/* The webhook rules of API.md, applied under the store's lock. */
#include "handlers.h"

#include <stdio.h>
#include <string.h>

#include "swh_webhook.h"

#define NOT_FOUND_WEBHOOK "Webhook not found"
#define NOT_FOUND_APP "App not found"

static void reply_validation(emu_reply *reply, swh_error *err) {
  if (err->kind == SWH_ERR_MEMORY)
    emu_reply_error(reply, 500, "out of memory");
  else
    emu_reply_error(reply, 400, "%s", err->message);
  swh_error_clear(err);
}

/* Records a change (stolen: {"op":…}, see emu_store_record_locked) and answers value
   (stolen: a copy, never the stored object, since the answer is written after the lock is
   released); a change not on disk answers 500, since it is then in memory only. */
static void commit_locked(emu_store *store, json_t *change, json_t *value, emu_reply *reply) {
  swh_error err;
  swh_error_init(&err);
  if (!change)
    swh_error_set(&err, SWH_ERR_MEMORY, "out of memory");
  if (!change || emu_store_record_locked(store, change, &err) != SWH_OK) {
    fprintf(stderr, "swh-emulator: %s\n", err.message);
    emu_reply_error(reply, 500, "the emulator could not save its state file");
    json_decref(value);
  } else {
    emu_reply_json(reply, 200, value);
  }
  json_decref(change);
  swh_error_clear(&err);
}

void emu_handle_list_apps(emu_store *store, emu_reply *reply) {
  pthread_mutex_lock(&store->lock);
  emu_reply_json(reply, 200, json_pack("{s:o}", "apps", json_deep_copy(store->apps)));
  pthread_mutex_unlock(&store->lock);
}

void emu_handle_list_webhooks(emu_store *store, const char *app_id, emu_reply *reply) {
  pthread_mutex_lock(&store->lock);
  if (!emu_store_app_locked(store, app_id)) {
    emu_reply_error(reply, 404, NOT_FOUND_APP);
  } else {
    json_t *list = json_array();
    size_t i;
    json_t *webhook;
    json_array_foreach(store->webhooks, i, webhook) {
      if (list && strcmp(json_string_value(json_object_get(webhook, "app_id")), app_id) == 0 &&
          json_array_append_new(list, json_deep_copy(webhook)) != 0) {
        json_decref(list);
        list = NULL;
      }
    }
    emu_reply_json(reply, 200, json_pack("{s:o}", "webhooks", list));
  }
  pthread_mutex_unlock(&store->lock);
}

/* The checks that depend on the other webhooks: the app exists, has room (when the webhook
   joins it) and has no other webhook with this target. self: the webhook being updated, or
   NULL for a create. Returns false with the reply filled. */
static bool check_placement_locked(emu_store *store, const char *app_id, const char *target,
                                   const json_t *self, bool joins, emu_reply *reply) {
  emu_quote app;
  if (!emu_store_app_locked(store, app_id)) {
    emu_reply_error(reply, 400, "webhook.app_id: no such app \"%s\" in project \"%s\"",
                    emu_quote_text(&app, app_id, 128), store->project_id);
    return false;
  }
  if (joins && emu_store_count_locked(store, app_id, self) >= SWH_WEBHOOKS_PER_APP) {
    emu_reply_error(reply, 400, "app \"%s\" already has %d webhooks, the most an app can have",
                    emu_quote_text(&app, app_id, 128), SWH_WEBHOOKS_PER_APP);
    return false;
  }
  json_t *owner = emu_store_target_owner_locked(store, app_id, target, self);
  if (owner) {
    emu_reply_error(reply, 400,
                    "webhook.target: app \"%s\" already has a webhook with this target (%s)",
                    emu_quote_text(&app, app_id, 128),
                    json_string_value(json_object_get(owner, "id")));
    return false;
  }
  return true;
}

/* What the API fills in when a field is left out. */
static bool apply_defaults(json_t *webhook) {
  if (!json_object_get(webhook, "target_type") &&
      json_object_set_new(webhook, "target_type", json_string("HTTP")) != 0)
    return false;
  if (!json_object_get(webhook, "triggers") &&
      json_object_set_new(webhook, "triggers", json_array()) != 0)
    return false;
  json_t *secret = json_object_get(webhook, "secret");
  if (secret && json_string_length(secret) == 0)
    json_object_del(webhook, "secret"); /* "" means none */
  return true;
}

void emu_handle_create(emu_store *store, const json_t *body, emu_reply *reply) {
  swh_error err;
  swh_error_init(&err);
  if (emu_store_validate(store, body, 0, &err) != SWH_OK) {
    reply_validation(reply, &err);
    return;
  }
  pthread_mutex_lock(&store->lock);
  const char *app_id = json_string_value(json_object_get(body, "app_id"));
  const char *target = json_string_value(json_object_get(body, "target"));
  if (check_placement_locked(store, app_id, target, NULL, true, reply)) {
    char id[EMU_ULID_LEN + 1];
    emu_store_new_id_locked(store, id);
    /* id first, then the fields in the order they came, unknown ones included */
    json_t *webhook = json_pack("{s:s}", "id", id);
    json_t *fields = json_deep_copy(body);
    if (!webhook || !fields || json_object_update(webhook, fields) != 0 ||
        !apply_defaults(webhook) || json_array_append(store->webhooks, webhook) != 0) {
      emu_reply_error(reply, 500, "out of memory");
      json_decref(webhook);
    } else {
      swh_webhook_normalize(webhook);
      commit_locked(store, json_pack("{s:s,s:O}", "op", "create", "webhook", webhook),
                    json_deep_copy(webhook), reply);
      json_decref(webhook);
    }
    json_decref(fields);
  }
  pthread_mutex_unlock(&store->lock);
}

void emu_handle_get(emu_store *store, const char *id, emu_reply *reply) {
  pthread_mutex_lock(&store->lock);
  json_t *webhook = emu_store_webhook_locked(store, id, NULL);
  if (webhook)
    emu_reply_json(reply, 200, json_deep_copy(webhook));
  else
    emu_reply_error(reply, 404, NOT_FOUND_WEBHOOK);
  pthread_mutex_unlock(&store->lock);
}

void emu_handle_delete(emu_store *store, const char *id, emu_reply *reply) {
  pthread_mutex_lock(&store->lock);
  size_t index;
  if (!emu_store_webhook_locked(store, id, &index)) {
    emu_reply_error(reply, 404, NOT_FOUND_WEBHOOK);
  } else {
    json_array_remove(store->webhooks, index);
    commit_locked(store, json_pack("{s:s,s:s}", "op", "delete", "id", id), json_object(), reply);
  }
  pthread_mutex_unlock(&store->lock);
}

/* The field paths of every mask value, merged without repeats, or NULL with the reply
   filled. An absent or empty mask gives an empty array. */
static json_t *mask_paths(const json_t *masks, emu_reply *reply) {
  json_t *paths = json_array();
  size_t i;
  json_t *value;
  json_array_foreach(masks, i, value) {
    if (!paths)
      break;
    if (json_string_length(value) == 0)
      continue;
    swh_error err;
    swh_error_init(&err);
    json_t *parsed = swh_update_mask_parse(json_string_value(value), &err);
    if (!parsed) {
      reply_validation(reply, &err);
      json_decref(paths);
      return NULL;
    }
    size_t j;
    json_t *path;
    json_array_foreach(parsed, j, path) {
      bool seen = false;
      for (size_t k = 0; k < json_array_size(paths); k++)
        seen = seen || json_equal(json_array_get(paths, k), path);
      if (!seen && json_array_append(paths, path) != 0) {
        json_decref(paths);
        paths = NULL;
        break;
      }
    }
    json_decref(parsed);
  }
  if (!paths)
    emu_reply_error(reply, 500, "out of memory");
  return paths;
}

/* The changes an update makes: with a mask, the masked fields (a masked field missing from
   the body is reset: secret and client_credentials removed, triggers emptied, target_type
   HTTP; app_id and target cannot be reset); without, every field of the body. Returns a new
   object, or NULL with the reply filled. */
static json_t *update_changes(const json_t *current, const json_t *body, const json_t *paths,
                              emu_reply *reply) {
  json_t *changes = json_object();
  if (!changes) {
    emu_reply_error(reply, 500, "out of memory");
    return NULL;
  }
  if (json_array_size(paths) == 0) {
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)body, key, value) {
      if (strcmp(key, "id") == 0) {
        if (!json_equal(value, json_object_get(current, "id"))) {
          emu_reply_error(reply, 400, "webhook.id: read-only, it cannot be changed");
          json_decref(changes);
          return NULL;
        }
        continue;
      }
      if (json_object_set(changes, key, value) != 0)
        goto no_memory;
    }
    return changes;
  }
  size_t i;
  json_t *path;
  json_array_foreach(paths, i, path) {
    const char *name = json_string_value(path);
    json_t *value = json_object_get(body, name);
    if (!value) {
      if (strcmp(name, "app_id") == 0 || strcmp(name, "target") == 0) {
        emu_reply_error(reply, 400, "webhook.%s: named in update_mask but missing from the body",
                        name);
        json_decref(changes);
        return NULL;
      }
      value = strcmp(name, "triggers") == 0      ? json_array()
              : strcmp(name, "target_type") == 0 ? json_string("HTTP")
                                                 : json_null();
      if (json_object_set_new(changes, name, value) != 0)
        goto no_memory;
    } else if (json_object_set(changes, name, value) != 0) {
      goto no_memory;
    }
  }
  return changes;
no_memory: /* a change left out would apply the update in part */
  emu_reply_error(reply, 500, "out of memory");
  json_decref(changes);
  return NULL;
}

/* current with changes applied: "" secret and null client_credentials (or secret) remove the
   field. Returns a new object or NULL. */
static json_t *merged_webhook(const json_t *current, const json_t *changes) {
  json_t *merged = json_deep_copy(current);
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)changes, key, value) {
    if (!merged)
      break;
    bool clears = json_is_null(value) ||
                  (strcmp(key, "secret") == 0 && json_string_length(value) == 0 &&
                   json_is_string(value));
    if (clears)
      json_object_del(merged, key);
    else if (json_object_set_new(merged, key, json_deep_copy(value)) != 0) {
      json_decref(merged);
      merged = NULL;
    }
  }
  if (merged)
    swh_webhook_normalize(merged);
  return merged;
}

void emu_handle_update(emu_store *store, const char *id, const json_t *body,
                       const json_t *masks, emu_reply *reply) {
  json_t *paths = mask_paths(masks, reply);
  if (!paths)
    return;
  pthread_mutex_lock(&store->lock);
  size_t index;
  json_t *current = emu_store_webhook_locked(store, id, &index);
  json_t *changes = NULL, *merged = NULL, *check = NULL;
  swh_error err;
  swh_error_init(&err);
  if (!current) {
    emu_reply_error(reply, 404, NOT_FOUND_WEBHOOK);
    goto done;
  }
  changes = update_changes(current, body, paths, reply);
  if (!changes)
    goto done;
  if (emu_store_validate(store, changes, SWH_VALIDATE_PARTIAL, &err) != SWH_OK) {
    reply_validation(reply, &err);
    goto done;
  }
  merged = merged_webhook(current, changes);
  check = merged ? json_copy(merged) : NULL;
  /* jansson's shallow copy drops the keys it has no memory for, silently: a short copy would
     be refused as invalid ("target: required") rather than be the 500 it is */
  if (check && json_object_size(check) != json_object_size(merged)) {
    json_decref(check);
    check = NULL;
  }
  if (!check) {
    emu_reply_error(reply, 500, "out of memory");
    goto done;
  }
  /* the whole result must still be a valid webhook (as a create would see it, sans id) */
  json_object_del(check, "id");
  if (emu_store_validate(store, check, 0, &err) != SWH_OK) {
    reply_validation(reply, &err);
    goto done;
  }
  const char *app_id = json_string_value(json_object_get(merged, "app_id"));
  const char *target = json_string_value(json_object_get(merged, "target"));
  bool moves = strcmp(app_id, json_string_value(json_object_get(current, "app_id"))) != 0;
  if (!check_placement_locked(store, app_id, target, current, moves, reply))
    goto done;
  if (json_array_set(store->webhooks, index, merged) != 0) {
    emu_reply_error(reply, 500, "out of memory");
    goto done;
  }
  commit_locked(store, json_pack("{s:s,s:O}", "op", "update", "webhook", merged),
                json_deep_copy(merged), reply);
done:
  pthread_mutex_unlock(&store->lock);
  swh_error_clear(&err);
  json_decref(paths);
  json_decref(changes);
  json_decref(merged);
  json_decref(check);
}
