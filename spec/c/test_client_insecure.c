/*
 * Plain http:// to a host that is not loopback carries the key (Basic, and the token
 * endpoint) or the access token in clear text: swh_client_new refuses it unless
 * allow_insecure_http is set, before any connection. ctest runs this file inside an empty
 * network namespace (unshare -rn), so that no packet can leave even if the code is wrong.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "swh.h"

static const char key_in_clear[] =
    "is plain http:// to a host that is not loopback: the key would travel in clear text; "
    "use https://, or set allow_insecure_http";
static const char token_in_clear[] =
    "is plain http:// to a host that is not loopback: the access token would travel in clear "
    "text; use https://, or set allow_insecure_http";

static void expect_refused(const swh_config *config, const char *name, const char *url,
                           const char *why) {
  swh_error err;
  swh_error_init(&err);
  assert_null(swh_client_new(config, &err));
  assert_int_equal(err.kind, SWH_ERR_USAGE);
  char message[512];
  snprintf(message, sizeof message, "%s: \"%s\" %s", name, url, why);
  assert_string_equal(err.message, message);
  swh_error_clear(&err);
}

static void test_plain_http_to_another_host_is_refused(void **state) {
  (void)state;
  static const char *const hosts[] = {
      "http://10.1.2.3", "http://api.example.com/", "HTTP://192.168.0.1:8080/v1",
      "http://[2001:db8::1]/", "http://localhost.example.com", "http://128.0.0.1",
      "http://[::2]"};
  for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
    swh_config basic = {.project_id = "p", .key_id = "k", .key_secret = "s",
                        .base_url = hosts[i], .auth = SWH_AUTH_BASIC};
    expect_refused(&basic, "config.base_url", hosts[i], key_in_clear);
    swh_config oauth = {.project_id = "p", .key_id = "k", .key_secret = "s",
                        .base_url = hosts[i], .auth_url = "https://auth.example.com/t"};
    expect_refused(&oauth, "config.base_url", hosts[i], token_in_clear);
    swh_config token = {.project_id = "p", .key_id = "k", .key_secret = "s",
                        .base_url = "https://api.example.com", .auth_url = hosts[i]};
    expect_refused(&token, "config.auth_url", hosts[i], key_in_clear);
  }
  /* Basic never asks the token endpoint: its URL carries nothing. */
  swh_error err;
  swh_error_init(&err);
  swh_config basic = {.project_id = "p", .key_id = "k", .key_secret = "s",
                      .base_url = "https://api.example.com", .auth_url = "http://10.1.2.3/t",
                      .auth = SWH_AUTH_BASIC};
  swh_client *client = swh_client_new(&basic, &err);
  assert_non_null(client);
  swh_client_free(client);
}

static void test_loopback_and_https_are_allowed(void **state) {
  (void)state;
  static const char *const urls[] = {
      "http://127.0.0.1:8080", "http://127.10.20.30/", "http://localhost:9/v1",
      "http://LocalHost", "http://[::1]:8080/", "https://10.1.2.3", "https://api.example.com"};
  for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
    swh_config config = {.project_id = "p", .key_id = "k", .key_secret = "s",
                         .base_url = urls[i], .auth_url = urls[i]};
    swh_error err;
    swh_error_init(&err);
    swh_client *client = swh_client_new(&config, &err);
    if (!client) fail_msg("%s: %s", urls[i], err.message);
    swh_client_free(client);
  }
}

static void test_allow_insecure_http_lets_it_through(void **state) {
  (void)state;
  swh_config config = {.project_id = "p", .key_id = "k", .key_secret = "s",
                       .base_url = "http://10.255.255.1:9", .auth = SWH_AUTH_BASIC,
                       .allow_insecure_http = true, .retries = 1, .timeout = 2};
  swh_error err;
  swh_error_init(&err);
  swh_client *client = swh_client_new(&config, &err);
  assert_non_null(client);
  /* In the empty network namespace the host cannot be reached: the call was really tried. */
  assert_int_equal(swh_apps_list(client, NULL, &err), SWH_ERR_NETWORK);
  assert_string_equal(err.request, "GET /v1/projects/p/apps");
  swh_error_clear(&err);
  swh_client_free(client);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_plain_http_to_another_host_is_refused),
      cmocka_unit_test(test_loopback_and_https_are_allowed),
      cmocka_unit_test(test_allow_insecure_http_lets_it_through),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
