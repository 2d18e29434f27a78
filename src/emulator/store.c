/* The project's state: how it starts, lookups, ids, and the state file. */
#include "store.h"

#include "swh_snapshot.h"
#include "swh_webhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "prng.h"

static uint64_t wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool id_taken(const emu_store *store, const char *id) {
  return emu_store_app_locked(store, id) || emu_store_webhook_locked(store, id, NULL);
}

void emu_store_new_id_locked(emu_store *store, char out[EMU_ULID_LEN + 1]) {
  do {
    unsigned char random[10];
    uint64_t ms;
    if (store->seeded_ids) {
      /* a virtual clock from 2025-01-01, so the same seed gives the same ids */
      ms = 1735689600000ull + store->id_clock_ms++;
      uint64_t a = emu_prng_next(&store->prng), b = emu_prng_next(&store->prng);
      memcpy(random, &a, 8);
      memcpy(random + 8, &b, 2);
    } else {
      ms = wall_ms();
      if (RAND_bytes(random, sizeof random) != 1) {
        uint64_t a = emu_prng_next(&store->prng) ^ ms, b = emu_prng_next(&store->prng);
        memcpy(random, &a, 8);
        memcpy(random + 8, &b, 2);
      }
    }
    emu_ulid_format(out, ms, random);
  } while (id_taken(store, out));
}

json_t *emu_store_app_locked(const emu_store *store, const char *app_id) {
  size_t i;
  json_t *app;
  json_array_foreach(store->apps, i, app) {
    const char *id = json_string_value(json_object_get(app, "id"));
    if (id && strcmp(id, app_id) == 0)
      return app;
  }
  return NULL;
}

json_t *emu_store_webhook_locked(const emu_store *store, const char *id, size_t *index) {
  size_t i;
  json_t *webhook;
  json_array_foreach(store->webhooks, i, webhook) {
    /* a hand-written seed's webhooks have no id until assign_missing_ids gives them one */
    const char *webhook_id = json_string_value(json_object_get(webhook, "id"));
    if (webhook_id && strcmp(webhook_id, id) == 0) {
      if (index)
        *index = i;
      return webhook;
    }
  }
  return NULL;
}

size_t emu_store_count_locked(const emu_store *store, const char *app_id,
                              const json_t *except) {
  size_t i, count = 0;
  json_t *webhook;
  json_array_foreach(store->webhooks, i, webhook) {
    if (webhook != except &&
        strcmp(json_string_value(json_object_get(webhook, "app_id")), app_id) == 0)
      count++;
  }
  return count;
}

json_t *emu_store_target_owner_locked(const emu_store *store, const char *app_id,
                                      const char *target, const json_t *except) {
  size_t i;
  json_t *webhook;
  json_array_foreach(store->webhooks, i, webhook) {
    if (webhook != except &&
        strcmp(json_string_value(json_object_get(webhook, "app_id")), app_id) == 0 &&
        strcmp(json_string_value(json_object_get(webhook, "target")), target) == 0)
      return webhook;
  }
  return NULL;
}

json_t *emu_store_snapshot_locked(const emu_store *store) {
  return json_pack("{s:i,s:s,s:o,s:o}", "swh_snapshot", 1, "project_id", store->project_id,
                   "apps", json_deep_copy(store->apps), "webhooks",
                   json_deep_copy(store->webhooks));
}

/* Writes the whole state file. */
static swh_status compact_locked(emu_store *store, swh_error *err) {
  json_t *snapshot = emu_store_snapshot_locked(store);
  if (!snapshot)
    return swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
  swh_status status = emu_state_compact(store->state, snapshot, err);
  json_decref(snapshot);
  return status;
}

swh_status emu_store_record_locked(emu_store *store, const json_t *change, swh_error *err) {
  if (!store->state)
    return SWH_OK;
  if (!emu_state_wants_compaction(store->state) &&
      emu_state_append(store->state, change, err) == SWH_OK)
    return SWH_OK;
  /* due, or the append failed: the whole state, this change included, saves it as well */
  swh_error_clear(err);
  return compact_locked(store, err);
}

