/* Unit tests of swh_error: kinds, set, move, format, and parsing every form of error body. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixtures.h"
#include "swh_error.h"

#define NOT_FOUND_NESTED \
  "{\"error\":{\"code\":404,\"message\":\"Webhook not found\",\"status\":\"NOT_FOUND\",\"details\":[]}}"

static swh_status from_text(swh_error *err, int status, const char *body, const char *req) {
  return swh_error_from_response(err, status, body, body ? strlen(body) : 0, req);
}

static void test_kind_names_and_defaults(void **state) {
  (void)state;
  assert_string_equal(swh_error_kind_name(SWH_OK), "ok");
  assert_string_equal(swh_error_kind_name(SWH_ERR_USAGE), "usage");
  assert_string_equal(swh_error_kind_name(SWH_ERR_MEMORY), "memory");
  assert_string_equal(swh_error_kind_name(SWH_ERR_HTTP), "http");
  assert_string_equal(swh_error_kind_name(SWH_ERR_NETWORK), "network");
  assert_string_equal(swh_error_kind_name(SWH_ERR_TIMEOUT), "timeout");
  assert_string_equal(swh_error_kind_name(SWH_ERR_AUTH), "auth");
  assert_string_equal(swh_error_kind_name(SWH_ERR_VALIDATION), "validation");
  assert_string_equal(swh_error_kind_name(SWH_ERR_PROTOCOL), "protocol");
  assert_string_equal(swh_error_kind_name(SWH_ERROR_KIND_COUNT), "unknown");
  assert_string_equal(swh_error_kind_name((swh_status)-1), "unknown");
  assert_true(swh_error_kind_retryable(SWH_ERR_NETWORK));
  assert_true(swh_error_kind_retryable(SWH_ERR_TIMEOUT));
  assert_false(swh_error_kind_retryable(SWH_ERR_HTTP));
  assert_false(swh_error_kind_retryable(SWH_ERR_VALIDATION));
  assert_false(swh_error_kind_retryable(SWH_ERROR_KIND_COUNT));
}

static void test_init_is_ok_and_empty(void **state) {
  (void)state;
  swh_error err;
  memset(&err, 0x5a, sizeof err);
  swh_error_init(&err);
  assert_int_equal(err.kind, SWH_OK);
  assert_int_equal(err.http_status, 0);
  assert_string_equal(err.message, "");
  assert_string_equal(err.api_status, "");
  assert_string_equal(err.request, "");
  assert_null(err.details);
  assert_false(err.retryable);
  char buf[64];
  assert_string_equal(swh_error_format(&err, buf, sizeof buf), "ok");
}

static void test_set_formats_and_keeps_context(void **state) {
  (void)state;
  swh_error err;
  swh_error_init(&err);
  strcpy(err.request, "GET /v1/projects/p/webhooks/X");
  err.http_status = 0;
  assert_int_equal(swh_error_set(&err, SWH_ERR_NETWORK, "Could not connect to %s:%d",
                                 "127.0.0.1", 1),
                   SWH_ERR_NETWORK);
  assert_int_equal(err.kind, SWH_ERR_NETWORK);
  assert_true(err.retryable);
  assert_string_equal(err.message, "Could not connect to 127.0.0.1:1");
  assert_string_equal(err.request, "GET /v1/projects/p/webhooks/X");
  char buf[256];
  assert_string_equal(swh_error_format(&err, buf, sizeof buf),
                      "network: Could not connect to 127.0.0.1:1 [GET /v1/projects/p/webhooks/X]");
  assert_int_equal(swh_error_set(NULL, SWH_ERR_USAGE, "ignored"), SWH_ERR_USAGE);
  swh_error_clear(&err);
}

static void test_set_makes_one_line_and_truncates_cleanly(void **state) {
  (void)state;
  swh_error err;
  swh_error_init(&err);
  swh_error_set(&err, SWH_ERR_VALIDATION, "line one\nline\ttwo\r");
  assert_string_equal(err.message, "line one line two ");
  /* A message longer than the buffer is cut, never in the middle of a UTF-8 character. */
  char big[SWH_ERROR_MESSAGE_MAX * 2];
  size_t i = 0;
  big[i++] = 'x';
  big[i++] = 'y';
  while (i + 2 < sizeof big) {
    big[i++] = (char)0xC3; /* é */
    big[i++] = (char)0xA9;
  }
  big[i] = '\0';
  swh_error_set(&err, SWH_ERR_VALIDATION, "%s", big);
  size_t len = strlen(err.message);
  assert_true(len <= SWH_ERROR_MESSAGE_MAX - 1);
  assert_int_equal(len, SWH_ERROR_MESSAGE_MAX - 2); /* 'xy' + whole é's, the cut half dropped */
  assert_int_equal((unsigned char)err.message[len - 1], 0xA9);
  swh_error_clear(&err);
}

