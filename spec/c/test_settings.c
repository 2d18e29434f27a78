/* The settings table (swh_settings.h), the secret predicate and the URL module: one wording
   for every refusal, whatever the source; one answer to "is this a secret?". */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "swh_secret.h"
#include "swh_settings.h"
#include "swh_url.h"

/* Parses text as setting name from source; returns the message, or "" when it passed. */
static const char *refusal(const char *name, const char *source, const char *text,
                           swh_config *config) {
  static swh_error err;
  swh_error_clear(&err);
  swh_error_init(&err);
  swhi_setting_id id = swhi_setting_find(name);
  assert_true(id < SWHI_SETTING_COUNT);
  return swhi_setting_parse(id, source, text, config, &err) == SWH_OK ? "" : err.message;
}

static void test_every_source_gets_the_same_words(void **state) {
  (void)state;
  swh_config config = {0};
  assert_string_equal(refusal("region", "--region", "mars", &config),
                      "--region: \"mars\" is not a region (us, eu, br)");
  assert_string_equal(refusal("region", "SINCH_REGION", "mars", &config),
                      "SINCH_REGION: \"mars\" is not a region (us, eu, br)");
  assert_string_equal(refusal("auth", "auth", "token", &config),
                      "auth: \"token\" is not an auth scheme (oauth2, basic)");
  assert_string_equal(refusal("rate", "SWH_RATE", "-5", &config),
                      "SWH_RATE: \"-5\" is not a positive number");
  assert_string_equal(refusal("timeout", "--timeout", "inf", &config),
                      "--timeout: \"inf\" is not a positive number of seconds");
  assert_string_equal(refusal("retries", "SWH_RETRIES", "2x", &config),
                      "SWH_RETRIES: \"2x\" is not an integer from 1 to 100000");
  assert_string_equal(refusal("concurrency", "--concurrency", "100001", &config),
                      "--concurrency: \"100001\" is not an integer from 1 to 100000");
  assert_string_equal(refusal("key_id", "key_id", "", &config), "key_id: \"\" is not a key id");
  /* a secret is never quoted */
  assert_string_equal(refusal("key_secret", "key_secret", "", &config),
                      "key_secret: \"\" is not a key secret");
  assert_string_equal(refusal("base_url", "SINCH_CONVERSATION_URL", "ftp://u:pw@h", &config),
                      "SINCH_CONVERSATION_URL: \"ftp://u:[redacted]@h\" is not an http:// or "
                      "https:// URL");
  /* numbers given as numbers (from Lua) read the same */
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swhi_setting_set_number(SWHI_SETTING_RETRIES, "retries", 1.5, &config, &err),
                   SWH_ERR_USAGE);
  assert_string_equal(err.message, "retries: 1.5 is not an integer from 1 to 100000");
  swh_error_clear(&err);
}

static void test_values_land_in_the_config(void **state) {
  (void)state;
  swh_config config = {0};
  assert_string_equal(refusal("region", "--region", "eu", &config), "");
  assert_string_equal(config.region, "eu");
  assert_string_equal(refusal("auth", "--auth", "basic", &config), "");
  assert_int_equal(config.auth, SWH_AUTH_BASIC);
  assert_string_equal(refusal("rate", "--rate", "12.5", &config), "");
  assert_true(config.rate == 12.5);
  assert_string_equal(refusal("concurrency", "--concurrency", "7", &config), "");
  assert_int_equal(config.concurrency, 7);
  assert_string_equal(refusal("allow_insecure_http", "x", "yes", &config), "");
  assert_true(config.allow_insecure_http);
}