void emu_store_fold_log(emu_store *store) {
  pthread_mutex_lock(&store->lock);
  if (store->state && (store->state->log_bytes > 0 || store->state->must_compact)) {
    swh_error err;
    swh_error_init(&err);
    if (compact_locked(store, &err) != SWH_OK) /* the log still holds the changes */
      fprintf(stderr, "swh-emulator: %s\n", err.message);
    swh_error_clear(&err);
  }
  pthread_mutex_unlock(&store->lock);
}

const unsigned char *emu_store_token_key(const emu_store *store) {
  return store->state ? store->state->token_key : NULL;
}

/* N apps with a few realistic settings, so unknown-field round trips get exercised. */
static bool add_generated_apps(emu_store *store, int count) {
  for (int i = 1; i <= count; i++) {
    char id[EMU_ULID_LEN + 1], name[32], sender[32];
    emu_store_new_id_locked(store, id);
    snprintf(name, sizeof name, "App %d", i);
    snprintf(sender, sizeof sender, "+1555%07d", i);
    json_t *app = json_pack(
        "{s:s,s:s,s:[{s:s,s:s,s:{s:s,s:s}}],s:s,s:{s:i,s:i,s:i},s:{s:s,s:i},"
        "s:{s:s,s:i},s:s,s:{s:b},s:{s:i},s:{s:b,s:i}}",
        "id", id, "display_name", name,
        "channel_credentials", "channel", "SMS", "channel_known_id", sender, "state",
        "status", "ACTIVE", "description", "",
        "conversation_metadata_report_view", "NONE",
        "rate_limits", "outbound", 20, "inbound", 100, "webhooks", 100,
        "retention_policy", "retention_type", "MESSAGE_EXPIRE_POLICY", "ttl_days", 180,
        "dispatch_retention_policy", "retention_type", "MESSAGE_EXPIRE_POLICY", "ttl_days", 0,
        "processing_mode", "CONVERSATION",
        "smart_conversation", "enabled", 0,
        "message_retry_settings", "retry_duration", 3600,
        "delivery_report_based_fallback", "enabled", 0, "delivery_report_waiting_time", 0);
    /* appended before the next id is drawn, so the ids stay unique */
    if (!app || json_array_append_new(store->apps, app) != 0)
      return false;
  }
  return true;
}

/* Loads a snapshot value into the store; source names it in messages ("seed", a path);
   forced_project (--project) wins over the snapshot's project_id. */
static swh_status load_value(emu_store *store, const json_t *seed, const char *source,
                             const char *forced_project, swh_error *err) {
  json_t *apps, *webhooks;
  const char *project;
  swh_status status = swh_snapshot_check(seed, source, &apps, &webhooks, &project, err);
  if (status != SWH_OK)
    return status;
  json_decref(store->apps);
  json_decref(store->webhooks);
  store->apps = apps;
  store->webhooks = webhooks;
  if (!forced_project && project) {
    char *copy = strdup(project);
    if (!copy)
      return swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
    free(store->project_id);
    store->project_id = copy;
  }
  return SWH_OK;
}

/* Opens the state file and loads what it holds, if anything, as load_value; *loaded says
   whether it did. */
static swh_status load_state(emu_store *store, const char *path, const char *forced_project,
                             bool *loaded, swh_error *err) {
  *loaded = false;
  store->state = malloc(sizeof *store->state);
  if (!store->state)
    return swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
  json_t *snapshot;
  swh_status status = emu_state_open(store->state, path, &snapshot, err);
  if (status != SWH_OK) {
    free(store->state);
    store->state = NULL;
    return status;
  }
  if (snapshot) {
    *loaded = true;
    status = load_value(store, snapshot, path, forced_project, err);
    json_decref(snapshot);
  }
  return status;
}

/* Loads the snapshot in a file into the store, as load_value; a state file with the changes
   of its log. */
static swh_status load_file(emu_store *store, const char *path, const char *forced_project,
                            swh_error *err) {
  json_t *snapshot;
  swh_status status = emu_state_read(path, &snapshot, err);
  if (status == SWH_OK)
    status = load_value(store, snapshot, path, forced_project, err);
  json_decref(snapshot);
  return status;
}

