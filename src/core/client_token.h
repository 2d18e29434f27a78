/*
 * client_token: the cached OAuth2 access token of a client (API.md "Authentication"): what
 * the token endpoint answered, and when to renew it. Private to the client.
 */
#ifndef SWH_CLIENT_TOKEN_H
#define SWH_CLIENT_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#include "swh_error.h"

/* Renew this long before expires_in runs out (at most half a short lifetime). */
#define SWH_TOKEN_RENEW_MARGIN_S 60.0
/* A token is used for at least this long, whatever expires_in says: a tiny one (0.001) was
   due for renewal before any call could use it, and the client asked for tokens forever.
   Used past its real end, a token gets a 401, and each call renews at most once. */
#define SWH_TOKEN_MIN_LIFE_S 1.0

typedef struct swh_token_cache {
  char *value;          /* owned; NULL when there is no usable token */
  double renew_at_ms;   /* monotonic time after which the token is renewed before use */
  unsigned generation;  /* bumped for each new token, so a 401 can tell whose it was */
} swh_token_cache;

/* Whether the cache holds a token that is not due for renewal at now_ms. */
bool swhi_token_usable(const swh_token_cache *cache, double now_ms);

/* Drops the token (it expired or was refused), wiping its memory first. */
void swhi_token_forget(swh_token_cache *cache);

/*
 * Stores the token from a 200 answer of the token endpoint,
 * {"access_token":"…","token_type":"Bearer","expires_in":3600}. Returns SWH_OK, or
 * SWH_ERR_AUTH "… answered without a usable access_token" (naming auth_url, never quoting
 * the body, which may hold a token), or SWH_ERR_MEMORY. A missing expires_in counts as
 * 3600 s, as the API documents that lifetime; the token is used for at least
 * SWH_TOKEN_MIN_LIFE_S. A token with control characters (CR, LF, ...) is refused,
 * SWH_ERR_AUTH, as it would become header text. A token it replaces is wiped, as by forget.
 */
swh_status swhi_token_store(swh_token_cache *cache, const char *body, size_t len,
                           const char *auth_url, double now_ms, swh_error *err);

#endif
