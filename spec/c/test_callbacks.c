/*
 * The emulator's callbacks (doc/CALLBACKS.md): events triggered in-process and through the
 * control API reach the subscribed webhooks' targets (a receiver on 127.0.0.1), signed so
 * that the core's verifier accepts them, with OAuth2 tokens fetched as token_request_type
 * says, retried on 5xx/429/network errors and not on other 4xx, all in the delivery log.
 */
#define _DEFAULT_SOURCE
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "receiver.h"
#include "swh_emulator.h"
#include "swh_signature.h"

#define APP "01APPCALLBACKS0000000000001"
#define OTHER_APP "01APPCALLBACKS0000000000002"
#define SECRET "callback-secret-1"
#define WAIT_MS 10000

typedef struct fixture {
  receiver *receiver;
  swh_emulator *emulator;
} fixture;

/* An emulator seeded with the webhooks given as JSON text (with %s for the receiver's URL
   wherever it appears, up to four times). */
static swh_emulator *start(receiver *r, int retry_ms, int attempts, const char *webhooks_fmt) {
  char webhooks[8192];
  const char *u = receiver_url(r);
  snprintf(webhooks, sizeof webhooks, webhooks_fmt, u, u, u, u);
  char text[9000];
  snprintf(text, sizeof text,
           "{\"swh_snapshot\":1,\"project_id\":\"callbacks\",\"apps\":[{\"id\":\"%s\"},"
           "{\"id\":\"%s\"}],\"webhooks\":%s}",
           APP, OTHER_APP, webhooks);
  json_error_t jerr;
  json_t *seed = json_loads(text, 0, &jerr);
  if (!seed)
    fail_msg("seed: %s", jerr.text);
  swh_emulator_config config = {.seed = seed, .quiet = true, .callback_retry_ms = retry_ms,
                                .callback_attempts = attempts};
  swh_error err;
  swh_error_init(&err);
  swh_emulator *e = swh_emulator_start(&config, &err);
  json_decref(seed);
  if (!e)
    fail_msg("emulator: %s", err.message);
  return e;
}

static json_t *trigger(swh_emulator *e, const char *name, const char *app, int count,
                       double rate) {
  swh_emulator_event event = {.trigger = name, .app_id = app, .count = count, .rate = rate};
  swh_error err;
  swh_error_init(&err);
  json_t *answer = swh_emulator_trigger(e, &event, &err);
  if (!answer)
    fail_msg("trigger: %s", err.message);
  return answer;
}

/* The only entry of the delivery log (after waiting for it). */
static json_t *only_delivery(swh_emulator *e) {
  assert_true(swh_emulator_wait_deliveries(e, WAIT_MS));
  json_t *log = swh_emulator_deliveries(e, 0);
  assert_int_equal(json_integer_value(json_object_get(log, "pending")), 0);
  assert_int_equal(json_array_size(json_object_get(log, "deliveries")), 1);
  json_t *entry = json_incref(json_array_get(json_object_get(log, "deliveries"), 0));
  json_decref(log);
  return entry;
}

static void assert_entry(json_t *entry, const char *outcome, int status, int attempts) {
  assert_string_equal(json_string_value(json_object_get(entry, "outcome")), outcome);
  assert_int_equal(json_integer_value(json_object_get(entry, "status")), status);
  assert_int_equal(json_integer_value(json_object_get(entry, "attempts")), attempts);
}

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  f->receiver = receiver_start();
  assert_non_null(f->receiver);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  swh_emulator_stop(f->emulator);
  receiver_stop(f->receiver);
  free(f);
  return 0;
}

static void verify_signed(const received *got, const char *secret) {
  swh_signature_headers headers = {got->signature, got->nonce, got->timestamp, got->algorithm};
  swh_error err;
  swh_error_init(&err);
  swh_status status = swh_signature_verify(secret, got->body, got->body_len, &headers,
                                           (long long)time(NULL), 300, &err);
  if (status != SWH_OK)
    fail_msg("signature refused: %s", err.message);
  assert_string_equal(got->algorithm, "HmacSHA256");
}

/* A signed MESSAGE_DELIVERY: one callback, the core's verifier accepts it, the body has
   the shape of the SDKs' MessageDeliveryReceiptEvent; the log says delivered. */
