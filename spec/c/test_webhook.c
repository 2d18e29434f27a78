/* Unit tests of swh_webhook: every validation rule with its exact message, trigger names and
   suggestions, normalisation, and update_mask building and parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixtures.h"
#include "swh_webhook.h"

#define P SWH_VALIDATE_PARTIAL
#define S SWH_VALIDATE_STRICT_TRIGGERS
#define GOOD "\"app_id\":\"APP\",\"target\":\"https://example.com/hook\""

typedef struct {
  const char *json;
  unsigned flags;
  swh_status kind;     /* SWH_OK: valid */
  const char *message; /* exact message when not valid */
} validation_case;

static void run_cases(const validation_case *cases, size_t count) {
  for (size_t i = 0; i < count; i++) {
    json_error_t jerr;
    json_t *webhook = json_loads(cases[i].json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!webhook) fail_msg("case %zu: bad test JSON: %s", i, jerr.text);
    swh_error err;
    swh_error_init(&err);
    swh_status status = swh_webhook_validate(webhook, cases[i].flags, &err);
    if (status != cases[i].kind || err.kind != cases[i].kind ||
        (cases[i].kind != SWH_OK && strcmp(err.message, cases[i].message) != 0))
      fail_msg("case %zu: %s\n  got %s: %s\n  expected %s: %s", i, cases[i].json,
               swh_error_kind_name(status), err.message, swh_error_kind_name(cases[i].kind),
               cases[i].message ? cases[i].message : "");
    if (status == SWH_OK) assert_string_equal(err.message, "");
    assert_int_equal(err.http_status, 0);
    swh_error_clear(&err);
    json_decref(webhook);
  }
}
#define RUN(cases) run_cases(cases, sizeof cases / sizeof cases[0])
#define VALID(json, flags) {json, flags, SWH_OK, NULL}
#define INVALID(json, flags, message) {json, flags, SWH_ERR_VALIDATION, message}

static void test_shape_and_required_fields(void **state) {
  (void)state;
  static const validation_case cases[] = {
      VALID("{" GOOD "}", 0),
      VALID("{" GOOD "}", S),
      VALID("{}", P),
      VALID("{\"id\":\"X\",\"target\":\"http://example.com\"}", P), /* id ignored in changes */
      VALID("{" GOOD ",\"unknown_field\":{\"kept\":true},\"triggers\":[]}", 0),
      INVALID("[]", 0, "webhook: expected an object, got an array"),
      INVALID("\"x\"", P, "webhook: expected an object, got a string"),
      INVALID("{\"target\":\"https://example.com\"}", 0, "webhook.app_id: required"),
      INVALID("{\"app_id\":\"APP\"}", 0, "webhook.target: required"),
      INVALID("{\"id\":\"01W4FFL35P4NC4K35WEBHOOK004\"," GOOD "}", 0,
              "webhook.id: must not be set when creating a webhook (the server assigns it)"),
      INVALID("{\"app_id\":7,\"target\":\"https://example.com\"}", 0,
              "webhook.app_id: expected a string, got a number"),
      INVALID("{\"app_id\":\"\",\"target\":\"https://example.com\"}", 0,
              "webhook.app_id: must not be empty"),
      INVALID("{\"app_id\":null}", P, "webhook.app_id: expected a string, got null"),
      INVALID("{\"target\":null}", P, "webhook.target: expected a string, got null"),
      INVALID("{\"target\":1.5}", P, "webhook.target: expected a string, got a number"),
      INVALID("{\"target\":true}", P, "webhook.target: expected a string, got true"),
      INVALID("{\"target\":false}", P, "webhook.target: expected a string, got false"),
      INVALID("{\"target\":{}}", P, "webhook.target: expected a string, got an object"),
  };
  RUN(cases);
}

