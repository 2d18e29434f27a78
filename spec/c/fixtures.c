/* fixtures: see fixtures.h. */
#define _POSIX_C_SOURCE 200809L
#include "fixtures.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <jansson.h>

double fx_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

void fx_sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

swh_emulator *fx_emulator(swh_emulator_config config) {
  config.quiet = true;
  swh_error err;
  swh_error_init(&err);
  swh_emulator *emulator = swh_emulator_start(&config, &err);
  if (!emulator) fail_msg("emulator: %s", err.message);
  return emulator;
}

swh_client *fx_client(swh_config config) {
  char auth_url[256];
  if (!config.auth_url && config.auth == SWH_AUTH_OAUTH2 && config.base_url) {
    snprintf(auth_url, sizeof auth_url, "%s/oauth2/token", config.base_url);
    config.auth_url = auth_url;
  }
  if (!config.project_id) config.project_id = SWH_EMULATOR_DEFAULT_PROJECT;
  if (!config.key_id) config.key_id = SWH_EMULATOR_DEFAULT_KEY_ID;
  if (!config.key_secret) config.key_secret = SWH_EMULATOR_DEFAULT_KEY_SECRET;
  swh_error err;
  swh_error_init(&err);
  swh_client *client = swh_client_new(&config, &err); /* copies the strings */
  if (!client) fail_msg("client: %s", err.message);
  return client;
}

static long allocations_left = -1;

static void *failing_malloc(size_t size) {
  if (allocations_left == 0) return NULL;
  if (allocations_left > 0) allocations_left--;
  return malloc(size);
}

void fx_allocations_fail(long n) {
  allocations_left = n;
  json_set_alloc_funcs(n < 0 ? malloc : failing_malloc, free);
}
