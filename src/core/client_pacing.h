/*
 * client_pacing: the clocks and counters that decide when the client may send: a monotonic
 * clock, a token bucket for the requests-per-second limit, and exponential back-off with
 * full jitter for retries. Private to the client; no curl, no I/O, no global state.
 */
#ifndef SWH_CLIENT_PACING_H
#define SWH_CLIENT_PACING_H

#include <stdint.h>

/* Milliseconds on a monotonic clock (never jumps with the wall clock). */
double swh_now_ms(void);

/* A token bucket: `rate` tokens per second, holding at most `capacity`. */
typedef struct swh_bucket {
  double rate;      /* tokens per second, > 0 */
  double capacity;  /* >= 1 */
  double tokens;
  double last_ms;   /* when tokens was last refilled */
} swh_bucket;

/* A full bucket, so a burst of `capacity` requests goes out at once. */
void swh_bucket_init(swh_bucket *bucket, double rate, double capacity, double now_ms);

/* Takes one token if there is one (returns 1), else returns 0. */
int swh_bucket_take(swh_bucket *bucket, double now_ms);

/* Milliseconds until a token is available (0 when one is). */
double swh_bucket_wait_ms(swh_bucket *bucket, double now_ms);

/* A small per-client random generator (xorshift64*), seeded from OpenSSL's RAND_bytes, so
   jitter needs no global state. */
typedef struct swh_rng {
  uint64_t state;
} swh_rng;

void swh_rng_seed(swh_rng *rng);

/* A uniform double in [0, 1). */
double swh_rng_unit(swh_rng *rng);

#define SWH_BACKOFF_BASE_MS 100.0
#define SWH_BACKOFF_CAP_MS 10000.0
/* The most a Retry-After may make us wait; a larger value is clamped to this. */
#define SWH_RETRY_AFTER_MAX_MS 120000.0

/* Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))], attempt counting from 1. */
double swh_backoff_ms(swh_rng *rng, int attempt);

#endif
