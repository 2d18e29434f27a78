/*
 * How long swh_client keeps trying: a retry budget counted (retries) and timed (retry_time,
 * from a call's first failure), with full jitter, that rides out a server restart of more
 * than a second; and what a failed call says: that its change may have been applied, that
 * the server's headers were too large.
 * Servers: raw_server.h on 127.0.0.1.
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

#include "client_pacing.h" /* private to the core: its retry decision is tested directly */
#include "fixtures.h"
#include "raw_server.h"
#include "swh.h"

static bool ends_with(const char *text, const char *end) {
  size_t n = strlen(text), m = strlen(end);
  return n >= m && strcmp(text + n - m, end) == 0;
}

static swh_client *basic_client(const char *url, int retries, double retry_time) {
  return fx_client((swh_config){.project_id = "p", .key_id = "k", .key_secret = "s",
                                .base_url = url, .auth = SWH_AUTH_BASIC, .timeout = 5,
                                .retries = retries, .retry_time = retry_time});
}

static void test_the_retry_decision(void **state) {
  (void)state;
  swh_retry_budget budget = {.attempts = 4, .time_ms = 1000};
  double first = 0, delay = 300;
  assert_int_equal(swhi_retry_decide(&budget, 1, &first, 5000, &delay, false), SWH_RETRY_AGAIN);
  assert_true(first == 5000); /* the series starts at its first failure */
  assert_true(delay == 300);
  delay = 700;
  assert_int_equal(swhi_retry_decide(&budget, 2, &first, 5600, &delay, false), SWH_RETRY_AGAIN);
  assert_true(delay == 400); /* cut to end with the budget: one last attempt then */
  delay = 700;
  assert_int_equal(swhi_retry_decide(&budget, 2, &first, 5600, &delay, true),
                   SWH_RETRY_NO_TIME_LEFT); /* a Retry-After past the budget */
  delay = 10;
  assert_int_equal(swhi_retry_decide(&budget, 3, &first, 6000, &delay, false),
                   SWH_RETRY_NO_TIME_LEFT);
  first = 5000;
  assert_int_equal(swhi_retry_decide(&budget, 4, &first, 5001, &delay, false),
                   SWH_RETRY_NO_ATTEMPTS_LEFT);
}

/* The outage outlasts what five attempts from a 100 ms base could ever wait (1.5 s). */
#define OUTAGE_MS 1600

static void test_the_default_budget_rides_out_a_restart(void **state) {
  (void)state;
  int port = raw_free_port();
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
  swh_client *client = basic_client(url, 0, 0); /* the defaults */
  swh_error err;
  swh_error_init(&err);
  swh_call *call = swh_call_start(client, SWH_OP_APPS_LIST, NULL, NULL, NULL, &err);
  assert_non_null(call);
  double start = fx_now_ms();
  while (fx_now_ms() - start < OUTAGE_MS) {
    swh_client_step(client, 20);
    assert_false(swh_call_done(call)); /* refused connections, retried */
  }
  raw_server *s = raw_start_at(port); /* the server is back */
  assert_non_null(s);
  raw_answer(s, 200, "", "{\"apps\":[{\"id\":\"A\"}]}");
  raw_run(s);
  while (!swh_call_done(call) && fx_now_ms() - start < 40000) swh_client_step(client, 100);
  json_t *apps = NULL;
  if (swh_call_finish(call, &apps, &err) != SWH_OK) fail_msg("%s", err.message);
  assert_int_equal(json_array_size(apps), 1);
  json_decref(apps);
  swh_client_free(client);
  raw_stop(s);
}

static void test_retry_time_ends_the_retries(void **state) {
  (void)state;
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", raw_free_port());
  swh_client *client = basic_client(url, 100000, 0.5);
  swh_error err;
  swh_error_init(&err);
  double start = fx_now_ms();
  assert_int_equal(swh_apps_list(client, NULL, &err), SWH_ERR_NETWORK);
  double elapsed = fx_now_ms() - start;
  assert_true(elapsed >= 500);
  assert_true(elapsed < 2500);
  assert_true(err.retryable);
  assert_non_null(strstr(err.message, " (gave up after "));
  if (!ends_with(err.message, " attempts: retry_time 0.5 s ran out)")) fail_msg("%s", err.message);
  swh_error_clear(&err);
  swh_client_free(client);
}

static void test_a_retry_after_past_the_budget_gives_up_at_once(void **state) {
  (void)state;
  raw_server *s = raw_start();
  raw_answer(s, 429, "Retry-After: 5\r\n",
             "{\"error\":{\"code\":429,\"message\":\"slow down\",\"status\":\"RESOURCE_EXHAUSTED\"}}");
  raw_run(s);
  swh_client *client = basic_client(s->url, 5, 1);
  swh_error err;
  swh_error_init(&err);
  double start = fx_now_ms();
  assert_int_equal(swh_apps_list(client, NULL, &err), SWH_ERR_HTTP);
  assert_true(fx_now_ms() - start < 1000);
  assert_int_equal(err.http_status, 429);
  assert_string_equal(err.message, "slow down (gave up after 1 attempt: retry_time 1 s ran out)");
  assert_int_equal(s->served, 1);
  swh_error_clear(&err);
  swh_client_free(client);
  raw_stop(s);
}

