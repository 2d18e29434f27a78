/* The seeded projects of --sandbox (see host_demo_seed.h). */
#include "host_demo_seed.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* A small deterministic generator (xorshift64*): the demo must not change between runs. */
typedef struct {
  uint64_t state;
} demo_random;

static uint32_t demo_next(demo_random *r) {
  r->state ^= r->state >> 12;
  r->state ^= r->state << 25;
  r->state ^= r->state >> 27;
  return (uint32_t)((r->state * 0x2545F4914F6CDD1DULL) >> 32);
}

static unsigned demo_below(demo_random *r, unsigned n) { return demo_next(r) % n; }

/* A ULID-shaped id (26 Crockford base32 characters, like the API's): a time part that grows
   with counter, then random characters. */
static void demo_ulid(demo_random *r, unsigned counter, char out[27]) {
  static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  uint64_t time_ms = 1735689600000ULL + (uint64_t)counter * 7919ULL; /* from 2025-01-01 */
  for (int i = 9; i >= 0; i--) {
    out[i] = alphabet[time_ms & 31];
    time_ms >>= 5;
  }
  for (int i = 10; i < 26; i++)
    out[i] = alphabet[demo_below(r, 32)];
  out[26] = '\0';
}

/* What each webhook of an app is for: its path and the triggers it draws from. */
typedef struct {
  const char *path;
  const char *triggers[5];
} demo_purpose;

static const demo_purpose purposes[] = {
    {"delivery", {"MESSAGE_DELIVERY", "EVENT_DELIVERY", "MESSAGE_SUBMIT", NULL}},
    {"inbound", {"MESSAGE_INBOUND", "EVENT_INBOUND", "SMART_CONVERSATION", NULL}},
    {"conversations", {"CONVERSATION_START", "CONVERSATION_STOP", "CONVERSATION_DELETE", NULL}},
    {"contacts", {"CONTACT_CREATE", "CONTACT_UPDATE", "CONTACT_MERGE", "CONTACT_DELETE", NULL}},
    {"consent", {"OPT_IN", "OPT_OUT", "CAPABILITY", "CHANNEL_EVENT", NULL}},
};
enum { PURPOSE_COUNT = sizeof purposes / sizeof *purposes };

static const char *const teams[] = {"Support", "Sales", "Billing", "Alerts",
                                    "Marketing", "Onboarding", "Logistics", "Care"};
static const char *const markets[] = {"US", "EU", "BR", "UK", "APAC"};

static json_t *demo_triggers(demo_random *r, const demo_purpose *purpose) {
  json_t *triggers = json_array();
  if (!triggers)
    return NULL;
  size_t available = 0;
  while (purpose->triggers[available])
    available++;
  /* The first trigger always, the others each by chance: 1 to `available` triggers. */
  for (size_t i = 0; i < available; i++) {
    if (i > 0 && demo_below(r, 2) == 0)
      continue;
    if (json_array_append_new(triggers, json_string(purpose->triggers[i])) != 0) {
      json_decref(triggers);
      return NULL;
    }
  }
  return triggers;
}

static json_t *demo_app(const char *id, int index) {
  char name[64];
  snprintf(name, sizeof name, "%s %s", teams[index % 8], markets[(index / 8) % 5]);
  return json_pack("{s:s, s:s, s:s, s:[], s:{s:i, s:i, s:i}}", "id", id, "display_name", name,
                   "processing_mode", "CONVERSATION", "channel_credentials", "rate_limits",
                   "outbound", 20, "inbound", 100, "webhooks", 100);
}