static void test_target_rules(void **state) {
  (void)state;
  static const validation_case cases[] = {
      VALID("{\"target\":\"http://127.0.0.1:8080/cb?x=1\"}", P),
      VALID("{\"target\":\"https://[::1]:8443/cb\"}", P),
      VALID("{\"target\":\"https://user:pw@example.com/cb\"}", P),
      VALID("{\"target\":\"https://HOOKS.EXAMPLE.COM/cb\"}", P),
      /* Only conversation-api.*.sinch.com is forbidden, not every Sinch host. */
      VALID("{\"target\":\"https://hooks.sinch.com/cb\"}", P),
      VALID("{\"target\":\"https://conversation-api.sinch.com/cb\"}", P),
      VALID("{\"target\":\"https://eu.conversation-api.sinch.com.example.org/cb\"}", P),
      INVALID("{\"target\":\"\"}", P, "webhook.target: must not be empty"),
      INVALID("{\"target\":\"https://example.com/\\u0000.evil.com\"}", P,
              "webhook.target: must not contain a NUL character"),
      INVALID("{\"target\":\"example.com/hook\"}", P,
              "webhook.target: not an absolute URL; it needs a scheme and a host, like "
              "https://example.com/callback"),
      INVALID("{\"target\":\"example.com:8080/hook\"}", P,
              "webhook.target: not an absolute URL; it needs a scheme and a host, like "
              "https://example.com/callback"),
      INVALID("{\"target\":\"ftp://example.com/hook\"}", P,
              "webhook.target: must be an http or https URL, not ftp"),
      INVALID("{\"target\":\"gopher+x://example.com/\"}", P,
              "webhook.target: must be an http or https URL, not gopher+x"),
      INVALID("{\"target\":\"http://\"}", P, "webhook.target: the URL has no host"),
      INVALID("{\"target\":\"http://exa mple.com/\"}", P,
              "webhook.target: not a valid URL (Bad hostname)"),
      INVALID("{\"target\":\"https://conversation-api.eu.sinch.com/x\"}", P,
              "webhook.target: the host \"conversation-api.eu.sinch.com\" is a Sinch API host "
              "(conversation-api.*.sinch.com) and cannot receive webhooks"),
      INVALID("{" GOOD ",\"target\":\"https://Conversation-API.US.Sinch.COM./x\"}", 0,
              "webhook.target: the host \"Conversation-API.US.Sinch.COM.\" is a Sinch API host "
              "(conversation-api.*.sinch.com) and cannot receive webhooks"),
      INVALID("{\"target\":\"https://conversation-api.a.b.sinch.com:443/x\"}", P,
              "webhook.target: the host \"conversation-api.a.b.sinch.com\" is a Sinch API host "
              "(conversation-api.*.sinch.com) and cannot receive webhooks"),
      /* Percent-encoding does not hide the host. */
      INVALID("{\"target\":\"https://conversation-api%2eeu.sinch.com/x\"}", P,
              "webhook.target: the host \"conversation-api.eu.sinch.com\" is a Sinch API host "
              "(conversation-api.*.sinch.com) and cannot receive webhooks"),
  };
  RUN(cases);
}

/* A webhook whose target is https://example.com/ followed by pad characters. */
static json_t *target_of_length(size_t length, const char *pad) {
  static const char base[] = "https://example.com/";
  size_t pad_len = strlen(pad);
  size_t chars = length - (sizeof base - 1);
  char *url = malloc(sizeof base + chars * pad_len);
  assert_non_null(url);
  strcpy(url, base);
  char *p = url + sizeof base - 1;
  for (size_t i = 0; i < chars; i++, p += pad_len) memcpy(p, pad, pad_len);
  *p = '\0';
  json_t *webhook = json_pack("{s:s}", "target", url);
  free(url);
  return webhook;
}

static void test_target_length(void **state) {
  (void)state;
  swh_error err;
  swh_error_init(&err);
  json_t *webhook = target_of_length(742, "a");
  assert_int_equal(swh_webhook_validate(webhook, P, &err), SWH_OK);
  json_decref(webhook);
  webhook = target_of_length(743, "a");
  assert_int_equal(swh_webhook_validate(webhook, P, &err), SWH_ERR_VALIDATION);
  assert_string_equal(err.message,
                      "webhook.target: 743 characters long, at most 742 are allowed");
  json_decref(webhook);
  /* The limit counts characters, not bytes: 742 'é' (1464 bytes) pass. */
  swh_error_clear(&err);
  webhook = target_of_length(742, "\xc3\xa9");
  assert_int_equal(swh_webhook_validate(webhook, P, &err), SWH_OK);
  json_decref(webhook);
  swh_error_clear(&err);
}

static void test_target_type(void **state) {
  (void)state;
  static const validation_case cases[] = {
      VALID("{\"target_type\":\"HTTP\"}", P),
      VALID("{\"target_type\":\"DISMISS\"}", P | S),
      INVALID("{\"target_type\":\"http\"}", P,
              "webhook.target_type: must be \"HTTP\" or \"DISMISS\", got \"http\" (did you mean "
              "\"HTTP\"?)"),
      INVALID("{\"target_type\":\"Dismiss\"}", P | S,
              "webhook.target_type: must be \"HTTP\" or \"DISMISS\", got \"Dismiss\" (did you "
              "mean \"DISMISS\"?)"),
      /* A value the live API has and swh does not know (a legacy one) is carried by a
         client; the emulator (S) refuses it unless its seed held it (test_emulator.c). */
      VALID("{\"target_type\":\"GRPC\"}", P),
      INVALID("{\"target_type\":\"GRPC\"}", P | S,
              "webhook.target_type: must be \"HTTP\" or \"DISMISS\", got \"GRPC\""),
      INVALID("{\"target_type\":\"HTTPS\"}", P,
              "webhook.target_type: must be \"HTTP\" or \"DISMISS\", got \"HTTPS\" (did you "
              "mean \"HTTP\"?)"),
      INVALID("{\"target_type\":\"grpc\"}", P,
              "webhook.target_type: must be \"HTTP\" or \"DISMISS\", got \"grpc\""),
      INVALID("{\"target_type\":\"TARGET_TYPE_UNSPECIFIED\"}", P | S,
              "webhook.target_type: must be \"HTTP\" or \"DISMISS\", got "
              "\"TARGET_TYPE_UNSPECIFIED\""),
      INVALID("{\"target_type\":1}", P, "webhook.target_type: expected a string, got a number"),
  };
  RUN(cases);
}

