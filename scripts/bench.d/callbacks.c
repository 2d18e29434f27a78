/*
 * The emulator's callback throughput (doc/CALLBACKS.md), run by scripts/bench.d/callbacks:
 * CALLBACKS signed callbacks (events to an app with 5 webhooks) delivered to a local
 * receiver, timed from the trigger until none is pending, while a probe thread calls the
 * API (GET the app's webhooks, Basic auth, one at a time) and records its latencies; the
 * same probe runs first on an idle emulator for comparison. Exit status 1 when a callback
 * is missing or failed (no figure then).
 *
 *   swh-bench-callbacks [CALLBACKS]   (default 100000)
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "receiver.h"
#include "swh_emulator.h"

#define APP "01APPBENCHCALLBACKS0000001"
#define WEBHOOKS 5
#define MAX_SAMPLES 200000

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + t.tv_nsec / 1e9;
}

typedef struct probe {
  const char *url;
  atomic_bool stop;
  double *samples;
  size_t count;
  long errors;
} probe;

static size_t discard(char *data, size_t size, size_t count, void *userdata) {
  (void)data, (void)userdata;
  return size * count;
}

static void *run_probe(void *arg) {
  probe *p = arg;
  CURL *curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, p->url);
  curl_easy_setopt(curl, CURLOPT_USERPWD, SWH_EMULATOR_DEFAULT_KEY_ID ":"
                                          SWH_EMULATOR_DEFAULT_KEY_SECRET);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
  while (!atomic_load(&p->stop) && p->count < MAX_SAMPLES) {
    double start = now_s();
    long status = 0;
    if (curl_easy_perform(curl) == CURLE_OK)
      curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200)
      p->errors++;
    else
      p->samples[p->count++] = (now_s() - start) * 1000;
    /* about 200 calls a second: a client's steady use, not a flood */
    nanosleep(&(struct timespec){.tv_nsec = 5 * 1000 * 1000}, NULL);
  }
  curl_easy_cleanup(curl);
  return NULL;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void report(const char *label, probe *p) {
  qsort(p->samples, p->count, sizeof *p->samples, by_value);
  if (p->count == 0) {
    printf("API latency %-15s no samples (%ld errors)\n", label, p->errors);
    return;
  }
  printf("API latency %-15s p50 %.2f ms, p99 %.2f ms, max %.2f ms over %zu calls (%ld errors)\n",
         label, p->samples[p->count / 2], p->samples[p->count * 99 / 100],
         p->samples[p->count - 1], p->count, p->errors);
}

static void start_probe(probe *p, pthread_t *thread) {
  p->count = 0;
  p->errors = 0;
  atomic_store(&p->stop, false);
  pthread_create(thread, NULL, run_probe, p);
}

static void stop_probe(probe *p, pthread_t thread) {
  atomic_store(&p->stop, true);
  pthread_join(thread, NULL);
}

int main(int argc, char **argv) {
  long callbacks = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
  if (callbacks < WEBHOOKS || callbacks > 500000) {
    fprintf(stderr, "swh-bench-callbacks: CALLBACKS: from %d to 500000\n", WEBHOOKS);
    return 2;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  receiver *r = receiver_start();
  if (!r) {
    fprintf(stderr, "swh-bench-callbacks: cannot start the receiver\n");
    return 1;
  }
  json_t *webhooks = json_array();
  for (int i = 0; i < WEBHOOKS; i++) {
    char target[128], id[8];
    snprintf(target, sizeof target, "%s/hook/%d", receiver_url(r), i);
    snprintf(id, sizeof id, "W%d", i);
    json_array_append_new(webhooks,
                          json_pack("{s:s,s:s,s:s,s:s,s:[s]}", "id", id, "app_id", APP,
                                    "target", target, "secret", "bench-secret", "triggers",
                                    "MESSAGE_DELIVERY"));
  }
  json_t *seed = json_pack("{s:i,s:s,s:[{s:s}],s:o}", "swh_snapshot", 1, "project_id",
                           "bench", "apps", "id", APP, "webhooks", webhooks);
  swh_emulator_config config = {.seed = seed, .quiet = true};
  swh_error err;
  swh_error_init(&err);
  swh_emulator *e = swh_emulator_start(&config, &err);
  json_decref(seed);
  if (!e) {
    fprintf(stderr, "swh-bench-callbacks: %s\n", err.message);
    return 1;
  }
  char url[256];
  snprintf(url, sizeof url, "%s/v1/projects/bench/apps/%s/webhooks", swh_emulator_url(e), APP);
  probe p = {.url = url, .samples = calloc(MAX_SAMPLES, sizeof(double))};
  pthread_t thread;

  start_probe(&p, &thread);
  nanosleep(&(struct timespec){.tv_sec = 2}, NULL);
  stop_probe(&p, thread);
  report("idle:", &p);

  start_probe(&p, &thread);
  double start = now_s();
  swh_emulator_event event = {.trigger = "MESSAGE_DELIVERY", .app_id = APP,
                              .count = (int)(callbacks / WEBHOOKS)};
  json_t *sent = swh_emulator_trigger(e, &event, &err);
  bool done = sent && swh_emulator_wait_deliveries(e, 600000);
  double seconds = now_s() - start;
  stop_probe(&p, thread);
  json_decref(sent);
  long expected = callbacks / WEBHOOKS * WEBHOOKS;
  json_t *log = swh_emulator_deliveries(e, 1);
  long delivered = (long)json_integer_value(json_object_get(log, "delivered"));
  long failed = (long)json_integer_value(json_object_get(log, "failed"));
  json_decref(log);
  int arrived = receiver_count(r);
  int status = 0;
  if (!done || delivered != expected || failed != 0 || arrived != expected) {
    fprintf(stderr,
            "swh-bench-callbacks: broken run: %ld expected, %ld delivered, %ld failed, %d "
            "received%s%s\n",
            expected, delivered, failed, arrived, sent ? "" : ": ", sent ? "" : err.message);
    status = 1;
  } else {
    printf("callbacks: %ld signed, delivered in %.2f s = %.0f/s (target: at least 2000/s)\n",
           expected, seconds, expected / seconds);
    report("during delivery:", &p);
  }
  swh_error_clear(&err);
  swh_emulator_stop(e);
  receiver_stop(r);
  free(p.samples);
  curl_global_cleanup();
  return status;
}
