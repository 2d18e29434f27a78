/*
 * core.listen: a local receiver of callbacks for swh listen (lua/swh/listen.lua), on
 * libmicrohttpd's threads, so callbacks are answered while Lua prints the ones before:
 *
 *   core.listen{port=0, secret=?, max_age=300, forward=?, status=200}
 *     -> listener | nil, err      (on 127.0.0.1; port 0: a free one)
 *   listener:url()                -> "http://127.0.0.1:PORT"
 *   listener:next(timeout_s)      -> callback | nil    (nil: none came within the timeout)
 *   listener:close()              (also at collection)
 *
 * Each POST is answered at once: with a secret, its signature is checked by the core's
 * swh_signature_verify (raw body, the four headers, max_age seconds of clock skew) and a
 * callback that fails it gets 401 {"error": reason}; otherwise `status` (200 by default),
 * or, with forward, the status of the same request (body and x-sinch-* headers) sent to
 * that URL (502 when it cannot be reached). A callback is the table
 *   {method, path, body, signature = "valid"|"invalid"|"unsigned"|"unchecked",
 *    reason = ?, status, forward_error = ?, headers = {signature, nonce, timestamp,
 *    algorithm, content_type, authorization = true|nil}}
 * ("unchecked": signed, but no secret to check it with; "unsigned": no signature headers).
 * At most QUEUE_MAX callbacks wait for next(); beyond that the oldest are dropped and
 * callback.dropped says how many before it.
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>
#include <lauxlib.h>
#include <lua.h>
#include <microhttpd.h>
#include <openssl/crypto.h>

#include "binding_internal.h"
#include "swh_signature.h"

#define SWH_LISTENER_MT "swh.listener"
#define QUEUE_MAX 10000
#define MAX_BODY (1024 * 1024)
#define FORWARD_TIMEOUT_MS 10000

typedef struct callback {
  struct callback *next;
  char *method, *path, *body;
  size_t body_len;
  char *signature, *nonce, *timestamp, *algorithm, *content_type;
  bool authorization;
  const char *verdict;
  char reason[SWH_ERROR_MESSAGE_MAX];
  char forward_error[CURL_ERROR_SIZE];
  int status;
  long dropped;
} callback;

typedef struct listener {
  struct MHD_Daemon *daemon;
  char url[64];
  char *secret, *forward;
  long long max_age;
  int status;
  pthread_mutex_t lock;
  pthread_cond_t arrived;
  callback *head, *tail;
  size_t queued;
  long dropped;
} listener;

typedef struct upload {
  char *data;
  size_t len;
  bool too_large;
} upload;

static char *header_copy(struct MHD_Connection *c, const char *name) {
  const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
  return v ? strdup(v) : NULL;
}

static void free_callback(callback *cb) {
  free(cb->method);
  free(cb->path);
  free(cb->body);
  free(cb->signature);
  free(cb->nonce);
  free(cb->timestamp);
  free(cb->algorithm);
  free(cb->content_type);
  free(cb);
}

static size_t discard(char *data, size_t size, size_t count, void *userdata) {
  (void)data, (void)userdata;
  return size * count;
}

static struct curl_slist *add(struct curl_slist *list, const char *name, const char *value) {
  if (!value)
    return list;
  char line[1024];
  snprintf(line, sizeof line, "%s: %s", name, value);
  struct curl_slist *grown = curl_slist_append(list, line);
  if (!grown) {
    curl_slist_free_all(list);
    return NULL;
  }
  return grown;
}

/* Sends the callback on to l->forward as it came; its status, or 502 with the error. */
static int forward(const listener *l, callback *cb) {
  CURL *curl = curl_easy_init();
  if (!curl) {
    snprintf(cb->forward_error, sizeof cb->forward_error, "cannot create a transfer");
    return 502;
  }
  struct curl_slist *headers = add(NULL, "Content-Type",
                                   cb->content_type ? cb->content_type : "application/json");
  headers = headers ? add(headers, "Expect", "") : NULL;
  headers = headers ? add(headers, "x-sinch-webhook-signature", cb->signature) : NULL;
  headers = headers ? add(headers, "x-sinch-webhook-signature-nonce", cb->nonce) : NULL;
  headers = headers ? add(headers, "x-sinch-webhook-signature-timestamp", cb->timestamp) : NULL;
  headers = headers ? add(headers, "x-sinch-webhook-signature-algorithm", cb->algorithm) : NULL;
  const char *body = cb->body ? cb->body : "";
  curl_easy_setopt(curl, CURLOPT_URL, l->forward);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)cb->body_len);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)FORWARD_TIMEOUT_MS);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, cb->forward_error);
  cb->forward_error[0] = '\0';
  long status = 502;
  CURLcode code = headers ? curl_easy_perform(curl) : CURLE_OUT_OF_MEMORY;
  if (code == CURLE_OK)
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  else if (!cb->forward_error[0])
    snprintf(cb->forward_error, sizeof cb->forward_error, "%s", curl_easy_strerror(code));
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return (int)status;
}