static void test_secret(void **state) {
  (void)state;
  static const validation_case cases[] = {
      VALID("{\"secret\":\"\"}", P), /* "" clears the secret in an update */
      VALID("{" GOOD ",\"secret\":\"s3cr3t\"}", 0),
      INVALID("{\"secret\":12345}", P, "webhook.secret: expected a string, got a number"),
      INVALID("{\"secret\":null}", P, "webhook.secret: expected a string, got null"),
  };
  RUN(cases);
}

static void test_triggers(void **state) {
  (void)state;
  static const validation_case cases[] = {
      VALID("{\"triggers\":[]}", P | S),
      VALID("{\"triggers\":[\"MESSAGE_DELIVERY\",\"MESSAGE_INBOUND\",\"RECORD_NOTIFICATION\"]}",
            P | S),
      VALID("{\"triggers\":[\"SMART_CONVERSATIONS\"]}", P | S),
      /* A well-formed name unlike any known one: a newer trigger, carried by the client... */
      VALID("{\"triggers\":[\"MESSAGE_DELIVERY\",\"BRAND_NEW_TRIGGER_2031\"]}", P),
      /* ...but refused by the server, which knows every trigger. */
      INVALID("{\"triggers\":[\"MESSAGE_DELIVERY\",\"BRAND_NEW_TRIGGER_2031\"]}", P | S,
              "webhook.triggers[1]: unknown trigger \"BRAND_NEW_TRIGGER_2031\""),
      INVALID("{\"triggers\":\"MESSAGE_DELIVERY\"}", P,
              "webhook.triggers: expected an array, got a string"),
      INVALID("{\"triggers\":null}", P, "webhook.triggers: expected an array, got null"),
      INVALID("{\"triggers\":[\"MESSAGE_DELIVERY\",\"MESSAGE_INBOUND\",7]}", P,
              "webhook.triggers[2]: expected a trigger name (a string), got a number"),
      INVALID("{\"triggers\":[\"MESSAGE_DELIVERY\",\"\"]}", P,
              "webhook.triggers[1]: an empty trigger name"),
      INVALID("{\"triggers\":[\"OPT_IN\\u0000X\"]}", P,
              "webhook.triggers[0]: a NUL character in a trigger name"),
      INVALID("{\"triggers\":[\"UNSPECIFIED_TRIGGER\"]}", P,
              "webhook.triggers[0]: UNSPECIFIED_TRIGGER is not a usable trigger"),
      INVALID("{\"triggers\":[\"OPT_IN\",\"OPT_OUT\",\"MESAGE_DELIVERY\"]}", P,
              "webhook.triggers[2]: unknown trigger \"MESAGE_DELIVERY\" (did you mean "
              "\"MESSAGE_DELIVERY\"?)"),
      INVALID("{\"triggers\":[\"MESAGE_DELIVERY\"]}", P | S,
              "webhook.triggers[0]: unknown trigger \"MESAGE_DELIVERY\" (did you mean "
              "\"MESSAGE_DELIVERY\"?)"),
      INVALID("{\"triggers\":[\"message_inbound\"]}", P,
              "webhook.triggers[0]: unknown trigger \"message_inbound\" (did you mean "
              "\"MESSAGE_INBOUND\"?)"),
      INVALID("{\"triggers\":[\"CAPABILTIY\"]}", P,
              "webhook.triggers[0]: unknown trigger \"CAPABILTIY\" (did you mean "
              "\"CAPABILITY\"?)"),
      INVALID("{\"triggers\":[\"OPT_IM\"]}", P,
              "webhook.triggers[0]: unknown trigger \"OPT_IM\" (did you mean \"OPT_IN\"?)"),
      INVALID("{\"triggers\":[\"delivery report\"]}", P,
              "webhook.triggers[0]: \"delivery report\" is not a trigger name (trigger names "
              "are upper-case letters, digits and _)"),
      INVALID("{\"triggers\":[\"1ST_TRIGGER\"]}", P,
              "webhook.triggers[0]: \"1ST_TRIGGER\" is not a trigger name (trigger names "
              "are upper-case letters, digits and _)"),
      INVALID("{\"triggers\":[\"bad\\nname\"]}", P,
              "webhook.triggers[0]: \"bad name\" is not a trigger name (trigger names "
              "are upper-case letters, digits and _)"),
      INVALID("{\"triggers\":[\"OPT_IN\",\"OPT_OUT\",\"OPT_IN\"]}", P,
              "webhook.triggers[2]: \"OPT_IN\" repeats webhook.triggers[0]"),
      INVALID("{\"triggers\":[\"NEW_ONE\",\"NEW_ONE\"]}", P,
              "webhook.triggers[1]: \"NEW_ONE\" repeats webhook.triggers[0]"),
      INVALID("{\"triggers\":[\"OPT_IN\",\"SMART_CONVERSATION\",\"SMART_CONVERSATIONS\"]}", P | S,
              "webhook.triggers[2]: \"SMART_CONVERSATIONS\" repeats webhook.triggers[1] "
              "(\"SMART_CONVERSATION\")"),
  };
  RUN(cases);
}

