/* client_answer: the result, the transport error and the retry delay of a transfer. */
#include "client_answer.h"

swh_status swhi_answer_parse_success(swh_op op, const swh_transfer *t, json_t **result,
                                    swh_error *err) {
  json_error_t jerr;
  json_t *answer = json_loadb(t->data ? t->data : "", t->len, JSON_DECODE_ANY, &jerr);
  if (!answer)
    /* The position only: jansson's text quotes the body, which may hold a secret. */
    return swh_error_set(err, SWH_ERR_PROTOCOL,
                         "the answer (200, %zu bytes) is not JSON (line %d, column %d)",
                         t->len, jerr.line, jerr.column);
  const char *key = NULL;
  if (op == SWH_OP_WEBHOOKS_LIST) key = "webhooks";
  if (op == SWH_OP_APPS_LIST) key = "apps";
  if (!json_is_object(answer)) {
    json_decref(answer);
    return swh_error_set(err, SWH_ERR_PROTOCOL, "the answer (200) is JSON but not an object");
  }
  if (!key) {
    *result = answer;
    return SWH_OK;
  }
  json_t *list = json_object_get(answer, key);
  if (list && !json_is_array(list)) {
    json_decref(answer);
    return swh_error_set(err, SWH_ERR_PROTOCOL,
                         "the answer (200) has \"%s\" but it is not an array", key);
  }
  /* The API leaves out an empty list's key. */
  *result = list ? json_incref(list) : json_array();
  json_decref(answer);
  if (!*result) return swh_error_set(err, SWH_ERR_MEMORY, "out of memory reading an answer");
  return SWH_OK;
}

const char *swhi_answer_transport_detail(const swh_transfer *t, CURLcode code) {
  /* libcurl's own words for our refusal of its resend ("operation aborted by pre-request
     callback") would say nothing to the reader */
  if (swhi_transfer_resend_refused(t, code))
    return "the connection closed before the answer came";
  return t->errbuf[0] ? t->errbuf : curl_easy_strerror(code);
}

bool swhi_answer_transport_error(const swh_transfer *t, CURLcode code, swh_error *err) {
  if (t->too_big) {
    swh_error_set(err, SWH_ERR_PROTOCOL, "the answer was larger than %u bytes",
                  (unsigned)SWH_ANSWER_MAX);
    err->retryable = false;
    return true;
  }
  if (swhi_transfer_header_too_large(t, code)) {
    swh_error_set(err, SWH_ERR_PROTOCOL,
                  "the answer's headers were too large (libcurl takes at most 100 KB in a "
                  "header)");
    return true;
  }
  const char *detail = swhi_answer_transport_detail(t, code);
  if (code == CURLE_OPERATION_TIMEDOUT)
    swh_error_set(err, SWH_ERR_TIMEOUT, "no answer in time: %s", detail);
  else if (swhi_transfer_tls_refused(code))
    swh_error_set(err, SWH_ERR_TLS, "%s", detail);
  else if (t->out_of_memory)
    swh_error_set(err, SWH_ERR_MEMORY, "out of memory storing the answer");
  else if (code == CURLE_OUT_OF_MEMORY)
    swh_error_set(err, SWH_ERR_MEMORY, "out of memory in libcurl");
  else
    swh_error_set(err, SWH_ERR_NETWORK, "%s", detail);
  /* A connect that failed when libcurl reconnected to resend (sends > 0) follows a send
     that may have been applied. */
  return !swhi_transfer_failed_before_sending(code) || t->sends > 0;
}

double swhi_answer_retry_delay(swh_rng *rng, const swh_transfer *t, int attempt, bool *firm) {
  *firm = t->status == 429 && t->retry_after_ms >= 0;
  if (*firm)
    return t->retry_after_ms > SWH_RETRY_AFTER_MAX_MS ? SWH_RETRY_AFTER_MAX_MS
                                                      : t->retry_after_ms;
  return swhi_backoff_ms(rng, attempt);
}
