/*
 * The client's reading of an answer: a 200's result (client_answer.h) and an error answer
 * in any form (swh_error_from_response: nested {"error":{…}}, flat {"code","message",
 * "status","details"}, OAuth2's, or not JSON at all). Input: a first line "STATUS OP"
 * ("200 list", "404 get"; OP is one of list create get update delete apps), then the body.
 * Promises checked: a 200 gives the operation's kind of result or a protocol error; an
 * error answer gives the kind its status calls for, an API status that looks like one,
 * details that are an array, and a message (and its formatted line) of one printable line.
 */
#include "fuzz.h"

#include <jansson.h>

#include "client_answer.h"
#include "swh_error.h"

static swh_op op_named(const char *name) {
  static const struct { const char *name; swh_op op; } ops[] = {
      {"list", SWH_OP_WEBHOOKS_LIST}, {"create", SWH_OP_WEBHOOK_CREATE},
      {"get", SWH_OP_WEBHOOK_GET},    {"update", SWH_OP_WEBHOOK_UPDATE},
      {"delete", SWH_OP_WEBHOOK_DELETE}, {"apps", SWH_OP_APPS_LIST}};
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
    if (name && strcmp(name, ops[i].name) == 0) return ops[i].op;
  return SWH_OP_WEBHOOK_GET;
}

static void read_success(swh_op op, const char *body, size_t len) {
  swh_transfer t;
  memset(&t, 0, sizeof t);
  t.status = 200;
  t.data = (char *)body;
  t.len = len;
  json_t *result = NULL;
  swh_error err;
  swh_error_init(&err);
  swh_status status = swhi_answer_parse_success(op, &t, &result, &err);
  if (status == SWH_OK) {
    bool list = op == SWH_OP_WEBHOOKS_LIST || op == SWH_OP_APPS_LIST;
    FUZZ_EXPECT(list ? json_is_array(result) : json_is_object(result), "the op's result kind");
    json_decref(result);
  } else {
    FUZZ_EXPECT(status == SWH_ERR_PROTOCOL || status == SWH_ERR_MEMORY, "kind %d", status);
    fuzz_check_message(err.message);
  }
  swh_error_clear(&err);
}

static void read_error(int http_status, const char *body, size_t len) {
  swh_error err;
  swh_error_init(&err);
  swh_status kind = swh_error_from_response(&err, http_status, body, len, "GET /v1/x");
  FUZZ_EXPECT(kind == err.kind, "the kind returned is the error's");
  FUZZ_EXPECT(kind == ((http_status == 401 || http_status == 403) ? SWH_ERR_AUTH : SWH_ERR_HTTP),
              "kind %d for HTTP %d", kind, http_status);
  FUZZ_EXPECT(err.http_status == http_status, "the HTTP status kept");
  for (const char *c = err.api_status; *c; c++)
    FUZZ_EXPECT((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_',
                "an API status, not \"%s\"", err.api_status);
  FUZZ_EXPECT(!err.details || json_is_array(err.details), "details an array");
  fuzz_check_message(err.message);
  char line[1024];
  swh_error_format(&err, line, sizeof line);
  fuzz_check_message(line);
  swh_error_clear(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_reader r;
  if (!fuzz_reader_init(&r, data, size)) return 0;
  char *first = fuzz_next_line(&r);
  int http_status = first ? atoi(first) : 0;
  if (http_status < 100 || http_status > 599) http_status = 500;
  const char *op = first ? strchr(first, ' ') : NULL;
  size_t len;
  const char *body = fuzz_rest(&r, &len);
  if (http_status == 200)
    read_success(op_named(op ? op + 1 : NULL), body, len);
  else
    read_error(http_status, body, len);
  fuzz_reader_free(&r);
  return 0;
}
