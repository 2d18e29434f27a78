/* An embedder's program, built by spec/install_spec.lua against an installed libswh, as C
   and as C++: it starts the installed emulator, then creates, reads, updates, lists and
   deletes a webhook through libswh, printing one line per step. */
#include <stdio.h>
#include <string.h>

#include <swh/swh.h>
#include <swh/swh_emulator.h>

#ifdef __cplusplus
#include <string>
#define LANGUAGE "c++"
#else
#define LANGUAGE "c"
#endif

static int fail(const char *step, swh_error *err) {
  char line[1024];
  fprintf(stderr, "%s: %s\n", step, swh_error_format(err, line, sizeof line));
  return 1;
}

int main(void) {
  swh_error err;
  swh_error_init(&err);
  swh_emulator_config emulator_config;
  memset(&emulator_config, 0, sizeof emulator_config);
  emulator_config.apps = 1;
  emulator_config.quiet = true;
  swh_emulator *emulator = swh_emulator_start(&emulator_config, &err);
  if (!emulator) return fail("start", &err);

  char auth_url[256];
  snprintf(auth_url, sizeof auth_url, "%s/oauth2/token", swh_emulator_url(emulator));
  swh_config config;
  memset(&config, 0, sizeof config);
  config.project_id = swh_emulator_project(emulator);
  config.key_id = SWH_EMULATOR_DEFAULT_KEY_ID;
  config.key_secret = SWH_EMULATOR_DEFAULT_KEY_SECRET;
  config.base_url = swh_emulator_url(emulator);
  config.auth_url = auth_url;
  swh_client *client = swh_client_new(&config, &err);
  if (!client) return fail("client", &err);

  json_t *apps = NULL, *created = NULL, *got = NULL, *updated = NULL, *hooks = NULL;
  if (swh_apps_list(client, &apps, &err) != SWH_OK) return fail("apps", &err);
  const char *app_id = json_string_value(json_object_get(json_array_get(apps, 0), "id"));
  json_t *hook = json_pack("{s:s, s:s, s:[s]}", "app_id", app_id, "target",
                           "https://example.com/a", "triggers", "MESSAGE_INBOUND");
  if (swh_webhook_create(client, hook, &created, &err) != SWH_OK) return fail("create", &err);
  const char *id = json_string_value(json_object_get(created, "id"));
  if (swh_webhook_get(client, id, &got, &err) != SWH_OK) return fail("get", &err);
  printf("%s %s\n", LANGUAGE, json_string_value(json_object_get(got, "target")));
  json_t *changes = json_pack("{s:s}", "target", "https://example.com/b");
  if (swh_webhook_update(client, id, changes, &updated, &err) != SWH_OK)
    return fail("update", &err);
  printf("updated %s\n", json_string_value(json_object_get(updated, "target")));
  if (swh_webhooks_list(client, app_id, &hooks, &err) != SWH_OK) return fail("list", &err);
  printf("listed %zu\n", json_array_size(hooks));
  if (swh_webhook_delete(client, id, &err) != SWH_OK) return fail("delete", &err);
  json_t *gone = NULL;
  if (swh_webhook_get(client, id, &gone, &err) == SWH_OK) return 1;
  printf("deleted %d %s\n", err.http_status, swh_error_kind_name(err.kind));
  swh_error_clear(&err);

  json_decref(apps), json_decref(hook), json_decref(created), json_decref(got);
  json_decref(changes), json_decref(updated), json_decref(hooks);
  swh_client_free(client);
  swh_emulator_stop(emulator);
  return 0;
}
