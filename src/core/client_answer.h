/*
 * client_answer: what a finished transfer means, read without the client's state: the
 * result of a 200 answer, the error of a transfer that got no HTTP answer, and how long to
 * wait before trying again. Private to the client.
 */
#ifndef SWH_CLIENT_ANSWER_H
#define SWH_CLIENT_ANSWER_H

#include <stdbool.h>

#include <curl/curl.h>
#include <jansson.h>

#include "client_pacing.h"
#include "client_transfer.h"
#include "swh_client.h"
#include "swh_error.h"

/*
 * What a 200 answer's JSON must be for each operation, turned into the call's result: the
 * "webhooks" or "apps" array of a list (an empty array when the key is absent), else the
 * object itself. Returns SWH_OK with *result set (the caller owns it); otherwise err is
 * filled (SWH_ERR_PROTOCOL, never quoting the body, or SWH_ERR_MEMORY) and *result holds
 * nothing for the caller to free.
 */
swh_status swhi_answer_parse_success(swh_op op, const swh_transfer *t, json_t **result,
                                    swh_error *err);

/* What went wrong with a transfer that got no answer, in words for a message or the trace:
   curl's error text, or what our refusal of libcurl's resend means. */
const char *swhi_answer_transport_detail(const swh_transfer *t, CURLcode code);

/*
 * Fills err for a transfer that got no HTTP answer (code is curl's result): kind timeout,
 * network or memory; tls for a refused certificate; protocol for an answer past
 * SWH_ANSWER_MAX or a header past libcurl's limit (those three not retryable). Returns
 * whether the request may have been applied.
 */
bool swhi_answer_transport_error(const swh_transfer *t, CURLcode code, swh_error *err);

/* Milliseconds to wait before attempt + 1: a 429's Retry-After (clamped to
   SWH_RETRY_AFTER_MAX_MS) when it sent one (*firm is then true), else back-off with full
   jitter from rng. */
double swhi_answer_retry_delay(swh_rng *rng, const swh_transfer *t, int attempt, bool *firm);

#endif