static void test_signed_delivery(void **state) {
  fixture *f = *state;
  f->emulator = start(f->receiver, 0, 0,
                      "[{\"id\":\"W1\",\"app_id\":\"" APP "\",\"target\":\"%s/hook\","
                      "\"secret\":\"" SECRET "\",\"triggers\":[\"MESSAGE_DELIVERY\"]}]");
  json_t *answer = trigger(f->emulator, "MESSAGE_DELIVERY", APP, 0, 0);
  json_t *webhooks = json_object_get(answer, "webhooks");
  assert_int_equal(json_array_size(webhooks), 1);
  assert_string_equal(json_string_value(json_object_get(json_array_get(webhooks, 0), "id")),
                      "W1");
  json_decref(answer);
  json_t *entry = only_delivery(f->emulator);
  assert_entry(entry, "delivered", 200, 1);
  assert_string_equal(json_string_value(json_object_get(entry, "webhook_id")), "W1");
  assert_string_equal(json_string_value(json_object_get(entry, "trigger")), "MESSAGE_DELIVERY");
  assert_null(json_object_get(entry, "error"));
  json_decref(entry);
  assert_int_equal(receiver_count(f->receiver), 1);
  received got;
  assert_true(receiver_get(f->receiver, 0, &got));
  assert_string_equal(got.path, "/hook");
  assert_string_equal(got.authorization, "");
  verify_signed(&got, SECRET);
  /* a wrong secret is refused by the same verifier: the test can fail */
  swh_signature_headers headers = {got.signature, got.nonce, got.timestamp, got.algorithm};
  assert_int_equal(swh_signature_verify("another-secret", got.body, got.body_len, &headers, 0, 0,
                                        NULL),
                   SWH_ERR_VALIDATION);
  json_t *body = json_loadb(got.body, got.body_len, 0, NULL);
  assert_non_null(body);
  assert_string_equal(json_string_value(json_object_get(body, "app_id")), APP);
  assert_string_equal(json_string_value(json_object_get(body, "project_id")), "callbacks");
  assert_string_equal(json_string_value(json_object_get(body, "message_metadata")), "");
  assert_string_equal(json_string_value(json_object_get(body, "correlation_id")), "");
  assert_int_equal(strlen(json_string_value(json_object_get(body, "accepted_time"))), 24);
  json_t *report = json_object_get(body, "message_delivery_report");
  assert_string_equal(json_string_value(json_object_get(report, "status")), "DELIVERED");
  assert_int_equal(strlen(json_string_value(json_object_get(report, "message_id"))), 26);
  assert_string_equal(
      json_string_value(json_object_get(json_object_get(report, "channel_identity"), "app_id")),
      APP);
  json_decref(body);
}

/* A webhook without a secret gets unsigned callbacks; DISMISS, another trigger and another
   app get none. */
static void test_who_gets_callbacks(void **state) {
  fixture *f = *state;
  f->emulator = start(
      f->receiver, 0, 0,
      "[{\"id\":\"PLAIN\",\"app_id\":\"" APP "\",\"target\":\"%s/plain\","
      "\"triggers\":[\"MESSAGE_INBOUND\"]},"
      "{\"id\":\"DISMISSED\",\"app_id\":\"" APP "\",\"target\":\"%s/dismiss\","
      "\"target_type\":\"DISMISS\",\"triggers\":[\"MESSAGE_INBOUND\"]},"
      "{\"id\":\"OTHER_TRIGGER\",\"app_id\":\"" APP "\",\"target\":\"%s/other\","
      "\"triggers\":[\"MESSAGE_DELIVERY\"]},"
      "{\"id\":\"OTHER_APP\",\"app_id\":\"" OTHER_APP "\",\"target\":\"%s/app\","
      "\"triggers\":[\"MESSAGE_INBOUND\"]}]");
  json_t *answer = trigger(f->emulator, "MESSAGE_INBOUND", APP, 0, 0);
  json_t *webhooks = json_object_get(answer, "webhooks");
  assert_int_equal(json_array_size(webhooks), 1);
  assert_string_equal(json_string_value(json_object_get(json_array_get(webhooks, 0), "id")),
                      "PLAIN");
  json_decref(answer);
  json_t *entry = only_delivery(f->emulator);
  assert_entry(entry, "delivered", 200, 1);
  json_decref(entry);
  received got;
  assert_true(receiver_get(f->receiver, 0, &got));
  assert_string_equal(got.path, "/plain");
  assert_string_equal(got.signature, "");
  json_t *body = json_loadb(got.body, got.body_len, 0, NULL);
  json_t *message = json_object_get(body, "message");
  assert_string_equal(json_string_value(json_object_get(message, "direction")), "TO_APP");
  assert_string_equal(json_string_value(json_object_get(
                          json_object_get(json_object_get(message, "contact_message"),
                                          "text_message"),
                          "text")),
                      "Hello from the emulator");
  json_decref(body);
  assert_int_equal(receiver_count(f->receiver), 1);
}