static void test_move_and_clear(void **state) {
  (void)state;
  swh_error a, b;
  swh_error_init(&a);
  swh_error_init(&b);
  from_text(&a, 404, NOT_FOUND_NESTED, "GET /x");
  from_text(&b, 500, "{\"error\":{\"message\":\"old\",\"details\":[1]}}", NULL);
  assert_non_null(b.details);
  swh_error_move(&b, &a); /* b's details are freed (ASan checks), a's move over */
  assert_int_equal(b.http_status, 404);
  assert_string_equal(b.message, "Webhook not found");
  assert_non_null(b.details);
  assert_int_equal(a.kind, SWH_OK);
  assert_null(a.details);
  assert_string_equal(a.message, "");
  swh_error_move(&b, &b); /* moving onto itself changes nothing */
  assert_int_equal(b.http_status, 404);
  swh_error_clear(&b);
  assert_int_equal(b.kind, SWH_OK);
  assert_null(b.details);
  swh_error_clear(&b); /* twice is safe */
}

static void test_copy_shares_the_details(void **state) {
  (void)state;
  swh_error a, b;
  swh_error_init(&a);
  swh_error_init(&b);
  from_text(&a, 404,
            "{\"error\":{\"code\":404,\"message\":\"Webhook not found\","
            "\"status\":\"NOT_FOUND\",\"details\":[{\"k\":1},{\"k\":2}]}}",
            "GET /x");
  from_text(&b, 500, "{\"error\":{\"message\":\"old\",\"details\":[1]}}", NULL);
  swh_error_copy(&b, &a); /* b's own details are freed (ASan checks), a's are shared */
  assert_int_equal(b.kind, SWH_ERR_HTTP);
  assert_int_equal(b.http_status, 404);
  assert_string_equal(b.api_status, "NOT_FOUND");
  assert_string_equal(b.message, "Webhook not found");
  assert_string_equal(b.request, "GET /x");
  assert_ptr_equal(b.details, a.details);
  swh_error_clear(&a); /* b still holds its reference (LeakSanitizer and ASan check) */
  assert_int_equal(json_array_size(b.details), 2);
  swh_error_copy(&b, &b); /* copying onto itself changes nothing */
  assert_int_equal(b.http_status, 404);
  swh_error_clear(&b);
}

static void test_nested_form(void **state) {
  (void)state;
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(from_text(&err, 404, NOT_FOUND_NESTED, "GET /v1/projects/p/webhooks/X"),
                   SWH_ERR_HTTP);
  assert_int_equal(err.kind, SWH_ERR_HTTP);
  assert_int_equal(err.http_status, 404);
  assert_string_equal(err.api_status, "NOT_FOUND");
  assert_string_equal(err.message, "Webhook not found");
  assert_string_equal(err.request, "GET /v1/projects/p/webhooks/X");
  assert_false(err.retryable);
  assert_true(json_is_array(err.details));
  assert_int_equal(json_array_size(err.details), 0);
  char buf[256];
  assert_string_equal(swh_error_format(&err, buf, sizeof buf),
                      "NOT_FOUND (404): Webhook not found [GET /v1/projects/p/webhooks/X]");
  swh_error_clear(&err);
}

