/*
 * swh_client driven from an epoll loop (swh_client_set_loop): the client says which
 * descriptors to watch and when to call back, the loop does only that, and calls of every
 * kind finish, through retries (the client's own timers) and errors, against the in-process
 * emulator. The loop here is what an embedder would write.
 */
#define _DEFAULT_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "swh.h"
#include "swh_emulator.h"

#define FD_MAX 1024

typedef struct loop {
  int epfd;
  int watched[FD_MAX]; /* what each fd is watched for; 0: not watched */
  int watched_count;
  double deadline_ms;  /* when to call swh_client_timeout; < 0: no timer */
  int timer_calls, watch_calls;
  int turns;           /* epoll_wait calls */
  int idle_turns;      /* turns that found neither a ready descriptor nor a due timer */
} loop;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void on_watch(void *user, int fd, int what) {
  loop *l = user;
  l->watch_calls++;
  assert_true(fd >= 0 && fd < FD_MAX);
  assert_true(what >= 0 && what <= (SWH_WATCH_IN | SWH_WATCH_OUT));
  struct epoll_event ev = {0};
  ev.data.fd = fd;
  ev.events = ((what & SWH_WATCH_IN) ? EPOLLIN : 0) | ((what & SWH_WATCH_OUT) ? EPOLLOUT : 0);
  if (!what) {
    if (l->watched[fd]) {
      epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL); /* fails harmlessly if already closed */
      l->watched[fd] = 0;
      l->watched_count--;
    }
    return;
  }
  assert_int_equal(epoll_ctl(l->epfd, l->watched[fd] ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev),
                   0);
  if (!l->watched[fd]) l->watched_count++;
  l->watched[fd] = what;
}

static void on_timer(void *user, long timeout_ms) {
  loop *l = user;
  l->timer_calls++;
  assert_true(timeout_ms >= -1);
  l->deadline_ms = timeout_ms < 0 ? -1 : now_ms() + (double)timeout_ms;
}

static void loop_init(loop *l) {
  memset(l, 0, sizeof *l);
  l->epfd = epoll_create1(0);
  assert_true(l->epfd >= 0);
  l->deadline_ms = -1;
}

/* One turn: wait for a descriptor or the timer (at most 5 s: a test must end), then tell the
   client what happened. */
static void loop_turn(loop *l, swh_client *client) {
  struct epoll_event events[64];
  int wait = -1;
  if (l->deadline_ms >= 0) {
    double left = l->deadline_ms - now_ms();
    wait = left <= 0 ? 0 : (int)left + 1;
  }
  if (wait < 0 || wait > 5000) wait = 5000;
  int n = epoll_wait(l->epfd, events, 64, wait);
  assert_true(n >= 0);
  l->turns++;
  for (int i = 0; i < n; i++) {
    int what = ((events[i].events & EPOLLIN) ? SWH_WATCH_IN : 0) |
               ((events[i].events & EPOLLOUT) ? SWH_WATCH_OUT : 0) |
               ((events[i].events & (EPOLLERR | EPOLLHUP)) ? SWH_WATCH_ERROR : 0);
    swh_client_socket_ready(client, events[i].data.fd, what);
  }
  bool due = l->deadline_ms >= 0 && now_ms() >= l->deadline_ms;
  if (due) swh_client_timeout(client);
  if (!n && !due) l->idle_turns++;
}

typedef struct fixture {
  swh_emulator *emulator;
  swh_client *client;
  loop loop;
  char auth_url[256];
  char app_id[64];
} fixture;

static fixture *fixture_new(int latency_ms, const char *faults) {
  fixture *f = calloc(1, sizeof *f);
  swh_error err;
  swh_error_init(&err);
  swh_emulator_config emu = {0};
  emu.apps = 2;
  emu.quiet = true;
  emu.latency_ms = latency_ms;
  emu.faults = faults;
  emu.seed_random = 7;
  emu.rate_limit = -1;
  f->emulator = swh_emulator_start(&emu, &err);
  if (!f->emulator) fail_msg("emulator: %s", err.message);
  swh_config config = {0};
  config.project_id = SWH_EMULATOR_DEFAULT_PROJECT;
  config.key_id = SWH_EMULATOR_DEFAULT_KEY_ID;
  config.key_secret = SWH_EMULATOR_DEFAULT_KEY_SECRET;
  config.base_url = swh_emulator_url(f->emulator);
  snprintf(f->auth_url, sizeof f->auth_url, "%s/oauth2/token", config.base_url);
  config.auth_url = f->auth_url;
  config.timeout = 5;
  config.rate = 100000;
  f->client = swh_client_new(&config, &err);
  if (!f->client) fail_msg("client: %s", err.message);
  loop_init(&f->loop);
  assert_int_equal(swh_client_set_loop(f->client, on_watch, on_timer, &f->loop, &err), SWH_OK);
  return f;
}