static void judge(const listener *l, callback *cb) {
  bool signed_ = cb->signature || cb->nonce || cb->timestamp || cb->algorithm;
  if (!l->secret) {
    cb->verdict = signed_ ? "unchecked" : "unsigned";
    return;
  }
  swh_signature_headers headers = {cb->signature, cb->nonce, cb->timestamp, cb->algorithm};
  swh_error err;
  swh_error_init(&err);
  if (swh_signature_verify(l->secret, cb->body, cb->body_len, &headers, (long long)time(NULL),
                           l->max_age, &err) == SWH_OK) {
    cb->verdict = "valid";
  } else {
    cb->verdict = signed_ ? "invalid" : "unsigned";
    snprintf(cb->reason, sizeof cb->reason, "%s", err.message);
  }
  swh_error_clear(&err);
}

static void enqueue(listener *l, callback *cb) {
  pthread_mutex_lock(&l->lock);
  if (l->queued == QUEUE_MAX) {
    callback *oldest = l->head;
    l->head = oldest->next;
    if (!l->head)
      l->tail = NULL;
    free_callback(oldest);
    l->queued--;
    l->dropped++;
  }
  cb->dropped = l->dropped;
  l->dropped = 0;
  if (l->tail)
    l->tail->next = cb;
  else
    l->head = cb;
  l->tail = cb;
  l->queued++;
  pthread_cond_signal(&l->arrived);
  pthread_mutex_unlock(&l->lock);
}

static enum MHD_Result reply(struct MHD_Connection *c, int status, const char *text) {
  struct MHD_Response *r =
      MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
  if (!r)
    return MHD_NO;
  MHD_add_response_header(r, "Content-Type", "application/json");
  enum MHD_Result result = MHD_queue_response(c, (unsigned)status, r);
  MHD_destroy_response(r);
  return result;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *size, void **req_cls) {
  (void)version;
  listener *l = cls;
  upload *u = *req_cls;
  if (!u) {
    *req_cls = u = calloc(1, sizeof *u);
    return u ? MHD_YES : MHD_NO;
  }
  if (*size) {
    if (u->len + *size > MAX_BODY) {
      u->too_large = true;
    } else {
      char *grown = realloc(u->data, u->len + *size + 1);
      if (!grown)
        return MHD_NO;
      memcpy(grown + u->len, data, *size);
      u->data = grown;
      u->len += *size;
      u->data[u->len] = '\0';
    }
    *size = 0;
    return MHD_YES;
  }
  if (strcmp(method, "POST") != 0)
    return reply(c, 405, "{\"error\":\"callbacks are POSTed\"}");
  if (u->too_large)
    return reply(c, 413, "{\"error\":\"body larger than 1 MiB\"}");
  callback *cb = calloc(1, sizeof *cb);
  if (!cb)
    return MHD_NO;
  cb->method = strdup(method);
  cb->path = strdup(url);
  cb->body = u->data;
  cb->body_len = u->len;
  u->data = NULL;
  cb->signature = header_copy(c, "x-sinch-webhook-signature");
  cb->nonce = header_copy(c, "x-sinch-webhook-signature-nonce");
  cb->timestamp = header_copy(c, "x-sinch-webhook-signature-timestamp");
  cb->algorithm = header_copy(c, "x-sinch-webhook-signature-algorithm");
  cb->content_type = header_copy(c, "Content-Type");
  cb->authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization") != NULL;
  judge(l, cb);
  bool refused = strcmp(cb->verdict, "invalid") == 0 ||
                 (l->secret && strcmp(cb->verdict, "unsigned") == 0);
  cb->status = refused ? 401 : l->forward ? forward(l, cb) : l->status;
  char text[SWH_ERROR_MESSAGE_MAX + 32];
  json_t *answer = refused ? json_pack("{s:s}", "error", cb->reason) : json_object();
  char *dumped = answer ? json_dumps(answer, JSON_COMPACT) : NULL;
  snprintf(text, sizeof text, "%s", dumped ? dumped : "{}");
  free(dumped);
  json_decref(answer);
  int status = cb->status;
  enqueue(l, cb);
  return reply(c, status, text);
}

