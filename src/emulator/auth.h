/*
 * The emulator's one key and its credentials: Basic key_id:key_secret on API calls, and
 * OAuth2 client-credentials tokens. Tokens are JWT-shaped (header.payload.signature,
 * base64url, HS256), with iat/exp claims; swh_emulator_expire_tokens ends every token issued
 * so far. The signing key is the --state file's (so tokens outlive a restart on that state)
 * or, without one, drawn from OpenSSL at start (so they die with the process); it never
 * derives from the key secret, which may be the public default.
 */
#ifndef EMU_AUTH_H
#define EMU_AUTH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "swh_error.h"

typedef struct emu_auth {
  char *key_id;
  char *key_secret;
  int token_ttl;                 /* seconds */
  unsigned char signing_key[32]; /* EMU_STATE_KEY_LEN */
  pthread_mutex_t lock;
  uint64_t generation;           /* of the next token */
  uint64_t valid_from;           /* tokens of an older generation are expired */
  long long revoked_at;          /* Unix seconds of the last swh_emulator_expire_tokens */
} emu_auth;

typedef enum {
  EMU_AUTH_OK,
  EMU_AUTH_MISSING,   /* no Authorization header, or a scheme other than Basic/Bearer */
  EMU_AUTH_WRONG,     /* bad key, bad token, bad signature */
  EMU_AUTH_EXPIRED,   /* a genuine token past its time */
} emu_auth_result;

/* Copies the key, and signing_key (32 bytes) or, when NULL, draws one. Returns
   SWH_ERR_MEMORY on failure. */
swh_status emu_auth_init(emu_auth *auth, const char *key_id, const char *key_secret,
                         int token_ttl, const unsigned char *signing_key, swh_error *err);

void emu_auth_destroy(emu_auth *auth);

/* Checks a key id and secret (not NUL-terminated: their lengths given) against the key, in
   constant time. */
bool emu_auth_key_ok(const emu_auth *auth, const char *key_id, size_t key_id_len,
                     const char *key_secret, size_t key_secret_len);

/* Checks a "Basic ..." header value against the key (constant time). */
bool emu_auth_basic_ok(const emu_auth *auth, const char *authorization);

/* Checks the credentials of an API call (Basic or Bearer). On EMU_AUTH_EXPIRED, *expired_at
   is the Unix time it ended. */
emu_auth_result emu_auth_check(emu_auth *auth, const char *authorization,
                               long long *expired_at);

/* Issues a token; returns a new string (the caller frees) or NULL on allocation failure. */
char *emu_auth_issue_token(emu_auth *auth);

/* Ends every token issued so far. */
void emu_auth_expire_all(emu_auth *auth);

#endif
