/* client_pacing: monotonic clock, token bucket, back-off with full jitter. */
#define _POSIX_C_SOURCE 200809L
#include "client_pacing.h"

#include <time.h>

#include <openssl/rand.h>

double swhi_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void swhi_bucket_init(swh_bucket *bucket, double rate, double capacity, double now_ms) {
  bucket->rate = rate;
  bucket->ceiling = rate;
  bucket->capacity = capacity < 1.0 ? 1.0 : capacity;
  bucket->tokens = bucket->capacity;
  bucket->last_ms = now_ms;
  bucket->slowed_ms = -1.0;
}

static void bucket_refill(swh_bucket *bucket, double now_ms) {
  if (now_ms > bucket->last_ms) {
    double seconds = (now_ms - bucket->last_ms) / 1000.0;
    bucket->tokens += seconds * bucket->rate;
    if (bucket->tokens > bucket->capacity) bucket->tokens = bucket->capacity;
    if (bucket->rate < bucket->ceiling) {
      bucket->rate += seconds * bucket->ceiling * SWH_RATE_CLIMB;
      if (bucket->rate > bucket->ceiling) bucket->rate = bucket->ceiling;
    }
  }
  bucket->last_ms = now_ms;
}

void swhi_bucket_slow_down(swh_bucket *bucket, double now_ms) {
  if (bucket->slowed_ms >= 0 && now_ms - bucket->slowed_ms < SWH_RATE_CUT_EVERY_MS) return;
  bucket_refill(bucket, now_ms); /* the time before the cut ran at the old rate */
  bucket->slowed_ms = now_ms;
  bucket->rate *= SWH_RATE_CUT;
  double floor = bucket->ceiling * SWH_RATE_FLOOR;
  if (bucket->rate < floor) bucket->rate = floor;
}

int swhi_bucket_take(swh_bucket *bucket, double now_ms) {
  bucket_refill(bucket, now_ms);
  if (bucket->tokens < 1.0) return 0;
  bucket->tokens -= 1.0;
  return 1;
}

double swhi_bucket_wait_ms(swh_bucket *bucket, double now_ms) {
  bucket_refill(bucket, now_ms);
  if (bucket->tokens >= 1.0) return 0.0;
  return (1.0 - bucket->tokens) * 1000.0 / bucket->rate;
}

void swhi_rng_seed(swh_rng *rng) {
  uint64_t seed = 0;
  if (RAND_bytes((unsigned char *)&seed, sizeof seed) != 1 || seed == 0) {
    /* Jitter only spreads retries apart; a weak seed is harmless, a zero one is stuck. */
    seed = (uint64_t)(swhi_now_ms() * 1000.0) ^ (uint64_t)(uintptr_t)rng;
  }
  rng->state = seed ? seed : 0x9E3779B97F4A7C15ull;
}

double swhi_rng_unit(swh_rng *rng) {
  uint64_t x = rng->state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  rng->state = x;
  return (double)((x * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0; /* 2^53 */
}

double swhi_backoff_ms(swh_rng *rng, int attempt) {
  double ceiling = SWH_BACKOFF_BASE_MS;
  for (int i = 1; i < attempt && ceiling < SWH_BACKOFF_CAP_MS; i++) ceiling *= 2.0;
  if (ceiling > SWH_BACKOFF_CAP_MS) ceiling = SWH_BACKOFF_CAP_MS;
  return swhi_rng_unit(rng) * ceiling;
}

swh_retry_verdict swhi_retry_decide(const swh_retry_budget *budget, int attempts,
                                   double *first_failure_ms, double now_ms, double *delay_ms,
                                   bool firm) {
  if (*first_failure_ms <= 0) *first_failure_ms = now_ms;
  if (attempts >= budget->attempts) return SWH_RETRY_NO_ATTEMPTS_LEFT;
  double left = *first_failure_ms + budget->time_ms - now_ms;
  if (left <= 0 || (firm && *delay_ms > left)) return SWH_RETRY_NO_TIME_LEFT;
  if (*delay_ms > left) *delay_ms = left;
  return SWH_RETRY_AGAIN;
}