static void on_done(void *cls, struct MHD_Connection *c, void **req_cls,
                    enum MHD_RequestTerminationCode code) {
  (void)cls, (void)c, (void)code;
  upload *u = *req_cls;
  if (u) {
    free(u->data);
    free(u);
  }
  *req_cls = NULL;
}

static void close_listener(listener *l) {
  if (l->daemon) {
    MHD_stop_daemon(l->daemon);
    l->daemon = NULL;
  }
  while (l->head) {
    callback *next = l->head->next;
    free_callback(l->head);
    l->head = next;
  }
  l->tail = NULL;
  if (l->secret) {
    OPENSSL_cleanse(l->secret, strlen(l->secret));
    free(l->secret);
    l->secret = NULL;
  }
  free(l->forward);
  l->forward = NULL;
}

static listener *check_listener(lua_State *L) {
  return luaL_checkudata(L, 1, SWH_LISTENER_MT);
}

static int listener_gc(lua_State *L) {
  listener *l = check_listener(L);
  bool was_open = l->url[0] != '\0';
  close_listener(l);
  if (was_open) {
    pthread_mutex_destroy(&l->lock);
    pthread_cond_destroy(&l->arrived);
  }
  l->url[0] = '\0';
  return 0;
}

static int listener_url(lua_State *L) {
  listener *l = check_listener(L);
  luaL_argcheck(L, l->daemon, 1, "the listener is closed");
  lua_pushstring(L, l->url);
  return 1;
}

static void set_string(lua_State *L, const char *name, const char *value) {
  if (value) {
    lua_pushstring(L, value);
    lua_setfield(L, -2, name);
  }
}

static void push_callback(lua_State *L, const callback *cb) {
  lua_createtable(L, 0, 10);
  set_string(L, "method", cb->method);
  set_string(L, "path", cb->path);
  lua_pushlstring(L, cb->body ? cb->body : "", cb->body_len);
  lua_setfield(L, -2, "body");
  set_string(L, "signature", cb->verdict);
  if (cb->reason[0])
    set_string(L, "reason", cb->reason);
  if (cb->forward_error[0])
    set_string(L, "forward_error", cb->forward_error);
  lua_pushinteger(L, cb->status);
  lua_setfield(L, -2, "status");
  if (cb->dropped) {
    lua_pushinteger(L, cb->dropped);
    lua_setfield(L, -2, "dropped");
  }
  lua_createtable(L, 0, 6);
  set_string(L, "signature", cb->signature);
  set_string(L, "nonce", cb->nonce);
  set_string(L, "timestamp", cb->timestamp);
  set_string(L, "algorithm", cb->algorithm);
  set_string(L, "content_type", cb->content_type);
  if (cb->authorization) {
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "authorization");
  }
  lua_setfield(L, -2, "headers");
}

static int listener_next(lua_State *L) {
  listener *l = check_listener(L);
  luaL_argcheck(L, l->daemon, 1, "the listener is closed");
  lua_Number timeout = luaL_optnumber(L, 2, 0);
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  if (timeout > 0) {
    long long ns = deadline.tv_nsec + (long long)(timeout * 1e9);
    deadline.tv_sec += (time_t)(ns / 1000000000);
    deadline.tv_nsec = (long)(ns % 1000000000);
  }
  pthread_mutex_lock(&l->lock);
  while (!l->head && timeout > 0)
    if (pthread_cond_timedwait(&l->arrived, &l->lock, &deadline) != 0)
      break;
  callback *cb = l->head;
  if (cb) {
    l->head = cb->next;
    if (!l->head)
      l->tail = NULL;
    l->queued--;
  }
  pthread_mutex_unlock(&l->lock);
  if (!cb) {
    lua_pushnil(L);
    return 1;
  }
  push_callback(L, cb); /* raises only when memory runs out: cb then leaks once */
  free_callback(cb);
  return 1;
}

