/* receiver: see receiver.h. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* MHD needs the BSD socket types */
#endif
#include "receiver.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <microhttpd.h>

struct receiver {
  struct MHD_Daemon *daemon;
  char url[64];
  pthread_mutex_t lock;
  int script[RECEIVER_SCRIPT];
  int script_count, script_used;
  int count, token_count, token_length;
  received kept[RECEIVER_KEEP];
  received tokens[16];
};

typedef struct pending {
  char *body;
  size_t len;
} pending;

static void copy_header(struct MHD_Connection *c, const char *name, char *out, size_t size) {
  const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
  snprintf(out, size, "%s", v ? v : "");
}

static enum MHD_Result answer(struct MHD_Connection *c, int status, const char *text) {
  struct MHD_Response *response =
      MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
  MHD_add_response_header(response, "Content-Type", "application/json");
  enum MHD_Result result = MHD_queue_response(c, (unsigned)status, response);
  MHD_destroy_response(response);
  return result;
}

static void fill(received *rec, struct MHD_Connection *c, const char *url, pending *p) {
  snprintf(rec->path, sizeof rec->path, "%s", url);
  rec->body = p->body;
  rec->body_len = p->len;
  p->body = NULL;
  copy_header(c, "x-sinch-webhook-signature", rec->signature, sizeof rec->signature);
  copy_header(c, "x-sinch-webhook-signature-nonce", rec->nonce, sizeof rec->nonce);
  copy_header(c, "x-sinch-webhook-signature-timestamp", rec->timestamp, sizeof rec->timestamp);
  copy_header(c, "x-sinch-webhook-signature-algorithm", rec->algorithm, sizeof rec->algorithm);
  copy_header(c, "Authorization", rec->authorization, sizeof rec->authorization);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **req_cls) {
  (void)method, (void)version;
  receiver *r = cls;
  pending *p = *req_cls;
  if (!p) {
    *req_cls = calloc(1, sizeof *p);
    return *req_cls ? MHD_YES : MHD_NO;
  }
  if (*upload_size) {
    char *grown = realloc(p->body, p->len + *upload_size + 1);
    if (!grown)
      return MHD_NO;
    memcpy(grown + p->len, upload, *upload_size);
    p->body = grown;
    p->len += *upload_size;
    p->body[p->len] = '\0';
    *upload_size = 0;
    return MHD_YES;
  }
  pthread_mutex_lock(&r->lock);
  if (strcmp(url, "/token") == 0) {
    int n = ++r->token_count;
    if (n <= 16)
      fill(&r->tokens[n - 1], c, url, p);
    int length = r->token_length;
    pthread_mutex_unlock(&r->lock);
    char token[2048];
    int at = snprintf(token, sizeof token, "token-%d", n);
    while (at < length && at < (int)sizeof token - 1)
      token[at++] = 'x';
    token[at] = '\0';
    char text[2200];
    snprintf(text, sizeof text, "{\"access_token\":\"%s\",\"expires_in\":3600}", token);
    return answer(c, 200, text);
  }
  int i = r->count++;
  if (i < RECEIVER_KEEP)
    fill(&r->kept[i], c, url, p);
  int status = 200;
  if (r->script_count) {
    int k = r->script_used < r->script_count ? r->script_used++ : r->script_count - 1;
    status = r->script[k];
  }
  pthread_mutex_unlock(&r->lock);
  return answer(c, status, "{}");
}

static void on_done(void *cls, struct MHD_Connection *c, void **req_cls,
                    enum MHD_RequestTerminationCode code) {
  (void)cls, (void)c, (void)code;
  pending *p = *req_cls;
  if (p) {
    free(p->body);
    free(p);
  }
  *req_cls = NULL;
}

receiver *receiver_start(void) {
  receiver *r = calloc(1, sizeof *r);
  if (!r)
    return NULL;
  pthread_mutex_init(&r->lock, NULL);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  r->daemon = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY, 0, NULL, NULL, on_request, r,
      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, 4u,
      MHD_OPTION_NOTIFY_COMPLETED, on_done, r, MHD_OPTION_CONNECTION_LIMIT, 1000u,
      MHD_OPTION_END);
  if (!r->daemon) {
    free(r);
    return NULL;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(r->daemon, MHD_DAEMON_INFO_BIND_PORT);
  snprintf(r->url, sizeof r->url, "http://127.0.0.1:%u", (unsigned)info->port);
  return r;
}

const char *receiver_url(const receiver *r) { return r->url; }

void receiver_token_length(receiver *r, int length) {
  pthread_mutex_lock(&r->lock);
  r->token_length = length;
  pthread_mutex_unlock(&r->lock);
}

void receiver_script(receiver *r, const int *statuses, int count) {
  pthread_mutex_lock(&r->lock);
  r->script_count = count < RECEIVER_SCRIPT ? count : RECEIVER_SCRIPT;
  memcpy(r->script, statuses, (size_t)r->script_count * sizeof *statuses);
  r->script_used = 0;
  pthread_mutex_unlock(&r->lock);
}

int receiver_count(receiver *r) {
  pthread_mutex_lock(&r->lock);
  int n = r->count;
  pthread_mutex_unlock(&r->lock);
  return n;
}

int receiver_token_count(receiver *r) {
  pthread_mutex_lock(&r->lock);
  int n = r->token_count;
  pthread_mutex_unlock(&r->lock);
  return n;
}

bool receiver_get(receiver *r, int i, received *out) {
  pthread_mutex_lock(&r->lock);
  bool ok = i >= 0 && i < r->count && i < RECEIVER_KEEP;
  if (ok)
    *out = r->kept[i];
  pthread_mutex_unlock(&r->lock);
  return ok;
}

bool receiver_get_token(receiver *r, int i, received *out) {
  pthread_mutex_lock(&r->lock);
  bool ok = i >= 0 && i < r->token_count && i < 16;
  if (ok)
    *out = r->tokens[i];
  pthread_mutex_unlock(&r->lock);
  return ok;
}

void receiver_stop(receiver *r) {
  if (!r)
    return;
  MHD_stop_daemon(r->daemon);
  for (int i = 0; i < RECEIVER_KEEP; i++)
    free(r->kept[i].body);
  for (int i = 0; i < 16; i++)
    free(r->tokens[i].body);
  pthread_mutex_destroy(&r->lock);
  free(r);
}
