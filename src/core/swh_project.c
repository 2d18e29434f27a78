/* swh_project: see swh_project.h. The project's rules, and the indexes that make every
   operation O(1): jansson objects as hash maps, keyed by C strings, and per app a list of at
   most SWH_WEBHOOKS_PER_APP webhooks, short enough to scan. */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "swh_project.h"

#include <stdlib.h>
#include <string.h>

/* An app and what the rules need to know about it. */
typedef struct project_app {
  json_t *app;      /* the App, whole */
  json_t *webhooks; /* its webhooks in the order they joined it (an array); a scan of it
                       finds a target as fast as a hash map would, in a tenth of the memory */
} project_app;

struct swh_project {
  char *project_id;
  swh_project_keys_fn keys; /* reads a webhook's id, app_id and target */
  project_app *apps; /* in the order added (apps are never removed: the API cannot) */
  size_t app_count, app_capacity;
  json_t *app_positions;  /* app id -> its position in apps (an integer) */
  json_t *webhooks_by_id; /* webhook id -> webhook */
  size_t webhook_count;
};

/* The string value of key in object, or NULL. */
static const char *text(const json_t *object, const char *key) {
  return json_string_value(json_object_get(object, key));
}

static project_app *find_app(const swh_project *project, const char *app_id) {
  json_t *position = app_id ? json_object_get(project->app_positions, app_id) : NULL;
  return position ? &project->apps[json_integer_value(position)] : NULL;
}

/* Where webhook is in app's list, or -1. The list holds at most SWH_WEBHOOKS_PER_APP. */
static long position_in(const project_app *app, const json_t *webhook) {
  for (size_t i = 0; i < json_array_size(app->webhooks); i++)
    if (json_array_get(app->webhooks, i) == webhook)
      return (long)i;
  return -1;
}

/* The keys of a webhook of the project (they were read when it joined). */
typedef struct webhook_keys {
  const char *id, *app_id, *target;
} webhook_keys;

static webhook_keys keys_held(const swh_project *project, const json_t *webhook) {
  webhook_keys keys = {NULL, NULL, NULL};
  project->keys(webhook, &keys.id, &keys.app_id, &keys.target);
  return keys;
}

/* The webhook of app whose target is target, or NULL. */
static json_t *holder_in(const swh_project *project, const project_app *app,
                         const char *target) {
  size_t i;
  json_t *webhook;
  json_array_foreach(app->webhooks, i, webhook) {
    if (strcmp(keys_held(project, webhook).target, target) == 0)
      return webhook;
  }
  return NULL;
}

/* Sets the value of a key object already has, which (unlike json_object_set, which may
   grow the table first) cannot fail. */
static void set_existing(json_t *object, const char *key, json_t *value) {
  json_object_iter_set(object, json_object_iter_at(object, key), value);
}

bool swh_project_object_keys(const json_t *webhook, const char **id, const char **app_id,
                             const char **target) {
  json_t *id_value = json_object_get(webhook, "id");
  *id = json_string_value(id_value);
  *app_id = text(webhook, "app_id");
  *target = text(webhook, "target");
  return *app_id && *target && (!id_value || *id);
}

swh_project *swh_project_new(const char *project_id) {
  return swh_project_new_keyed(project_id, swh_project_object_keys);
}

swh_project *swh_project_new_keyed(const char *project_id, swh_project_keys_fn keys) {
  swh_project *project = calloc(1, sizeof *project);
  if (!project)
    return NULL;
  project->keys = keys;
  project->project_id = project_id ? strdup(project_id) : NULL;
  project->app_positions = json_object();
  project->webhooks_by_id = json_object();
  if ((project_id && !project->project_id) || !project->app_positions ||
      !project->webhooks_by_id) {
    swh_project_free(project);
    return NULL;
  }
  return project;
}

void swh_project_free(swh_project *project) {
  if (!project)
    return;
  for (size_t i = 0; i < project->app_count; i++) {
    json_decref(project->apps[i].app);
    json_decref(project->apps[i].webhooks);
  }
  free(project->apps);
  json_decref(project->app_positions);
  json_decref(project->webhooks_by_id);
  free(project->project_id);
  free(project);
}

const char *swh_project_id(const swh_project *project) { return project->project_id; }

/* ---- apps ----------------------------------------------------------------------------- */

