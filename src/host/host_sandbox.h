/*
 * host_sandbox: the in-process emulator behind `swh --sandbox[=demo|empty|FILE]`. It serves
 * on 127.0.0.1 with a free port, quietly, and `client` is pointed at it with its project and
 * key. Stopped at exit (host_sandbox_stop).
 */
#ifndef SWH_HOST_SANDBOX_H
#define SWH_HOST_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "host_options.h"
#include "swh_emulator.h"

typedef struct host_sandbox {
  swh_emulator *emulator;  /* NULL when not started */
  const char *key_id;      /* static */
  const char *key_secret;  /* static */
  const char *kind;        /* "demo", "empty", or the snapshot file's name (borrowed) */
} host_sandbox;

/*
 * Starts the emulator for kind (not HOST_SANDBOX_NONE) and file (for HOST_SANDBOX_FILE).
 * Returns true, or false with a one-line message in error (no secrets, no "swh: " prefix):
 * an unreadable or invalid snapshot file says which file and what is wrong with it.
 */
bool host_sandbox_start(host_sandbox *sandbox, host_sandbox_kind kind, const char *file,
                        char *error, size_t error_size);

/* The emulator's "http://127.0.0.1:PORT" (borrowed until stop). */
const char *host_sandbox_url(const host_sandbox *sandbox);

/* The emulated project's id: the snapshot's, or the emulator's default (borrowed until
   stop). */
const char *host_sandbox_project(const host_sandbox *sandbox);

/* Stops the emulator; safe twice and on a sandbox that never started. */
void host_sandbox_stop(host_sandbox *sandbox);

#endif
