/* Basic credentials and HS256 tokens, with OpenSSL doing Base64, HMAC and randomness. */
#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

swh_status emu_auth_init(emu_auth *auth, const char *key_id, const char *key_secret,
                         int token_ttl, const unsigned char *signing_key, swh_error *err) {
  memset(auth, 0, sizeof *auth);
  auth->token_ttl = token_ttl;
  auth->key_id = strdup(key_id);
  auth->key_secret = strdup(key_secret);
  if (!auth->key_id || !auth->key_secret || pthread_mutex_init(&auth->lock, NULL) != 0) {
    free(auth->key_id);
    free(auth->key_secret);
    return swh_error_set(err, SWH_ERR_MEMORY, "out of memory");
  }
  if (signing_key)
    memcpy(auth->signing_key, signing_key, sizeof auth->signing_key);
  else if (RAND_bytes(auth->signing_key, sizeof auth->signing_key) != 1) {
    emu_auth_destroy(auth);
    return swh_error_set(err, SWH_ERR_MEMORY, "cannot draw a token signing key");
  }
  return SWH_OK;
}

void emu_auth_destroy(emu_auth *auth) {
  if (auth->key_secret)
    OPENSSL_cleanse(auth->key_secret, strlen(auth->key_secret));
  free(auth->key_id);
  free(auth->key_secret);
  OPENSSL_cleanse(auth->signing_key, sizeof auth->signing_key);
  pthread_mutex_destroy(&auth->lock);
  auth->key_id = auth->key_secret = NULL;
}

/* base64url (without padding, as JWTs use) of len bytes into a new string; NULL on failure. */
static char *base64url_encode(const unsigned char *data, size_t len) {
  char *out = malloc(4 * ((len + 2) / 3) + 1);
  if (!out)
    return NULL;
  int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
  /* to base64url, without padding, as JWTs use */
  while (n > 0 && out[n - 1] == '=')
    n--;
  out[n] = '\0';
  for (char *p = out; *p; p++)
    *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
  return out;
}

/* Decodes standard (url = false) or url-safe Base64 into a new NUL-terminated buffer;
   NULL if it is not Base64. *out_len gets the decoded length. */
static unsigned char *base64_decode(const char *text, size_t len, bool url, size_t *out_len) {
  size_t padded = (len + 3) / 4 * 4;
  char *copy = malloc(padded + 1);
  unsigned char *out = malloc(padded / 4 * 3 + 1);
  if (!copy || !out || len == 0) {
    free(copy);
    free(out);
    return NULL;
  }
  memcpy(copy, text, len);
  size_t pad = 0;
  if (url) {
    for (size_t i = 0; i < len; i++) {
      if (copy[i] == '-') copy[i] = '+';
      else if (copy[i] == '_') copy[i] = '/';
      else if (copy[i] == '+' || copy[i] == '/' || copy[i] == '=') goto bad;
    }
    for (size_t i = len; i < padded; i++, pad++)
      copy[i] = '=';
  } else {
    if (len % 4)
      goto bad;
    for (size_t i = len; i > 0 && copy[i - 1] == '='; i--)
      pad++;
  }
  copy[padded] = '\0';
  int n = EVP_DecodeBlock(out, (unsigned char *)copy, (int)padded);
  if (n < 0 || pad > 2 || (size_t)n < pad)
    goto bad;
  free(copy);
  *out_len = (size_t)n - pad; /* EVP_DecodeBlock counts the padding as zero bytes */
  out[*out_len] = '\0';
  return out;
bad:
  free(copy);
  free(out);
  return NULL;
}

/* Skips "Scheme " case-insensitively; NULL if value does not start with it. */
static const char *after_scheme(const char *value, const char *scheme) {
  size_t n = strlen(scheme);
  if (!value || strncasecmp(value, scheme, n) != 0 || value[n] != ' ')
    return NULL;
  value += n;
  while (*value == ' ')
    value++;
  return value;
}

static bool equal_secret(const char *a, size_t a_len, const char *b) {
  size_t b_len = strlen(b);
  return a_len == b_len && CRYPTO_memcmp(a, b, a_len) == 0;
}

bool emu_auth_key_ok(const emu_auth *auth, const char *key_id, size_t key_id_len,
                     const char *key_secret, size_t key_secret_len) {
  /* both compared, so the time taken does not tell which one was wrong */
  bool id_ok = equal_secret(key_id, key_id_len, auth->key_id);
  bool secret_ok = equal_secret(key_secret, key_secret_len, auth->key_secret);
  return id_ok && secret_ok;
}

bool emu_auth_basic_ok(const emu_auth *auth, const char *authorization) {
  const char *encoded = after_scheme(authorization, "Basic");
  if (!encoded)
    return false;
  size_t len = 0;
  unsigned char *plain = base64_decode(encoded, strlen(encoded), false, &len);
  if (!plain)
    return false;
  const char *colon = memchr(plain, ':', len);
  bool ok = colon && emu_auth_key_ok(auth, (const char *)plain, (size_t)(colon - (char *)plain),
                                     colon + 1, len - (size_t)(colon + 1 - (char *)plain));
  OPENSSL_cleanse(plain, len);
  free(plain);
  return ok;
}

