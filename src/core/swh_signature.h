/*
 * swh_signature: the callback signatures of API.md, for users who receive callbacks.
 *
 * Signature = Base64(HMAC-SHA256(key = secret, data = raw_body "." nonce "." timestamp)).
 * Always over the raw body bytes as received, never a re-serialisation of parsed JSON.
 */
#ifndef SWH_SIGNATURE_H
#define SWH_SIGNATURE_H

#include <stddef.h>

#include "swh_error.h"
#include "swh_export.h"

SWH_BEGIN_DECLS

/* Base64 of a 32-byte HMAC, with padding, plus the NUL. */
#define SWH_SIGNATURE_SIZE 45
#define SWH_SIGNATURE_ALGORITHM "HmacSHA256"

/*
 * Writes the signature into out (NUL-terminated). secret, nonce and timestamp are
 * NUL-terminated; body is body_len raw bytes (may contain NULs; NULL if body_len is 0).
 * Returns SWH_OK, or SWH_ERR_USAGE for a NULL argument or an empty secret (a webhook
 * without a secret sends no signature), SWH_ERR_MEMORY if OpenSSL fails.
 */
SWH_API swh_status swh_signature_compute(const char *secret, const void *body, size_t body_len,
                                         const char *nonce, const char *timestamp,
                                         char out[SWH_SIGNATURE_SIZE], swh_error *err);

/* The four headers of a signed callback, as received (any may be NULL when absent). */
typedef struct swh_signature_headers {
  const char *signature; /* x-sinch-webhook-signature */
  const char *nonce;     /* x-sinch-webhook-signature-nonce */
  const char *timestamp; /* x-sinch-webhook-signature-timestamp, Unix seconds */
  const char *algorithm; /* x-sinch-webhook-signature-algorithm, must be HmacSHA256 */
} swh_signature_headers;

/*
 * Verifies a callback. Refuses (SWH_ERR_VALIDATION, message naming what is wrong, never the
 * secret or the expected signature) a missing header, an algorithm other than HmacSHA256,
 * a timestamp that is not an integer or differs from now by more than max_age seconds
 * (max_age <= 0 skips the age check), and a signature that does not match; the comparison
 * takes constant time (CRYPTO_memcmp). Returns SWH_OK when the callback is genuine.
 * Checked in this order: the headers are there, the algorithm (its case is ignored), the
 * timestamp (decimal digits only), its age, then the signature. SWH_ERR_USAGE for a NULL
 * argument, an empty secret, or a negative now when the age is checked.
 * Nonce reuse is not tracked here: a receiver that wants it keeps the nonces it saw for
 * max_age seconds.
 */
SWH_API swh_status swh_signature_verify(const char *secret, const void *body, size_t body_len,
                                        const swh_signature_headers *headers, long long now,
                                        long long max_age, swh_error *err);

SWH_END_DECLS

#endif