static void test_flat_form(void **state) {
  (void)state;
  swh_error err;
  swh_error_init(&err);
  from_text(&err, 400,
            "{\"code\":400,\"message\":\"Malformed request\",\"status\":\"INVALID_REQUEST\","
            "\"details\":[{\"@type\":\"x\",\"field\":\"target\"}]}",
            "POST /v1/projects/p/webhooks");
  assert_int_equal(err.kind, SWH_ERR_HTTP);
  assert_int_equal(err.http_status, 400);
  assert_string_equal(err.api_status, "INVALID_REQUEST");
  assert_string_equal(err.message, "Malformed request");
  assert_int_equal(json_array_size(err.details), 1);
  assert_string_equal(json_string_value(json_object_get(json_array_get(err.details, 0), "field")),
                      "target");
  char buf[256];
  assert_string_equal(swh_error_format(&err, buf, sizeof buf),
                      "INVALID_REQUEST (400): Malformed request [POST /v1/projects/p/webhooks]");
  swh_error_clear(&err);
}

static void test_kinds_and_retryable_by_status(void **state) {
  (void)state;
  static const struct {
    int status;
    swh_status kind;
    bool retryable;
  } cases[] = {
      {400, SWH_ERR_HTTP, false}, {401, SWH_ERR_AUTH, false}, {403, SWH_ERR_AUTH, false},
      {404, SWH_ERR_HTTP, false}, {409, SWH_ERR_HTTP, false}, {429, SWH_ERR_HTTP, true},
      {500, SWH_ERR_HTTP, true},  {501, SWH_ERR_HTTP, false}, {502, SWH_ERR_HTTP, true},
      {503, SWH_ERR_HTTP, true},  {504, SWH_ERR_HTTP, true},  {505, SWH_ERR_HTTP, false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    swh_error err;
    swh_error_init(&err);
    assert_int_equal(from_text(&err, cases[i].status, NOT_FOUND_NESTED, NULL), cases[i].kind);
    assert_int_equal(err.kind, cases[i].kind);
    assert_int_equal(err.http_status, cases[i].status);
    assert_int_equal(err.retryable, cases[i].retryable);
    swh_error_clear(&err);
  }
}

static void test_unauthenticated_formats_with_status(void **state) {
  (void)state;
  swh_error err;
  swh_error_init(&err);
  from_text(&err, 401,
            "{\"error\":{\"code\":401,\"message\":\"Invalid credentials\",\"status\":"
            "\"UNAUTHENTICATED\"}}",
            "GET /v1/projects/p/apps");
  assert_int_equal(err.kind, SWH_ERR_AUTH);
  assert_null(err.details); /* absent details stay NULL */
  char buf[256];
  assert_string_equal(swh_error_format(&err, buf, sizeof buf),
                      "UNAUTHENTICATED (401): Invalid credentials [GET /v1/projects/p/apps]");
  swh_error_clear(&err);
}

static void test_html_body(void **state) {
  (void)state;
  swh_error err;
  swh_error_init(&err);
  const char *html = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
                     "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>"
                     "\r\n</body>\r\n</html>\r\n";
  from_text(&err, 502, html, "GET /v1/projects/p/apps");
  assert_int_equal(err.kind, SWH_ERR_HTTP);
  assert_true(err.retryable);
  assert_string_equal(err.api_status, "");
  assert_null(err.details);
  assert_string_equal(err.message,
                      "HTTP 502 with a non-JSON body: <html> <head><title>502 Bad Gateway</title>"
                      "</head> <body> <cente...");
  char buf[512];
  assert_string_equal(swh_error_format(&err, buf, sizeof buf),
                      "http (502): HTTP 502 with a non-JSON body: <html> <head><title>502 Bad "
                      "Gateway</title></head> <body> <cente... [GET /v1/projects/p/apps]");
  swh_error_clear(&err);
}

static void test_empty_and_null_body(void **state) {
  (void)state;
  swh_error err;
  swh_error_init(&err);
  from_text(&err, 503, "", NULL);
  assert_string_equal(err.message, "HTTP 503 with an empty body");
  assert_true(err.retryable);
  swh_error_from_response(&err, 500, NULL, 10, NULL);
  assert_string_equal(err.message, "HTTP 500 with an empty body");
  char buf[128];
  assert_string_equal(swh_error_format(&err, buf, sizeof buf),
                      "http (500): HTTP 500 with an empty body");
  swh_error_clear(&err);
}

static void test_cut_off_json(void **state) {
  (void)state;
  swh_error err;
  swh_error_init(&err);
  from_text(&err, 404, "{\"error\":{\"code\":404,\"mess", NULL);
  assert_string_equal(err.message,
                      "HTTP 404 with a cut-off JSON body: {\"error\":{\"code\":404,\"mess");
  assert_string_equal(err.api_status, "");
  assert_null(err.details);
  /* The body need not be NUL-terminated: only body_len bytes are read. */
  char raw[] = {'{', '"', 'a', '"', ':', '1', '}', 'X', 'X'};
  swh_error_from_response(&err, 400, raw, 7, NULL);
  assert_string_equal(err.message, "HTTP 400 with a JSON body that is not an API error: {\"a\":1}");
  swh_error_clear(&err);
}

static void test_json_that_is_not_an_error(void **state) {
  (void)state;
  swh_error err;
  swh_error_init(&err);
  from_text(&err, 500, "[1,2,3]", NULL);
  assert_string_equal(err.message, "HTTP 500 with a JSON body that is not an API error: [1,2,3]");
  from_text(&err, 500, "\"oops\"", NULL);
  assert_string_equal(err.message, "HTTP 500 with a JSON body that is not an API error: \"oops\"");
  from_text(&err, 500, "{\"error\":42}", NULL);
  assert_string_equal(err.message,
                      "HTTP 500 with a JSON body that is not an API error: {\"error\":42}");
  from_text(&err, 500, "{}", NULL);
  assert_string_equal(err.message, "HTTP 500 with a JSON body that is not an API error: {}");
  assert_string_equal(err.api_status, "");
  assert_null(err.details);
  swh_error_clear(&err);
}

static void test_wrong_field_types(void **state) {
  (void)state;
  swh_error err;
  swh_error_init(&err);
  from_text(&err, 404, "{\"error\":{\"code\":\"x\",\"message\":7,\"status\":[],\"details\":\"d\"}}",
            NULL);
  assert_string_equal(err.message, "HTTP 404, and the API error has no message");
  assert_string_equal(err.api_status, "");
  /* Details that are not an array are kept, wrapped in one. */
  assert_int_equal(json_array_size(err.details), 1);
  assert_string_equal(json_string_value(json_array_get(err.details, 0)), "d");
  char buf[256];
  assert_string_equal(swh_error_format(&err, buf, sizeof buf),
                      "http (404): HTTP 404, and the API error has no message");
  from_text(&err, 400, "{\"status\":\"INVALID_ARGUMENT\",\"message\":\"\",\"details\":null}",
            NULL);
  assert_string_equal(err.api_status, "INVALID_ARGUMENT");
  assert_string_equal(err.message, "HTTP 400, and the API error has no message");
  assert_null(err.details);
  swh_error_clear(&err);
}

static void test_odd_status_values_are_not_kept(void **state) {
  (void)state;
  swh_error err;
  swh_error_init(&err);
  from_text(&err, 400, "{\"error\":{\"message\":\"m\",\"status\":\"not found\"}}", NULL);
  assert_string_equal(err.api_status, "");
  from_text(&err, 400,
            "{\"error\":{\"message\":\"m\",\"status\":"
            "\"A_STATUS_FAR_TOO_LONG_TO_BE_ONE_OF_THE_API_STATUSES_X\"}}",
            NULL);
  assert_string_equal(err.api_status, "");
  from_text(&err, 400, "{\"error\":{\"message\":\"m\",\"status\":\"\"}}", NULL);
  assert_string_equal(err.api_status, "");
  char buf[128];
  assert_string_equal(swh_error_format(&err, buf, sizeof buf), "http (400): m");
  swh_error_clear(&err);
}

static void test_message_with_control_characters(void **state) {
  (void)state;
  swh_error err;
  swh_error_init(&err);
  from_text(&err, 400,
            "{\"error\":{\"message\":\"bad\\n\\n  target\\u0000here\\u001b[31m\",\"status\":"
            "\"INVALID_ARGUMENT\"}}",
            NULL);
  assert_string_equal(err.message, "bad target here [31m");
  swh_error_clear(&err);
}

static void test_oauth_error_form(void **state) {
  (void)state;
  swh_error err;
  swh_error_init(&err);
  from_text(&err, 401,
            "{\"error\":\"invalid_client\",\"error_description\":\"Client authentication failed\"}",
            "POST /oauth2/token");
  assert_int_equal(err.kind, SWH_ERR_AUTH);
  assert_string_equal(err.message, "invalid_client: Client authentication failed");
  assert_string_equal(err.api_status, "");
  char buf[256];
  assert_string_equal(swh_error_format(&err, buf, sizeof buf),
                      "auth (401): invalid_client: Client authentication failed "
                      "[POST /oauth2/token]");
  from_text(&err, 400, "{\"error\":\"invalid_request\"}", NULL);
  assert_string_equal(err.message, "invalid_request");
  swh_error_clear(&err);
}

/* Found by spec/fuzz (fuzz_answer): an empty OAuth2 code left an empty message. */
static void test_oauth_error_without_code(void **state) {
  (void)state;
  swh_error err;
  swh_error_init(&err);
  from_text(&err, 401, "{\"error\":\"\"}", NULL);
  assert_int_equal(err.kind, SWH_ERR_AUTH);
  assert_string_equal(err.message, "HTTP 401, and the OAuth2 error has no code");
  from_text(&err, 400, "{\"error\":\"\",\"error_description\":\"Bad grant\"}", NULL);
  assert_string_equal(err.message, "Bad grant");
  swh_error_clear(&err);
}

static void test_huge_bodies(void **state) {
  (void)state;
  swh_error err;
  swh_error_init(&err);
  /* Over the parse limit: quoted, not parsed. */
  size_t big = 2 * 1024 * 1024;
  char *body = malloc(big);
  assert_non_null(body);
  memset(body, 'A', big);
  swh_error_from_response(&err, 413, body, big, NULL);
  assert_string_equal(err.message,
                      "HTTP 413 with a 2097152-byte body, too large for an API error: "
                      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA...");
  /* Under the limit, a message longer than the error's buffer is cut cleanly. */
  size_t n = 100000;
  char *json = malloc(n + 64);
  assert_non_null(json);
  int head = snprintf(json, 64, "{\"error\":{\"status\":\"INTERNAL\",\"message\":\"");
  memset(json + head, 'm', n);
  strcpy(json + head + n, "\"}}");
  from_text(&err, 500, json, NULL);
  assert_string_equal(err.api_status, "INTERNAL");
  assert_int_equal(strlen(err.message), SWH_ERROR_MESSAGE_MAX - 1);
  assert_string_equal(err.message + SWH_ERROR_MESSAGE_MAX - 4, "...");
  free(json);
  free(body);
  swh_error_clear(&err);
}

static void test_binary_garbage(void **state) {
  (void)state;
  swh_error err;
  swh_error_init(&err);
  const char garbage[] = {'\x1f', '\x8b', '\x08', '\0', 'o', 'k', '\xff', '\xc3', '\xa9', ' ',
                          '\t',   '\n',   'e',    'n', 'd', '\xe2', '\x82'};
  swh_error_from_response(&err, 502, garbage, sizeof garbage, NULL);
  /* Control bytes become one space, invalid bytes '?', the cut € at the end '?' '?', é kept. */
  assert_string_equal(err.message, "HTTP 502 with a non-JSON body: ? ok?\xc3\xa9 end??");
  swh_error_clear(&err);
}

static void test_request_kept_or_replaced(void **state) {
  (void)state;
  swh_error err;
  swh_error_init(&err);
  strcpy(err.request, "DELETE /v1/projects/p/webhooks/Z");
  from_text(&err, 404, NOT_FOUND_NESTED, NULL);
  assert_string_equal(err.request, "DELETE /v1/projects/p/webhooks/Z");
  from_text(&err, 404, NOT_FOUND_NESTED, "GET /a\nb");
  assert_string_equal(err.request, "GET /a b");
  swh_error_clear(&err);
  assert_int_equal(swh_error_from_response(NULL, 404, "", 0, NULL), SWH_ERR_HTTP);
}

static void test_format_truncates(void **state) {
  (void)state;
  swh_error err;
  swh_error_init(&err);
  from_text(&err, 404, NOT_FOUND_NESTED, "GET /v1/projects/p/webhooks/X");
  char buf[20];
  assert_string_equal(swh_error_format(&err, buf, sizeof buf), "NOT_FOUND (404): We");
  char tiny[1];
  assert_string_equal(swh_error_format(&err, tiny, sizeof tiny), "");
  assert_null(swh_error_format(&err, NULL, 10));
  char buf2[32];
  assert_string_equal(swh_error_format(NULL, buf2, sizeof buf2), "unknown error");
  swh_error_set(&err, SWH_ERR_VALIDATION, "webhook.target: required");
  err.http_status = 0;
  err.request[0] = '\0';
  char buf3[64];
  assert_string_equal(swh_error_format(&err, buf3, sizeof buf3),
                      "validation: webhook.target: required");
  swh_error_clear(&err);
}

static void test_allocation_failure_only_loses_details(void **state) {
  (void)state;
  static const char *const bodies[] = {
      NOT_FOUND_NESTED,
      "{\"error\":{\"code\":400,\"message\":\"Bad\",\"status\":\"INVALID_ARGUMENT\","
      "\"details\":{\"field\":\"target\"}}}",
  };
  for (size_t b = 0; b < sizeof bodies / sizeof bodies[0]; b++) {
    bool complete = false;
    for (long n = 0; n < 200 && !complete; n++) {
      swh_error err;
      swh_error_init(&err);
      fx_allocations_fail(n);
      swh_status kind = from_text(&err, 404, bodies[b], "GET /x");
      fx_allocations_fail(-1);
      /* Whatever failed, the error is whole: kind, status, request and a message. */
      assert_int_equal(kind, SWH_ERR_HTTP);
      assert_int_equal(err.http_status, 404);
      assert_string_equal(err.request, "GET /x");
      /* jansson reports most allocation failures as syntax errors, so the body may then be
         described as not JSON; it is still quoted, so the server's words are not lost. */
      if (err.details)
        assert_string_equal(err.message, b == 0 ? "Webhook not found" : "Bad");
      else
        assert_true(strncmp(err.message, "HTTP 404", 8) == 0 ||
                    strcmp(err.message, b == 0 ? "Webhook not found" : "Bad") == 0);
      complete = err.details != NULL;
      swh_error_clear(&err);
    }
    assert_true(complete);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kind_names_and_defaults),
      cmocka_unit_test(test_init_is_ok_and_empty),
      cmocka_unit_test(test_set_formats_and_keeps_context),
      cmocka_unit_test(test_set_makes_one_line_and_truncates_cleanly),
      cmocka_unit_test(test_move_and_clear),
      cmocka_unit_test(test_copy_shares_the_details),
      cmocka_unit_test(test_nested_form),
      cmocka_unit_test(test_flat_form),
      cmocka_unit_test(test_kinds_and_retryable_by_status),
      cmocka_unit_test(test_unauthenticated_formats_with_status),
      cmocka_unit_test(test_html_body),
      cmocka_unit_test(test_empty_and_null_body),
      cmocka_unit_test(test_cut_off_json),
      cmocka_unit_test(test_json_that_is_not_an_error),
      cmocka_unit_test(test_wrong_field_types),
      cmocka_unit_test(test_odd_status_values_are_not_kept),
      cmocka_unit_test(test_message_with_control_characters),
      cmocka_unit_test(test_oauth_error_form),
      cmocka_unit_test(test_oauth_error_without_code),
      cmocka_unit_test(test_huge_bodies),
      cmocka_unit_test(test_binary_garbage),
      cmocka_unit_test(test_request_kept_or_replaced),
      cmocka_unit_test(test_format_truncates),
      cmocka_unit_test(test_allocation_failure_only_loses_details),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
