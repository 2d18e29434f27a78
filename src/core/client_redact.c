/* client_redact: secrets out of the trace. */
#define _POSIX_C_SOURCE 200809L
#include "client_redact.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const secret_keys[] = {
    "secret", "client_secret", "access_token", "key_secret", "authorization", "password",
};

bool swh_key_is_secret(const char *key) {
  for (size_t i = 0; i < sizeof secret_keys / sizeof secret_keys[0]; i++)
    if (strcasecmp(key, secret_keys[i]) == 0) return true;
  return false;
}

/* Redacts in place, inside a deep copy that the caller owns. Returns false on memory. */
static bool redact_in_place(json_t *value) {
  if (json_is_object(value)) {
    const char *key;
    json_t *child;
    json_object_foreach(value, key, child) {
      if (swh_key_is_secret(key) && !json_is_null(child)) {
        if (json_object_set_new(value, key, json_string(SWH_REDACTED)) != 0) return false;
      } else if (!redact_in_place(child)) {
        return false;
      }
    }
  } else if (json_is_array(value)) {
    size_t i;
    json_t *child;
    json_array_foreach(value, i, child) {
      if (!redact_in_place(child)) return false;
    }
  }
  return true;
}

char *swh_redacted_dump(const json_t *value, size_t max_len) {
  json_t *copy = json_deep_copy(value);
  if (!copy) return NULL;
  char *text = NULL;
  if (redact_in_place(copy)) text = json_dumps(copy, JSON_COMPACT | JSON_ENCODE_ANY);
  json_decref(copy);
  if (text && max_len >= 4 && strlen(text) > max_len) strcpy(text + max_len - 3, "...");
  return text;
}