static void test_a_change_whose_answers_were_lost_may_have_been_applied(void **state) {
  (void)state;
  raw_server *s = raw_start();
  raw_special(s, RAW_DROP);
  s->repeat_last = true;
  raw_run(s);
  swh_client *client = basic_client(s->url, 3, 0);
  swh_error err;
  swh_error_init(&err);
  json_t *changes = json_pack("{s:s}", "target_type", "DISMISS");
  assert_int_equal(swh_webhook_update(client, "W", changes, NULL, &err), SWH_ERR_NETWORK);
  assert_string_equal(err.message,
                      "Empty reply from server (gave up after 3 attempts); it may have been "
                      "applied");
  assert_true(err.retryable);
  assert_int_equal(swh_webhook_delete(client, "W", &err), SWH_ERR_NETWORK);
  if (!ends_with(err.message, " (gave up after 3 attempts); it may have been applied"))
    fail_msg("%s", err.message);
  /* A read changes nothing: nothing to say. */
  assert_int_equal(swh_webhook_get(client, "W", NULL, &err), SWH_ERR_NETWORK);
  assert_string_equal(err.message, "Empty reply from server (gave up after 3 attempts)");
  swh_client_free(client);

  client = basic_client(s->url, 1, 0);
  assert_int_equal(swh_webhook_update(client, "W", changes, NULL, &err), SWH_ERR_NETWORK);
  assert_string_equal(err.message, "Empty reply from server; it may have been applied");
  json_decref(changes);
  swh_error_clear(&err);
  swh_client_free(client);
  raw_stop(s);
}

/* Creates that may have been made look first: when the time runs out, during the lookup or
   before it, the error says so and that nothing was made. */
static void test_a_create_out_of_time_says_it_was_not_made(void **state) {
  (void)state;
  raw_server *s = raw_start();
  for (int i = 0; i < RAW_MAX / 2; i++) {
    raw_special(s, RAW_DROP);
    raw_answer(s, 200, "", "{\"webhooks\":[]}");
  }
  raw_run(s);
  swh_client *client = basic_client(s->url, 100000, 0.3);
  swh_error err;
  swh_error_init(&err);
  json_t *body = json_pack("{s:s, s:s}", "app_id", "A", "target", "https://example.com/new");
  assert_int_equal(swh_webhook_create(client, body, NULL, &err), SWH_ERR_NETWORK);
  if (!ends_with(err.message, ": retry_time 0.3 s ran out); it was not made"))
    fail_msg("%s", err.message);
  assert_true(err.retryable);
  json_decref(body);
  swh_error_clear(&err);
  swh_client_free(client);
  raw_stop(s);
}

static void test_a_huge_answer_header_is_named_as_such(void **state) {
  (void)state;
  size_t size = 110 * 1024; /* past libcurl's 100 KB for one header */
  char *header = malloc(size + 16);
  memcpy(header, "X-Big: ", 7);
  memset(header + 7, 'a', size);
  strcpy(header + 7 + size, "\r\n");
  raw_server *s = raw_start();
  raw_answer(s, 200, header, "{}");
  raw_answer(s, 200, header, "{}");
  raw_run(s);
  free(header);
  swh_client *client = basic_client(s->url, 3, 0);
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swh_webhook_get(client, "W", NULL, &err), SWH_ERR_PROTOCOL);
  assert_string_equal(err.message, "the answer's headers were too large (libcurl takes at most "
                                   "100 KB in a header)");
  assert_false(err.retryable);
  assert_int_equal(s->served, 1); /* the same server would answer the same */
  json_t *changes = json_pack("{s:s}", "target_type", "DISMISS");
  assert_int_equal(swh_webhook_update(client, "W", changes, NULL, &err), SWH_ERR_PROTOCOL);
  assert_string_equal(err.message, "the answer's headers were too large (libcurl takes at most "
                                   "100 KB in a header); it may have been applied");
  json_decref(changes);
  swh_error_clear(&err);
  swh_client_free(client);
  raw_stop(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_the_retry_decision),
      cmocka_unit_test(test_the_default_budget_rides_out_a_restart),
      cmocka_unit_test(test_retry_time_ends_the_retries),
      cmocka_unit_test(test_a_retry_after_past_the_budget_gives_up_at_once),
      cmocka_unit_test(test_a_change_whose_answers_were_lost_may_have_been_applied),
      cmocka_unit_test(test_a_create_out_of_time_says_it_was_not_made),
      cmocka_unit_test(test_a_huge_answer_header_is_named_as_such),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