static void test_all_triggers_at_once(void **state) {
  (void)state;
  static const char *const all[] = {
      "MESSAGE_DELIVERY", "MESSAGE_SUBMIT", "EVENT_DELIVERY", "MESSAGE_INBOUND", "EVENT_INBOUND",
      "SMART_CONVERSATION", "MESSAGE_INBOUND_SMART_CONVERSATION_REDACTION",
      "CONVERSATION_START", "CONVERSATION_STOP", "CONVERSATION_DELETE", "CONTACT_CREATE",
      "CONTACT_DELETE", "CONTACT_MERGE", "CONTACT_UPDATE", "CONTACT_IDENTITIES_DUPLICATION",
      "UNSUPPORTED", "OPT_IN", "OPT_OUT", "CAPABILITY", "CHANNEL_EVENT", "RECORD_NOTIFICATION"};
  json_t *triggers = json_array();
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    assert_true(swh_trigger_known(all[i]));
    assert_string_equal(swh_trigger_suggest(all[i]), all[i]);
    json_array_append_new(triggers, json_string(all[i]));
  }
  json_t *webhook = json_pack("{s:s,s:s,s:o}", "app_id", "A", "target", "https://e.com",
                              "triggers", triggers);
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swh_webhook_validate(webhook, S, &err), SWH_OK);
  json_decref(webhook);
}

static void test_many_unknown_triggers_are_checked_in_linear_time(void **state) {
  (void)state;
  /* 20000 distinct new names, then a repeat of the first: found without quadratic work. */
  json_t *triggers = json_array();
  char name[32];
  for (int i = 0; i < 20000; i++) {
    snprintf(name, sizeof name, "FUTURE_%d", i);
    json_array_append_new(triggers, json_string(name));
  }
  json_array_append_new(triggers, json_string("FUTURE_0"));
  json_t *webhook = json_pack("{s:o}", "triggers", triggers);
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swh_webhook_validate(webhook, P, &err), SWH_ERR_VALIDATION);
  assert_string_equal(err.message, "webhook.triggers[20000]: \"FUTURE_0\" repeats webhook.triggers[0]");
  json_decref(webhook);
}

static void test_trigger_names(void **state) {
  (void)state;
  assert_true(swh_trigger_known("SMART_CONVERSATIONS"));
  assert_false(swh_trigger_known("UNSPECIFIED_TRIGGER"));
  assert_false(swh_trigger_known("message_delivery"));
  assert_false(swh_trigger_known(""));
  assert_false(swh_trigger_known(NULL));
  assert_string_equal(swh_trigger_canonical("SMART_CONVERSATIONS"), "SMART_CONVERSATION");
  assert_string_equal(swh_trigger_canonical("OPT_IN"), "OPT_IN");
  assert_null(swh_trigger_canonical("SMART_CONVERSATIONX")); /* the emulator once took it */
  assert_null(swh_trigger_canonical("UNSPECIFIED_TRIGGER"));
  assert_string_equal(swh_trigger_suggest("MESSAGE_DELIVREY"), "MESSAGE_DELIVERY");
  assert_string_equal(swh_trigger_suggest("contact_merge"), "CONTACT_MERGE");
  assert_string_equal(swh_trigger_suggest("SMART_CONVERSATIONSS"), "SMART_CONVERSATION");
  assert_string_equal(swh_trigger_suggest("OPT_OUTT"), "OPT_OUT");
  assert_null(swh_trigger_suggest("DELIVERY"));
  assert_null(swh_trigger_suggest("OPT"));
  assert_null(swh_trigger_suggest(""));
  assert_null(swh_trigger_suggest(NULL));
  char long_name[4096];
  memset(long_name, 'A', sizeof long_name - 1);
  long_name[sizeof long_name - 1] = '\0';
  assert_null(swh_trigger_suggest(long_name));
}

