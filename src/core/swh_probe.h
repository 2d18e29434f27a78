/*
 * swh_probe: a pre-flight check of callback targets, for swh.verify (lua/swh/verify.lua):
 * for each, DNS, connect, TLS (the certificate checked for the host, and its expiry) and
 * one HTTP POST of a body that is no event, all targets at once on one curl multi handle.
 */
#ifndef SWH_PROBE_H
#define SWH_PROBE_H

#include <stdbool.h>

#include <jansson.h>

#include "swh_error.h"

typedef struct swh_probe_options {
  long timeout_ms;       /* per target, all stages (0: 10000) */
  const char *ca_file;   /* trusted CAs instead of the system's (tests), or NULL */
  bool signed_event;     /* POST a signed test event to targets with a secret */
} swh_probe_options;

/*
 * targets: an array of {"url": "https://…", "secret": "…"?} (borrowed). Returns a new array
 * of results in the same order:
 *   {"url", "stage": "ok"|"dns"|"connect"|"tls"|"timeout"|"http", "error"?: curl's words,
 *    "status": HTTP status (0: none), "signed": bool (the POST carried a valid signature),
 *    "dns_ms", "connect_ms", "tls_ms", "total_ms",
 *    "certificate"?: {"expires": "2027-12-01T23:00:00Z", "days_left": N (whole days,
 *                     toward zero: -1 a day after it expired), "expired": bool, "subject"}}
 * "stage" names where it failed ("ok": an HTTP answer came, whatever its status); for a TLS
 * failure the certificate is read again without checking it, so an expired one still says
 * when it expired. The unsigned POST's body is {"swh_verify":"…"}: no event, no signature
 * headers; the signed one is a test event (doc/CALLBACKS.md) signed with the target's
 * secret. NULL with err: SWH_ERR_USAGE (not an array of objects with a "url"),
 * SWH_ERR_MEMORY.
 */
json_t *swh_probe(const json_t *targets, const swh_probe_options *options, swh_error *err);

#endif
