/* The server's timer thread: held answers and request deadlines (see timers.h). */
#include "timers.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

double emu_timers_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void watch_unlink_locked(emu_timers *timers, emu_watch *watch) {
  if (!watch->listed)
    return;
  if (watch->prev)
    watch->prev->next = watch->next;
  else
    timers->watch_head = watch->next;
  if (watch->next)
    watch->next->prev = watch->prev;
  else
    timers->watch_tail = watch->prev;
  watch->prev = watch->next = NULL;
  watch->listed = false;
}

/* Appends watch with a deadline request_timeout from now: the latest of all, so the list
   stays in deadline order. */
static void watch_append_locked(emu_timers *timers, emu_watch *watch) {
  watch_unlink_locked(timers, watch);
  watch->deadline = emu_timers_now() + timers->request_timeout;
  watch->prev = timers->watch_tail;
  watch->next = NULL;
  if (timers->watch_tail)
    timers->watch_tail->next = watch;
  else
    timers->watch_head = watch;
  timers->watch_tail = watch;
  watch->listed = true;
  if (timers->watch_head == watch)
    pthread_cond_signal(&timers->wake);
}

/* Takes the held answers that are due (all of them with every) off the queue. */
static emu_held *take_due_locked(emu_timers *timers, double now, bool every) {
  emu_held *due = timers->held_head, *last = NULL;
  for (emu_held *h = timers->held_head; h && (every || h->due <= now); h = h->next)
    last = h;
  if (!last)
    return NULL;
  timers->held_head = last->next;
  if (!timers->held_head)
    timers->held_tail = NULL;
  last->next = NULL;
  return due;
}

/* Resumes the connections of a list taken off the queue, without the lock: libmicrohttpd
   takes its own locks, and its callbacks take ours. */
static void resume_all(emu_held *list) {
  while (list) {
    emu_held *next = list->next; /* the request may be done and freed once resumed */
    MHD_resume_connection(list->connection);
    list = next;
  }
}

static void *run(void *arg) {
  emu_timers *timers = arg;
  pthread_mutex_lock(&timers->lock);
  while (timers->running) {
    double now = emu_timers_now();
    emu_held *due = take_due_locked(timers, now, false);
    if (due) {
      pthread_mutex_unlock(&timers->lock);
      resume_all(due);
      pthread_mutex_lock(&timers->lock);
      continue;
    }
    /* A shut socket reads as closed: libmicrohttpd closes the connection, and its close
       notification (which waits for this lock) unwatches it. */
    while (timers->watch_head && timers->watch_head->deadline <= now) {
      emu_watch *late = timers->watch_head;
      shutdown(late->fd, SHUT_RDWR);
      watch_unlink_locked(timers, late);
    }
    double next = INFINITY;
    if (timers->held_head)
      next = timers->held_head->due;
    if (timers->watch_head && timers->watch_head->deadline < next)
      next = timers->watch_head->deadline;
    if (isinf(next)) {
      pthread_cond_wait(&timers->wake, &timers->lock);
    } else {
      struct timespec until;
      until.tv_sec = (time_t)next;
      until.tv_nsec = (long)((next - (double)until.tv_sec) * 1e9);
      pthread_cond_timedwait(&timers->wake, &timers->lock, &until);
    }
  }
  pthread_mutex_unlock(&timers->lock);
  return NULL;
}

bool emu_cond_init_monotonic(pthread_cond_t *cond) {
  pthread_condattr_t attributes;
  if (pthread_condattr_init(&attributes) != 0)
    return false;
  bool ok = pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC) == 0 &&
            pthread_cond_init(cond, &attributes) == 0;
  pthread_condattr_destroy(&attributes);
  return ok;
}

bool emu_timers_start(emu_timers *timers, double latency, double request_timeout) {
  memset(timers, 0, sizeof *timers);
  timers->latency = latency;
  timers->request_timeout = request_timeout;
  if (!emu_cond_init_monotonic(&timers->wake))
    return false;
  if (pthread_mutex_init(&timers->lock, NULL) != 0) {
    pthread_cond_destroy(&timers->wake);
    return false;
  }
  timers->running = true;
  if (pthread_create(&timers->thread, NULL, run, timers) != 0) {
    pthread_mutex_destroy(&timers->lock);
    pthread_cond_destroy(&timers->wake);
    return false;
  }
  return true;
}

void emu_timers_hold(emu_timers *timers, emu_held *held, struct MHD_Connection *connection) {
  held->connection = connection;
  held->next = NULL;
  pthread_mutex_lock(&timers->lock);
  bool open = !timers->closed;
  if (open) {
    held->due = emu_timers_now() + timers->latency;
    if (timers->held_tail)
      timers->held_tail->next = held;
    else
      timers->held_head = held;
    timers->held_tail = held;
    if (timers->held_head == held)
      pthread_cond_signal(&timers->wake);
  }
  pthread_mutex_unlock(&timers->lock);
  if (!open) /* stopping: MHD_stop_daemon must find no suspended connection */
    resume_all(held);
}

void emu_timers_release_all(emu_timers *timers) {
  pthread_mutex_lock(&timers->lock);
  timers->closed = true;
  emu_held *all = take_due_locked(timers, 0, true);
  pthread_mutex_unlock(&timers->lock);
  resume_all(all);
}

emu_watch *emu_timers_watch(emu_timers *timers, int fd) {
  emu_watch *watch = calloc(1, sizeof *watch);
  if (!watch)
    return NULL;
  watch->fd = fd;
  pthread_mutex_lock(&timers->lock);
  watch_append_locked(timers, watch);
  pthread_mutex_unlock(&timers->lock);
  return watch;
}

void emu_timers_pause(emu_timers *timers, emu_watch *watch) {
  if (!watch)
    return;
  pthread_mutex_lock(&timers->lock);
  watch_unlink_locked(timers, watch);
  pthread_mutex_unlock(&timers->lock);
}

void emu_timers_rewatch(emu_timers *timers, emu_watch *watch) {
  if (!watch)
    return;
  pthread_mutex_lock(&timers->lock);
  watch_append_locked(timers, watch);
  pthread_mutex_unlock(&timers->lock);
}

void emu_timers_unwatch(emu_timers *timers, emu_watch *watch) {
  emu_timers_pause(timers, watch);
}

void emu_timers_destroy(emu_timers *timers) {
  pthread_mutex_lock(&timers->lock);
  timers->running = false;
  pthread_cond_signal(&timers->wake);
  pthread_mutex_unlock(&timers->lock);
  pthread_join(timers->thread, NULL);
  pthread_mutex_destroy(&timers->lock);
  pthread_cond_destroy(&timers->wake);
}
