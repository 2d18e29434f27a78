/*
 * The OAuth2 token of swh_client against hostile or odd token endpoints: a 401 for any
 * reason renews a cached token once (and never loops), a tiny expires_in is floored so the
 * client does not ask for tokens forever, and a token with control characters is refused
 * before it can become header text. Servers: raw_server.h on 127.0.0.1.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_token.h" /* private to the core: for its floor */
#include "fixtures.h"
#include "raw_server.h"
#include "swh.h"

#define API_OK "{\"apps\":[]}"
#define BAD_SIGNATURE                                                                      \
  "{\"error\":{\"code\":401,\"message\":\"Invalid token signature\","                    \
  "\"status\":\"UNAUTHENTICATED\"}}"
#define BEARER_INVALID "WWW-Authenticate: Bearer error=\"invalid_token\"\r\n"

/* An OAuth2 client of s: token and API on the same server. */
static swh_client *oauth_client(raw_server *s, int retries) {
  return fx_client((swh_config){.project_id = "p", .key_id = "k", .key_secret = "s",
                                .base_url = s->url, .timeout = 5, .retries = retries});
}

static void test_any_401_renews_a_cached_token_once(void **state) {
  (void)state;
  /* The server restarted with a new signing key: the old token is refused, not expired. */
  raw_server *s = raw_start();
  raw_token(s, "{\"access_token\":\"T1\",\"expires_in\":3600}");
  raw_answer(s, 200, "", API_OK);
  raw_answer(s, 401, BEARER_INVALID, BAD_SIGNATURE);
  raw_answer(s, 200, "", API_OK);
  raw_run(s);
  swh_client *client = oauth_client(s, 1);
  swh_error err;
  swh_error_init(&err);
  json_t *apps = NULL;
  assert_int_equal(swh_apps_list(client, &apps, &err), SWH_OK);
  json_decref(apps);
  assert_int_equal(swh_apps_list(client, &apps, &err), SWH_OK);
  json_decref(apps);
  /* token, call, refused call, a new token, the call again */
  assert_int_equal(s->served, 5);
  assert_int_equal(s->token_requests, 2);
  assert_non_null(strstr(s->requests[3], "POST /oauth2/token "));
  assert_non_null(strstr(s->requests[4], "GET /v1/projects/p/apps "));
  swh_client_free(client);
  raw_stop(s);
}

static void test_a_401_after_renewal_fails_without_looping(void **state) {
  (void)state;
  raw_server *s = raw_start();
  raw_token(s, "{\"access_token\":\"T\",\"expires_in\":3600}");
  raw_answer(s, 401, BEARER_INVALID, BAD_SIGNATURE);
  s->repeat_last = true;
  raw_run(s);
  swh_client *client = oauth_client(s, 5);
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swh_apps_list(client, NULL, &err), SWH_ERR_AUTH);
  assert_int_equal(err.http_status, 401);
  assert_string_equal(err.api_status, "UNAUTHENTICATED");
  assert_string_equal(err.message, "Invalid token signature (refused again with a new token)");
  assert_false(err.retryable);
  assert_int_equal(s->token_requests, 2);
  assert_int_equal(s->served, 4);
  swh_error_clear(&err);
  swh_client_free(client);
  raw_stop(s);
}

/* Basic auth has no token to renew: a 401 is the answer. */
static void test_a_basic_401_is_not_resent(void **state) {
  (void)state;
  raw_server *s = raw_start();
  raw_answer(s, 401, "", BAD_SIGNATURE);
  s->repeat_last = true;
  raw_run(s);
  swh_client *client = fx_client((swh_config){.project_id = "p", .key_id = "k",
                                               .key_secret = "s", .base_url = s->url,
                                               .auth = SWH_AUTH_BASIC, .timeout = 5});
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swh_apps_list(client, NULL, &err), SWH_ERR_AUTH);
  assert_string_equal(err.message, "Invalid token signature");
  assert_int_equal(s->served, 1);
  swh_error_clear(&err);
  swh_client_free(client);
  raw_stop(s);
}

