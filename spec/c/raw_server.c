/* raw_server: see raw_server.h. */
#define _POSIX_C_SOURCE 200809L
#include "raw_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static char *answer_text(int status, const char *headers, const char *body) {
  char *text = malloc(strlen(body) + strlen(headers) + 256);
  if (text)
    sprintf(text, "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n%s",
            status, strlen(body), headers, body);
  return text;
}

void raw_answer(raw_server *s, int status, const char *headers, const char *body) {
  if (s->answer_count < RAW_MAX) s->answers[s->answer_count++] = answer_text(status, headers, body);
}

void raw_special(raw_server *s, const char *what) {
  if (s->answer_count < RAW_MAX) s->answers[s->answer_count++] = strdup(what);
}

void raw_token(raw_server *s, const char *body) {
  free(s->token_answer);
  s->token_answer = answer_text(200, "", body);
}

/* Reads one request head and its body (by Content-Length). Returns false on EOF. */
static bool read_request(int conn, char *head, size_t size) {
  size_t len = 0;
  head[0] = '\0';
  char *end = NULL;
  while (!(end = strstr(head, "\r\n\r\n"))) {
    if (len + 1 >= size) return false;
    ssize_t n = recv(conn, head + len, size - 1 - len, 0);
    if (n <= 0) return false;
    len += (size_t)n;
    head[len] = '\0';
  }
  long body = 0;
  const char *cl = strstr(head, "Content-Length:");
  if (!cl) cl = strstr(head, "content-length:");
  if (cl) body = strtol(cl + 15, NULL, 10);
  long have = (long)(len - (size_t)(end + 4 - head));
  char sink[1024];
  while (have < body) {
    ssize_t n = recv(conn, sink, sizeof sink, 0);
    if (n <= 0) return false;
    have += n;
  }
  *end = '\0';
  return true;
}

static void sleep_10ms(void) {
  struct timespec ts = {0, 10000000L};
  nanosleep(&ts, NULL);
}

static const char *next_answer(raw_server *s, const char *head) {
  if (s->token_answer && strncmp(head, "POST /oauth2/token ", 19) == 0) {
    s->token_requests++;
    return s->token_answer;
  }
  if (s->scripted < s->answer_count) return s->answers[s->scripted++];
  if (s->repeat_last && s->answer_count > 0) return s->answers[s->answer_count - 1];
  return NULL;
}

static void *serve(void *arg) {
  raw_server *s = arg;
  while (!s->stop) {
    struct pollfd p = {s->fd, POLLIN, 0};
    if (poll(&p, 1, 20) <= 0) continue;
    int conn = accept(s->fd, NULL, NULL);
    if (conn < 0) continue;
    char head[4096];
    if (read_request(conn, head, sizeof head)) {
      int i = s->served;
      if (i < RAW_MAX) snprintf(s->requests[i], sizeof s->requests[i], "%s", head);
      const char *answer = next_answer(s, head);
      s->served = i + 1;
      if (!answer) {
        const char *none = "HTTP/1.1 599 X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        send(conn, none, strlen(none), MSG_NOSIGNAL);
      } else if (strcmp(answer, RAW_HANG) == 0) {
        while (!s->stop) sleep_10ms();
      } else if (strcmp(answer, RAW_DROP) != 0) {
        send(conn, answer, strlen(answer), MSG_NOSIGNAL);
      }
    }
    close(conn);
  }
  return NULL;
}

raw_server *raw_start(void) { return raw_start_at(0); }

int raw_free_port(void) {
  raw_server *s = raw_start_at(0);
  if (!s) return -1;
  int port = s->port;
  close(s->fd);
  free(s);
  return port;
}

raw_server *raw_start_at(int port) {
  raw_server *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s->fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(s->fd, 16) != 0) {
    close(s->fd);
    free(s);
    return NULL;
  }
  socklen_t len = sizeof addr;
  getsockname(s->fd, (struct sockaddr *)&addr, &len);
  s->port = ntohs(addr.sin_port);
  snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d", s->port);
  return s;
}

void raw_run(raw_server *s) { pthread_create(&s->thread, NULL, serve, s); }

void raw_stop(raw_server *s) {
  s->stop = 1;
  pthread_join(s->thread, NULL);
  close(s->fd);
  for (int i = 0; i < s->answer_count; i++) free(s->answers[i]);
  free(s->token_answer);
  free(s);
}
