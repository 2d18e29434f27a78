/*
 * emu_delivery: the emulator's callbacks, sent as Sinch sends them (doc/CALLBACKS.md): a POST
 * of the event body to a webhook's target, signed with its secret (swh_signature.h) and,
 * for a webhook with client_credentials, with a Bearer token fetched from its endpoint and
 * cached until it expires. Retried on 5xx, 429 and network errors with back-off (the first
 * retry retry_ms after the failure, then doubling: Sinch's documented 5 s, 10 s, 20 s ...),
 * at most `attempts` attempts; other answers are final.
 *
 * It runs on its own thread with one libcurl multi handle, so callbacks go out many at a
 * time beside the API's threads without taking any lock they hold. Every outcome goes to
 * the delivery log (the last EMU_DELIVERY_LOG_MAX), readable back as JSON.
 */
#ifndef EMU_DELIVERY_H
#define EMU_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "swh_error.h"

#define EMU_DELIVERY_LOG_MAX 100000
#define EMU_DELIVERY_RETRY_MS 5000 /* Sinch's first retry (doc/CALLBACKS.md) */
#define EMU_DELIVERY_ATTEMPTS 15   /* 5 s doubling: the last about 22 h 45 min after */

typedef struct emu_delivery emu_delivery;

/* Starts the delivery thread. retry_ms: the first retry's delay (0: EMU_DELIVERY_RETRY_MS);
   attempts: at most this many (0: EMU_DELIVERY_ATTEMPTS). NULL with err on failure. */
emu_delivery *emu_delivery_start(int retry_ms, int attempts, swh_error *err);

/* Stops the thread; callbacks not yet delivered are dropped. NULL is a no-op. */
void emu_delivery_stop(emu_delivery *delivery);

/* One webhook to deliver to (all borrowed; copied by emu_delivery_send). */
typedef struct emu_delivery_target {
  const char *webhook_id;
  const char *target;
  const char *secret;               /* NULL or "": unsigned */
  const json_t *client_credentials; /* NULL: no OAuth2 */
} emu_delivery_target;

/* Queues body (len bytes, copied once for all) for each target, to go at least delay_ms
   from now (a steady rate spreads a load this way). SWH_ERR_MEMORY when it cannot. */
swh_status emu_delivery_send(emu_delivery *delivery, const char *trigger,
                             const emu_delivery_target *targets, size_t count,
                             const char *body, size_t len, long delay_ms, swh_error *err);

/* {"pending":N,"delivered":N,"failed":N,"deliveries":[{"trigger","webhook_id","target",
   "outcome":"delivered"|"failed"|"gave_up","status":HTTP or 0,"error"?,"attempts",
   "latency_ms","elapsed_ms"},…]} with the last `limit` outcomes, oldest first (limit <= 0:
   all that are kept). NULL when out of memory. */
json_t *emu_delivery_log(emu_delivery *delivery, long limit);

/* Waits until nothing is pending, at most timeout_ms; whether nothing is. */
bool emu_delivery_wait(emu_delivery *delivery, long timeout_ms);

#endif