swh_status swh_project_add_app(swh_project *project, json_t *app, swh_error *err) {
  const char *id = text(app, "id");
  if (!id || !*id)
    return swh_error_set(err, SWH_ERR_VALIDATION, "app.id: expected a non-empty string");
  if (find_app(project, id))
    return swh_error_set(err, SWH_ERR_VALIDATION, "app.id: \"%s\" is already an app of the "
                         "project", id);
  if (project->app_count == project->app_capacity) {
    size_t capacity = project->app_capacity ? project->app_capacity * 2 : 16;
    project_app *apps = realloc(project->apps, capacity * sizeof *apps);
    if (!apps)
      return swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
    project->apps = apps;
    project->app_capacity = capacity;
  }
  json_t *webhooks = json_array();
  if (!webhooks || json_object_set_new_nocheck(project->app_positions, id,
                                               json_integer((json_int_t)project->app_count)) != 0) {
    json_decref(webhooks);
    return swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
  }
  project->apps[project->app_count++] = (project_app){json_incref(app), webhooks};
  return SWH_OK;
}

size_t swh_project_app_count(const swh_project *project) { return project->app_count; }

json_t *swh_project_app_at(const swh_project *project, size_t position) {
  return position < project->app_count ? project->apps[position].app : NULL;
}

json_t *swh_project_app(const swh_project *project, const char *app_id) {
  project_app *app = find_app(project, app_id);
  return app ? app->app : NULL;
}

const json_t *swh_project_app_webhooks(const swh_project *project, const char *app_id) {
  project_app *app = find_app(project, app_id);
  return app ? app->webhooks : NULL;
}

/* ---- lookups and the rules ------------------------------------------------------------ */

size_t swh_project_webhook_count(const swh_project *project) { return project->webhook_count; }

json_t *swh_project_webhook(const swh_project *project, const char *id) {
  return id ? json_object_get(project->webhooks_by_id, id) : NULL;
}

json_t *swh_project_target_holder(const swh_project *project, const char *app_id,
                                  const char *target) {
  project_app *app = find_app(project, app_id);
  return app && target ? holder_in(project, app, target) : NULL;
}

swh_placement swh_project_placement(const swh_project *project, const char *app_id,
                                    const char *target, const json_t *self,
                                    const json_t **holder) {
  if (holder)
    *holder = NULL;
  project_app *app = find_app(project, app_id);
  if (!app)
    return SWH_PLACEMENT_NO_APP;
  /* self counts against its own app already; entering another, it needs a free place */
  bool joins = !self || position_in(app, self) < 0;
  if (joins && json_array_size(app->webhooks) >= SWH_WEBHOOKS_PER_APP)
    return SWH_PLACEMENT_APP_FULL;
  const json_t *taken = target ? holder_in(project, app, target) : NULL;
  if (taken && taken != self) {
    if (holder)
      *holder = taken;
    return SWH_PLACEMENT_TARGET_TAKEN;
  }
  return SWH_PLACEMENT_OK;
}

swh_status swh_project_placement_error(swh_error *err, swh_placement rule,
                                       const char *project_id, const char *app_id,
                                       const char *holder) {
  switch (rule) {
  case SWH_PLACEMENT_OK:
    return SWH_OK;
  case SWH_PLACEMENT_NO_APP:
    if (project_id)
      return swh_error_set(err, SWH_ERR_VALIDATION,
                           "webhook.app_id: no such app \"%s\" in project \"%s\"", app_id,
                           project_id);
    return swh_error_set(err, SWH_ERR_VALIDATION, "webhook.app_id: no such app \"%s\"", app_id);
  case SWH_PLACEMENT_APP_FULL:
    return swh_error_set(err, SWH_ERR_VALIDATION,
                         "app \"%s\" already has %d webhooks, the most an app can have", app_id,
                         SWH_WEBHOOKS_PER_APP);
  case SWH_PLACEMENT_TARGET_TAKEN:
    return swh_error_set(err, SWH_ERR_VALIDATION,
                         "webhook.target: app \"%s\" already has a webhook with this target (%s)",
                         app_id, holder ? holder : "another webhook");
  }
  return swh_error_set(err, SWH_ERR_USAGE, "placement: unknown rule %d", (int)rule);
}

swh_status swh_project_check_placement(const swh_project *project, const char *app_id,
                                       const char *target, const json_t *self,
                                       swh_error *err) {
  const json_t *holder;
  swh_placement rule = swh_project_placement(project, app_id, target, self, &holder);
  return swh_project_placement_error(err, rule, project->project_id, app_id,
                                     holder ? keys_held(project, holder).id : NULL);
}

/* ---- webhooks ------------------------------------------------------------------------- */

