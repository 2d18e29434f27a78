/* The webhook operations of API.md under the store's lock; the project's rules are
   swh_project's and swh_webhook's. Reads share the lock, changes hold it alone. Stored
   webhooks are packed (packed.h): answers are their texts, changes work on unpacked copies. */
#include "handlers.h"

#include <stdio.h>
#include <stdlib.h>
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

/* Records a change (stolen: {"op":…}, see emu_store_record_locked) and answers the stored
   webhook packed (its text, the answer's form already; NULL: {}); a change not on disk
   answers 500, since it is then in memory only. */
static void commit_locked(emu_store *store, json_t *change, const json_t *packed,
                          emu_reply *reply) {
  swh_error err;
  swh_error_init(&err);
  if (!change)
    swh_error_set(&err, SWH_ERR_MEMORY, "out of memory");
  if (!change || emu_store_record_locked(store, change, &err) != SWH_OK) {
    fprintf(stderr, "swh-emulator: %s\n", err.message);
    emu_reply_error(reply, 500, "the emulator could not save its state file");
  } else if (packed) {
    emu_reply_text(reply, 200, strdup(emu_packed_text(packed)));
  } else {
    emu_reply_json(reply, 200, json_object());
  }
  json_decref(change);
  swh_error_clear(&err);
}

void emu_handle_list_apps(emu_store *store, emu_reply *reply) {
  pthread_rwlock_rdlock(&store->lock);
  json_t *apps = json_array();
  size_t count = swh_project_app_count(store->project);
  for (size_t i = 0; apps && i < count; i++) {
    if (json_array_append(apps, swh_project_app_at(store->project, i)) != 0) {
      json_decref(apps);
      apps = NULL;
    }
  }
  json_t *body = json_pack("{s:o}", "apps", apps);
  if (body)
    emu_reply_dump(reply, 200, body);
  else
    emu_reply_error(reply, 500, "out of memory");
  json_decref(body); /* the stored apps are released under the lock */
  pthread_rwlock_unlock(&store->lock);
}

void emu_handle_get_app(emu_store *store, const char *app_id, emu_reply *reply) {
  pthread_rwlock_rdlock(&store->lock);
  json_t *app = swh_project_app(store->project, app_id);
  if (app) {
    emu_reply_dump(reply, 200, app);
  } else {
    emu_reply_error(reply, 404, NOT_FOUND_APP);
  }
  pthread_rwlock_unlock(&store->lock);
}

/* {"webhooks":[…]} of the packed webhooks, their texts joined as jansson would have
   written the list (EMU_REPLY_JSON_FLAGS: no spaces), or NULL when out of memory. */
static char *list_text(const json_t *webhooks) {
  static const char head[] = "{\"webhooks\":[", tail[] = "]}";
  size_t length = sizeof head + sizeof tail, i;
  json_t *webhook;
  json_array_foreach(webhooks, i, webhook) {
    length += strlen(emu_packed_text(webhook)) + 1;
  }
  char *text = malloc(length), *end = text;
  if (!text)
    return NULL;
  end = stpcpy(end, head);
  json_array_foreach(webhooks, i, webhook) {
    if (i > 0)
      *end++ = ',';
    end = stpcpy(end, emu_packed_text(webhook));
  }
  stpcpy(end, tail);
  return text;
}

void emu_handle_list_webhooks(emu_store *store, const char *app_id, emu_reply *reply) {
  pthread_rwlock_rdlock(&store->lock);
  const json_t *webhooks = swh_project_app_webhooks(store->project, app_id);
  if (webhooks)
    emu_reply_text(reply, 200, list_text(webhooks));
  else
    emu_reply_error(reply, 404, NOT_FOUND_APP);
  pthread_rwlock_unlock(&store->lock);
}

/* The project's rules for a webhook of app_id with this target (swh_project_placement);
   self: the webhook being updated, or NULL for a create. Returns false with the reply
   filled, the app id quoted as any request text is. */
static bool check_placement_locked(emu_store *store, const char *app_id, const char *target,
                                   const json_t *self, emu_reply *reply) {
  const json_t *holder;
  swh_placement rule = swh_project_placement(store->project, app_id, target, self, &holder);
  if (rule == SWH_PLACEMENT_OK)
    return true;
  emu_quote app;
  swh_error err;
  swh_error_init(&err);
  const char *holder_id = NULL, *holder_app, *holder_target;
  emu_packed_keys(holder, &holder_id, &holder_app, &holder_target);
  swh_project_placement_error(&err, rule, store->project_id, emu_quote_text(&app, app_id, 128),
                              holder_id);
  reply_validation(reply, &err);
  return false;
}

