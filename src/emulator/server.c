/* libmicrohttpd: from connections to emu_request, and from emu_reply back to HTTP. */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "request.h"
#include "routes.h"
#include "swh_text.h"

/* Threads serving the connections (each a poll loop over its share of them). Handlers
   never sleep (a --latency answer waits with its connection suspended), so a few suffice;
   more than one, because a handler may wait for the store's lock or the state file. */
#define POOL_THREADS 4
/* Seconds a connection may stall while it is being answered (a client not reading). */
#define STALL_SECONDS 30
/* The default time a connection has to deliver a whole request (see timers.h). */
#define DEFAULT_REQUEST_TIMEOUT_MS 30000

/* One request in flight on a connection. */
typedef struct pending {
  char *body;
  size_t len;
  size_t cap;
  bool too_large;
  double started;
  bool held;       /* its answer, in reply, waits for the latency (connection suspended) */
  emu_reply reply;
  emu_held hold;
} pending;

static void pending_free(pending *p) {
  if (!p)
    return;
  emu_reply_clear(&p->reply);
  free(p->body);
  free(p);
}

/* The deadline of a connection's next request, made when it opened (NULL if none). */
static emu_watch *watch_of(struct MHD_Connection *connection) {
  const union MHD_ConnectionInfo *info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return info ? info->socket_context : NULL;
}

static void on_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
  struct swh_emulator *emulator = cls;
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    *socket_context = info ? emu_timers_watch(&emulator->timers, info->connect_fd) : NULL;
  } else if (*socket_context) { /* closed: before its descriptor is */
    emu_timers_unwatch(&emulator->timers, *socket_context);
    free(*socket_context);
    *socket_context = NULL;
  }
}

/* A request is in flight from its first call to on_request until MHD reports it completed
   (answered, dropped, or its connection lost): a graceful stop waits for these. */
static void flight_begin(struct swh_emulator *emulator) {
  pthread_mutex_lock(&emulator->flight_lock);
  emulator->in_flight++;
  pthread_mutex_unlock(&emulator->flight_lock);
}

static void flight_end(struct swh_emulator *emulator) {
  pthread_mutex_lock(&emulator->flight_lock);
  if (--emulator->in_flight == 0)
    pthread_cond_broadcast(&emulator->flight_done);
  pthread_mutex_unlock(&emulator->flight_lock);
}

static bool is_stopping(struct swh_emulator *emulator) {
  pthread_mutex_lock(&emulator->flight_lock);
  bool stopping = emulator->stopping;
  pthread_mutex_unlock(&emulator->flight_lock);
  return stopping;
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **req_cls,
                         enum MHD_RequestTerminationCode code) {
  (void)code;
  struct swh_emulator *emulator = cls;
  emu_timers_rewatch(&emulator->timers, watch_of(connection)); /* the next request's time */
  if (!*req_cls)
    return; /* on_request failed before the request was counted */
  pending_free(*req_cls);
  *req_cls = NULL;
  flight_end(cls);
}

/* MHD would percent-decode the path before we see it, and a "%2F" in an id would then split
   it; the path stays as sent and routes.c decodes each segment after splitting. Query
   arguments stay as sent too (after MHD's "+" to " "): collect_mask decodes them. */
static size_t keep_escaped(void *cls, struct MHD_Connection *connection, char *text) {
  (void)cls;
  (void)connection;
  return strlen(text);
}

/* Keeps the body up to EMU_MAX_BODY (+1 for the NUL); beyond, remembers only that it was.
   Returns false when out of memory. */
static bool append_body(pending *p, const char *data, size_t size) {
  if (p->too_large || p->len + size > EMU_MAX_BODY) {
    p->too_large = true;
    return true;
  }
  return swhi_text_buffer_append(&p->body, &p->len, &p->cap, data, size);
}

static enum MHD_Result collect_mask(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value) {
  (void)kind;
  emu_masks_add(cls, key, value);
  return MHD_YES;
}

/* Paths and methods come from the network: the log gets them printable and short. */
static void printable(char *out, size_t size, const char *text) {
  size_t i = 0;
  for (; text && *text && i + 1 < size; text++)
    out[i++] = (*text >= 0x20 && *text < 0x7f) ? *text : '?';
  out[i] = '\0';
}