static int listener_close(lua_State *L) {
  listener *l = check_listener(L);
  if (l->daemon)
    close_listener(l);
  return 0;
}

static const char *opt_string(lua_State *L, const char *name) {
  int type = lua_getfield(L, 1, name);
  if (type != LUA_TNIL && type != LUA_TSTRING)
    luaL_error(L, "listen: %s: expected a string, got %s", name, luaL_typename(L, -1));
  const char *value = lua_tostring(L, -1);
  lua_pop(L, 1);
  return value && *value ? value : NULL;
}

static lua_Integer opt_integer(lua_State *L, const char *name, lua_Integer otherwise,
                               lua_Integer low, lua_Integer high) {
  int type = lua_getfield(L, 1, name);
  lua_Integer value = otherwise;
  if (type != LUA_TNIL) {
    int ok = 0;
    value = lua_tointegerx(L, -1, &ok);
    if (!ok || value < low || value > high)
      luaL_error(L, "listen: %s: expected an integer from %d to %d", name, (int)low, (int)high);
  }
  lua_pop(L, 1);
  return value;
}

static int new_listener(lua_State *L) {
  if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_newtable(L);
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  static const char *const names[] = {"port", "secret", "max_age", "forward", "status"};
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    lua_pop(L, 1);
    bool known = false;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !known; i++)
      known = lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), names[i]) == 0;
    if (!known) {
      const char *key = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?";
      return luaL_error(L, "listen: %s", lswh_unknown_option(L, key, names, 5));
    }
  }
  int port = (int)opt_integer(L, "port", 0, 0, 65535);
  int status = (int)opt_integer(L, "status", 200, 200, 599);
  long long max_age = opt_integer(L, "max_age", 300, 0, 86400 * 365);
  const char *secret = opt_string(L, "secret");
  const char *forward_to = opt_string(L, "forward");
  listener *l = lua_newuserdatauv(L, sizeof *l, 0);
  memset(l, 0, sizeof *l);
  luaL_setmetatable(L, SWH_LISTENER_MT);
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&l->arrived, &attr);
  pthread_condattr_destroy(&attr);
  pthread_mutex_init(&l->lock, NULL);
  snprintf(l->url, sizeof l->url, "starting"); /* marks lock and cond as made, for __gc */
  l->status = status;
  l->max_age = max_age;
  l->secret = secret ? strdup(secret) : NULL;
  l->forward = forward_to ? strdup(forward_to) : NULL;
  if ((secret && !l->secret) || (forward_to && !l->forward))
    return luaL_error(L, "listen: out of memory");
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  /* Its threads leave the signals meant for the program (a Ctrl-C stops swh listen) to the
     main thread: they start with all blocked but those a fault raises. */
  sigset_t blocked, previous;
  sigfillset(&blocked);
  static const int faults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS};
  for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++)
    sigdelset(&blocked, faults[i]);
  pthread_sigmask(SIG_BLOCK, &blocked, &previous);
  l->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY,
                               (uint16_t)port, NULL, NULL, on_request, l,
                               MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                               MHD_OPTION_THREAD_POOL_SIZE, 4u, MHD_OPTION_NOTIFY_COMPLETED,
                               on_done, l, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
                               MHD_OPTION_END);
  pthread_sigmask(SIG_SETMASK, &previous, NULL);
  if (!l->daemon) {
    swh_error err;
    swh_error_init(&err);
    swh_error_set(&err, SWH_ERR_USAGE, "listen: cannot listen on 127.0.0.1:%d (in use?)", port);
    lua_pushnil(L);
    lswh_error_push(L, &err);
    return 2;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(l->daemon, MHD_DAEMON_INFO_BIND_PORT);
  snprintf(l->url, sizeof l->url, "http://127.0.0.1:%u", (unsigned)info->port);
  return 1;
}

void lswh_listen_open(lua_State *L) {
  static const luaL_Reg methods[] = {{"url", listener_url},
                                     {"next", listener_next},
                                     {"close", listener_close},
                                     {NULL, NULL}};
  luaL_newmetatable(L, SWH_LISTENER_MT);
  lua_pushcfunction(L, listener_gc);
  lua_setfield(L, -2, "__gc");
  luaL_newlib(L, methods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  lua_pushcfunction(L, new_listener);
  lua_setfield(L, -2, "listen");
}