static void test_client_credentials(void **state) {
  (void)state;
#define CC(body) "{\"client_credentials\":" body "}"
#define OK_CC "\"client_id\":\"id\",\"client_secret\":\"TOPSECRET\",\"endpoint\":\"https://auth.example.com/token\""
  static const validation_case cases[] = {
      VALID(CC("{" OK_CC "}"), P),
      VALID(CC("{" OK_CC ",\"scope\":\"a b\",\"response_type\":\"token\","
                         "\"token_request_type\":\"FORM\",\"extra\":1}"), P | S),
      VALID(CC("{" OK_CC ",\"token_request_type\":\"BASIC\"}"), P),
      VALID(CC("null"), P), /* clears OAuth in an update */
      INVALID("{" GOOD ",\"client_credentials\":null}", 0,
              "webhook.client_credentials: expected an object, got null"),
      INVALID(CC("[]"), P, "webhook.client_credentials: expected an object, got an array"),
      INVALID(CC("{\"client_secret\":\"TOPSECRET\",\"endpoint\":\"https://a.com\"}"), P,
              "webhook.client_credentials.client_id: required"),
      INVALID(CC("{\"client_id\":\"id\",\"endpoint\":\"https://a.com\"}"), P,
              "webhook.client_credentials.client_secret: required"),
      INVALID(CC("{\"client_id\":\"id\",\"client_secret\":\"TOPSECRET\"}"), P,
              "webhook.client_credentials.endpoint: required"),
      INVALID(CC("{\"client_id\":\"\",\"client_secret\":\"TOPSECRET\",\"endpoint\":\"https://a.com\"}"),
              P, "webhook.client_credentials.client_id: must not be empty"),
      INVALID(CC("{\"client_id\":\"id\",\"client_secret\":42,\"endpoint\":\"https://a.com\"}"), P,
              "webhook.client_credentials.client_secret: expected a string, got a number"),
      INVALID(CC("{\"client_id\":\"id\",\"client_secret\":\"TOPSECRET\",\"endpoint\":\"auth\"}"), P,
              "webhook.client_credentials.endpoint: not an absolute URL; it needs a scheme and "
              "a host, like https://example.com/callback"),
      INVALID(CC("{\"client_id\":\"id\",\"client_secret\":\"TOPSECRET\","
                 "\"endpoint\":\"ldap://a.com\"}"), P,
              "webhook.client_credentials.endpoint: must be an http or https URL, not ldap"),
      INVALID(CC("{" OK_CC ",\"scope\":5}"), P,
              "webhook.client_credentials.scope: expected a string, got a number"),
      INVALID(CC("{" OK_CC ",\"response_type\":[]}"), P,
              "webhook.client_credentials.response_type: expected a string, got an array"),
      INVALID(CC("{" OK_CC ",\"token_request_type\":\"form\"}"), P,
              "webhook.client_credentials.token_request_type: must be \"BASIC\" or \"FORM\", "
              "got \"form\" (did you mean \"FORM\"?)"),
      VALID(CC("{" OK_CC ",\"token_request_type\":\"JWT\"}"), P),
      INVALID(CC("{" OK_CC ",\"token_request_type\":\"JWT\"}"), P | S,
              "webhook.client_credentials.token_request_type: must be \"BASIC\" or \"FORM\", "
              "got \"JWT\""),
      INVALID(CC("{" OK_CC ",\"token_request_type\":\"BASC\"}"), P,
              "webhook.client_credentials.token_request_type: must be \"BASIC\" or \"FORM\", "
              "got \"BASC\" (did you mean \"BASIC\"?)"),
  };
  RUN(cases);
}

