/* swh_secret: which keys hold secrets, and JSON with them hidden (see swh_secret.h). */
#define _POSIX_C_SOURCE 200809L
#include "swh_secret.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Words that make any name holding them a secret's ("client_secret", "db_password"). */
static const char *const secret_words[] = {"secret", "password", "passwd", "authorization",
                                           "cookie", "apikey"};

/* Whether word (len bytes, lower case) is "x" + one of secret_words + "y". */
static bool holds_secret_word(const char *word, size_t len) {
  for (size_t i = 0; i < sizeof secret_words / sizeof *secret_words; i++) {
    size_t n = strlen(secret_words[i]);
    for (size_t at = 0; at + n <= len; at++)
      if (memcmp(word + at, secret_words[i], n) == 0) return true;
  }
  return false;
}

bool swh_is_secret_key(const char *name) {
  if (!name) return false;
  char lower[128];
  size_t len = strlen(name);
  if (len >= sizeof lower) len = sizeof lower - 1; /* a secret word sits early in any name */
  for (size_t i = 0; i < len; i++) lower[i] = (char)tolower((unsigned char)name[i]);
  lower[len] = '\0';
  /* Words are runs of letters and digits: "x-api-key", "refresh_token", "Authorization". */
  const char *last = NULL, *before_last = NULL;
  size_t last_len = 0, before_last_len = 0;
  for (const char *p = lower; *p;) {
    size_t n = 0;
    while (isalnum((unsigned char)p[n])) n++;
    if (n > 0) {
      if (holds_secret_word(p, n)) return true;
      before_last = last, before_last_len = last_len;
      last = p, last_len = n;
      p += n;
    } else {
      p++;
    }
  }
  if (!last) return false;
  /* A token is the last word ("access_token", "idToken"): "token_type" and
     "token_request_type" name a kind of token, not one. */
  if (last_len >= 5 && memcmp(last + last_len - 5, "token", 5) == 0) return true;
  /* "api_key", "private_key"; not "key_id" */
  return last_len == 3 && memcmp(last, "key", 3) == 0 && before_last &&
         ((before_last_len == 3 && memcmp(before_last, "api", 3) == 0) ||
          (before_last_len == 7 && memcmp(before_last, "private", 7) == 0));
}

/* Redacts in place, inside a deep copy that the caller owns. Returns false on memory. */
static bool redact_in_place(json_t *value) {
  if (json_is_object(value)) {
    const char *key;
    json_t *child;
    json_object_foreach(value, key, child) {
      if (swh_is_secret_key(key) && !json_is_null(child)) {
        if (json_object_set_new(value, key, json_string(SWHI_REDACTED)) != 0) return false;
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
    char *redacted = swhi_url_mask_text(json_string_value(value), SWHI_REDACTED);
    bool ok = redacted && (strcmp(redacted, json_string_value(value)) == 0 ||
                           json_string_set(value, redacted) == 0);
    free(redacted);
    return ok;
  }
  return true;
}

char *swhi_redacted_dump(const json_t *value, size_t max_len) {
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