void emu_handle_create(emu_store *store, const json_t *request_body, emu_reply *reply) {
  swh_error err;
  swh_error_init(&err);
  json_t *body = emu_store_screen_fields(store, request_body, &err);
  if (!body || emu_store_validate(store, body, 0, &err) != SWH_OK) {
    reply_validation(reply, &err);
    json_decref(body);
    return;
  }
  pthread_rwlock_wrlock(&store->lock);
  const char *app_id = json_string_value(json_object_get(body, "app_id"));
  const char *target = json_string_value(json_object_get(body, "target"));
  if (check_placement_locked(store, app_id, target, NULL, reply)) {
    char id[EMU_ULID_LEN + 1];
    emu_store_new_id_locked(store, id);
    /* id first, then the fields in the order they came, unknown ones included */
    json_t *webhook = json_pack("{s:s}", "id", id);
    json_t *fields = json_deep_copy(body);
    if (!webhook || !fields || json_object_update(webhook, fields) != 0 ||
        !swh_webhook_apply_defaults(webhook)) {
      emu_reply_error(reply, 500, "out of memory");
    } else {
      swh_webhook_normalize(webhook);
      json_t *packed = emu_packed_new(webhook);
      if (!packed)
        emu_reply_error(reply, 500, "out of memory");
      else if (swh_project_add_webhook(store->project, packed, &err) != SWH_OK)
        reply_validation(reply, &err);
      else
        commit_locked(store, json_pack("{s:s,s:O}", "op", "create", "webhook", webhook),
                      packed, reply);
      json_decref(packed);
    }
    json_decref(webhook);
    json_decref(fields);
  }
  pthread_rwlock_unlock(&store->lock);
  json_decref(body);
}

void emu_handle_get(emu_store *store, const char *id, emu_reply *reply) {
  pthread_rwlock_rdlock(&store->lock);
  json_t *webhook = swh_project_webhook(store->project, id);
  if (webhook)
    emu_reply_text(reply, 200, strdup(emu_packed_text(webhook)));
  else
    emu_reply_error(reply, 404, NOT_FOUND_WEBHOOK);
  pthread_rwlock_unlock(&store->lock);
}

void emu_handle_delete(emu_store *store, const char *id, emu_reply *reply) {
  pthread_rwlock_wrlock(&store->lock);
  json_t *webhook = swh_project_webhook(store->project, id);
  swh_error err;
  swh_error_init(&err);
  if (!webhook)
    emu_reply_error(reply, 404, NOT_FOUND_WEBHOOK);
  else if (swh_project_delete_webhook(store->project, webhook, &err) != SWH_OK)
    reply_validation(reply, &err);
  else
    commit_locked(store, json_pack("{s:s,s:s}", "op", "delete", "id", id), NULL, reply);
  pthread_rwlock_unlock(&store->lock);
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
   the body is reset to its default, swh_webhook_field_default; app_id and target have none
   and cannot be reset); without, every field of the body. Returns a new object, or NULL
   with the reply filled. */
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
      /* the mask's paths are updatable fields: only a required one has no default */
      value = swh_webhook_field_default(name);
      if (!value) {
        emu_reply_error(reply, 400, "webhook.%s: named in update_mask but missing from the body",
                        name);
        json_decref(changes);
        return NULL;
      }
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

/* current with changes applied (swh_webhook_apply_changes), a new object, or NULL. */
static json_t *merged_webhook(const json_t *current, const json_t *changes) {
  json_t *merged = json_deep_copy(current);
  if (merged && !swh_webhook_apply_changes(merged, changes)) {
    json_decref(merged);
    merged = NULL;
  }
  return merged;
}

void emu_handle_update(emu_store *store, const char *id, const json_t *request_body,
                       const json_t *masks, emu_reply *reply) {
  json_t *paths = mask_paths(masks, reply);
  if (!paths)
    return;
  swh_error screen_err;
  swh_error_init(&screen_err);
  json_t *body = emu_store_screen_fields(store, request_body, &screen_err);
  if (!body) {
    reply_validation(reply, &screen_err);
    json_decref(paths);
    return;
  }
  pthread_rwlock_wrlock(&store->lock);
  json_t *stored = swh_project_webhook(store->project, id);
  json_t *current = NULL, *changes = NULL, *merged = NULL, *check = NULL, *packed = NULL;
  swh_error err;
  swh_error_init(&err);
  if (!stored) {
    emu_reply_error(reply, 404, NOT_FOUND_WEBHOOK);
    goto done;
  }
  current = emu_packed_unpack(stored);
  if (!current) {
    emu_reply_error(reply, 500, "out of memory");
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
  if (!check_placement_locked(store, app_id, target, stored, reply))
    goto done;
  packed = emu_packed_new(merged);
  if (!packed) {
    emu_reply_error(reply, 500, "out of memory");
    goto done;
  }
  /* stored is released here: packed takes its place */
  if (swh_project_replace_webhook(store->project, stored, packed, &err) != SWH_OK) {
    reply_validation(reply, &err);
    goto done;
  }
  commit_locked(store, json_pack("{s:s,s:O}", "op", "update", "webhook", merged), packed,
                reply);
done:
  pthread_rwlock_unlock(&store->lock);
  swh_error_clear(&err);
  json_decref(paths);
  json_decref(current);
  json_decref(changes);
  json_decref(merged);
  json_decref(packed);
  json_decref(check);
  json_decref(body);
}