static void test_a_tiny_expires_in_is_floored(void **state) {
  (void)state;
  raw_server *s = raw_start();
  raw_token(s, "{\"access_token\":\"T\",\"expires_in\":0.000001}");
  raw_answer(s, 200, "", API_OK);
  s->repeat_last = true;
  raw_run(s);
  swh_client *client = oauth_client(s, 5);
  swh_error err;
  swh_error_init(&err);
  double start = fx_now_ms();
  for (int i = 0; i < 20; i++) {
    json_t *apps = NULL;
    assert_int_equal(swh_apps_list(client, &apps, &err), SWH_OK);
    json_decref(apps);
  }
  /* Twenty calls in well under the floor's second share one token. */
  if (fx_now_ms() - start < SWH_TOKEN_MIN_LIFE_S * 1000) assert_int_equal(s->token_requests, 1);
  assert_int_equal(s->served - s->token_requests, 20);
  swh_client_free(client);
  raw_stop(s);
}

static void test_tokens_that_die_at_once_cost_two_token_requests_a_call(void **state) {
  (void)state;
  raw_server *s = raw_start();
  raw_token(s, "{\"access_token\":\"T\",\"expires_in\":0.001}");
  raw_answer(s, 401, "WWW-Authenticate: Bearer error=\"invalid_token\", "
                     "error_description=\"Jwt expired\"\r\n", BAD_SIGNATURE);
  s->repeat_last = true;
  raw_run(s);
  swh_client *client = oauth_client(s, 5);
  swh_error err;
  swh_error_init(&err);
  double start = fx_now_ms();
  assert_int_equal(swh_apps_list(client, NULL, &err), SWH_ERR_AUTH);
  assert_true(fx_now_ms() - start < 5000); /* bounded by far less than the call's timeout */
  assert_int_equal(s->token_requests, 2);
  assert_int_equal(s->served, 4);
  swh_error_clear(&err);
  swh_client_free(client);
  raw_stop(s);
}

/* A token endpoint that never answers: each token request has the call's timeout, and the
   retry budget bounds how many are made. */
static void test_the_timeout_applies_to_the_token_request(void **state) {
  (void)state;
  raw_server *s = raw_start();
  raw_special(s, RAW_HANG);
  raw_run(s);
  swh_client *client = fx_client((swh_config){.project_id = "p", .key_id = "k",
                                               .key_secret = "s", .base_url = s->url,
                                               .timeout = 0.3, .retries = 1});
  swh_error err;
  swh_error_init(&err);
  double start = fx_now_ms();
  assert_int_equal(swh_apps_list(client, NULL, &err), SWH_ERR_TIMEOUT);
  assert_true(fx_now_ms() - start < 2000);
  assert_non_null(strstr(err.message, "/oauth2/token failed: no answer in time"));
  assert_int_equal(s->served, 1);
  swh_error_clear(&err);
  swh_client_free(client);
  raw_stop(s);
}

static void test_a_token_with_control_characters_is_refused(void **state) {
  (void)state;
  static const char *const tokens[] = {
      "{\"access_token\":\"T\\r\\nX-Injected: 1\",\"expires_in\":3600}",
      "{\"access_token\":\"T\\nX-Injected: 1\",\"expires_in\":3600}",
      "{\"access_token\":\"T\\tX-Injected\",\"expires_in\":3600}",
      "{\"access_token\":\"T\\u007fX-Injected\",\"expires_in\":3600}",
  };
  for (size_t i = 0; i < sizeof tokens / sizeof tokens[0]; i++) {
    raw_server *s = raw_start();
    raw_token(s, tokens[i]);
    raw_answer(s, 200, "", API_OK);
    raw_run(s);
    swh_client *client = oauth_client(s, 5);
    swh_error err;
    swh_error_init(&err);
    assert_int_equal(swh_apps_list(client, NULL, &err), SWH_ERR_AUTH);
    char message[256];
    snprintf(message, sizeof message,
             "the token endpoint %s/oauth2/token answered an access_token with control "
             "characters, which cannot be sent in a header",
             s->url);
    assert_string_equal(err.message, message);
    assert_null(strstr(err.message, "Injected"));
    assert_false(err.retryable);
    assert_int_equal(s->served, 1); /* no API call was sent with it */
    swh_error_clear(&err);
    swh_client_free(client);
    raw_stop(s);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_any_401_renews_a_cached_token_once),
      cmocka_unit_test(test_a_401_after_renewal_fails_without_looping),
      cmocka_unit_test(test_a_basic_401_is_not_resent),
      cmocka_unit_test(test_a_tiny_expires_in_is_floored),
      cmocka_unit_test(test_tokens_that_die_at_once_cost_two_token_requests_a_call),
      cmocka_unit_test(test_the_timeout_applies_to_the_token_request),
      cmocka_unit_test(test_a_token_with_control_characters_is_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
