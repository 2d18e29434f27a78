/* Unit tests of swh_signature: the two test vectors of API.md, and every refusal of verify. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "swh_signature.h"

/* Vector 1 (the official SDKs' tests). */
#define V1_SECRET "my_secret_key"
#define V1_BODY "{\"event\":\"test\"}"
#define V1_NONCE "01JHFFHWYY7HSS4FWTMDTQEK8V"
#define V1_TIMESTAMP "1736760161"
#define V1_SIGNATURE "ehhrg9MUuhpJUCo2drsI3zoqWViaojp8d6RahfBY3cg="

/* Vector 2: a delivery report, 322 bytes exactly. */
#define V2_SECRET "foo_secret1234"
#define V2_NONCE "01FJA8B4A7BM43YGWSG9GBV067"
#define V2_TIMESTAMP "1634579353"
#define V2_SIGNATURE "Yc+3R1pIS78xLASybulhs8BsSo9BPB3Pr92QCUoczfk="
static const char v2_body[] =
    "{\"app_id\":\"01EB37HMH1M6SV18BSNS3G135H\",\"accepted_time\":\"2020-11-17T15:09:11.659Z\","
    "\"project_id\":\"c36f3d3d-1513-2edd-ae42-11995557ff61\",\"message_delivery_report\":{"
    "\"message_id\":\"01EQBC1A3BEK731GY4YXEN0C2R\",\"conversation_id\":"
    "\"01EPYATA64TMNZ1FV02JKF12JF\",\"status\":\"QUEUED_ON_CHANNEL\",\"contact_id\":"
    "\"01EXA07N79THJ20WSN6AS30TMW\"}}";

static const swh_signature_headers v1_headers = {V1_SIGNATURE, V1_NONCE, V1_TIMESTAMP,
                                                 "HmacSHA256"};
#define V1_TIME 1736760161LL

static void test_vector_1(void **state) {
  (void)state;
  char out[SWH_SIGNATURE_SIZE];
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swh_signature_compute(V1_SECRET, V1_BODY, strlen(V1_BODY), V1_NONCE,
                                         V1_TIMESTAMP, out, &err),
                   SWH_OK);
  assert_string_equal(out, V1_SIGNATURE);
  assert_int_equal(err.kind, SWH_OK);
}

static void test_vector_2(void **state) {
  (void)state;
  assert_int_equal(sizeof v2_body - 1, 322);
  char out[SWH_SIGNATURE_SIZE];
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swh_signature_compute(V2_SECRET, v2_body, sizeof v2_body - 1, V2_NONCE,
                                         V2_TIMESTAMP, out, &err),
                   SWH_OK);
  assert_string_equal(out, V2_SIGNATURE);
  swh_signature_headers headers = {V2_SIGNATURE, V2_NONCE, V2_TIMESTAMP, "HmacSHA256"};
  assert_int_equal(swh_signature_verify(V2_SECRET, v2_body, sizeof v2_body - 1, &headers,
                                        1634579353LL + 10, 300, &err),
                   SWH_OK);
}

static void test_raw_bytes_with_nul_and_empty_body(void **state) {
  (void)state;
  char a[SWH_SIGNATURE_SIZE], b[SWH_SIGNATURE_SIZE], c[SWH_SIGNATURE_SIZE];
  swh_error err;
  swh_error_init(&err);
  /* The body is bytes, NULs included: "a\0b" and "a" sign differently. */
  assert_int_equal(swh_signature_compute("k", "a\0b", 3, "n", "1", a, &err), SWH_OK);
  assert_int_equal(swh_signature_compute("k", "a", 1, "n", "1", b, &err), SWH_OK);
  assert_string_not_equal(a, b);
  assert_int_equal(strlen(a), SWH_SIGNATURE_SIZE - 1);
  assert_int_equal(a[SWH_SIGNATURE_SIZE - 2], '=');
  /* An empty body may be NULL. */
  assert_int_equal(swh_signature_compute("k", NULL, 0, "n", "1", b, &err), SWH_OK);
  assert_int_equal(swh_signature_compute("k", "", 0, "n", "1", c, &err), SWH_OK);
  assert_string_equal(b, c);
}

static void test_reserialised_body_does_not_verify(void **state) {
  (void)state;
  swh_error err;
  swh_error_init(&err);
  /* The same JSON with a space: what SDKs that re-serialise parsed JSON would check. */
  const char *spaced = "{\"event\": \"test\"}";
  assert_int_equal(swh_signature_verify(V1_SECRET, spaced, strlen(spaced), &v1_headers, V1_TIME,
                                        300, &err),
                   SWH_ERR_VALIDATION);
  assert_string_equal(err.message,
                      "x-sinch-webhook-signature: does not match the body (a wrong secret, or "
                      "the body was changed or re-serialised)");
  swh_error_clear(&err);
}

static void expect_refused(const char *secret, const swh_signature_headers *headers,
                           long long now, long long max_age, swh_status kind,
                           const char *message) {
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(
      swh_signature_verify(secret, V1_BODY, strlen(V1_BODY), headers, now, max_age, &err), kind);
  assert_int_equal(err.kind, kind);
  assert_string_equal(err.message, message);
  /* Neither the secret nor the expected signature ever shows. */
  if (secret && secret[0]) assert_null(strstr(err.message, secret));
  assert_null(strstr(err.message, V1_SIGNATURE));
}