static void log_request(const struct swh_emulator *emulator, const char *method,
                        const char *url, const emu_reply *reply, double started) {
  if (emulator->quiet)
    return;
  char m[16], u[200];
  printable(m, sizeof m, method);
  printable(u, sizeof u, url);
  double ms = (emu_monotonic_seconds() - started) * 1000.0;
  if (reply->drop)
    fprintf(stderr, "swh-emulator: %s %s -> connection dropped (%s) %.1f ms\n", m, u,
            reply->fault ? reply->fault : "?", ms);
  else
    fprintf(stderr, "swh-emulator: %s %s -> %d%s%s %.1f ms\n", m, u, reply->status,
            reply->fault ? " fault=" : "", reply->fault ? reply->fault : "", ms);
}

static enum MHD_Result send_reply(struct swh_emulator *emulator,
                                  struct MHD_Connection *connection, emu_reply *reply) {
  static const char fallback[] =
      "{\"error\":{\"code\":500,\"message\":\"out of memory\",\"status\":\"INTERNAL\","
      "\"details\":[]}}";
  /* the text serialised under the store's lock is handed to libmicrohttpd, which frees it;
     an error is {"error":{…}}, or with flat_errors its inner object */
  const json_t *error = json_object_get(reply->body, "error");
  const json_t *body = emulator->flat_errors && reply->status >= 400 && json_is_object(error)
                           ? error
                           : reply->body;
  char *text = reply->text ? reply->text : body ? json_dumps(body, EMU_REPLY_JSON_FLAGS) : NULL;
  reply->text = NULL;
  int status = text ? reply->status : 500;
  struct MHD_Response *response =
      text ? MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE)
           : MHD_create_response_from_buffer(strlen(fallback), (void *)fallback,
                                             MHD_RESPMEM_PERSISTENT);
  if (!response) {
    free(text);
    return MHD_NO;
  }
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
  if (reply->www_authenticate[0])
    MHD_add_response_header(response, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                            reply->www_authenticate);
  if (reply->retry_after > 0) {
    char seconds[16];
    snprintf(seconds, sizeof seconds, "%d", reply->retry_after);
    MHD_add_response_header(response, MHD_HTTP_HEADER_RETRY_AFTER, seconds);
  }
  /* stopping: the connection closes after this answer, so no request is sent on it and lost */
  if (is_stopping(emulator))
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close");
  enum MHD_Result queued = MHD_queue_response(connection, (unsigned)status, response);
  MHD_destroy_response(response);
  return queued;
}

/* Logs and sends the answer waiting in p (or drops the connection, for a fault). */
static enum MHD_Result answer(struct swh_emulator *emulator, struct MHD_Connection *connection,
                              const char *method, const char *url, pending *p) {
  log_request(emulator, method, url, &p->reply, p->started);
  return p->reply.drop ? MHD_NO : send_reply(emulator, connection, &p->reply);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection,
                                  const char *url, const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls) {
  (void)version;
  struct swh_emulator *emulator = cls;
  pending *p = *req_cls;
  if (!p) {
    p = calloc(1, sizeof *p);
    if (!p)
      return MHD_NO;
    p->started = emu_monotonic_seconds();
    emu_reply_init(&p->reply);
    *req_cls = p;
    flight_begin(emulator);
    /* a declared body over the limit is refused before it is read */
    const char *length =
        MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (length && strtoull(length, NULL, 10) > EMU_MAX_BODY) {
      emu_timers_pause(&emulator->timers, watch_of(connection));
      emu_reply_too_large(&p->reply);
      return answer(emulator, connection, method, url, p);
    }
    return MHD_YES;
  }
  if (*upload_data_size > 0) {
    bool ok = append_body(p, upload_data, *upload_data_size);
    *upload_data_size = 0;
    return ok ? MHD_YES : MHD_NO;
  }
  if (p->held) /* resumed: the latency has passed */
    return answer(emulator, connection, method, url, p);
  /* the whole request is in, within its time */
  emu_timers_pause(&emulator->timers, watch_of(connection));

  emu_masks masks = {json_array(), false};
  if (masks.values)
    MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, collect_mask, &masks);
  else
    masks.invalid = true;
  const char *content_type =
      MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
  json_t *form = NULL;
  if (content_type && strncasecmp(content_type, "application/x-www-form-urlencoded", 33) == 0 &&
      !p->too_large)
    form = emu_form_parse(p->body, p->len);
  emu_request request = {
      .method = method,
      .path = url,
      .authorization = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
                                                   MHD_HTTP_HEADER_AUTHORIZATION),
      .masks = json_array_size(masks.values) ? masks.values : NULL,
      .masks_invalid = masks.invalid,
      .form = form,
      .body = p->body,
      .body_len = p->len,
      .body_too_large = p->too_large,
  };
  emu_route(emulator, &request, &p->reply);
  json_decref(masks.values);
  json_decref(form);
  if (emulator->latency_ms > 0) {
    /* the connection waits, suspended, and its pool thread serves others meanwhile */
    p->held = true;
    MHD_suspend_connection(connection);
    emu_timers_hold(&emulator->timers, &p->hold, connection);
    return MHD_YES;
  }
  return answer(emulator, connection, method, url, p);
}