static void test_misspelt_fields_are_refused(void **state) {
  (void)state;
#define CCB "\"client_credentials\":{\"client_id\":\"id\",\"endpoint\":\"https://a.com/t\","
  static const validation_case cases[] = {
      /* A likely typo of a field is refused, on create and in an update's changes. */
      INVALID("{" GOOD ",\"triger\":[\"MESSAGE_DELIVERY\"]}", 0,
              "webhook.triger: unknown field (did you mean \"triggers\"?)"),
      INVALID("{\"triger\":[\"MESSAGE_DELIVERY\"]}", P,
              "webhook.triger: unknown field (did you mean \"triggers\"?)"),
      INVALID("{" GOOD ",\"triger\":[\"MESSAGE_DELIVERY\"]}", S,
              "webhook.triger: unknown field (did you mean \"triggers\"?)"),
      /* before "required": the typo is the reason the field is missing */
      INVALID("{\"app_id\":\"APP\",\"targt\":\"https://example.com/hook\"}", 0,
              "webhook.targt: unknown field (did you mean \"target\"?)"),
      INVALID("{" GOOD ",\"target_typ\":\"DISMISS\"}", 0,
              "webhook.target_typ: unknown field (did you mean \"target_type\"?)"),
      INVALID("{" GOOD ",\"secert\":\"TOPSECRET\"}", 0,
              "webhook.secert: unknown field (did you mean \"secret\"?)"),
      INVALID("{\"appId\":\"APP\",\"target\":\"https://example.com/hook\"}", 0,
              "webhook.appId: unknown field (did you mean \"app_id\"?)"),
      INVALID("{\"client_credential\":null}", P,
              "webhook.client_credential: unknown field (did you mean \"client_credentials\"?)"),
      /* Keys inside client_credentials too. */
      INVALID("{" GOOD "," CCB "\"client_secert\":\"TOPSECRET\"}}", 0,
              "webhook.client_credentials.client_secert: unknown field (did you mean "
              "\"client_secret\"?)"),
      INVALID("{" CCB "\"client_secert\":\"TOPSECRET\"}}", P,
              "webhook.client_credentials.client_secert: unknown field (did you mean "
              "\"client_secret\"?)"),
      INVALID("{" CCB "\"client_secret\":\"TOPSECRET\",\"scop\":\"a\"}}", P,
              "webhook.client_credentials.scop: unknown field (did you mean \"scope\"?)"),
      INVALID("{" CCB "\"client_secret\":\"TOPSECRET\",\"token_request_typ\":\"FORM\"}}", P,
              "webhook.client_credentials.token_request_typ: unknown field (did you mean "
              "\"token_request_type\"?)"),
      /* Unknown keys far from every field are kept and passed on. */
      VALID("{" GOOD ",\"labels\":{\"a\":1},\"triggers\":[]}", 0),
      VALID("{\"created_at\":\"x\"}", P),
      VALID("{" CCB "\"client_secret\":\"TOPSECRET\",\"audience\":\"x\"}}", P),
  };
  RUN(cases);
#undef CCB
}

static void test_client_credentials_lengths(void **state) {
  (void)state;
  char scope[1100], response_type[100];
  memset(scope, 's', sizeof scope);
  memset(response_type, 'r', sizeof response_type);
  swh_error err;
  swh_error_init(&err);
  json_t *webhook = json_pack("{s:{s:s,s:s,s:s,s:s%,s:s%}}", "client_credentials", "client_id",
                              "i", "client_secret", "TOPSECRET", "endpoint", "https://a.com",
                              "scope", scope, (size_t)1024, "response_type", response_type,
                              (size_t)64);
  assert_non_null(webhook);
  assert_int_equal(swh_webhook_validate(webhook, P, &err), SWH_OK);
  json_object_set_new(json_object_get(webhook, "client_credentials"), "scope",
                      json_stringn(scope, 1025));
  assert_int_equal(swh_webhook_validate(webhook, P, &err), SWH_ERR_VALIDATION);
  assert_string_equal(err.message, "webhook.client_credentials.scope: 1025 characters long, at "
                                   "most 1024 are allowed");
  json_object_set_new(json_object_get(webhook, "client_credentials"), "scope",
                      json_string("x"));
  json_object_set_new(json_object_get(webhook, "client_credentials"), "response_type",
                      json_stringn(response_type, 65));
  assert_int_equal(swh_webhook_validate(webhook, P, &err), SWH_ERR_VALIDATION);
  assert_string_equal(err.message, "webhook.client_credentials.response_type: 65 characters "
                                   "long, at most 64 are allowed");
  json_decref(webhook);
  swh_error_clear(&err);
}

static void test_no_message_quotes_a_secret(void **state) {
  (void)state;
  static const char *const bodies[] = {
      "{\"secret\":[\"TOPSECRET\"]}",
      CC("{\"client_id\":\"id\",\"client_secret\":[\"TOPSECRET\"],\"endpoint\":\"https://a.com\"}"),
      CC("{\"client_id\":\"TOPSECRET\",\"client_secret\":\"TOPSECRET\",\"endpoint\":\"TOPSECRET\"}"),
      "{\"target\":\"ftp://user:TOPSECRET@example.com/\"}",
      "{\"target\":\"https://user:TOPSECRET@conversation-api.eu.sinch.com/\"}",
  };
  for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
    json_t *webhook = json_loads(bodies[i], 0, NULL);
    assert_non_null(webhook);
    swh_error err;
    swh_error_init(&err);
    assert_int_equal(swh_webhook_validate(webhook, P, &err), SWH_ERR_VALIDATION);
    assert_null(strstr(err.message, "TOPSECRET"));
    json_decref(webhook);
  }
}

static void test_usage_and_null_error(void **state) {
  (void)state;
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swh_webhook_validate(NULL, 0, &err), SWH_ERR_USAGE);
  assert_string_equal(err.message, "webhook: missing (NULL)");
  /* A NULL error is allowed: only the status comes back. */
  json_t *webhook = json_pack("{s:s}", "target", "nope");
  assert_int_equal(swh_webhook_validate(webhook, P, NULL), SWH_ERR_VALIDATION);
  json_decref(webhook);
}

