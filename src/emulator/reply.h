/*
 * emu_reply: what a route handler decides to answer, before server.c turns it into an HTTP
 * response. Handlers never touch libmicrohttpd; they fill one of these. Every error leaves
 * in API.md's nested form {"error":{"code","message","status","details":[]}}.
 */
#ifndef EMU_REPLY_H
#define EMU_REPLY_H

#include <stdbool.h>

#include <jansson.h>

typedef struct emu_reply {
  int status;                  /* HTTP status */
  json_t *body;                /* owned; NULL only after an allocation failure */
  char *text;                  /* owned: the body already serialised (emu_reply_dump), or
                                  NULL: body is */
  char www_authenticate[192];  /* "" or the WWW-Authenticate value */
  int retry_after;             /* seconds for Retry-After; 0: no header */
  bool drop;                   /* close the connection instead of answering */
  const char *fault;           /* the injected fault's name for the log, or NULL */
} emu_reply;

/* How answers are serialised. */
#define EMU_REPLY_JSON_FLAGS JSON_COMPACT

/* An empty reply (status 0, nothing to send yet). */
void emu_reply_init(emu_reply *reply);

/* Frees the body and its text. */
void emu_reply_clear(emu_reply *reply);

/* Answers status with body (stolen; NULL counts as an allocation failure, answered 500). */
void emu_reply_json(emu_reply *reply, int status, json_t *body);

/* Answers status with value (borrowed) serialised now, while the caller still holds the
   lock that keeps it unchanged: the stored objects are never handed out. An allocation
   failure answers 500. */
void emu_reply_dump(emu_reply *reply, int status, const json_t *value);

/* Answers status with text (stolen: a JSON text in EMU_REPLY_JSON_FLAGS's form; NULL counts
   as an allocation failure, answered 500). */
void emu_reply_text(emu_reply *reply, int status, char *text);

/* Answers an error in the nested form, the API status derived from the HTTP status
   (400 INVALID_ARGUMENT, 401 UNAUTHENTICATED ...). */
void emu_reply_error(emu_reply *reply, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The longest quote of request text in a message, in characters. */
#define EMU_QUOTE_MAX 256

/* A quote's room: EMU_QUOTE_MAX characters of at most 4 bytes, "..." and the NUL. */
typedef struct emu_quote {
  char text[EMU_QUOTE_MAX * 4 + 4];
} emu_quote;

/* Request text (a method, a path, a project or app id, a value from the query, the form or
   the body, jansson's words about a bad body) made fit to quote in an error message, which
   must be valid UTF-8 for jansson to make it a JSON string: a byte that is not UTF-8 becomes
   '?', a control character a space; at most max_chars characters (up to EMU_QUOTE_MAX), and
   when text is longer it is cut between two characters and ends with "...". Every message
   that quotes a request quotes it through here. Returns q->text (no allocation). */
const char *emu_quote_text(emu_quote *q, const char *text, size_t max_chars);

/* The API status name for an HTTP status: "NOT_FOUND" for 404, "UNKNOWN" when none fits. */
const char *emu_api_status(int http_status);

#endif
