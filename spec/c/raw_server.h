/*
 * raw_server: a tiny scripted HTTP/1.1 server on 127.0.0.1 for the client's C tests, giving
 * the answers the emulator cannot (garbage, dropped connections at a chosen moment, hanging,
 * huge headers, odd tokens). One request per connection: every answer says Connection:
 * close. Requests are answered in order from the script; with raw_token set, every
 * POST /oauth2/token is answered by it instead (and counted apart), so a test can script
 * only the API's answers.
 */
#ifndef RAW_SERVER_H
#define RAW_SERVER_H

#include <pthread.h>
#include <stdbool.h>

#define RAW_MAX 16
#define RAW_DROP "DROP" /* read the request, close without answering */
#define RAW_HANG "HANG" /* read the request, answer nothing until stopped */

typedef struct raw_server {
  int fd, port;
  pthread_t thread;
  char *answers[RAW_MAX];
  int answer_count;
  int scripted;                 /* answers of the script used so far */
  bool repeat_last;             /* past the script, the last answer again (else a 599) */
  char *token_answer;           /* the answer to every token request, or NULL */
  char requests[RAW_MAX][1024]; /* the first requests' line and headers, tokens included */
  volatile int served;          /* requests read, tokens included */
  volatile int token_requests;  /* of which token requests (with raw_token only) */
  volatile int stop;
  char url[64];                 /* "http://127.0.0.1:PORT" */
} raw_server;

/* A server bound to a free port of 127.0.0.1, not yet serving (script it, then raw_run). */
raw_server *raw_start(void);

/* The same on a given port (0: a free one); NULL when it cannot be bound. */
raw_server *raw_start_at(int port);

/* A port of 127.0.0.1 that nothing listens on (free a moment ago). */
int raw_free_port(void);

/* Adds an answer with Content-Length and Connection: close; headers are whole lines, each
   ending in "\r\n" (or ""). */
void raw_answer(raw_server *s, int status, const char *headers, const char *body);

/* Adds RAW_DROP or RAW_HANG. */
void raw_special(raw_server *s, const char *what);

/* Answers every POST /oauth2/token with 200 and body. */
void raw_token(raw_server *s, const char *body);

void raw_run(raw_server *s);

/* Stops serving, joins the thread and frees the server. */
void raw_stop(raw_server *s);

#endif
