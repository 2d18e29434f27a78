/* The in-process emulator of --sandbox (see host_sandbox.h). */
#include "host_sandbox.h"

#include <stdio.h>
#include <string.h>

#include "host_demo_seed.h"

/* The seed for kind: generated for demo/empty, read from the file otherwise. Returns a new
   snapshot, or NULL with error filled. */
static json_t *load_seed(host_sandbox_kind kind, const char *file, char *error,
                         size_t error_size) {
  json_t *seed = NULL;
  if (kind == HOST_SANDBOX_DEMO || kind == HOST_SANDBOX_EMPTY) {
    seed = kind == HOST_SANDBOX_DEMO ? host_demo_seed() : host_empty_seed();
    if (!seed)
      snprintf(error, error_size, "--sandbox: out of memory building the seed project");
    return seed;
  }
  json_error_t json_error;
  seed = json_load_file(file, JSON_REJECT_DUPLICATES, &json_error);
  if (!seed) {
    if (json_error_code(&json_error) == json_error_cannot_open_file)
      snprintf(error, error_size, "--sandbox=%s: %s", file, json_error.text);
    else
      snprintf(error, error_size, "--sandbox=%s: not a JSON snapshot: %s at line %d, column %d",
               file, json_error.text, json_error.line, json_error.column);
    return NULL;
  }
  const char *problem = NULL;
  if (!json_is_object(seed))
    problem = "the snapshot must be a JSON object";
  else if (json_integer_value(json_object_get(seed, "swh_snapshot")) != 1)
    problem = "\"swh_snapshot\" must be 1 (the swh-emulator snapshot format, e.g. its "
              "--state file)";
  else if (!json_is_string(json_object_get(seed, "project_id")))
    problem = "\"project_id\" must be a string";
  else if (!json_is_array(json_object_get(seed, "apps")))
    problem = "\"apps\" must be an array";
  else if (json_object_get(seed, "webhooks") && !json_is_array(json_object_get(seed, "webhooks")))
    problem = "\"webhooks\" must be an array";
  if (problem) {
    snprintf(error, error_size, "--sandbox=%s: %s", file, problem);
    json_decref(seed);
    return NULL;
  }
  return seed;
}

bool host_sandbox_start(host_sandbox *sandbox, host_sandbox_kind kind, const char *file,
                        char *error, size_t error_size) {
  memset(sandbox, 0, sizeof *sandbox);
  sandbox->key_id = SWH_EMULATOR_DEFAULT_KEY_ID;
  sandbox->key_secret = SWH_EMULATOR_DEFAULT_KEY_SECRET;
  sandbox->kind = kind == HOST_SANDBOX_DEMO ? "demo" : kind == HOST_SANDBOX_EMPTY ? "empty" : file;

  json_t *seed = load_seed(kind, file, error, error_size);
  if (!seed)
    return false;
  const char *project_id = json_string_value(json_object_get(seed, "project_id"));
  if (strlen(project_id) >= sizeof sandbox->project_id) {
    snprintf(error, error_size, "--sandbox: the project id is too long (%zu characters)",
             strlen(project_id));
    json_decref(seed);
    return false;
  }
  strcpy(sandbox->project_id, project_id);

  swh_emulator_config config = {0};
  config.port = 0;
  config.project_id = sandbox->project_id;
  config.key_id = sandbox->key_id;
  config.key_secret = sandbox->key_secret;
  config.seed = seed;
  config.rate_limit = 0; /* the API's own limit: rehearse what the real project allows */
  config.quiet = true;
  swh_error err;
  swh_error_init(&err);
  sandbox->emulator = swh_emulator_start(&config, &err);
  json_decref(seed);
  if (!sandbox->emulator) {
    if (kind == HOST_SANDBOX_FILE)
      snprintf(error, error_size, "--sandbox=%s: %s", file, err.message);
    else
      snprintf(error, error_size, "--sandbox: cannot start the emulator: %s", err.message);
    swh_error_clear(&err);
    return false;
  }
  swh_error_clear(&err);
  return true;
}

const char *host_sandbox_url(const host_sandbox *sandbox) {
  return sandbox->emulator ? swh_emulator_url(sandbox->emulator) : NULL;
}

void host_sandbox_stop(host_sandbox *sandbox) {
  swh_emulator_stop(sandbox->emulator);
  sandbox->emulator = NULL;
}