/* The keys a webhook is indexed by; SWH_ERR_USAGE if they are not strings. */
static swh_status keys_of(const swh_project *project, const json_t *webhook, webhook_keys *keys,
                          swh_error *err) {
  if (!project->keys(webhook, &keys->id, &keys->app_id, &keys->target))
    return swh_error_set(err, SWH_ERR_USAGE,
                         "webhook: expected an object with string app_id and target, and a "
                         "string id or none");
  return SWH_OK;
}

/* Refuses an id that another webhook than self has. */
static swh_status check_id(const swh_project *project, const char *id, const json_t *self,
                           swh_error *err) {
  json_t *other = swh_project_webhook(project, id);
  if (other && other != self)
    return swh_error_set(err, SWH_ERR_VALIDATION,
                         "webhook.id: \"%s\" is already the id of another webhook", id);
  return SWH_OK;
}

static swh_status out_of_memory(swh_error *err) {
  return swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
}

swh_status swh_project_add_webhook(swh_project *project, json_t *webhook, swh_error *err) {
  webhook_keys keys;
  swh_status status = keys_of(project, webhook, &keys, err);
  if (status == SWH_OK && keys.id)
    status = check_id(project, keys.id, NULL, err);
  if (status == SWH_OK)
    status = swh_project_check_placement(project, keys.app_id, keys.target, NULL, err);
  if (status != SWH_OK)
    return status;
  project_app *app = find_app(project, keys.app_id);
  /* undone if the second step fails, so the indexes always agree */
  if (keys.id && json_object_set_nocheck(project->webhooks_by_id, keys.id, webhook) != 0)
    return out_of_memory(err);
  if (json_array_append(app->webhooks, webhook) != 0) {
    if (keys.id)
      json_object_del(project->webhooks_by_id, keys.id);
    return out_of_memory(err);
  }
  project->webhook_count++;
  return SWH_OK;
}

/* Finds webhook's app and its place there; SWH_ERR_USAGE if it is not in the project. */
static swh_status locate(const swh_project *project, const json_t *webhook, webhook_keys *keys,
                         project_app **app, size_t *position, swh_error *err) {
  swh_status status = keys_of(project, webhook, keys, err);
  if (status != SWH_OK)
    return status;
  *app = find_app(project, keys->app_id);
  long at = *app ? position_in(*app, webhook) : -1;
  if (at < 0)
    return swh_error_set(err, SWH_ERR_USAGE, "webhook: not a webhook of this project");
  *position = (size_t)at;
  return SWH_OK;
}

swh_status swh_project_replace_webhook(swh_project *project, json_t *old, json_t *webhook,
                                       swh_error *err) {
  webhook_keys was, now;
  project_app *from, *to;
  size_t position = 0;
  swh_status status = locate(project, old, &was, &from, &position, err);
  if (status == SWH_OK)
    status = keys_of(project, webhook, &now, err);
  if (status != SWH_OK)
    return status;
  if (was.id && (!now.id || strcmp(was.id, now.id) != 0))
    return swh_error_set(err, SWH_ERR_USAGE, "webhook.id: an id cannot change");
  bool new_id = now.id && !was.id;
  if (new_id && (status = check_id(project, now.id, old, err)) != SWH_OK)
    return status;
  status = swh_project_check_placement(project, now.app_id, now.target, old, err);
  if (status != SWH_OK)
    return status;
  to = find_app(project, now.app_id);
  bool same_app = to == from;

  /* First what may fail (a new key, a new place), undone if a later step fails... */
  if (new_id && json_object_set_nocheck(project->webhooks_by_id, now.id, webhook) != 0)
    return out_of_memory(err);
  if (!same_app && json_array_append(to->webhooks, webhook) != 0) {
    if (new_id)
      json_object_del(project->webhooks_by_id, now.id);
    return out_of_memory(err);
  }
  /* ...then what cannot: values of existing keys, removals. old's strings are read before
     the last reference to it goes. */
  json_incref(old);
  if (was.id)
    set_existing(project->webhooks_by_id, was.id, webhook);
  if (same_app)
    json_array_set(from->webhooks, position, webhook);
  else
    json_array_remove(from->webhooks, position);
  json_decref(old);
  return SWH_OK;
}

swh_status swh_project_delete_webhook(swh_project *project, json_t *webhook, swh_error *err) {
  webhook_keys keys;
  project_app *app;
  size_t position = 0;
  swh_status status = locate(project, webhook, &keys, &app, &position, err);
  if (status != SWH_OK)
    return status;
  json_incref(webhook); /* its keys are read until the end */
  if (keys.id)
    json_object_del(project->webhooks_by_id, keys.id);
  json_array_remove(app->webhooks, position);
  json_decref(webhook);
  project->webhook_count--;
  return SWH_OK;
}