static void fixture_free(fixture *f) {
  swh_client_free(f->client);
  /* Freeing the client stopped the watch of every descriptor it had asked for. */
  assert_int_equal(f->loop.watched_count, 0);
  close(f->loop.epfd);
  swh_emulator_stop(f->emulator);
  free(f);
}

/* Runs the loop until call is done (bounded), then finishes it. */
static swh_status run_call(fixture *f, swh_call *call, json_t **result, swh_error *err) {
  assert_non_null(call);
  double give_up = now_ms() + 20000;
  while (!swh_call_done(call) && now_ms() < give_up) loop_turn(&f->loop, f->client);
  assert_true(swh_call_done(call));
  assert_ptr_equal(swh_client_next_done(f->client), call);
  return swh_call_finish(call, result, err);
}

static void test_nothing_happens_until_the_loop_says(void **state) {
  fixture *f = fixture_new(0, NULL);
  swh_error err;
  swh_error_init(&err);
  /* Attached with nothing to do: no timer. */
  assert_int_equal(f->loop.timer_calls, 1);
  assert_true(f->loop.deadline_ms < 0);
  swh_call *call = swh_call_start(f->client, SWH_OP_APPS_LIST, NULL, NULL, NULL, &err);
  assert_non_null(call);
  /* Queued, and a timer asked for at once; no descriptor yet: nothing was sent. */
  assert_int_equal(f->loop.timer_calls, 2);
  assert_true(f->loop.deadline_ms >= 0 && f->loop.deadline_ms <= now_ms());
  assert_int_equal(f->loop.watch_calls, 0);
  usleep(50 * 1000);
  assert_false(swh_call_done(call));
  assert_int_equal(f->loop.watch_calls, 0);
  json_t *apps = NULL;
  assert_int_equal(run_call(f, call, &apps, &err), SWH_OK);
  assert_int_equal(json_array_size(apps), 2);
  snprintf(f->app_id, sizeof f->app_id, "%s",
           json_string_value(json_object_get(json_array_get(apps, 0), "id")));
  json_decref(apps);
  assert_true(f->loop.watch_calls > 0);
  /* Nothing left to do: once libcurl has run out its own timers (a busy machine may leave
     one pending when the answer comes), a few turns later, the client asks for none. */
  double give_up = now_ms() + 5000;
  int turns = 0;
  while (f->loop.deadline_ms >= 0 && turns < 20 && now_ms() < give_up) {
    loop_turn(&f->loop, f->client);
    turns++;
  }
  if (f->loop.deadline_ms >= 0)
    print_message("still a timer, in %.1f ms, after %d turns\n", f->loop.deadline_ms - now_ms(),
                  turns);
  assert_true(f->loop.deadline_ms < 0);
  fixture_free(f);
}

