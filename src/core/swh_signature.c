/* swh_signature: see swh_signature.h. */
#include "swh_signature.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "swh_text.h"

#define HMAC_SHA256_SIZE 32
#define SIGNATURE_LENGTH (SWH_SIGNATURE_SIZE - 1)
#define QUOTE_CHARS 32

/* HMAC-SHA256 of body "." nonce "." timestamp, streamed so that a large body is not copied. */
static bool hmac_sha256(const char *secret, const void *body, size_t body_len,
                        const char *nonce, const char *timestamp,
                        unsigned char mac[HMAC_SHA256_SIZE]) {
  bool ok = false;
  EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  EVP_MAC_CTX *ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
  if (ctx) {
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    size_t mac_len = 0;
    ok = EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret), params) &&
         EVP_MAC_update(ctx, body, body_len) &&
         EVP_MAC_update(ctx, (const unsigned char *)".", 1) &&
         EVP_MAC_update(ctx, (const unsigned char *)nonce, strlen(nonce)) &&
         EVP_MAC_update(ctx, (const unsigned char *)".", 1) &&
         EVP_MAC_update(ctx, (const unsigned char *)timestamp, strlen(timestamp)) &&
         EVP_MAC_final(ctx, mac, &mac_len, HMAC_SHA256_SIZE) && mac_len == HMAC_SHA256_SIZE;
  }
  EVP_MAC_CTX_free(ctx); /* also wipes the key it holds */
  EVP_MAC_free(hmac);
  return ok;
}

swh_status swh_signature_compute(const char *secret, const void *body, size_t body_len,
                                 const char *nonce, const char *timestamp,
                                 char out[SWH_SIGNATURE_SIZE], swh_error *err) {
  if (!secret || (!body && body_len > 0) || !nonce || !timestamp || !out)
    return swh_error_set(err, SWH_ERR_USAGE,
                         "signature: secret, body, nonce, timestamp and out must not be NULL");
  if (secret[0] == '\0')
    return swh_error_set(err, SWH_ERR_USAGE,
                         "signature: the secret is empty (a webhook without a secret sends "
                         "unsigned callbacks)");
  unsigned char mac[HMAC_SHA256_SIZE];
  if (!hmac_sha256(secret, body ? body : "", body_len, nonce, timestamp, mac)) {
    OPENSSL_cleanse(mac, sizeof mac);
    return swh_error_set(err, SWH_ERR_MEMORY, "signature: OpenSSL could not compute HMAC-SHA256");
  }
  /* 32 bytes make 44 Base64 characters with one '=' of padding, then the NUL. */
  EVP_EncodeBlock((unsigned char *)out, mac, HMAC_SHA256_SIZE);
  OPENSSL_cleanse(mac, sizeof mac);
  return SWH_OK;
}

/* Parses Unix seconds: decimal digits only, no sign, no spaces, no overflow. */
static bool parse_timestamp(const char *text, long long *value) {
  if (text[0] < '0' || text[0] > '9') return false;
  for (const char *p = text; *p; p++)
    if (*p < '0' || *p > '9') return false;
  errno = 0;
  char *end = NULL;
  long long v = strtoll(text, &end, 10);
  if (errno == ERANGE || *end != '\0') return false;
  *value = v;
  return true;
}

static const char *quote(char *buf, size_t size, const char *s) {
  buf[0] = '\0';
  swhi_text_append_printable(buf, size, s, strlen(s), QUOTE_CHARS);
  return buf;
}

swh_status swh_signature_verify(const char *secret, const void *body, size_t body_len,
                                const swh_signature_headers *headers, long long now,
                                long long max_age, swh_error *err) {
  if (!secret || (!body && body_len > 0) || !headers)
    return swh_error_set(err, SWH_ERR_USAGE,
                         "signature: secret, body and headers must not be NULL");
  if (max_age > 0 && now < 0)
    return swh_error_set(err, SWH_ERR_USAGE, "signature: now must be Unix seconds, not %lld",
                         now);
  static const char *const names[] = {
      "x-sinch-webhook-signature", "x-sinch-webhook-signature-nonce",
      "x-sinch-webhook-signature-timestamp", "x-sinch-webhook-signature-algorithm"};
  const char *values[] = {headers->signature, headers->nonce, headers->timestamp,
                          headers->algorithm};
  for (size_t i = 0; i < 4; i++)
    if (!values[i] || values[i][0] == '\0')
      return swh_error_set(err, SWH_ERR_VALIDATION, "%s: header missing (is the callback signed?)",
                           names[i]);
  char q[QUOTE_CHARS * 4 + 8];
  /* Java's Mac names the algorithm "HmacSHA256"; case is not meaningful in it. */
  if (strcasecmp(headers->algorithm, SWH_SIGNATURE_ALGORITHM) != 0)
    return swh_error_set(err, SWH_ERR_VALIDATION,
                         "x-sinch-webhook-signature-algorithm: \"%s\" is not supported (only "
                         "HmacSHA256)",
                         quote(q, sizeof q, headers->algorithm));
  long long timestamp;
  if (!parse_timestamp(headers->timestamp, &timestamp))
    return swh_error_set(err, SWH_ERR_VALIDATION,
                         "x-sinch-webhook-signature-timestamp: \"%s\" is not Unix seconds",
                         quote(q, sizeof q, headers->timestamp));
  if (max_age > 0) {
    /* Both are non-negative here, so the difference cannot overflow. */
    long long age = now >= timestamp ? now - timestamp : timestamp - now;
    if (age > max_age)
      return swh_error_set(err, SWH_ERR_VALIDATION,
                           "x-sinch-webhook-signature-timestamp: %lld s %s now, more than the "
                           "%lld s allowed (a replay, or a clock off)",
                           age, now >= timestamp ? "before" : "after", max_age);
  }
  char expected[SWH_SIGNATURE_SIZE];
  swh_status status = swh_signature_compute(secret, body, body_len, headers->nonce,
                                            headers->timestamp, expected, err);
  if (status != SWH_OK) return status;
  /* The length of a signature is public; only its content must be compared in constant time. */
  bool match = strlen(headers->signature) == SIGNATURE_LENGTH &&
               CRYPTO_memcmp(expected, headers->signature, SIGNATURE_LENGTH) == 0;
  OPENSSL_cleanse(expected, sizeof expected);
  if (!match)
    return swh_error_set(err, SWH_ERR_VALIDATION,
                         "x-sinch-webhook-signature: does not match the body (a wrong secret, or "
                         "the body was changed or re-serialised)");
  return SWH_OK;
}
