/* swh_snapshot: see swh_snapshot.h. The same rules as the API applies to requests, with
   messages naming the file and the element. The webhooks are checked against the ones before
   them through a project model (swh_project), so the check is linear in the file's size. */
#define _POSIX_C_SOURCE 200809L /* fileno, fstat */
#include "swh_snapshot.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "swh_project.h"
#include "swh_text.h"
#include "swh_webhook.h"

static bool nonempty_string(const json_t *value) {
  return json_is_string(value) && json_string_length(value) > 0;
}

/* Where value (an element of array, by identity) is; only a message needs it. */
static size_t index_in(const json_t *array, const json_t *value) {
  size_t i;
  for (i = 0; i < json_array_size(array); i++)
    if (json_array_get(array, i) == value)
      break;
  return i;
}

/* Checks each app and adds it to project. */
static swh_status check_apps(const json_t *apps, const char *source, swh_project *project,
                             swh_error *err) {
  size_t i;
  json_t *app;
  json_array_foreach(apps, i, app) {
    if (!json_is_object(app))
      return swh_error_set(err, SWH_ERR_VALIDATION, "%s: apps[%zu]: expected an object",
                           source, i);
    json_t *id = json_object_get(app, "id");
    if (!nonempty_string(id))
      return swh_error_set(err, SWH_ERR_VALIDATION,
                           "%s: apps[%zu].id: expected a non-empty string", source, i);
    json_t *other = swh_project_app(project, json_string_value(id));
    if (other)
      return swh_error_set(err, SWH_ERR_VALIDATION,
                           "%s: apps[%zu].id: \"%s\" is also apps[%zu].id", source, i,
                           json_string_value(id), index_in(apps, other));
    json_t *name = json_object_get(app, "display_name");
    if (name && !json_is_string(name))
      return swh_error_set(err, SWH_ERR_VALIDATION,
                           "%s: apps[%zu].display_name: expected a string", source, i);
    swh_status status = swh_project_add_app(project, app, err);
    if (status != SWH_OK)
      return status;
  }
  return SWH_OK;
}

/* Refuses webhooks[i] for problem, a message about "webhook" (the validator's, the
   project's): "webhook.target: ..." reads "webhooks[3].target: ..." here. The kind is the
   problem's (memory stays memory). problem is cleared. */
static swh_status refuse_webhook(swh_error *err, const char *source, size_t i,
                                 swh_error *problem) {
  const char *message = problem->message;
  swh_status status = problem->kind;
  if (strncmp(message, "webhook.", 8) == 0)
    swh_error_set(err, status, "%s: webhooks[%zu].%s", source, i, message + 8);
  else
    swh_error_set(err, status, "%s: webhooks[%zu]: %s", source, i, message);
  swh_error_clear(problem);
  return status;
}

/* Checks webhooks[i] against API.md and against the webhooks before it, which project
   holds, then adds it to project. */
static swh_status check_webhook(const json_t *webhooks, size_t i, swh_project *project,
                                bool normalize, const char *source, swh_error *err) {
  json_t *webhook = json_array_get(webhooks, i);
  if (!json_is_object(webhook))
    return swh_error_set(err, SWH_ERR_VALIDATION, "%s: webhooks[%zu]: expected an object",
                         source, i);
  json_t *id = json_object_get(webhook, "id");
  if (id && !nonempty_string(id))
    return swh_error_set(err, SWH_ERR_VALIDATION,
                         "%s: webhooks[%zu].id: expected a non-empty string", source, i);
  /* The API's own rules (its id was checked above). Trigger names are checked as a client
     does: a snapshot of the real API may hold newer ones. */
  swh_error problem;
  swh_error_init(&problem);
  if (swh_webhook_validate(webhook, SWH_VALIDATE_WITH_ID, &problem) != SWH_OK)
    return refuse_webhook(err, source, i, &problem);
  if (normalize)
    swh_webhook_normalize(webhook);
  const char *app_id = json_string_value(json_object_get(webhook, "app_id"));
  const char *target = json_string_value(json_object_get(webhook, "target"));
  json_t *other = swh_project_webhook(project, json_string_value(id));
  if (other)
    return swh_error_set(err, SWH_ERR_VALIDATION,
                         "%s: webhooks[%zu].id: \"%s\" is also webhooks[%zu].id", source, i,
                         json_string_value(id), index_in(webhooks, other));
  /* A file's webhooks are named by their place in it; its project is the file. */
  const json_t *holder;
  swh_placement rule = swh_project_placement(project, app_id, target, NULL, &holder);
  if (rule != SWH_PLACEMENT_OK) {
    char name[48];
    snprintf(name, sizeof name, "webhooks[%zu]", index_in(webhooks, holder));
    swh_project_placement_error(&problem, rule, NULL, app_id, name);
    return refuse_webhook(err, source, i, &problem);
  }
  return swh_project_add_webhook(project, webhook, err);
}

/* jansson ends most messages with the text it stopped at ("invalid token near 's3cr3t'"),
   which in a snapshot may be part of a secret: keep the reason and the position only. */
static void drop_quoted_text(char *reason) {
  char *near = strstr(reason, " near '");
  if (near)
    *near = '\0';
}

/* Feeds jansson the file a buffer at a time (json_loadf reads it a character at a time, a
   third of the time of loading a large file). */
static size_t read_chunk(void *buffer, size_t size, void *file) {
  return fread(buffer, 1, size, file);
}

