/* client_redact: secrets out of the trace. */
#define _POSIX_C_SOURCE 200809L
#include "client_redact.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

static const char *const secret_keys[] = {
    "secret", "client_secret", "access_token", "key_secret", "authorization", "password",
};

bool swh_key_is_secret(const char *key) {
  for (size_t i = 0; i < sizeof secret_keys / sizeof secret_keys[0]; i++)
    if (strcasecmp(key, secret_keys[i]) == 0) return true;
  return false;
}

/* Where the password of the URL whose "://" is at sep starts and ends (end at its '@'), or
   false if that URL has no userinfo password. */
static bool find_password(const char *sep, const char **start, const char **end) {
  const char *authority = sep + 3;
  size_t len = strcspn(authority, "/?#");
  const char *at = NULL;
  for (const char *p = authority; p < authority + len; p++)
    if (*p == '@') at = p; /* the last '@' ends the userinfo */
  if (!at) return false;
  const char *colon = memchr(authority, ':', (size_t)(at - authority));
  if (!colon) return false;
  *start = colon + 1;
  *end = at;
  return true;
}

char *swh_redact_url_passwords(const char *text) {
  size_t extra = 0;
  const char *start, *end;
  for (const char *p = strstr(text, "://"); p; p = strstr(p + 3, "://"))
    if (find_password(p, &start, &end)) extra += sizeof SWH_REDACTED;
  char *out = malloc(strlen(text) + extra + 1);
  if (!out) return NULL;
  char *o = out;
  const char *copied = text;
  for (const char *p = strstr(text, "://"); p; p = strstr(p + 3, "://")) {
    if (!find_password(p, &start, &end) || start < copied) continue;
    memcpy(o, copied, (size_t)(start - copied));
    o += start - copied;
    memcpy(o, SWH_REDACTED, sizeof SWH_REDACTED - 1);
    o += sizeof SWH_REDACTED - 1;
    copied = end;
  }
  strcpy(o, copied);
  return out;
}

char *swh_url_without_password(const char *url) {
  CURLU *handle = curl_url();
  char *password = NULL, *stripped = NULL;
  if (handle && curl_url_set(handle, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
      curl_url_get(handle, CURLUPART_PASSWORD, &password, 0) == CURLUE_OK &&
      curl_url_set(handle, CURLUPART_PASSWORD, NULL, 0) == CURLUE_OK)
    curl_url_get(handle, CURLUPART_URL, &stripped, 0);
  curl_free(password);
  curl_url_cleanup(handle);
  char *copy = stripped ? strdup(stripped) : swh_redact_url_passwords(url);
  curl_free(stripped);
  return copy;
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
  } else if (json_is_string(value) && strstr(json_string_value(value), "://")) {
    char *redacted = swh_redact_url_passwords(json_string_value(value));
    bool ok = redacted && (strcmp(redacted, json_string_value(value)) == 0 ||
                           json_string_set(value, redacted) == 0);
    free(redacted);
    return ok;
  }
  return true;
}

char *swh_redacted_dump(const json_t *value, size_t max_len) {
  json_t *copy = json_deep_copy(value);
  if (!copy) return NULL;
  char *text = NULL;
  if (redact_in_place(copy)) text = json_dumps(copy, JSON_COMPACT | JSON_ENCODE_ANY);
  json_decref(copy);
  if (text && max_len >= 4 && strlen(text) > max_len) {
    /* Cut at a character boundary: the text is UTF-8, and a trace line must stay valid. */
    size_t cut = max_len - 3;
    while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80) cut--;
    strcpy(text + cut, "...");
  }
  return text;
}
