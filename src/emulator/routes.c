/* Which route a request is for, and the checks every API route shares. */
#include "routes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "control.h"
#include "handlers.h"
#include "hex.h"

typedef enum {
  ROUTE_NONE,
  ROUTE_TOKEN,     /* /oauth2/token */
  ROUTE_APPS,      /* /v1/projects/P/apps */
  ROUTE_APP,       /* /v1/projects/P/apps/A */
  ROUTE_LIST,      /* /v1/projects/P/apps/A/webhooks */
  ROUTE_CREATE,    /* /v1/projects/P/webhooks */
  ROUTE_WEBHOOK,   /* /v1/projects/P/webhooks/W */
} route_kind;

#define MAX_SEGMENTS 8
#define MAX_PATH 2048

typedef struct route {
  route_kind kind;
  const char *project;
  const char *app;
  const char *webhook;
  char buffer[MAX_PATH];
  const char *segment[MAX_SEGMENTS];
  int count;
} route;

/* Decodes the %HH sequences of a segment in place (others stay as they are); false when one
   decodes to a NUL, which no id or name can hold. */
static bool percent_decode(char *segment) {
  char *out = segment;
  for (const char *in = segment; *in; out++) {
    int high = in[0] == '%' ? emu_hex_digit(in[1]) : -1;
    int low = high >= 0 ? emu_hex_digit(in[2]) : -1;
    if (low >= 0) {
      *out = (char)(high * 16 + low);
      if (*out == '\0')
        return false;
      in += 3;
    } else {
      *out = *in++;
    }
  }
  *out = '\0';
  return true;
}

/* Splits path (as sent) into non-empty segments, then decodes each one, so an id holding
   "%2F" stays one segment; an empty segment (//, a trailing /), too many, or a %00 makes
   the path unknown. */
static bool split(route *r, const char *path) {
  if (path[0] != '/' || strlen(path) >= sizeof r->buffer)
    return false;
  strcpy(r->buffer, path + 1);
  r->count = 0;
  char *p = r->buffer;
  for (;;) {
    char *slash = strchr(p, '/');
    if (slash)
      *slash = '\0';
    if (*p == '\0' || r->count == MAX_SEGMENTS)
      return false;
    if (!percent_decode(p))
      return false;
    r->segment[r->count++] = p;
    if (!slash)
      return true;
    p = slash + 1;
  }
}

static bool is(const route *r, int i, const char *text) {
  return i < r->count && strcmp(r->segment[i], text) == 0;
}

static void match(route *r, const char *path) {
  r->kind = ROUTE_NONE;
  if (!split(r, path))
    return;
  if (r->count == 2 && is(r, 0, "oauth2") && is(r, 1, "token")) {
    r->kind = ROUTE_TOKEN;
    return;
  }
  if (r->count < 4 || !is(r, 0, "v1") || !is(r, 1, "projects"))
    return;
  r->project = r->segment[2];
  if (r->count == 4 && is(r, 3, "apps"))
    r->kind = ROUTE_APPS;
  else if (r->count == 5 && is(r, 3, "apps"))
    r->kind = ROUTE_APP, r->app = r->segment[4];
  else if (r->count == 6 && is(r, 3, "apps") && is(r, 5, "webhooks"))
    r->kind = ROUTE_LIST, r->app = r->segment[4];
  else if (r->count == 4 && is(r, 3, "webhooks"))
    r->kind = ROUTE_CREATE;
  else if (r->count == 5 && is(r, 3, "webhooks"))
    r->kind = ROUTE_WEBHOOK, r->webhook = r->segment[4];
}

static bool method_served(route_kind kind, const char *method) {
  switch (kind) {
  case ROUTE_TOKEN:
  case ROUTE_CREATE:
    return strcmp(method, "POST") == 0;
  case ROUTE_APPS:
  case ROUTE_APP:
  case ROUTE_LIST:
    return strcmp(method, "GET") == 0;
  case ROUTE_WEBHOOK:
    return strcmp(method, "GET") == 0 || strcmp(method, "PATCH") == 0 ||
           strcmp(method, "DELETE") == 0;
  default:
    return false;
  }
}