static void test_normalize(void **state) {
  (void)state;
  json_t *webhook = json_loads(
      "{\"triggers\":[\"OPT_IN\",\"SMART_CONVERSATIONS\",7,\"NEW\"],\"x\":1}", 0, NULL);
  swh_webhook_normalize(webhook);
  char *text = json_dumps(webhook, JSON_COMPACT);
  assert_string_equal(text,
                      "{\"triggers\":[\"OPT_IN\",\"SMART_CONVERSATION\",7,\"NEW\"],\"x\":1}");
  free(text);
  json_decref(webhook);
  swh_webhook_normalize(NULL); /* no triggers, no object: nothing to do */
  json_t *empty = json_object();
  swh_webhook_normalize(empty);
  assert_int_equal(json_object_size(empty), 0);
  json_decref(empty);
}

static void test_field_updatable(void **state) {
  (void)state;
  static const char *const yes[] = {"app_id", "target", "target_type", "triggers", "secret",
                                    "client_credentials"};
  for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) assert_true(swh_field_updatable(yes[i]));
  assert_false(swh_field_updatable("id"));
  assert_false(swh_field_updatable("targetType"));
  assert_false(swh_field_updatable(""));
  assert_false(swh_field_updatable(NULL));
}

static void expect_mask(const char *changes_json, const char *mask) {
  json_t *changes = json_loads(changes_json, 0, NULL);
  assert_non_null(changes);
  char buf[128];
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swh_update_mask_build(changes, buf, sizeof buf, &err), SWH_OK);
  assert_string_equal(buf, mask);
  json_decref(changes);
}

static void expect_mask_refused(const char *changes_json, swh_status kind, const char *message) {
  json_t *changes = json_loads(changes_json, JSON_DECODE_ANY, NULL);
  assert_non_null(changes);
  char buf[128] = "garbage";
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swh_update_mask_build(changes, buf, sizeof buf, &err), kind);
  assert_string_equal(err.message, message);
  assert_string_equal(buf, "");
  json_decref(changes);
}

static void test_update_mask_build(void **state) {
  (void)state;
  expect_mask("{\"secret\":\"\"}", "secret");
  /* API.md's order, whatever the order of the keys. */
  expect_mask("{\"client_credentials\":null,\"triggers\":[],\"target\":\"x\"}",
              "target,triggers,client_credentials");
  expect_mask("{\"secret\":\"s\",\"client_credentials\":{},\"triggers\":[],\"target_type\":"
              "\"HTTP\",\"target\":\"t\",\"app_id\":\"a\"}",
              "app_id,target,target_type,triggers,secret,client_credentials");
  expect_mask_refused("{}", SWH_ERR_VALIDATION,
                      "changes: nothing to update; give at least one of app_id, target, "
                      "target_type, triggers, secret, client_credentials");
  expect_mask_refused("[]", SWH_ERR_VALIDATION, "changes: expected an object, got an array");
  expect_mask_refused("{\"target\":\"x\",\"id\":\"X\"}", SWH_ERR_VALIDATION,
                      "webhook.id: read-only, it cannot be updated (updatable: app_id, target, "
                      "target_type, triggers, secret, client_credentials)");
  expect_mask_refused("{\"triger\":[]}", SWH_ERR_VALIDATION,
                      "webhook.triger: not an updatable field (did you mean \"triggers\"?; "
                      "updatable: app_id, target, target_type, triggers, secret, "
                      "client_credentials)");
  expect_mask_refused("{\"display_name\":\"x\"}", SWH_ERR_VALIDATION,
                      "webhook.display_name: not an updatable field (updatable: app_id, "
                      "target, target_type, triggers, secret, client_credentials)");
  /* Too small a buffer is the caller's mistake. */
  json_t *changes = json_pack("{s:s,s:s}", "target", "t", "secret", "s");
  char small[10];
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swh_update_mask_build(changes, small, sizeof small, &err), SWH_ERR_USAGE);
  assert_string_equal(err.message, "update_mask: a buffer of 10 bytes is too small");
  assert_string_equal(small, "");
  assert_int_equal(swh_update_mask_build(changes, NULL, 0, &err), SWH_ERR_USAGE);
  assert_string_equal(err.message, "update_mask: no buffer");
  assert_int_equal(swh_update_mask_build(NULL, small, sizeof small, &err), SWH_ERR_USAGE);
  assert_string_equal(err.message, "changes: missing (NULL)");
  json_decref(changes);
}

static void expect_parse(const char *mask, const char *fields_json) {
  swh_error err;
  swh_error_init(&err);
  json_t *fields = swh_update_mask_parse(mask, &err);
  assert_non_null(fields);
  char *text = json_dumps(fields, JSON_COMPACT);
  assert_string_equal(text, fields_json);
  free(text);
  json_decref(fields);
}

static void expect_parse_refused(const char *mask, swh_status kind, const char *message) {
  swh_error err;
  swh_error_init(&err);
  assert_null(swh_update_mask_parse(mask, &err));
  assert_int_equal(err.kind, kind);
  assert_string_equal(err.message, message);
}