static void test_verify_accepts(void **state) {
  (void)state;
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swh_signature_verify(V1_SECRET, V1_BODY, strlen(V1_BODY), &v1_headers,
                                        V1_TIME, 300, &err),
                   SWH_OK);
  /* Exactly max_age away, either way, is still in time. */
  assert_int_equal(swh_signature_verify(V1_SECRET, V1_BODY, strlen(V1_BODY), &v1_headers,
                                        V1_TIME + 300, 300, &err),
                   SWH_OK);
  assert_int_equal(swh_signature_verify(V1_SECRET, V1_BODY, strlen(V1_BODY), &v1_headers,
                                        V1_TIME - 300, 300, &err),
                   SWH_OK);
  /* max_age <= 0 skips the age check. */
  assert_int_equal(swh_signature_verify(V1_SECRET, V1_BODY, strlen(V1_BODY), &v1_headers, 0, 0,
                                        &err),
                   SWH_OK);
  /* The algorithm's name is compared without regard to case. */
  swh_signature_headers upper = v1_headers;
  upper.algorithm = "HMACSHA256";
  assert_int_equal(swh_signature_verify(V1_SECRET, V1_BODY, strlen(V1_BODY), &upper, V1_TIME,
                                        300, &err),
                   SWH_OK);
  assert_int_equal(err.kind, SWH_OK);
}

static void test_verify_refuses_missing_headers(void **state) {
  (void)state;
  swh_signature_headers h = v1_headers;
  h.signature = NULL;
  expect_refused(V1_SECRET, &h, V1_TIME, 300, SWH_ERR_VALIDATION,
                 "x-sinch-webhook-signature: header missing (is the callback signed?)");
  h = v1_headers;
  h.nonce = "";
  expect_refused(V1_SECRET, &h, V1_TIME, 300, SWH_ERR_VALIDATION,
                 "x-sinch-webhook-signature-nonce: header missing (is the callback signed?)");
  h = v1_headers;
  h.timestamp = NULL;
  expect_refused(V1_SECRET, &h, V1_TIME, 300, SWH_ERR_VALIDATION,
                 "x-sinch-webhook-signature-timestamp: header missing (is the callback signed?)");
  h = v1_headers;
  h.algorithm = NULL;
  expect_refused(V1_SECRET, &h, V1_TIME, 300, SWH_ERR_VALIDATION,
                 "x-sinch-webhook-signature-algorithm: header missing (is the callback signed?)");
}

static void test_verify_refuses_other_algorithms(void **state) {
  (void)state;
  swh_signature_headers h = v1_headers;
  h.algorithm = "HmacSHA1";
  expect_refused(V1_SECRET, &h, V1_TIME, 300, SWH_ERR_VALIDATION,
                 "x-sinch-webhook-signature-algorithm: \"HmacSHA1\" is not supported (only "
                 "HmacSHA256)");
  h.algorithm = "none\r\nX-Evil: 1";
  expect_refused(V1_SECRET, &h, V1_TIME, 300, SWH_ERR_VALIDATION,
                 "x-sinch-webhook-signature-algorithm: \"none X-Evil: 1\" is not supported "
                 "(only HmacSHA256)");
}