/* base64url(HMAC-SHA256(signing key, text)), a new string. */
static char *sign(const emu_auth *auth, const char *text, size_t len) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (!HMAC(EVP_sha256(), auth->signing_key, sizeof auth->signing_key,
            (const unsigned char *)text, len, mac, &mac_len))
    return NULL;
  return base64url_encode(mac, mac_len);
}

char *emu_auth_issue_token(emu_auth *auth) {
  pthread_mutex_lock(&auth->lock);
  uint64_t generation = auth->generation++;
  pthread_mutex_unlock(&auth->lock);
  long long now = now_ms();
  /* exp rounds up, so a token never lives less than the expires_in it is announced with */
  long long exp = (now + (long long)auth->token_ttl * 1000 + 999) / 1000;
  unsigned char jti[12];
  char jti_hex[25];
  if (RAND_bytes(jti, sizeof jti) != 1)
    return NULL;
  for (size_t i = 0; i < sizeof jti; i++)
    snprintf(jti_hex + 2 * i, 3, "%02x", jti[i]);
  json_t *claims = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:s}", "iss", "swh-emulator", "sub",
                             auth->key_id, "aud", "conversation", "iat",
                             (json_int_t)(now / 1000), "exp", (json_int_t)exp, "gen",
                             (json_int_t)generation, "jti", jti_hex);
  char *payload_json = claims ? json_dumps(claims, JSON_COMPACT) : NULL;
  json_decref(claims);
  if (!payload_json)
    return NULL;
  static const char header_json[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
  char *header = base64url_encode((const unsigned char *)header_json, strlen(header_json));
  char *payload = base64url_encode((const unsigned char *)payload_json, strlen(payload_json));
  free(payload_json);
  char *token = NULL;
  if (header && payload) {
    size_t signed_len = strlen(header) + 1 + strlen(payload);
    token = malloc(signed_len + 64);
    if (token) {
      snprintf(token, signed_len + 1, "%s.%s", header, payload);
      char *signature = sign(auth, token, signed_len);
      if (signature) {
        snprintf(token + signed_len, 64, ".%s", signature);
        free(signature);
      } else {
        free(token);
        token = NULL;
      }
    }
  }
  free(header);
  free(payload);
  return token;
}

static emu_auth_result check_bearer(emu_auth *auth, const char *token, long long *expired_at) {
  const char *dot1 = strchr(token, '.');
  const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
  if (!dot2 || strchr(dot2 + 1, '.'))
    return EMU_AUTH_WRONG;
  char *expected = sign(auth, token, (size_t)(dot2 - token));
  const char *given = dot2 + 1;
  bool genuine = expected && strlen(expected) == strlen(given) &&
                 CRYPTO_memcmp(expected, given, strlen(given)) == 0;
  free(expected);
  if (!genuine)
    return EMU_AUTH_WRONG;
  size_t len = 0;
  unsigned char *payload = base64_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), true, &len);
  json_t *claims = payload ? json_loadb((const char *)payload, len, 0, NULL) : NULL;
  free(payload);
  json_int_t exp = json_integer_value(json_object_get(claims, "exp"));
  json_int_t generation = json_integer_value(json_object_get(claims, "gen"));
  json_decref(claims);
  if (!claims)
    return EMU_AUTH_WRONG;
  pthread_mutex_lock(&auth->lock);
  uint64_t valid_from = auth->valid_from;
  long long revoked_at = auth->revoked_at;
  pthread_mutex_unlock(&auth->lock);
  if ((uint64_t)generation < valid_from) {
    *expired_at = revoked_at < exp ? revoked_at : exp;
    return EMU_AUTH_EXPIRED;
  }
  if (now_ms() >= (long long)exp * 1000) {
    *expired_at = exp;
    return EMU_AUTH_EXPIRED;
  }
  return EMU_AUTH_OK;
}

emu_auth_result emu_auth_check(emu_auth *auth, const char *authorization,
                               long long *expired_at) {
  if (!authorization)
    return EMU_AUTH_MISSING;
  const char *token = after_scheme(authorization, "Bearer");
  if (token)
    return *token ? check_bearer(auth, token, expired_at) : EMU_AUTH_WRONG;
  if (after_scheme(authorization, "Basic"))
    return emu_auth_basic_ok(auth, authorization) ? EMU_AUTH_OK : EMU_AUTH_WRONG;
  return EMU_AUTH_MISSING;
}

void emu_auth_expire_all(emu_auth *auth) {
  pthread_mutex_lock(&auth->lock);
  auth->valid_from = auth->generation;
  auth->revoked_at = now_ms() / 1000;
  pthread_mutex_unlock(&auth->lock);
}