/* Gives an id to every webhook a hand-written seed left without one. */
static swh_status assign_missing_ids(emu_store *store, swh_error *err) {
  size_t i;
  json_t *webhook;
  json_array_foreach(store->webhooks, i, webhook) {
    if (json_object_get(webhook, "id"))
      continue;
    char id[EMU_ULID_LEN + 1];
    emu_store_new_id_locked(store, id);
    if (json_object_set_new(webhook, "id", json_string(id)) != 0)
      return swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
  }
  return SWH_OK;
}

/* A snapshot taken from the real API may carry triggers added after API.md; the snapshot
   check let well-formed ones through, and from now on they count as known. */
static swh_status remember_seen_triggers(emu_store *store, swh_error *err) {
  store->seen_triggers = json_object();
  if (!store->seen_triggers)
    return swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
  size_t i, j;
  json_t *webhook, *trigger;
  json_array_foreach(store->webhooks, i, webhook) {
    json_array_foreach(json_object_get(webhook, "triggers"), j, trigger) {
      const char *name = json_string_value(trigger);
      if (name && !swh_trigger_known(name) &&
          json_object_set_new(store->seen_triggers, name, json_true()) != 0)
        return swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
    }
  }
  return SWH_OK;
}

swh_status emu_store_validate(const emu_store *store, const json_t *webhook, unsigned flags,
                              swh_error *err) {
  swh_status status = swh_webhook_validate(webhook, flags, err);
  if (status != SWH_OK)
    return status;
  size_t i;
  json_t *trigger;
  json_array_foreach(json_object_get(webhook, "triggers"), i, trigger) {
    const char *name = json_string_value(trigger);
    if (!swh_trigger_known(name) && !json_object_get(store->seen_triggers, name))
      return swh_error_set(err, SWH_ERR_VALIDATION,
                           "webhook.triggers[%zu]: unknown trigger \"%s\"", i, name);
  }
  return SWH_OK;
}

swh_status emu_store_init(emu_store *store, const swh_emulator_config *config,
                          swh_error *err) {
  memset(store, 0, sizeof *store);
  if (pthread_mutex_init(&store->lock, NULL) != 0)
    return swh_error_set(err, SWH_ERR_MEMORY, "cannot create a mutex");
  store->seeded_ids = config->seed_random != 0;
  store->prng = (uint64_t)config->seed_random * 0x2545F4914F6CDD1Dull + 1;
  store->project_id = strdup(config->project_id ? config->project_id
                                                : SWH_EMULATOR_DEFAULT_PROJECT);
  store->apps = json_array();
  store->webhooks = json_array();
  if (!store->project_id || !store->apps || !store->webhooks) {
    emu_store_destroy(store);
    return swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
  }
  swh_status status = SWH_OK;
  bool loaded = false;
  if (config->state_file)
    status = load_state(store, config->state_file, config->project_id, &loaded, err);
  /* what seeds the project when the state file does not exist yet */
  if (status == SWH_OK && !loaded) {
    if (config->seed_file)
      status = load_file(store, config->seed_file, config->project_id, err);
    else if (config->seed)
      status = load_value(store, config->seed, "seed", config->project_id, err);
    else if (config->apps < 0)
      status = swh_error_set(err, SWH_ERR_USAGE, "apps: %d is negative", config->apps);
    else if (!add_generated_apps(store, config->apps))
      status = swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
  }
  if (status == SWH_OK)
    status = assign_missing_ids(store, err);
  if (status == SWH_OK)
    status = remember_seen_triggers(store, err);
  if (status == SWH_OK && store->state)
    status = compact_locked(store, err); /* the log folded in, temporary files gone */
  if (status != SWH_OK)
    emu_store_destroy(store);
  return status;
}

void emu_store_destroy(emu_store *store) {
  json_decref(store->apps);
  json_decref(store->webhooks);
  json_decref(store->seen_triggers);
  free(store->project_id);
  if (store->state)
    emu_state_close(store->state);
  free(store->state);
  store->state = NULL;
  store->apps = store->webhooks = store->seen_triggers = NULL;
  store->project_id = NULL;
  pthread_mutex_destroy(&store->lock);
}
