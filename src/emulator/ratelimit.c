/* Token buckets on the monotonic clock. */
#include "ratelimit.h"

#include <time.h>

double emu_monotonic_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool emu_bucket_init(emu_bucket *bucket, double rate, double burst) {
  bucket->rate = rate;
  bucket->burst = burst < 1 ? 1 : burst;
  bucket->tokens = bucket->burst;
  bucket->last = emu_monotonic_seconds();
  return pthread_mutex_init(&bucket->lock, NULL) == 0;
}

void emu_bucket_destroy(emu_bucket *bucket) { pthread_mutex_destroy(&bucket->lock); }

bool emu_bucket_take(emu_bucket *bucket, double *wait_s) {
  if (bucket->rate < 0)
    return true;
  pthread_mutex_lock(&bucket->lock);
  double now = emu_monotonic_seconds();
  bucket->tokens += (now - bucket->last) * bucket->rate;
  if (bucket->tokens > bucket->burst)
    bucket->tokens = bucket->burst;
  bucket->last = now;
  bool ok = bucket->tokens >= 1.0;
  if (ok)
    bucket->tokens -= 1.0;
  else if (wait_s)
    *wait_s = bucket->rate > 0 ? (1.0 - bucket->tokens) / bucket->rate : 1.0;
  pthread_mutex_unlock(&bucket->lock);
  return ok;
}