swh_status swh_snapshot_read(const char *path, json_t **snapshot, swh_error *err) {
  *snapshot = NULL;
  FILE *file = fopen(path, "rb");
  if (!file)
    return swh_error_set(err, SWH_ERR_USAGE, "%s: cannot open: %s", path, strerror(errno));
  /* a directory opens, then reads as an empty file: say what it is instead */
  struct stat st;
  if (fstat(fileno(file), &st) == 0 && S_ISDIR(st.st_mode)) {
    fclose(file);
    return swh_error_set(err, SWH_ERR_USAGE, "%s: cannot read: %s", path, strerror(EISDIR));
  }
  json_error_t jerr;
  *snapshot = json_load_callback(read_chunk, file, JSON_REJECT_DUPLICATES, &jerr);
  fclose(file);
  if (!*snapshot) {
    drop_quoted_text(jerr.text);
    return swh_error_set(err, SWH_ERR_VALIDATION, "%s: line %d, column %d: %s", path,
                         jerr.line, jerr.column, jerr.text);
  }
  return SWH_OK;
}

/* How check treats the snapshot's lists. */
enum {
  CHECK_COPIES = 1u << 0,    /* checks copies of them, leaving the snapshot as it is */
  CHECK_NORMALIZES = 1u << 1 /* trigger names in the lists checked become the API's */
};

/* swh_snapshot_check and its in-place forms: the lists checked (copies or the snapshot's
   own) are returned as new references in *apps_out and *webhooks_out (empty arrays when
   absent). */
static swh_status check(json_t *snapshot, const char *source, unsigned how, json_t **apps_out,
                        json_t **webhooks_out, const char **project_id, swh_error *err) {
  *apps_out = *webhooks_out = NULL;
  *project_id = NULL;
  if (!json_is_object(snapshot))
    return swh_error_set(err, SWH_ERR_VALIDATION, "%s: expected a JSON object (a snapshot)",
                         source);
  /* A key close to one of the format's is a typo, refused rather than ignored: a misspelt
     "webhooks" would read as "no webhooks", and a plan restoring it would delete them all.
     Other keys pass, as a newer swh may add some. */
  static const char *const keys[] = {"swh_snapshot", "project_id", "apps", "webhooks"};
  const char *key;
  json_t *value;
  json_object_foreach(snapshot, key, value) {
    const char *closest = swhi_text_closest(key, keys, sizeof keys / sizeof *keys);
    if (closest && strcmp(closest, key) != 0) {
      char shown[160] = "";
      swhi_text_append_printable(shown, sizeof shown, key, strlen(key), 60);
      return swh_error_set(err, SWH_ERR_VALIDATION, "%s: %s: unknown key (did you mean \"%s\"?)",
                           source, shown, closest);
    }
  }
  json_t *version = json_object_get(snapshot, "swh_snapshot");
  if (version &&
      !(json_is_integer(version) && json_integer_value(version) == SWH_SNAPSHOT_VERSION))
    return swh_error_set(err, SWH_ERR_VALIDATION,
                         "%s: swh_snapshot: expected 1 (the only format version)", source);
  json_t *project = json_object_get(snapshot, "project_id");
  if (project && !nonempty_string(project))
    return swh_error_set(err, SWH_ERR_VALIDATION,
                         "%s: project_id: expected a non-empty string", source);
  json_t *apps = json_object_get(snapshot, "apps");
  json_t *webhooks = json_object_get(snapshot, "webhooks");
  if (apps && !json_is_array(apps))
    return swh_error_set(err, SWH_ERR_VALIDATION, "%s: apps: expected an array", source);
  if (webhooks && !json_is_array(webhooks))
    return swh_error_set(err, SWH_ERR_VALIDATION, "%s: webhooks: expected an array", source);
  bool copies = how & CHECK_COPIES;
  json_t *apps_copy = !apps ? json_array() : copies ? json_deep_copy(apps) : json_incref(apps);
  json_t *webhooks_copy = !webhooks ? json_array()
                          : copies  ? json_deep_copy(webhooks)
                                    : json_incref(webhooks);
  swh_project *model = swh_project_new(NULL);
  swh_status status = SWH_OK;
  if (!apps_copy || !webhooks_copy || !model)
    status = swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
  if (status == SWH_OK)
    status = check_apps(apps_copy, source, model, err);
  for (size_t i = 0; status == SWH_OK && i < json_array_size(webhooks_copy); i++)
    status = check_webhook(webhooks_copy, i, model, how & CHECK_NORMALIZES, source, err);
  swh_project_free(model);
  if (status != SWH_OK) {
    json_decref(apps_copy);
    json_decref(webhooks_copy);
    return status;
  }
  *apps_out = apps_copy;
  *webhooks_out = webhooks_copy;
  *project_id = json_string_value(project);
  return SWH_OK;
}

swh_status swh_snapshot_check(const json_t *snapshot, const char *source, json_t **apps,
                              json_t **webhooks, const char **project_id, swh_error *err) {
  /* with CHECK_COPIES nothing of the snapshot is changed */
  return check((json_t *)snapshot, source, CHECK_COPIES | CHECK_NORMALIZES, apps, webhooks,
               project_id, err);
}

swh_status swh_snapshot_check_in_place(json_t *snapshot, const char *source, bool normalize,
                                       const char **project_id, swh_error *err) {
  json_t *apps, *webhooks;
  swh_status status = check(snapshot, source, normalize ? CHECK_NORMALIZES : 0, &apps,
                            &webhooks, project_id, err);
  json_decref(apps);
  json_decref(webhooks);
  return status;
}