/* As many connections as the descriptors this process may open allow, less a reserve for
   the program that embeds the emulator (its files, its client's own connections). */
static unsigned int connection_limit(void) {
  struct rlimit limit;
  rlim_t open_files = getrlimit(RLIMIT_NOFILE, &limit) == 0 ? limit.rlim_cur : 1024;
  if (open_files == RLIM_INFINITY || open_files > 65536)
    open_files = 65536;
  return open_files > 256 ? (unsigned int)(open_files - 128) : (unsigned int)(open_files / 2);
}

/* The flight lock and a condition on the monotonic clock, for the bounded wait of a stop. */
static bool flight_init(struct swh_emulator *emulator) {
  bool ok = emu_cond_init_monotonic(&emulator->flight_done);
  if (ok && pthread_mutex_init(&emulator->flight_lock, NULL) != 0) {
    pthread_cond_destroy(&emulator->flight_done);
    ok = false;
  }
  emulator->in_flight = 0;
  emulator->stopping = false;
  return ok;
}

static void flight_destroy(struct swh_emulator *emulator) {
  pthread_cond_destroy(&emulator->flight_done);
  pthread_mutex_destroy(&emulator->flight_lock);
}

swh_status emu_server_start(struct swh_emulator *emulator, int port, swh_error *err) {
  if (port < 0 || port > 65535)
    return swh_error_set(err, SWH_ERR_USAGE, "port: %d is not a TCP port (0-65535)", port);
  if (!flight_init(emulator))
    return swh_error_set(err, SWH_ERR_MEMORY, "cannot create a mutex");
  struct sockaddr_in address;
  memset(&address, 0, sizeof address);
  address.sin_family = AF_INET;
  address.sin_port = htons((uint16_t)port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  /* The server's threads (the polling thread, and the connection threads it starts, which
     inherit its mask) must not take the signals meant for the program that embeds it: a
     Ctrl-C or a kill is for swh's main thread, whose handler stops the running script. The
     signals a fault raises (SIGSEGV...) stay unblocked: blocked, they would kill at once. */
  sigset_t asynchronous, previous;
  sigemptyset(&asynchronous);
  static const int caught_elsewhere[] = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT, SIGUSR1,
                                         SIGUSR2, SIGALRM, SIGCHLD, SIGPIPE, SIGWINCH};
  for (size_t i = 0; i < sizeof caught_elsewhere / sizeof caught_elsewhere[0]; i++)
    sigaddset(&asynchronous, caught_elsewhere[i]);
  pthread_sigmask(SIG_BLOCK, &asynchronous, &previous);
  int timeout_ms = emulator->request_timeout_ms ? emulator->request_timeout_ms
                                                : DEFAULT_REQUEST_TIMEOUT_MS;
  bool timers = emu_timers_start(&emulator->timers, emulator->latency_ms / 1000.0,
                                 timeout_ms / 1000.0);
  /* Not a thread per connection: a client that opens many connections and sends them slowly
     (slowloris) would take every thread. A pool of poll loops serves any number; each
     connection has a deadline for its request (timers.h). MHD_USE_ITC: MHD_quiesce_daemon
     and resuming suspended connections need it. Poll, not epoll: libmicrohttpd 0.9.75's
     MHD_quiesce_daemon races a worker that removes the listening socket from its epoll set
     itself, and aborts ("Failed to remove listen FD from epoll set"; seen in a test run). */
  emulator->daemon =
      timers ? MHD_start_daemon(
                   MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_ALLOW_SUSPEND_RESUME |
                       MHD_USE_ITC,
                   (uint16_t)port, NULL, NULL, on_request, emulator,
                   MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address,
                   MHD_OPTION_NOTIFY_COMPLETED, on_completed, emulator,
                   MHD_OPTION_NOTIFY_CONNECTION, on_connection, emulator,
                   MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL,
                   MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)POOL_THREADS,
                   MHD_OPTION_CONNECTION_LIMIT, connection_limit(),
                   MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)STALL_SECONDS,
                   MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)1024,
                   MHD_OPTION_END)
             : NULL;
  pthread_sigmask(SIG_SETMASK, &previous, NULL);
  if (!emulator->daemon) {
    if (timers) {
      emu_timers_release_all(&emulator->timers);
      emu_timers_destroy(&emulator->timers);
    }
    flight_destroy(emulator);
    if (!timers)
      return swh_error_set(err, SWH_ERR_MEMORY, "cannot start the timer thread");
    return swh_error_set(err, SWH_ERR_USAGE,
                         "cannot listen on 127.0.0.1:%d (is the port taken?)", port);
  }
  const union MHD_DaemonInfo *info =
      MHD_get_daemon_info(emulator->daemon, MHD_DAEMON_INFO_BIND_PORT);
  int bound = info ? info->port : port;
  snprintf(emulator->url, sizeof emulator->url, "http://127.0.0.1:%d", bound);
  return SWH_OK;
}

