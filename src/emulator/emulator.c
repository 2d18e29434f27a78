/* The public face of the emulator library: start, url, snapshot, expire, stop. */
#include "swh_emulator.h"

#include <stdlib.h>
#include <string.h>

#include "delivery.h"
#include "emulator_internal.h"
#include "server.h"

#define DEFAULT_TOKEN_TTL 3600

swh_emulator *swh_emulator_start(const swh_emulator_config *config, swh_error *err) {
  swh_emulator_config defaults;
  if (!config) {
    memset(&defaults, 0, sizeof defaults);
    config = &defaults;
  }
  if (config->latency_ms < 0) {
    swh_error_set(err, SWH_ERR_USAGE, "latency: %d ms is negative", config->latency_ms);
    return NULL;
  }
  if (config->request_timeout_ms < 0) {
    swh_error_set(err, SWH_ERR_USAGE, "request_timeout: %d ms is negative",
                  config->request_timeout_ms);
    return NULL;
  }
  if (config->token_ttl < 0) {
    swh_error_set(err, SWH_ERR_USAGE, "token_ttl: %d s is negative", config->token_ttl);
    return NULL;
  }
  if ((config->project_id && !*config->project_id) || (config->key_id && !*config->key_id) ||
      (config->key_secret && !*config->key_secret)) {
    swh_error_set(err, SWH_ERR_USAGE, "project_id, key_id and key_secret must not be empty");
    return NULL;
  }
  struct swh_emulator *emulator = calloc(1, sizeof *emulator);
  if (!emulator) {
    swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
    return NULL;
  }
  emulator->latency_ms = config->latency_ms;
  emulator->request_timeout_ms = config->request_timeout_ms;
  emulator->quiet = config->quiet;
  double rate = config->rate_limit == 0 ? EMU_DEFAULT_RATE : config->rate_limit;
  /* the parts, in order; each failure undoes the ones before it */
  if (emu_faults_init(&emulator->faults, config->faults, config->seed_random, err) != SWH_OK)
    goto no_faults;
  /* the store first: the state file keeps the key that signs tokens */
  if (emu_store_init(&emulator->store, config, err) != SWH_OK)
    goto no_store;
  if (emu_auth_init(&emulator->auth,
                    config->key_id ? config->key_id : SWH_EMULATOR_DEFAULT_KEY_ID,
                    config->key_secret ? config->key_secret : SWH_EMULATOR_DEFAULT_KEY_SECRET,
                    config->token_ttl ? config->token_ttl : DEFAULT_TOKEN_TTL,
                    emu_store_token_key(&emulator->store), err) != SWH_OK)
    goto no_auth;
  /* a second's worth of burst: a client pacing itself at the limit never hits it */
  if (!emu_bucket_init(&emulator->project_bucket, rate, rate)) {
    swh_error_set(err, SWH_ERR_MEMORY, "cannot create a mutex");
    goto no_project_bucket;
  }
  if (!emu_bucket_init(&emulator->token_bucket, EMU_TOKEN_RATE, EMU_TOKEN_BURST)) {
    swh_error_set(err, SWH_ERR_MEMORY, "cannot create a mutex");
    goto no_token_bucket;
  }
  double basic_rate =
      config->basic_rate_limit == 0 ? EMU_DEFAULT_BASIC_RATE : config->basic_rate_limit;
  if (!emu_bucket_init(&emulator->basic_bucket, basic_rate, basic_rate)) {
    swh_error_set(err, SWH_ERR_MEMORY, "cannot create a mutex");
    goto no_basic_bucket;
  }
  emulator->no_retry_after = config->no_retry_after;
  emulator->flat_errors = config->flat_errors;
  emulator->delivery = emu_delivery_start(config->callback_retry_ms, config->callback_attempts,
                                          err);
  if (!emulator->delivery)
    goto no_delivery;
  if (emu_server_start(emulator, config->port, err) != SWH_OK)
    goto no_server;
  return emulator;

no_server:
  emu_delivery_stop(emulator->delivery);
no_delivery:
  emu_bucket_destroy(&emulator->basic_bucket);
no_basic_bucket:
  emu_bucket_destroy(&emulator->token_bucket);
no_token_bucket:
  emu_bucket_destroy(&emulator->project_bucket);
no_project_bucket:
  emu_auth_destroy(&emulator->auth);
no_auth:
  emu_store_destroy(&emulator->store);
no_store:
  emu_faults_destroy(&emulator->faults);
no_faults:
  free(emulator);
  return NULL;
}

const char *swh_emulator_url(const swh_emulator *emulator) { return emulator->url; }

const char *swh_emulator_project(const swh_emulator *emulator) {
  return emulator->store.project_id;
}

json_t *swh_emulator_snapshot(swh_emulator *emulator) {
  pthread_rwlock_rdlock(&emulator->store.lock);
  json_t *snapshot = emu_store_snapshot_locked(&emulator->store);
  pthread_rwlock_unlock(&emulator->store.lock);
  return snapshot;
}

void swh_emulator_expire_tokens(swh_emulator *emulator) {
  emu_auth_expire_all(&emulator->auth);
}

void swh_emulator_stop(swh_emulator *emulator) {
  if (!emulator)
    return;
  emu_server_stop(emulator);
  emu_delivery_stop(emulator->delivery);
  emu_store_fold_log(&emulator->store);
  emu_store_destroy(&emulator->store);
  emu_bucket_destroy(&emulator->basic_bucket);
  emu_bucket_destroy(&emulator->token_bucket);
  emu_bucket_destroy(&emulator->project_bucket);
  emu_auth_destroy(&emulator->auth);
  emu_faults_destroy(&emulator->faults);
  free(emulator);
}
