/*
 * The callback signature check (swh_signature_verify) over headers as received. Input: six
 * lines, then the body (any bytes):
 *   x-sinch-webhook-signature, -nonce, -timestamp, -algorithm (an empty line: absent),
 *   the secret, and "NOW MAX_AGE" (decimal; 0 skips the age check).
 * Promises checked: a refusal is one line and quotes neither the secret nor the expected
 * signature; the outcome is exactly the one the header's rules call for (a missing header,
 * the algorithm, the timestamp, its age, then the signature), and a signature computed for
 * these headers is accepted.
 */
#include "fuzz.h"

#include <errno.h>
#include <strings.h>

#include "swh_signature.h"

static bool digits_in_range(const char *text, long long *value) {
  if (!*text) return false;
  for (const char *c = text; *c; c++)
    if (*c < '0' || *c > '9') return false;
  errno = 0;
  *value = strtoll(text, NULL, 10);
  return errno != ERANGE;
}

/* What the rules say the outcome must be, given the signature is right or not. */
static swh_status expected(const swh_signature_headers *h, const char *secret, long long now,
                           long long max_age, bool signature_right) {
  if (max_age > 0 && now < 0) return SWH_ERR_USAGE;
  const char *values[] = {h->signature, h->nonce, h->timestamp, h->algorithm};
  for (size_t i = 0; i < 4; i++)
    if (!values[i] || !*values[i]) return SWH_ERR_VALIDATION;
  long long timestamp;
  if (strcasecmp(h->algorithm, "HmacSHA256") != 0 || !digits_in_range(h->timestamp, &timestamp))
    return SWH_ERR_VALIDATION;
  if (max_age > 0 && (now > timestamp ? now - timestamp : timestamp - now) > max_age)
    return SWH_ERR_VALIDATION;
  if (!*secret) return SWH_ERR_USAGE;
  return signature_right ? SWH_OK : SWH_ERR_VALIDATION;
}

/* Whether the message quotes the secret: it holds it, and would not with another secret of
   the same length (the secret may well be text the message says anyway, like HmacSHA256). */
static bool quotes_secret(const char *message, const char *secret, const char *body, size_t len,
                          const swh_signature_headers *h, long long now, long long max_age) {
  if (strlen(secret) < 4 || !strstr(message, secret)) return false;
  char *other = strdup(secret);
  for (char *c = other; *c; c++) *c = *c == 'x' ? 'y' : 'x';
  swh_error err;
  swh_error_init(&err);
  swh_signature_verify(other, body, len, h, now, max_age, &err);
  bool said_anyway = strstr(err.message, secret) != NULL;
  swh_error_clear(&err);
  free(other);
  return !said_anyway;
}

static void verify(const char *secret, const char *body, size_t len,
                   const swh_signature_headers *h, long long now, long long max_age,
                   const char *right) {
  swh_error err;
  swh_error_init(&err);
  bool signature_right = right && h->signature && strcmp(h->signature, right) == 0;
  swh_status status = swh_signature_verify(secret, body, len, h, now, max_age, &err);
  swh_status want = expected(h, secret, now, max_age, signature_right);
  FUZZ_EXPECT(status == want, "outcome %d, not %d (%s)", want, status, err.message);
  if (status != SWH_OK) {
    fuzz_check_message(err.message);
    FUZZ_EXPECT(!right || !strstr(err.message, right), "no expected signature in the message");
    FUZZ_EXPECT(!quotes_secret(err.message, secret, body, len, h, now, max_age),
                "no secret in \"%s\"", err.message);
  }
  swh_error_clear(&err);
}

static const char *present(const char *line) { return line && *line ? line : NULL; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_reader r;
  if (!fuzz_reader_init(&r, data, size)) return 0;
  swh_signature_headers h;
  h.signature = present(fuzz_next_line(&r));
  h.nonce = present(fuzz_next_line(&r));
  h.timestamp = present(fuzz_next_line(&r));
  h.algorithm = present(fuzz_next_line(&r));
  const char *secret = fuzz_next_line(&r);
  const char *clock = fuzz_next_line(&r);
  long long now = 0, max_age = 0;
  if (clock) {
    char *end;
    now = strtoll(clock, &end, 10);
    max_age = strtoll(end, NULL, 10);
  }
  size_t len;
  const char *body = fuzz_rest(&r, &len);
  if (!secret) secret = "";

  char right[SWH_SIGNATURE_SIZE];
  swh_error err;
  swh_error_init(&err);
  bool computed = *secret && h.nonce && h.timestamp &&
                  swh_signature_compute(secret, body, len, h.nonce, h.timestamp, right, &err) ==
                      SWH_OK;
  verify(secret, body, len, &h, now, max_age, computed ? right : NULL);
  if (computed) {
    swh_signature_headers signed_headers = h;
    signed_headers.signature = right;
    verify(secret, body, len, &signed_headers, now, max_age, right);
  }
  swh_error_clear(&err);
  fuzz_reader_free(&r);
  return 0;
}
