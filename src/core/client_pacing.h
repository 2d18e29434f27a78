/*
 * client_pacing: the clocks and counters that decide when the client may send: a monotonic
 * clock, a token bucket for the requests-per-second limit, and exponential back-off with
 * full jitter for retries. Private to the client; no curl, no I/O, no global state.
 */
#ifndef SWH_CLIENT_PACING_H
#define SWH_CLIENT_PACING_H

#include <stdbool.h>
#include <stdint.h>

/* Milliseconds on a monotonic clock (never jumps with the wall clock). */
double swhi_now_ms(void);

/* A token bucket: `rate` tokens per second, holding at most `capacity`. The rate adapts to
   the server: a 429 cuts it (swhi_bucket_slow_down), and it climbs back to `ceiling`, the rate
   asked for, a little every second, so a client set above a busier project's share settles
   near that share instead of spending requests on 429s. */
typedef struct swh_bucket {
  double rate;      /* tokens per second now, > 0, <= ceiling */
  double ceiling;   /* the rate asked for */
  double capacity;  /* >= 1 */
  double tokens;
  double last_ms;   /* when tokens was last refilled */
  double slowed_ms; /* when the rate was last cut (-1: never) */
} swh_bucket;

/* A 429 (at most one per SWH_RATE_CUT_EVERY_MS: the 429s of the requests in flight at once
   are one signal) cuts the rate to SWH_RATE_CUT of what it was, never below SWH_RATE_FLOOR
   of the ceiling; it then climbs back by SWH_RATE_CLIMB of the ceiling per second (slowly:
   a fast climb overshoots again at once). Against a limit of 300/s, 3,000 requests at a
   ceiling of 800 met 118 429s this way, 448 at a fixed rate. */
#define SWH_RATE_CUT 0.75
#define SWH_RATE_FLOOR 0.05
#define SWH_RATE_CLIMB 0.01
#define SWH_RATE_CUT_EVERY_MS 250.0

/* A full bucket, so a burst of `capacity` requests goes out at once. */
void swhi_bucket_init(swh_bucket *bucket, double rate, double capacity, double now_ms);

/* The server answered 429 at now_ms: cuts the rate (see SWH_RATE_CUT). */
void swhi_bucket_slow_down(swh_bucket *bucket, double now_ms);

/* Takes one token if there is one (returns 1), else returns 0. */
int swhi_bucket_take(swh_bucket *bucket, double now_ms);

/* Milliseconds until a token is available (0 when one is). */
double swhi_bucket_wait_ms(swh_bucket *bucket, double now_ms);

/* A small per-client random generator (xorshift64*), seeded from OpenSSL's RAND_bytes, so
   jitter needs no global state. */
typedef struct swh_rng {
  uint64_t state;
} swh_rng;

void swhi_rng_seed(swh_rng *rng);

/* A uniform double in [0, 1). */
double swhi_rng_unit(swh_rng *rng);

#define SWH_BACKOFF_BASE_MS 100.0
#define SWH_BACKOFF_CAP_MS 10000.0
/* The most a Retry-After may make us wait; a larger value is clamped to this. */
#define SWH_RETRY_AFTER_MAX_MS 120000.0

/* Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))], attempt counting from 1. */
double swhi_backoff_ms(swh_rng *rng, int attempt);

/* How long a series of failures may be retried: at most `attempts` attempts in all, and
   none later than `time_ms` after the series' first failure. */
typedef struct swh_retry_budget {
  int attempts;
  double time_ms;
} swh_retry_budget;

typedef enum { SWH_RETRY_AGAIN, SWH_RETRY_NO_ATTEMPTS_LEFT, SWH_RETRY_NO_TIME_LEFT } swh_retry_verdict;

/*
 * Whether a retryable failure, at now_ms, after `attempts` attempts, gets another one.
 * *first_failure_ms is when the series failed first (0: this failure is the first, and it is
 * set to now_ms). *delay_ms is the wait asked for (back-off, or the server's Retry-After when
 * firm); an unfirm wait past the budget is cut to end with it (one last attempt at the end),
 * a firm one past it gives up, since sending earlier than the server said is pointless.
 */
swh_retry_verdict swhi_retry_decide(const swh_retry_budget *budget, int attempts,
                                   double *first_failure_ms, double now_ms, double *delay_ms,
                                   bool firm);

#endif
