/* Building replies, and the one place where HTTP statuses map to API statuses. */
#include "reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swh_text.h"

void emu_reply_init(emu_reply *reply) {
  reply->status = 0;
  reply->body = NULL;
  reply->text = NULL;
  reply->www_authenticate[0] = '\0';
  reply->retry_after = 0;
  reply->drop = false;
  reply->fault = NULL;
}

void emu_reply_clear(emu_reply *reply) {
  json_decref(reply->body);
  reply->body = NULL;
  free(reply->text);
  reply->text = NULL;
}

void emu_reply_json(emu_reply *reply, int status, json_t *body) {
  emu_reply_clear(reply);
  reply->status = body ? status : 500;
  reply->body = body;
}

void emu_reply_text(emu_reply *reply, int status, char *text) {
  emu_reply_clear(reply);
  reply->text = text;
  reply->status = text ? status : 500; /* server.c sends a fixed 500 without a body */
}

void emu_reply_dump(emu_reply *reply, int status, const json_t *value) {
  emu_reply_text(reply, status, json_dumps(value, EMU_REPLY_JSON_FLAGS));
}

const char *emu_api_status(int http_status) {
  switch (http_status) {
  case 400: return "INVALID_ARGUMENT";
  case 401: return "UNAUTHENTICATED";
  case 403: return "PERMISSION_DENIED";
  case 404: return "NOT_FOUND";
  case 409: return "ALREADY_EXISTS";
  case 413: return "INVALID_ARGUMENT";
  case 429: return "RESOURCE_EXHAUSTED";
  case 500: return "INTERNAL";
  case 501: return "UNIMPLEMENTED";
  case 503: return "UNAVAILABLE";
  default: return "UNKNOWN";
  }
}

const char *emu_quote_text(emu_quote *q, const char *text, size_t max_chars) {
  q->text[0] = '\0';
  if (max_chars > EMU_QUOTE_MAX)
    max_chars = EMU_QUOTE_MAX;
  if (text)
    swhi_text_append_printable(q->text, sizeof q->text, text, strlen(text), max_chars);
  return q->text;
}

void emu_reply_error(emu_reply *reply, int status, const char *fmt, ...) {
  char message[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  /* quotes went through emu_quote_text; this only mends a cut at the end of the buffer, so
     that no message can make the body invalid and the answer a 500 */
  swhi_text_make_line(message);
  json_t *body = json_pack("{s:{s:i,s:s,s:s,s:[]}}", "error", "code", status, "message",
                           message, "status", emu_api_status(status), "details");
  emu_reply_clear(reply);
  reply->status = status; /* even without a body: server.c sends a fixed 500 then */
  reply->body = body;
  if (!body)
    reply->status = 500;
}