static void test_bad_triggers(void **state) {
  fixture *f = *state;
  f->emulator = start(f->receiver, 0, 0, "[]");
  swh_error err;
  swh_error_init(&err);
  swh_emulator_event event = {.trigger = "UNSPECIFIED_TRIGGER", .app_id = APP};
  assert_null(swh_emulator_trigger(f->emulator, &event, &err));
  assert_int_equal(err.kind, SWH_ERR_VALIDATION);
  assert_string_equal(err.message,
                      "trigger: \"UNSPECIFIED_TRIGGER\" is not a trigger with callbacks");
  event = (swh_emulator_event){.trigger = "MESSAGE_DELIVERY", .app_id = "NOPE"};
  assert_null(swh_emulator_trigger(f->emulator, &event, &err));
  assert_string_equal(err.message, "app_id: no such app \"NOPE\"");
  event = (swh_emulator_event){.trigger = "MESSAGE_DELIVERY", .app_id = APP, .count = 100001};
  assert_null(swh_emulator_trigger(f->emulator, &event, &err));
  assert_string_equal(err.message, "count: 100001 is not from 0 to 100000");
  event = (swh_emulator_event){.trigger = "MESSAGE_DELIVERY", .app_id = APP, .count = -1};
  assert_null(swh_emulator_trigger(f->emulator, &event, &err));
  assert_string_equal(err.message, "count: -1 is not from 0 to 100000");
  event = (swh_emulator_event){.trigger = "MESSAGE_DELIVERY", .app_id = APP, .rate = NAN};
  assert_null(swh_emulator_trigger(f->emulator, &event, &err));
  assert_string_equal(err.message, "rate: nan is not from 0 to 100000");
  swh_error_clear(&err);
}

/* Every trigger of API.md sends its member (the SDKs' names), with the envelope. */
static void test_every_trigger(void **state) {
  static const char *const pairs[][2] = {
      {"MESSAGE_DELIVERY", "message_delivery_report"},
      {"MESSAGE_SUBMIT", "message_submit_notification"},
      {"EVENT_DELIVERY", "event_delivery_report"},
      {"MESSAGE_INBOUND", "message"},
      {"EVENT_INBOUND", "event"},
      {"SMART_CONVERSATION", "smart_conversation_notification"},
      {"MESSAGE_INBOUND_SMART_CONVERSATION_REDACTION", "message_redaction"},
      {"CONVERSATION_START", "conversation_start_notification"},
      {"CONVERSATION_STOP", "conversation_stop_notification"},
      {"CONVERSATION_DELETE", "conversation_delete_notification"},
      {"CONTACT_CREATE", "contact_create_notification"},
      {"CONTACT_DELETE", "contact_delete_notification"},
      {"CONTACT_MERGE", "contact_merge_notification"},
      {"CONTACT_UPDATE", "contact_update_notification"},
      {"CONTACT_IDENTITIES_DUPLICATION", "duplicated_contact_identities_notification"},
      {"UNSUPPORTED", "unsupported_callback"},
      {"OPT_IN", "opt_in_notification"},
      {"OPT_OUT", "opt_out_notification"},
      {"CAPABILITY", "capability_notification"},
      {"CHANNEL_EVENT", "channel_event_notification"},
      {"RECORD_NOTIFICATION", "record_notification"},
  };
  enum { N = sizeof pairs / sizeof pairs[0] };
  char triggers[2048] = "";
  for (int i = 0; i < N; i++)
    snprintf(triggers + strlen(triggers), sizeof triggers - strlen(triggers), "%s\"%s\"",
             i ? "," : "", pairs[i][0]);
  char webhooks[4096];
  snprintf(webhooks, sizeof webhooks,
           "[{\"id\":\"ALL\",\"app_id\":\"" APP "\",\"target\":\"%%s/all\","
           "\"triggers\":[%s]}]",
           triggers);
  fixture *f = *state;
  f->emulator = start(f->receiver, 0, 0, webhooks);
  for (int i = 0; i < N; i++) {
    json_decref(trigger(f->emulator, pairs[i][0], APP, 0, 0));
    assert_true(swh_emulator_wait_deliveries(f->emulator, WAIT_MS)); /* in order */
  }
  assert_int_equal(receiver_count(f->receiver), N);
  for (int i = 0; i < N; i++) {
    received got;
    assert_true(receiver_get(f->receiver, i, &got));
    json_t *body = json_loadb(got.body, got.body_len, 0, NULL);
    if (!json_is_object(json_object_get(body, pairs[i][1])))
      fail_msg("%s: no %s in %s", pairs[i][0], pairs[i][1], got.body);
    assert_int_equal(json_object_size(body), 7); /* the envelope's six and the member */
    json_decref(body);
  }
  /* the Node SDK's spelling of a trigger (the core's SWH_TRIGGER_ALIASES) is the same event */
  json_decref(trigger(f->emulator, "SMART_CONVERSATIONS", APP, 0, 0));
  assert_true(swh_emulator_wait_deliveries(f->emulator, WAIT_MS));
  assert_int_equal(receiver_count(f->receiver), N + 1);
  received got;
  assert_true(receiver_get(f->receiver, N, &got));
  json_t *body = json_loadb(got.body, got.body_len, 0, NULL);
  assert_true(json_is_object(json_object_get(body, "smart_conversation_notification")));
  json_decref(body);
}