static void test_crud_and_errors_through_the_loop(void **state) {
  fixture *f = fixture_new(5, NULL);
  swh_error err;
  swh_error_init(&err);
  json_t *apps = NULL;
  assert_int_equal(run_call(f, swh_call_start(f->client, SWH_OP_APPS_LIST, NULL, NULL, NULL,
                                              &err), &apps, &err), SWH_OK);
  const char *app_id = json_string_value(json_object_get(json_array_get(apps, 0), "id"));
  json_t *hook = json_pack("{s:s, s:s, s:[s]}", "app_id", app_id, "target",
                           "https://example.com/a", "triggers", "MESSAGE_INBOUND");
  json_t *created = NULL, *got = NULL, *updated = NULL, *none = NULL;
  assert_int_equal(run_call(f, swh_call_start(f->client, SWH_OP_WEBHOOK_CREATE, NULL, hook,
                                              NULL, &err), &created, &err), SWH_OK);
  const char *id = json_string_value(json_object_get(created, "id"));
  assert_int_equal(run_call(f, swh_call_start(f->client, SWH_OP_WEBHOOK_GET, id, NULL, NULL,
                                              &err), &got, &err), SWH_OK);
  assert_string_equal(json_string_value(json_object_get(got, "target")), "https://example.com/a");
  json_t *changes = json_pack("{s:s}", "target", "https://example.com/b");
  assert_int_equal(run_call(f, swh_call_start(f->client, SWH_OP_WEBHOOK_UPDATE, id, changes,
                                              NULL, &err), &updated, &err), SWH_OK);
  assert_string_equal(json_string_value(json_object_get(updated, "target")),
                      "https://example.com/b");
  assert_int_equal(run_call(f, swh_call_start(f->client, SWH_OP_WEBHOOK_DELETE, id, NULL, NULL,
                                              &err), &none, &err), SWH_OK);
  json_decref(none);
  none = NULL;
  assert_int_equal(run_call(f, swh_call_start(f->client, SWH_OP_WEBHOOK_GET, id, NULL, NULL,
                                              &err), &none, &err), SWH_ERR_HTTP);
  assert_int_equal(err.http_status, 404);
  assert_null(none);
  swh_error_clear(&err);
  /* The blocking forms still work on a client driven by a loop. */
  json_t *again = NULL;
  assert_int_equal(swh_apps_list(f->client, &again, &err), SWH_OK);
  assert_int_equal(json_array_size(again), 2);
  json_decref(again);
  json_decref(apps), json_decref(hook), json_decref(created), json_decref(got);
  json_decref(changes), json_decref(updated);
  fixture_free(f);
}

/* 600 calls at once, with 20 ms of latency and 10% of 503s (retried after back-off, a timer
   of the client's own), all driven by the loop: every one succeeds, and the loop never spins
   (a turn that finds nothing to do would be a timer asked for too early). */
static void test_many_calls_with_retries(void **state) {
  fixture *f = fixture_new(20, "503=0.1");
  enum { CALLS = 600 };
  swh_error err;
  swh_error_init(&err);
  swh_call *calls[CALLS];
  for (int i = 0; i < CALLS; i++) {
    calls[i] = swh_call_start(f->client, SWH_OP_APPS_LIST, NULL, NULL, NULL, &err);
    assert_non_null(calls[i]);
  }
  int done = 0, failed = 0;
  double give_up = now_ms() + 60000;
  while (done < CALLS && now_ms() < give_up) {
    loop_turn(&f->loop, f->client);
    swh_call *call;
    while ((call = swh_client_next_done(f->client))) {
      json_t *apps = NULL;
      if (swh_call_finish(call, &apps, &err) != SWH_OK) {
        print_message("failed: %s\n", err.message);
        failed++;
      }
      swh_error_clear(&err);
      json_decref(apps);
      done++;
    }
  }
  assert_int_equal(done, CALLS);
  assert_int_equal(failed, 0);
  print_message("%d calls: %d loop turns, %d idle\n", CALLS, f->loop.turns, f->loop.idle_turns);
  assert_true(f->loop.turns < CALLS * 4);
  assert_true(f->loop.idle_turns <= f->loop.turns / 10);
  fixture_free(f);
}

static void test_set_loop_refusals(void **state) {
  fixture *f = fixture_new(0, NULL);
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swh_client_set_loop(f->client, on_watch, on_timer, &f->loop, &err),
                   SWH_ERR_USAGE);
  assert_string_equal(err.message, "swh_client_set_loop: only once, while no request is in "
                                   "flight");
  swh_error_clear(&err);
  assert_int_equal(swh_client_set_loop(f->client, NULL, on_timer, NULL, &err), SWH_ERR_USAGE);
  assert_string_equal(err.message,
                      "swh_client_set_loop: client, watch and timer are required");
  swh_error_clear(&err);
  fixture_free(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_nothing_happens_until_the_loop_says),
      cmocka_unit_test(test_crud_and_errors_through_the_loop),
      cmocka_unit_test(test_many_calls_with_retries),
      cmocka_unit_test(test_set_loop_refusals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
