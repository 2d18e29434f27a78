/*
 * client_blocking: the blocking forms of swh_client.h (start, step until done, finish),
 * built on its public call API alone; they need nothing of the client's insides.
 */
#include "swh_client.h"

static swh_status run_blocking(swh_client *client, swh_op op, const char *id,
                               const json_t *body, json_t **result, swh_error *err) {
  if (result) *result = NULL;
  swh_error local;
  swh_error_init(&local);
  swh_status status;
  swh_call *call = swh_call_start(client, op, id, body, NULL, &local);
  if (!call) {
    status = local.kind;
  } else {
    while (!swh_call_done(call)) swh_client_step(client, 1000);
    status = swh_call_finish(call, result, &local);
  }
  if (err)
    swh_error_move(err, &local);
  else
    swh_error_clear(&local);
  return status;
}

swh_status swh_webhooks_list(swh_client *client, const char *app_id, json_t **webhooks,
                             swh_error *err) {
  return run_blocking(client, SWH_OP_WEBHOOKS_LIST, app_id, NULL, webhooks, err);
}

swh_status swh_webhook_create(swh_client *client, const json_t *webhook, json_t **created,
                              swh_error *err) {
  return run_blocking(client, SWH_OP_WEBHOOK_CREATE, NULL, webhook, created, err);
}

swh_status swh_webhook_get(swh_client *client, const char *webhook_id, json_t **webhook,
                           swh_error *err) {
  return run_blocking(client, SWH_OP_WEBHOOK_GET, webhook_id, NULL, webhook, err);
}

swh_status swh_webhook_update(swh_client *client, const char *webhook_id,
                              const json_t *changes, json_t **updated, swh_error *err) {
  return run_blocking(client, SWH_OP_WEBHOOK_UPDATE, webhook_id, changes, updated, err);
}

swh_status swh_webhook_delete(swh_client *client, const char *webhook_id, swh_error *err) {
  json_t *empty = NULL;
  swh_status status = run_blocking(client, SWH_OP_WEBHOOK_DELETE, webhook_id, NULL, &empty, err);
  json_decref(empty);
  return status;
}

swh_status swh_apps_list(swh_client *client, json_t **apps, swh_error *err) {
  return run_blocking(client, SWH_OP_APPS_LIST, NULL, NULL, apps, err);
}