static void test_the_environment_is_read_under_given_settings(void **state) {
  (void)state;
  setenv("SINCH_PROJECT_ID", "env-project", 1);
  setenv("SINCH_KEY_ID", "", 1); /* "" counts as unset */
  unsetenv("SINCH_KEY_SECRET");
  setenv("SINCH_REGION", "xx", 1); /* given below: never read */
  setenv("SWH_RATE", "90", 1);
  swh_config config = {.region = "br"};
  bool given[SWHI_SETTING_COUNT] = {[SWHI_SETTING_REGION] = true};
  const char *sources[SWHI_SETTING_COUNT] = {0};
  unsigned missing = 0;
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swhi_settings_read_environment(&config, given, sources, &missing, &err),
                   SWH_ERR_USAGE);
  assert_string_equal(err.message, "missing SINCH_KEY_ID, SINCH_KEY_SECRET in the environment");
  assert_int_equal(missing, (1u << SWHI_SETTING_KEY_ID) | (1u << SWHI_SETTING_KEY_SECRET));
  assert_string_equal(config.project_id, "env-project");
  assert_string_equal(sources[SWHI_SETTING_PROJECT_ID], "SINCH_PROJECT_ID");
  assert_string_equal(config.region, "br");
  assert_true(config.rate == 90.0);
  swh_error_clear(&err);
  setenv("SWH_RATE", "lots", 1);
  memset(given, 0, sizeof given);
  assert_int_equal(swhi_settings_read_environment(&config, given, sources, NULL, &err),
                   SWH_ERR_USAGE);
  assert_string_equal(err.message, "SINCH_REGION: \"xx\" is not a region (us, eu, br)");
  swh_error_clear(&err);
  for (const char *const *v = (const char *const[]){"SINCH_PROJECT_ID", "SINCH_KEY_ID",
                                                    "SINCH_REGION", "SWH_RATE", NULL};
       *v; v++)
    unsetenv(*v);
}

static void test_sources_name_what_several_settings_refuse(void **state) {
  (void)state;
  swh_config config = {.project_id = "p", .key_id = "k", .key_secret = "s",
                       .base_url = "http://api.example.com"};
  const char *sources[SWHI_SETTING_COUNT] = {[SWHI_SETTING_BASE_URL] = "--base-url"};
  swh_error err;
  swh_error_init(&err);
  assert_null(swhi_client_new(&config, sources, &err));
  assert_non_null(strstr(err.message, "--base-url: \"http://api.example.com\" is plain http://"));
  swh_error_clear(&err);
}

static void test_one_predicate_says_what_is_secret(void **state) {
  (void)state;
  static const char *const secret[] = {
      "secret", "client_secret", "key_secret", "SECRET", "secret_key", "password",
      "db_password", "passwd", "authorization", "Proxy-Authorization", "cookie", "Set-Cookie",
      "token", "access_token", "refresh_token", "id_token", "idToken", "x-auth-token",
      "api_key", "x-api-key", "apikey", "private_key",
  };
  static const char *const not_secret[] = {
      "target", "client_id", "key_id", "endpoint", "token_type", "token_request_type",
      "client_credentials", "id", "app_id", "keys", "monkey", "", "scope",
  };
  for (size_t i = 0; i < sizeof secret / sizeof *secret; i++)
    if (!swh_is_secret_key(secret[i])) fail_msg("%s should be a secret's name", secret[i]);
  for (size_t i = 0; i < sizeof not_secret / sizeof *not_secret; i++)
    if (swh_is_secret_key(not_secret[i])) fail_msg("%s should not be", not_secret[i]);
  assert_false(swh_is_secret_key(NULL));
}

static void test_urls_are_read_by_libcurl(void **state) {
  (void)state;
  char *host = swhi_url_host("https://EU.Conversation.api.sinch.com:443/v1");
  assert_string_equal(host, "eu.conversation.api.sinch.com");
  free(host);
  char *path = swhi_url_path("http://127.0.0.1:9/oauth2/token");
  assert_string_equal(path, "/oauth2/token");
  free(path);
  path = swhi_url_path("http://127.0.0.1:9");
  assert_string_equal(path, "/");
  free(path);
  char *text = swhi_url_mask_text("GET \"http://u:pw@h/x\" and http://v:p2@k", "••••");
  assert_string_equal(text, "GET \"http://u:••••@h/x\" and http://v:••••@k");
  free(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_source_gets_the_same_words),
      cmocka_unit_test(test_values_land_in_the_config),
      cmocka_unit_test(test_the_environment_is_read_under_given_settings),
      cmocka_unit_test(test_sources_name_what_several_settings_refuse),
      cmocka_unit_test(test_one_predicate_says_what_is_secret),
      cmocka_unit_test(test_urls_are_read_by_libcurl),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