static json_t *demo_webhook(demo_random *r, unsigned *counter, const char *app_id,
                            int app_index, int slot, const demo_purpose *purpose) {
  char id[27], target[256], slug[32];
  demo_ulid(r, (*counter)++, id);
  snprintf(slug, sizeof slug, "%s-%s-%02d", teams[app_index % 8], markets[(app_index / 8) % 5],
           app_index + 1);
  for (char *c = slug; *c; c++)
    if (*c >= 'A' && *c <= 'Z')
      *c = (char)(*c - 'A' + 'a');
  /* About one webhook in seven is on a partner's host: the migration leaves it alone. */
  bool partner = demo_below(r, 7) == 0;
  snprintf(target, sizeof target, "https://%s/sinch/%s/%s",
           partner ? HOST_DEMO_PARTNER_HOST : HOST_DEMO_OLD_HOST, slug, purpose->path);

  json_t *triggers = demo_triggers(r, purpose);
  json_t *webhook = triggers ? json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", id, "app_id", app_id,
                                         "target", target, "target_type",
                                         demo_below(r, 15) == 0 ? "DISMISS" : "HTTP", "triggers",
                                         triggers)
                             : NULL;
  if (!webhook)
    return NULL;
  if (demo_below(r, 3) == 0) {
    char secret[64];
    snprintf(secret, sizeof secret, "demo-secret-%02d-%d-%08x", app_index + 1, slot,
             (unsigned)demo_next(r));
    if (json_object_set_new(webhook, "secret", json_string(secret)) != 0)
      goto fail;
  }
  if (demo_below(r, 5) == 0) {
    char client_id[64], client_secret[64];
    snprintf(client_id, sizeof client_id, "swh-demo-%s", slug);
    snprintf(client_secret, sizeof client_secret, "demo-client-secret-%08x",
             (unsigned)demo_next(r));
    json_t *credentials = json_pack(
        "{s:s, s:s, s:s, s:s}", "client_id", client_id, "client_secret", client_secret,
        "endpoint", "https://auth.old-callbacks.example.com/oauth2/token", "token_request_type",
        demo_below(r, 2) ? "BASIC" : "FORM");
    if (!credentials || json_object_set_new(webhook, "client_credentials", credentials) != 0)
      goto fail;
  }
  return webhook;
fail:
  json_decref(webhook);
  return NULL;
}

static json_t *new_snapshot(const char *project_id, json_t **apps, json_t **webhooks) {
  json_t *snapshot = json_pack("{s:i, s:s, s:[], s:[]}", "swh_snapshot", 1, "project_id",
                               project_id, "apps", "webhooks");
  if (snapshot) {
    *apps = json_object_get(snapshot, "apps");
    *webhooks = json_object_get(snapshot, "webhooks");
  }
  return snapshot;
}

json_t *host_demo_seed(void) {
  json_t *apps, *webhooks;
  json_t *snapshot = new_snapshot(HOST_DEMO_PROJECT, &apps, &webhooks);
  if (!snapshot)
    return NULL;
  demo_random r = {0x5EEDC0FFEE15BADULL};
  unsigned counter = 0;
  for (int a = 0; a < HOST_DEMO_APPS; a++) {
    char app_id[27];
    demo_ulid(&r, counter++, app_id);
    if (json_array_append_new(apps, demo_app(app_id, a)) != 0)
      goto fail;
    /* 1 to 4 webhooks with distinct purposes, hence distinct targets within the app. */
    int count = 1 + (int)demo_below(&r, 4);
    int first = (int)demo_below(&r, PURPOSE_COUNT);
    for (int slot = 0; slot < count; slot++) {
      const demo_purpose *purpose = &purposes[(first + slot) % PURPOSE_COUNT];
      if (json_array_append_new(webhooks,
                                demo_webhook(&r, &counter, app_id, a, slot + 1, purpose)) != 0)
        goto fail;
    }
  }
  return snapshot;
fail:
  json_decref(snapshot);
  return NULL;
}

json_t *host_empty_seed(void) {
  json_t *apps, *webhooks;
  json_t *snapshot = new_snapshot(HOST_EMPTY_PROJECT, &apps, &webhooks);
  if (!snapshot)
    return NULL;
  demo_random r = {0xE3B7C0FFEEULL};
  for (int a = 0; a < HOST_EMPTY_APPS; a++) {
    char app_id[27], name[32];
    demo_ulid(&r, (unsigned)a, app_id);
    snprintf(name, sizeof name, "Sandbox app %d", a + 1);
    if (json_array_append_new(apps, json_pack("{s:s, s:s, s:[]}", "id", app_id, "display_name",
                                              name, "channel_credentials")) != 0) {
      json_decref(snapshot);
      return NULL;
    }
  }
  return snapshot;
}
