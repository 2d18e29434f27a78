/*
 * Token buckets: the project's request rate (--rate-limit, API.md's ~800/s) and the token
 * endpoint's (about 30 burst, 10/s). A bucket refills continuously at `rate` tokens per
 * second up to `burst`; a request takes one token or is refused.
 */
#ifndef EMU_RATELIMIT_H
#define EMU_RATELIMIT_H

#include <pthread.h>
#include <stdbool.h>

typedef struct emu_bucket {
  double rate;      /* tokens per second; < 0: no limit */
  double burst;     /* capacity */
  double tokens;
  double last;      /* monotonic seconds of the last refill */
  pthread_mutex_t lock;
} emu_bucket;

/* A full bucket. rate < 0 makes it unlimited. Returns false if no mutex could be made. */
bool emu_bucket_init(emu_bucket *bucket, double rate, double burst);

void emu_bucket_destroy(emu_bucket *bucket);

/* Takes a token: true if one was there; otherwise false and *wait_s (if not NULL) says
   how long until one will be. Thread-safe. */
bool emu_bucket_take(emu_bucket *bucket, double *wait_s);

/* Monotonic seconds. */
double emu_monotonic_seconds(void);

#endif