static void test_verify_refuses_bad_timestamps(void **state) {
  (void)state;
  static const struct {
    const char *timestamp, *message;
  } cases[] = {
      {"17367601x1", "x-sinch-webhook-signature-timestamp: \"17367601x1\" is not Unix seconds"},
      {"-1736760161", "x-sinch-webhook-signature-timestamp: \"-1736760161\" is not Unix seconds"},
      {" 1736760161", "x-sinch-webhook-signature-timestamp: \" 1736760161\" is not Unix seconds"},
      {"1736760161.5", "x-sinch-webhook-signature-timestamp: \"1736760161.5\" is not Unix seconds"},
      {"99999999999999999999",
       "x-sinch-webhook-signature-timestamp: \"99999999999999999999\" is not Unix seconds"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    swh_signature_headers h = v1_headers;
    h.timestamp = cases[i].timestamp;
    expect_refused(V1_SECRET, &h, V1_TIME, 300, SWH_ERR_VALIDATION, cases[i].message);
    /* A malformed timestamp is refused even when the age is not checked. */
    expect_refused(V1_SECRET, &h, V1_TIME, 0, SWH_ERR_VALIDATION, cases[i].message);
  }
}

static void test_verify_refuses_old_and_future_timestamps(void **state) {
  (void)state;
  expect_refused(V1_SECRET, &v1_headers, V1_TIME + 301, 300, SWH_ERR_VALIDATION,
                 "x-sinch-webhook-signature-timestamp: 301 s before now, more than the 300 s "
                 "allowed (a replay, or a clock off)");
  expect_refused(V1_SECRET, &v1_headers, V1_TIME - 3600, 300, SWH_ERR_VALIDATION,
                 "x-sinch-webhook-signature-timestamp: 3600 s after now, more than the 300 s "
                 "allowed (a replay, or a clock off)");
  swh_signature_headers far = v1_headers;
  far.timestamp = "9223372036854775807";
  expect_refused(V1_SECRET, &far, 0, 300, SWH_ERR_VALIDATION,
                 "x-sinch-webhook-signature-timestamp: 9223372036854775807 s after now, more "
                 "than the 300 s allowed (a replay, or a clock off)");
}

static void test_verify_refuses_wrong_signatures(void **state) {
  (void)state;
  static const char *const wrong[] = {
      "ehhrg9MUuhpJUCo2drsI3zoqWViaojp8d6RahfBY3cG=", /* one letter's case */
      "ehhrg9MUuhpJUCo2drsI3zoqWViaojp8d6RahfBY3cg",  /* padding dropped */
      "ehhrg9MUuhpJUCo2drsI3zoqWViaojp8d6RahfBY3cg==", /* too long */
      "x",
  };
  for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
    swh_signature_headers h = v1_headers;
    h.signature = wrong[i];
    expect_refused(V1_SECRET, &h, V1_TIME, 300, SWH_ERR_VALIDATION,
                   "x-sinch-webhook-signature: does not match the body (a wrong secret, or the "
                   "body was changed or re-serialised)");
  }
  /* The right signature with another secret, nonce or timestamp fails too. */
  expect_refused("my_secret_kez", &v1_headers, V1_TIME, 300, SWH_ERR_VALIDATION,
                 "x-sinch-webhook-signature: does not match the body (a wrong secret, or the "
                 "body was changed or re-serialised)");
  swh_signature_headers h = v1_headers;
  h.nonce = "01JHFFHWYY7HSS4FWTMDTQEK8W";
  expect_refused(V1_SECRET, &h, V1_TIME, 300, SWH_ERR_VALIDATION,
                 "x-sinch-webhook-signature: does not match the body (a wrong secret, or the "
                 "body was changed or re-serialised)");
  h = v1_headers;
  h.timestamp = "1736760162";
  expect_refused(V1_SECRET, &h, V1_TIME, 300, SWH_ERR_VALIDATION,
                 "x-sinch-webhook-signature: does not match the body (a wrong secret, or the "
                 "body was changed or re-serialised)");
}

static void test_usage_errors(void **state) {
  (void)state;
  char out[SWH_SIGNATURE_SIZE];
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swh_signature_compute(NULL, "b", 1, "n", "1", out, &err), SWH_ERR_USAGE);
  assert_string_equal(err.message,
                      "signature: secret, body, nonce, timestamp and out must not be NULL");
  assert_int_equal(swh_signature_compute("k", NULL, 1, "n", "1", out, &err), SWH_ERR_USAGE);
  assert_int_equal(swh_signature_compute("k", "b", 1, NULL, "1", out, &err), SWH_ERR_USAGE);
  assert_int_equal(swh_signature_compute("k", "b", 1, "n", NULL, out, &err), SWH_ERR_USAGE);
  assert_int_equal(swh_signature_compute("k", "b", 1, "n", "1", NULL, &err), SWH_ERR_USAGE);
  assert_int_equal(swh_signature_compute("", "b", 1, "n", "1", out, &err), SWH_ERR_USAGE);
  assert_string_equal(err.message, "signature: the secret is empty (a webhook without a secret "
                                   "sends unsigned callbacks)");
  expect_refused("", &v1_headers, V1_TIME, 300, SWH_ERR_USAGE,
                 "signature: the secret is empty (a webhook without a secret sends unsigned "
                 "callbacks)");
  expect_refused(NULL, &v1_headers, V1_TIME, 300, SWH_ERR_USAGE,
                 "signature: secret, body and headers must not be NULL");
  expect_refused(V1_SECRET, NULL, V1_TIME, 300, SWH_ERR_USAGE,
                 "signature: secret, body and headers must not be NULL");
  expect_refused(V1_SECRET, &v1_headers, -5, 300, SWH_ERR_USAGE,
                 "signature: now must be Unix seconds, not -5");
  /* A NULL error is allowed. */
  assert_int_equal(swh_signature_compute(NULL, "b", 1, "n", "1", out, NULL), SWH_ERR_USAGE);
  assert_int_equal(swh_signature_verify(V1_SECRET, V1_BODY, strlen(V1_BODY), &v1_headers,
                                        V1_TIME, 300, NULL),
                   SWH_OK);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_vector_1),
      cmocka_unit_test(test_vector_2),
      cmocka_unit_test(test_raw_bytes_with_nul_and_empty_body),
      cmocka_unit_test(test_reserialised_body_does_not_verify),
      cmocka_unit_test(test_verify_accepts),
      cmocka_unit_test(test_verify_refuses_missing_headers),
      cmocka_unit_test(test_verify_refuses_other_algorithms),
      cmocka_unit_test(test_verify_refuses_bad_timestamps),
      cmocka_unit_test(test_verify_refuses_old_and_future_timestamps),
      cmocka_unit_test(test_verify_refuses_wrong_signatures),
      cmocka_unit_test(test_usage_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