static char *base64(const char *text) {
  static char out[256];
  EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)text, (int)strlen(text));
  return out;
}

/* OAuth2 client credentials, BASIC (the default): one token request with the client's
   Basic credentials, then every callback (here two) with its Bearer token, cached. */
static void test_oauth_basic(void **state) {
  fixture *f = *state;
  f->emulator = start(f->receiver, 0, 0,
                      "[{\"id\":\"OAUTH\",\"app_id\":\"" APP "\",\"target\":\"%s/oauth\","
                      "\"secret\":\"" SECRET "\",\"triggers\":[\"CONTACT_CREATE\"],"
                      "\"client_credentials\":{\"client_id\":\"cid\",\"client_secret\":"
                      "\"csecret\",\"endpoint\":\"%s/token\"}}]");
  json_decref(trigger(f->emulator, "CONTACT_CREATE", APP, 2, 0));
  assert_true(swh_emulator_wait_deliveries(f->emulator, WAIT_MS));
  assert_int_equal(receiver_count(f->receiver), 2);
  assert_int_equal(receiver_token_count(f->receiver), 1);
  received token;
  assert_true(receiver_get_token(f->receiver, 0, &token));
  char expected[300];
  snprintf(expected, sizeof expected, "Basic %s", base64("cid:csecret"));
  assert_string_equal(token.authorization, expected);
  assert_string_equal(token.body, "grant_type=client_credentials");
  for (int i = 0; i < 2; i++) {
    received got;
    assert_true(receiver_get(f->receiver, i, &got));
    assert_string_equal(got.authorization, "Bearer token-1");
    verify_signed(&got, SECRET);
    json_t *body = json_loadb(got.body, got.body_len, 0, NULL);
    json_t *contact = json_object_get(json_object_get(body, "contact_create_notification"),
                                      "contact");
    assert_int_equal(strlen(json_string_value(json_object_get(contact, "id"))), 26);
    json_decref(body);
  }
}

/* A token longer than any fixed buffer (2,000 bytes, as some identity providers issue) is
   sent whole; it once failed to fit and the callback was logged delivered, never sent. */
static void test_oauth_long_token(void **state) {
  fixture *f = *state;
  receiver_token_length(f->receiver, 2000);
  f->emulator = start(f->receiver, 0, 0,
                      "[{\"id\":\"OAUTH\",\"app_id\":\"" APP "\",\"target\":\"%s/oauth\","
                      "\"triggers\":[\"CONTACT_CREATE\"],"
                      "\"client_credentials\":{\"client_id\":\"cid\",\"client_secret\":"
                      "\"csecret\",\"endpoint\":\"%s/token\"}}]");
  json_decref(trigger(f->emulator, "CONTACT_CREATE", APP, 1, 0));
  assert_true(swh_emulator_wait_deliveries(f->emulator, WAIT_MS));
  assert_int_equal(receiver_count(f->receiver), 1);
  received got;
  assert_true(receiver_get(f->receiver, 0, &got));
  assert_int_equal(strlen(got.authorization), strlen("Bearer ") + 2000);
  assert_memory_equal(got.authorization, "Bearer token-1xxx", 17);
}