/* Waits until no request is in flight or `seconds` have passed; returns how many are left. */
static int wait_for_flights(struct swh_emulator *emulator, double seconds) {
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  long long nanoseconds = deadline.tv_nsec + (long long)((seconds - (long long)seconds) * 1e9);
  deadline.tv_sec += (time_t)seconds + (time_t)(nanoseconds / 1000000000LL);
  deadline.tv_nsec = (long)(nanoseconds % 1000000000LL);
  pthread_mutex_lock(&emulator->flight_lock);
  while (emulator->in_flight > 0 &&
         pthread_cond_timedwait(&emulator->flight_done, &emulator->flight_lock, &deadline) !=
             ETIMEDOUT) {
  }
  int left = emulator->in_flight;
  pthread_mutex_unlock(&emulator->flight_lock);
  return left;
}

void emu_server_stop(struct swh_emulator *emulator) {
  if (!emulator->daemon)
    return;
  /* Gracefully: no new connections, the requests begun are answered (for at most the
     latency and 5 s more), then idle keep-alive connections are closed with the daemon. */
  pthread_mutex_lock(&emulator->flight_lock);
  emulator->stopping = true;
  pthread_mutex_unlock(&emulator->flight_lock);
  MHD_socket listener = MHD_quiesce_daemon(emulator->daemon);
  /* MHD no longer accepts, but the kernel would still queue new connections until the
     socket is closed (only after MHD_stop_daemon): shut it, so they are refused now */
  if (listener != MHD_INVALID_SOCKET)
    shutdown(listener, SHUT_RDWR);
  int left = wait_for_flights(emulator, emulator->latency_ms / 1000.0 + 5.0);
  if (left > 0 && !emulator->quiet)
    fprintf(stderr, "swh-emulator: %d request%s still unanswered after %.1f s; closing\n", left,
            left == 1 ? "" : "s", emulator->latency_ms / 1000.0 + 5.0);
  /* MHD_stop_daemon must not meet a suspended connection */
  emu_timers_release_all(&emulator->timers);
  MHD_stop_daemon(emulator->daemon);
  if (listener != MHD_INVALID_SOCKET)
    close(listener); /* after MHD_stop_daemon, as MHD_quiesce_daemon asks */
  emulator->daemon = NULL;
  emu_timers_destroy(&emulator->timers); /* after: MHD's close notifications use it */
  flight_destroy(emulator);
}