static void test_update_mask_parse(void **state) {
  (void)state;
  expect_parse("triggers,secret", "[\"triggers\",\"secret\"]");
  expect_parse("target", "[\"target\"]");
  expect_parse("", "[]");
  expect_parse(" target , secret,,", "[\"target\",\"secret\"]");
  expect_parse("secret,secret", "[\"secret\"]");
  expect_parse("targetType,clientCredentials,appId",
               "[\"target_type\",\"client_credentials\",\"app_id\"]");
  expect_parse("app_id,target,target_type,triggers,secret,client_credentials",
               "[\"app_id\",\"target\",\"target_type\",\"triggers\",\"secret\","
               "\"client_credentials\"]");
  expect_parse_refused("target,x", SWH_ERR_VALIDATION,
                       "update_mask: unknown field \"x\" (updatable: app_id, target, "
                       "target_type, triggers, secret, client_credentials)");
  expect_parse_refused("secrets", SWH_ERR_VALIDATION,
                       "update_mask: unknown field \"secrets\" (did you mean \"secret\"?; "
                       "updatable: app_id, target, target_type, triggers, secret, "
                       "client_credentials)");
  expect_parse_refused("id", SWH_ERR_VALIDATION,
                       "update_mask: \"id\" is read-only and cannot be updated "
                       "(updatable: app_id, target, target_type, triggers, secret, "
                       "client_credentials)");
  expect_parse_refused("client_credentials.client_id", SWH_ERR_VALIDATION,
                       "update_mask: unknown field \"client_credentials.client_id\" (updatable: "
                       "app_id, target, target_type, triggers, secret, client_credentials)");
  expect_parse_refused(NULL, SWH_ERR_USAGE, "update_mask: missing (NULL)");
  char long_path[300];
  memset(long_path, 'z', sizeof long_path - 1);
  long_path[sizeof long_path - 1] = '\0';
  expect_parse_refused(long_path, SWH_ERR_VALIDATION,
                       "update_mask: unknown field "
                       "\"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz...\" (updatable: "
                       "app_id, target, target_type, triggers, secret, client_credentials)");
}

static void test_allocation_failures_are_errors(void **state) {
  (void)state;
  json_t *webhook = json_loads("{\"triggers\":[\"OPT_IN\",\"NEW_ONE\",\"OPT_OUT\"]}", 0, NULL);
  assert_non_null(webhook);
  bool saw_memory = false, saw_ok = false;
  for (long n = 0; n < 64 && !saw_ok; n++) {
    swh_error err;
    swh_error_init(&err);
    fx_allocations_fail(n);
    swh_status status = swh_webhook_validate(webhook, P, &err);
    fx_allocations_fail(-1);
    if (status == SWH_ERR_MEMORY) {
      assert_string_equal(err.message, "webhook.triggers: out of memory");
      saw_memory = true;
    } else {
      assert_int_equal(status, SWH_OK);
      saw_ok = true;
    }
  }
  assert_true(saw_memory);
  assert_true(saw_ok);
  saw_memory = saw_ok = false; /* the mask parser must meet a failure of its own too */
  for (long n = 0; n < 64 && !saw_ok; n++) {
    swh_error err;
    swh_error_init(&err);
    fx_allocations_fail(n);
    json_t *fields = swh_update_mask_parse("target,secret", &err);
    fx_allocations_fail(-1);
    if (!fields) {
      assert_int_equal(err.kind, SWH_ERR_MEMORY);
      assert_string_equal(err.message, "update_mask: out of memory");
      saw_memory = true;
    } else {
      assert_int_equal(json_array_size(fields), 2);
      json_decref(fields);
      saw_ok = true;
    }
  }
  assert_true(saw_memory);
  assert_true(saw_ok);
  json_decref(webhook);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_shape_and_required_fields),
      cmocka_unit_test(test_target_rules),
      cmocka_unit_test(test_target_length),
      cmocka_unit_test(test_target_type),
      cmocka_unit_test(test_secret),
      cmocka_unit_test(test_triggers),
      cmocka_unit_test(test_all_triggers_at_once),
      cmocka_unit_test(test_many_unknown_triggers_are_checked_in_linear_time),
      cmocka_unit_test(test_trigger_names),
      cmocka_unit_test(test_client_credentials),
      cmocka_unit_test(test_misspelt_fields_are_refused),
      cmocka_unit_test(test_client_credentials_lengths),
      cmocka_unit_test(test_no_message_quotes_a_secret),
      cmocka_unit_test(test_usage_and_null_error),
      cmocka_unit_test(test_normalize),
      cmocka_unit_test(test_field_updatable),
      cmocka_unit_test(test_update_mask_build),
      cmocka_unit_test(test_update_mask_parse),
      cmocka_unit_test(test_allocation_failures_are_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