/* FORM: the credentials and the scope in the form, no Basic header. */
static void test_oauth_form(void **state) {
  fixture *f = *state;
  f->emulator = start(f->receiver, 0, 0,
                      "[{\"id\":\"OAUTH\",\"app_id\":\"" APP "\",\"target\":\"%s/oauth\","
                      "\"triggers\":[\"EVENT_DELIVERY\"],"
                      "\"client_credentials\":{\"client_id\":\"c id\",\"client_secret\":"
                      "\"s&cret\",\"endpoint\":\"%s/token\",\"scope\":\"hooks\","
                      "\"token_request_type\":\"FORM\"}}]");
  json_t *entry = (json_decref(trigger(f->emulator, "EVENT_DELIVERY", APP, 0, 0)),
                   only_delivery(f->emulator));
  assert_entry(entry, "delivered", 200, 1);
  json_decref(entry);
  received token, got;
  assert_true(receiver_get_token(f->receiver, 0, &token));
  assert_string_equal(token.authorization, "");
  assert_string_equal(token.body,
                      "grant_type=client_credentials&scope=hooks&client_id=c%20id"
                      "&client_secret=s%26cret");
  assert_true(receiver_get(f->receiver, 0, &got));
  assert_string_equal(got.authorization, "Bearer token-1");
  assert_string_equal(got.signature, "");
  json_t *body = json_loadb(got.body, got.body_len, 0, NULL);
  assert_string_equal(json_string_value(json_object_get(
                          json_object_get(body, "event_delivery_report"), "status")),
                      "DELIVERED");
  json_decref(body);
}

/* A token_request_type swh does not know (a newer one, read from the live API into the
   seed) is BASIC, as the docs say of an absent one: credentials in a Basic header. */
static void test_oauth_unknown_request_type_is_basic(void **state) {
  fixture *f = *state;
  f->emulator = start(f->receiver, 0, 0,
                      "[{\"id\":\"OAUTH\",\"app_id\":\"" APP "\",\"target\":\"%s/oauth\","
                      "\"triggers\":[\"EVENT_DELIVERY\"],"
                      "\"client_credentials\":{\"client_id\":\"cid\",\"client_secret\":"
                      "\"csecret\",\"endpoint\":\"%s/token\",\"token_request_type\":\"JWT\"}}]");
  json_t *entry = (json_decref(trigger(f->emulator, "EVENT_DELIVERY", APP, 0, 0)),
                   only_delivery(f->emulator));
  assert_entry(entry, "delivered", 200, 1);
  json_decref(entry);
  received token, got;
  assert_true(receiver_get_token(f->receiver, 0, &token));
  char expected[300];
  snprintf(expected, sizeof expected, "Basic %s", base64("cid:csecret"));
  assert_string_equal(token.authorization, expected);
  assert_string_equal(token.body, "grant_type=client_credentials");
  assert_true(receiver_get(f->receiver, 0, &got));
  assert_string_equal(got.authorization, "Bearer token-1");
}

#define ONE_WEBHOOK                                                                           \
  "[{\"id\":\"W1\",\"app_id\":\"" APP "\",\"target\":\"%s/hook\",\"secret\":\"" SECRET        \
  "\",\"triggers\":[\"MESSAGE_DELIVERY\"]}]"

/* 500, then 200: delivered on the retry, both attempts signed. */
static void test_retry_after_500(void **state) {
  fixture *f = *state;
  receiver_script(f->receiver, (int[]){500, 200}, 2);
  f->emulator = start(f->receiver, 20, 3, ONE_WEBHOOK);
  json_decref(trigger(f->emulator, "MESSAGE_DELIVERY", APP, 0, 0));
  json_t *entry = only_delivery(f->emulator);
  assert_entry(entry, "delivered", 200, 2);
  assert_true(json_real_value(json_object_get(entry, "elapsed_ms")) >= 20);
  json_decref(entry);
  assert_int_equal(receiver_count(f->receiver), 2);
  received first, second;
  assert_true(receiver_get(f->receiver, 0, &first));
  assert_true(receiver_get(f->receiver, 1, &second));
  verify_signed(&second, SECRET);
  assert_int_equal(first.body_len, second.body_len);
  assert_memory_equal(first.body, second.body, first.body_len);
}