static void iso_time(long long unix_seconds, char *out, size_t size) {
  time_t t = (time_t)unix_seconds;
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void emu_reply_too_large(emu_reply *reply) {
  emu_reply_error(reply, 413, "request body: larger than %d bytes (1 MiB)", EMU_MAX_BODY);
}

static bool refuse_large_body(const emu_request *request, emu_reply *reply) {
  if (!request->body_too_large)
    return false;
  emu_reply_too_large(reply);
  return true;
}

/* POST /oauth2/token: client credentials from the Basic header or the form. */
static void token_endpoint(struct swh_emulator *emulator, const emu_request *request,
                           emu_reply *reply) {
  if (!emu_bucket_take(&emulator->token_bucket, NULL)) {
    /* like auth.sinch.com: no Retry-After */
    emu_reply_error(reply, 429, "Too many token requests");
    return;
  }
  if (refuse_large_body(request, reply))
    return;
  const char *client_id = json_string_value(json_object_get(request->form, "client_id"));
  const char *client_secret =
      json_string_value(json_object_get(request->form, "client_secret"));
  bool has_basic = request->authorization &&
                   strncasecmp(request->authorization, "Basic ", 6) == 0;
  bool authenticated;
  if (has_basic) {
    authenticated = emu_auth_basic_ok(&emulator->auth, request->authorization);
  } else if (client_id && client_secret) {
    authenticated = emu_auth_key_ok(&emulator->auth, client_id, strlen(client_id),
                                    client_secret, strlen(client_secret));
  } else {
    emu_reply_error(reply, 401,
                    "Missing client credentials: send Authorization: Basic "
                    "base64(key_id:key_secret)");
    return;
  }
  if (!authenticated) {
    emu_reply_error(reply, 401, "Invalid client credentials");
    return;
  }
  const char *grant = json_string_value(json_object_get(request->form, "grant_type"));
  if (!grant) {
    emu_reply_error(reply, 400, "grant_type: missing (expected client_credentials in a "
                                "form-urlencoded body)");
    return;
  }
  if (strcmp(grant, "client_credentials") != 0) {
    emu_quote shown;
    emu_reply_error(reply, 400, "grant_type: \"%s\" is not supported (only client_credentials)",
                    emu_quote_text(&shown, grant, 64));
    return;
  }
  char *token = emu_auth_issue_token(&emulator->auth);
  if (!token) {
    emu_reply_error(reply, 500, "could not issue a token");
    return;
  }
  emu_reply_json(reply, 200,
                 json_pack("{s:s,s:s,s:i,s:s}", "access_token", token, "token_type",
                           "Bearer", "expires_in", emulator->auth.token_ttl, "scope", ""));
  OPENSSL_cleanse(token, strlen(token));
  free(token);
}

static bool authenticate(struct swh_emulator *emulator, const emu_request *request,
                         emu_reply *reply) {
  long long expired_at = 0;
  switch (emu_auth_check(&emulator->auth, request->authorization, &expired_at)) {
  case EMU_AUTH_OK:
    return true;
  case EMU_AUTH_MISSING:
    emu_reply_error(reply, 401,
                    "Missing credentials: send Authorization: Bearer <token> or Basic");
    snprintf(reply->www_authenticate, sizeof reply->www_authenticate, "Bearer");
    return false;
  case EMU_AUTH_WRONG:
    emu_reply_error(reply, 401, "Invalid credentials");
    snprintf(reply->www_authenticate, sizeof reply->www_authenticate,
             "Bearer error=\"invalid_token\"");
    return false;
  case EMU_AUTH_EXPIRED: {
    char when[32];
    iso_time(expired_at, when, sizeof when);
    emu_reply_error(reply, 401, "Jwt expired at %s", when);
    snprintf(reply->www_authenticate, sizeof reply->www_authenticate,
             "Bearer error=\"invalid_token\", error_description=\"Jwt expired at %s\"", when);
    return false;
  }
  }
  return false;
}

/* Answers the fault instead of the request; false when the request goes on (none, or
   "lost", which applies first and drops after). */
static bool inject_fault(emu_fault fault, emu_reply *reply) {
  reply->fault = fault == EMU_FAULT_NONE ? NULL : emu_fault_name(fault);
  switch (fault) {
  case EMU_FAULT_500:
    emu_reply_error(reply, 500, "Internal error (injected by --faults)");
    return true;
  case EMU_FAULT_503:
    emu_reply_error(reply, 503, "Service unavailable (injected by --faults)");
    return true;
  case EMU_FAULT_429:
    emu_reply_error(reply, 429, "Too many requests (injected by --faults)");
    return true;
  case EMU_FAULT_429RA:
    emu_reply_error(reply, 429, "Too many requests (injected by --faults)");
    reply->retry_after = 1;
    return true;
  case EMU_FAULT_DROP:
    reply->drop = true;
    return true;
  default:
    return false;
  }
}

static json_t *parse_body(const emu_request *request, emu_reply *reply) {
  if (request->body_len == 0) {
    emu_reply_error(reply, 400, "request body: empty, expected a JSON object");
    return NULL;
  }
  json_error_t jerr;
  json_t *body = json_loadb(request->body, request->body_len, 0, &jerr);
  if (!body) {
    emu_quote reason; /* jansson quotes the text it stopped at, bytes and all */
    emu_reply_error(reply, 400, "request body: invalid JSON at line %d, column %d: %s",
                    jerr.line, jerr.column, emu_quote_text(&reason, jerr.text, 160));
    return NULL;
  }
  if (!json_is_object(body)) {
    emu_reply_error(reply, 400, "request body: expected a JSON object");
    json_decref(body);
    return NULL;
  }
  return body;
}

static void api_route(struct swh_emulator *emulator, const route *r,
                      const emu_request *request, emu_reply *reply) {
  if (!authenticate(emulator, request, reply))
    return;
  double wait = 0;
  emu_quote project;
  bool basic = request->authorization && strncasecmp(request->authorization, "Basic ", 6) == 0;
  if (!emu_bucket_take(&emulator->project_bucket, &wait)) {
    emu_reply_error(reply, 429, "Too many requests for project \"%s\"",
                    emu_quote_text(&project, r->project, 128));
  } else if (basic && !emu_bucket_take(&emulator->basic_bucket, &wait)) {
    emu_reply_error(reply, 429, "Too many requests with Basic authentication for project "
                    "\"%s\" (OAuth2 is limited less)", emu_quote_text(&project, r->project, 128));
  } else {
    wait = -1;
  }
  if (wait >= 0) {
    if (!emulator->no_retry_after)
      reply->retry_after = (int)ceil(wait) < 1 ? 1 : (int)ceil(wait);
    return;
  }
  emu_fault fault = emu_faults_draw(&emulator->faults);
  if (inject_fault(fault, reply))
    return;
  /* The key belongs to one project: another project id is a project it has no access to */
  if (strcmp(r->project, emulator->store.project_id) != 0) {
    emu_reply_error(reply, 403, "The credentials have no access to project \"%s\"",
                    emu_quote_text(&project, r->project, 128));
    return;
  }
  if (refuse_large_body(request, reply))
    return;
  json_t *body = NULL;
  if (r->kind == ROUTE_CREATE || (r->kind == ROUTE_WEBHOOK && !strcmp(request->method, "PATCH"))) {
    body = parse_body(request, reply);
    if (!body)
      return;
  }
  if (body && request->masks_invalid) {
    emu_reply_error(reply, 400, "update_mask: not valid UTF-8");
    json_decref(body);
    return;
  }
  emu_store *store = &emulator->store;
  switch (r->kind) {
  case ROUTE_APPS:
    emu_handle_list_apps(store, reply);
    break;
  case ROUTE_APP:
    emu_handle_get_app(store, r->app, reply);
    break;
  case ROUTE_LIST:
    emu_handle_list_webhooks(store, r->app, reply);
    break;
  case ROUTE_CREATE:
    emu_handle_create(store, body, reply);
    break;
  case ROUTE_WEBHOOK:
    if (strcmp(request->method, "GET") == 0)
      emu_handle_get(store, r->webhook, reply);
    else if (strcmp(request->method, "PATCH") == 0)
      emu_handle_update(store, r->webhook, body, request->masks, reply);
    else
      emu_handle_delete(store, r->webhook, reply);
    break;
  default:
    break;
  }
  json_decref(body);
  if (fault == EMU_FAULT_LOST)
    reply->drop = true; /* applied, but the client never hears of it */
}

void emu_route(struct swh_emulator *emulator, const emu_request *request, emu_reply *reply) {
  if (emu_control_path(request->path)) {
    emu_control(emulator, request, reply);
    return;
  }
  route r = {0};
  match(&r, request->path);
  emu_quote method, path;
  if (r.kind == ROUTE_NONE) {
    emu_reply_error(reply, 404, "No such route: %s %s", emu_quote_text(&method, request->method, 16),
                    emu_quote_text(&path, request->path, 256));
    return;
  }
  if (!method_served(r.kind, request->method)) {
    emu_reply_error(reply, 501, "Method %s is not implemented for %s",
                    emu_quote_text(&method, request->method, 16),
                    emu_quote_text(&path, request->path, 256));
    return;
  }
  if (r.kind == ROUTE_TOKEN)
    token_endpoint(emulator, request, reply);
  else
    api_route(emulator, &r, request, reply);
}
