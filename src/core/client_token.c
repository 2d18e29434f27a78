/* client_token: the OAuth2 token cache. */
#define _POSIX_C_SOURCE 200809L
#include "client_token.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

bool swhi_token_usable(const swh_token_cache *cache, double now_ms) {
  return cache->value && now_ms < cache->renew_at_ms;
}

/* A token is a credential: wiped before its memory goes back to the allocator. */
static void free_token(char *token) {
  if (!token) return;
  OPENSSL_cleanse(token, strlen(token));
  free(token);
}

/* CR or LF in "Authorization: Bearer <token>" would end the header and start another. */
static bool has_control_character(const char *token) {
  for (const unsigned char *c = (const unsigned char *)token; *c; c++)
    if (*c < 0x20 || *c == 0x7f) return true;
  return false;
}

void swhi_token_forget(swh_token_cache *cache) {
  free_token(cache->value);
  cache->value = NULL;
}

swh_status swhi_token_store(swh_token_cache *cache, const char *body, size_t len,
                           const char *auth_url, double now_ms, swh_error *err) {
  json_t *answer = json_loadb(body ? body : "", len, 0, NULL);
  const char *token = json_string_value(json_object_get(answer, "access_token"));
  json_t *expires = json_object_get(answer, "expires_in");
  double ttl = expires ? json_number_value(expires) : 3600.0;
  if (!token || !*token || (expires && !json_is_number(expires)) || ttl <= 0) {
    json_decref(answer);
    return swh_error_set(err, SWH_ERR_AUTH,
                         "the token endpoint %s answered without a usable access_token "
                         "and expires_in",
                         auth_url);
  }
  if (has_control_character(token)) {
    json_decref(answer);
    return swh_error_set(err, SWH_ERR_AUTH,
                         "the token endpoint %s answered an access_token with control "
                         "characters, which cannot be sent in a header",
                         auth_url);
  }
  char *copy = strdup(token);
  json_decref(answer);
  if (!copy) return swh_error_set(err, SWH_ERR_MEMORY, "out of memory storing a token");
  double margin = SWH_TOKEN_RENEW_MARGIN_S;
  if (margin > ttl / 2) margin = ttl / 2;
  double life = ttl - margin;
  if (life < SWH_TOKEN_MIN_LIFE_S) life = SWH_TOKEN_MIN_LIFE_S;
  free_token(cache->value);
  cache->value = copy;
  cache->renew_at_ms = now_ms + life * 1000.0;
  cache->generation++;
  return SWH_OK;
}