/* 429 is retried too, until the attempts run out. */
static void test_429_until_given_up(void **state) {
  fixture *f = *state;
  receiver_script(f->receiver, (int[]){429}, 1);
  f->emulator = start(f->receiver, 10, 3, ONE_WEBHOOK);
  json_decref(trigger(f->emulator, "MESSAGE_DELIVERY", APP, 0, 0));
  json_t *entry = only_delivery(f->emulator);
  assert_entry(entry, "gave_up", 429, 3);
  json_decref(entry);
  assert_int_equal(receiver_count(f->receiver), 3);
}

/* 400 is final: one attempt. */
static void test_400_not_retried(void **state) {
  fixture *f = *state;
  receiver_script(f->receiver, (int[]){400, 200}, 2);
  f->emulator = start(f->receiver, 10, 5, ONE_WEBHOOK);
  json_decref(trigger(f->emulator, "MESSAGE_DELIVERY", APP, 0, 0));
  json_t *entry = only_delivery(f->emulator);
  assert_entry(entry, "failed", 400, 1);
  json_decref(entry);
  assert_int_equal(receiver_count(f->receiver), 1);
}

/* Nothing listening: network errors, retried, then given up with the error said. */
static void test_not_listening(void **state) {
  fixture *f = *state;
  f->emulator = start(f->receiver, 10, 2,
                      "[{\"id\":\"W1\",\"app_id\":\"" APP "\",\"target\":"
                      "\"http://127.0.0.1:1/hook\",\"triggers\":[\"MESSAGE_DELIVERY\"]}]");
  json_decref(trigger(f->emulator, "MESSAGE_DELIVERY", APP, 0, 0));
  json_t *entry = only_delivery(f->emulator);
  assert_entry(entry, "gave_up", 0, 2);
  const char *error = json_string_value(json_object_get(entry, "error"));
  assert_non_null(error);
  assert_non_null(strstr(error, "127.0.0.1"));
  json_decref(entry);
}

static size_t keep(char *data, size_t size, size_t count, void *userdata) {
  json_t **out = userdata;
  json_t *parsed = json_loadb(data, size * count, 0, NULL);
  json_decref(*out);
  *out = parsed;
  return size * count;
}

/* The control API over HTTP: POST /_emulator/events, GET /_emulator/deliveries. */
static void test_control_api(void **state) {
  fixture *f = *state;
  f->emulator = start(f->receiver, 0, 0, ONE_WEBHOOK);
  char url[128];
  snprintf(url, sizeof url, "%s/_emulator/events", swh_emulator_url(f->emulator));
  CURL *curl = curl_easy_init();
  json_t *answer = NULL;
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS,
                   "{\"trigger\":\"MESSAGE_DELIVERY\",\"app_id\":\"" APP "\",\"count\":3,"
                   "\"event\":{\"message_delivery_report\":{\"status\":\"FAILED\"}}}");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, keep);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
  assert_int_equal(curl_easy_perform(curl), CURLE_OK);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  assert_int_equal(status, 200);
  assert_int_equal(json_integer_value(json_object_get(answer, "events")), 3);
  assert_int_equal(json_array_size(json_object_get(answer, "webhooks")), 1);
  assert_true(swh_emulator_wait_deliveries(f->emulator, WAIT_MS));
  received got;
  assert_true(receiver_get(f->receiver, 2, &got));
  json_t *body = json_loadb(got.body, got.body_len, 0, NULL);
  assert_string_equal(json_string_value(json_object_get(
                          json_object_get(body, "message_delivery_report"), "status")),
                      "FAILED");
  json_decref(body);
  /* a bad request: 404 for an unknown app, in the nested error form */
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS,
                   "{\"trigger\":\"MESSAGE_DELIVERY\",\"app_id\":\"NOPE\"}");
  assert_int_equal(curl_easy_perform(curl), CURLE_OK);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  assert_int_equal(status, 404);
  assert_string_equal(
      json_string_value(json_object_get(json_object_get(answer, "error"), "message")),
      "app_id: no such app \"NOPE\"");
  snprintf(url, sizeof url, "%s/_emulator/deliveries", swh_emulator_url(f->emulator));
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  assert_int_equal(curl_easy_perform(curl), CURLE_OK);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  assert_int_equal(status, 200);
  assert_int_equal(json_integer_value(json_object_get(answer, "delivered")), 3);
  assert_int_equal(json_integer_value(json_object_get(answer, "pending")), 0);
  assert_int_equal(json_array_size(json_object_get(answer, "deliveries")), 3);
  json_decref(answer);
  curl_easy_cleanup(curl);
}

