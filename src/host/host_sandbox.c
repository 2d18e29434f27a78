/* The in-process emulator of --sandbox (see host_sandbox.h). */
#define _POSIX_C_SOURCE 200809L /* access */
#include "host_sandbox.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "host_demo_seed.h"
#include "swh_text.h"

bool host_sandbox_start(host_sandbox *sandbox, host_sandbox_kind kind, const char *file,
                        char *error, size_t error_size) {
  memset(sandbox, 0, sizeof *sandbox);
  sandbox->key_id = SWH_EMULATOR_DEFAULT_KEY_ID;
  sandbox->key_secret = SWH_EMULATOR_DEFAULT_KEY_SECRET;
  sandbox->kind = kind == HOST_SANDBOX_DEMO ? "demo" : kind == HOST_SANDBOX_EMPTY ? "empty" : file;

  swh_emulator_config config = {0};
  config.port = 0;
  config.key_id = sandbox->key_id;
  config.key_secret = sandbox->key_secret;
  config.rate_limit = 0; /* the API's own limit: rehearse what the real project allows */
  config.quiet = true;
  json_t *seed = NULL;
  if (kind == HOST_SANDBOX_FILE) {
    /* read and checked by the emulator, with the rules and messages of its seed files */
    config.seed_file = file;
  } else {
    seed = kind == HOST_SANDBOX_DEMO ? host_demo_seed() : host_empty_seed();
    if (!seed) {
      snprintf(error, error_size, "--sandbox: out of memory building the seed project");
      return false;
    }
    config.seed = seed;
  }
  swh_error err;
  swh_error_init(&err);
  sandbox->emulator = swh_emulator_start(&config, &err);
  json_decref(seed);
  if (!sandbox->emulator) {
    /* a file's messages start with its name: "--sandbox: snap.json: webhooks[3]..."; a
       missing file named like a seed is a misspelt seed */
    static const char *const seeds[] = {"demo", "empty"};
    const char *seed_meant = kind == HOST_SANDBOX_FILE && access(file, F_OK) != 0
                                 ? swhi_text_closest(file, seeds, 2)
                                 : NULL;
    snprintf(error, error_size, "--sandbox: %s%s%s%s%s",
             kind == HOST_SANDBOX_FILE ? "" : "cannot start the emulator: ", err.message,
             seed_meant ? " (did you mean --sandbox=" : "", seed_meant ? seed_meant : "",
             seed_meant ? "?)" : "");
    swh_error_clear(&err);
    return false;
  }
  swh_error_clear(&err);
  return true;
}

const char *host_sandbox_url(const host_sandbox *sandbox) {
  return sandbox->emulator ? swh_emulator_url(sandbox->emulator) : NULL;
}

const char *host_sandbox_project(const host_sandbox *sandbox) {
  return sandbox->emulator ? swh_emulator_project(sandbox->emulator) : NULL;
}

void host_sandbox_stop(host_sandbox *sandbox) {
  swh_emulator_stop(sandbox->emulator);
  sandbox->emulator = NULL;
}