/* At a rate: 5 events at 50/s take at least 80 ms from the first to the last. */
static void test_rate(void **state) {
  fixture *f = *state;
  f->emulator = start(f->receiver, 0, 0, ONE_WEBHOOK);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  json_decref(trigger(f->emulator, "MESSAGE_DELIVERY", APP, 5, 50));
  assert_true(swh_emulator_wait_deliveries(f->emulator, WAIT_MS));
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
  assert_true(ms >= 80);
  assert_int_equal(receiver_count(f->receiver), 5);
}

/* At the size users have: 2,500 events to five webhooks (12,500 callbacks), every one
   delivered once, the kept ones all verified. */
static void test_many(void **state) {
  fixture *f = *state;
  f->emulator = start(
      f->receiver, 0, 0,
      "[{\"id\":\"W1\",\"app_id\":\"" APP "\",\"target\":\"%s/1\",\"secret\":\"" SECRET
      "\",\"triggers\":[\"MESSAGE_DELIVERY\"]},"
      "{\"id\":\"W2\",\"app_id\":\"" APP "\",\"target\":\"%s/2\",\"secret\":\"" SECRET
      "\",\"triggers\":[\"MESSAGE_DELIVERY\"]},"
      "{\"id\":\"W3\",\"app_id\":\"" APP "\",\"target\":\"%s/3\",\"secret\":\"" SECRET
      "\",\"triggers\":[\"MESSAGE_DELIVERY\"]},"
      "{\"id\":\"W4\",\"app_id\":\"" APP "\",\"target\":\"%s/4\",\"secret\":\"" SECRET
      "\",\"triggers\":[\"MESSAGE_DELIVERY\"]}]");
  json_decref(trigger(f->emulator, "MESSAGE_DELIVERY", APP, 2500, 0));
  assert_true(swh_emulator_wait_deliveries(f->emulator, 60000));
  assert_int_equal(receiver_count(f->receiver), 10000);
  json_t *log = swh_emulator_deliveries(f->emulator, 10);
  assert_int_equal(json_integer_value(json_object_get(log, "delivered")), 10000);
  assert_int_equal(json_integer_value(json_object_get(log, "failed")), 0);
  assert_int_equal(json_array_size(json_object_get(log, "deliveries")), 10);
  json_decref(log);
  for (int i = 0; i < RECEIVER_KEEP; i += 97) {
    received got;
    assert_true(receiver_get(f->receiver, i, &got));
    verify_signed(&got, SECRET);
  }
}

int main(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_signed_delivery, setup, teardown),
      cmocka_unit_test_setup_teardown(test_who_gets_callbacks, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_triggers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_oauth_long_token, setup, teardown),
      cmocka_unit_test_setup_teardown(test_every_trigger, setup, teardown),
      cmocka_unit_test_setup_teardown(test_oauth_basic, setup, teardown),
      cmocka_unit_test_setup_teardown(test_oauth_form, setup, teardown),
      cmocka_unit_test_setup_teardown(test_oauth_unknown_request_type_is_basic, setup, teardown),
      cmocka_unit_test_setup_teardown(test_retry_after_500, setup, teardown),
      cmocka_unit_test_setup_teardown(test_429_until_given_up, setup, teardown),
      cmocka_unit_test_setup_teardown(test_400_not_retried, setup, teardown),
      cmocka_unit_test_setup_teardown(test_not_listening, setup, teardown),
      cmocka_unit_test_setup_teardown(test_control_api, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rate, setup, teardown),
      cmocka_unit_test_setup_teardown(test_many, setup, teardown),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return failed;
}
