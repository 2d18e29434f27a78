/*
 * The client and call userdata of swh.core.
 *
 * A client wraps an swh_client. It is born closed (NULL) and opened only once its option
 * table has been read, so a failure halfway leaves nothing to free; close marks it closed
 * before freeing and is safe twice; __gc and __close are close.
 *
 * Calls are asynchronous: client:start(op, id, body) returns a call userdata at once,
 * client:step(ms) drives every transfer of the client, call:done() says when the answer is
 * in, call:finish() turns it into a value or nil, err. A call keeps its client alive (user
 * value 1), so a request in flight keeps working when the script drops the client; a call
 * collected before it finished is abandoned (the core frees it when its transfer ends). The
 * client maps each call to its userdata in a weak table (its user value 1), so
 * client:next_done() can hand a scheduler the calls in the order they completed.
 *
 * No Lua is ever called from the core or from curl: the trace callback writes to stderr.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "binding_internal.h"
#include "swh_client.h"
#include "swh_settings.h"
#include "swh_url.h"

typedef struct lua_client {
  swh_client *client; /* NULL: closed */
  lswh_loop *loop; /* set by set_loop; freed by __gc, after the client */
} lua_client;

typedef struct lua_call {
  swh_call *call; /* NULL once finished (or if it never started) */
  int finished;
} lua_call;

#define CLOSED_MESSAGE "attempt to use a closed client"

/* ---- options ---- */

/* The options of swh.client are the settings of the core's table (swh_settings.c), checked
   there, in its words; only trace is the binding's own. */
#define OPTION_COUNT (SWHI_SETTING_COUNT + 1)
#define TRACE_OPTION SWHI_SETTING_COUNT

static const char *option_name(size_t i) {
  return i == TRACE_OPTION ? "trace" : swhi_setting_at((swhi_setting_id)i)->name;
}

static void trace_to_stderr(void *user, const char *line) {
  size_t len = strlen(line);
  fprintf(stderr, "%s%s", line, len && line[len - 1] == '\n' ? "" : "\n");
}

/* Raises, naming the option and what was expected, for the value on top of the stack. The
   value is named by its type only: a wrongly typed key_secret must not be printed. */
static int option_error(lua_State *L, int arg, const char *name, const char *expected) {
  return luaL_argerror(L, arg, lua_pushfstring(L, "%s: expected %s, got %s", name, expected,
                                               luaL_typename(L, -1)));
}

/* Raises err's message (a value the settings table refused) as argument arg's error. */
static int setting_error(lua_State *L, int arg, swh_error *err) {
  lua_pushstring(L, err->message);
  swh_error_clear(err);
  return luaL_argerror(L, arg, lua_tostring(L, -1));
}

/* Checks the value on top of the stack for option i and stores it into config. */
static void read_option(lua_State *L, int arg, size_t i, swh_config *config) {
  const char *name = option_name(i);
  if (i == TRACE_OPTION) {
    if (!lua_isboolean(L, -1)) option_error(L, arg, name, "a boolean");
    if (lua_toboolean(L, -1)) config->trace = trace_to_stderr;
    return;
  }
  swhi_setting_id id = (swhi_setting_id)i;
  swh_error err;
  swh_error_init(&err);
  swh_status status;
  switch (swhi_setting_at(id)->kind) {
  case SWHI_KIND_BOOLEAN:
    if (!lua_isboolean(L, -1)) option_error(L, arg, name, "a boolean");
    *(bool *)((char *)config + swhi_setting_at(id)->offset) = lua_toboolean(L, -1);
    return;
  case SWHI_KIND_SECONDS:
  case SWHI_KIND_NUMBER:
  case SWHI_KIND_COUNT:
    if (lua_type(L, -1) != LUA_TNUMBER) {
      option_error(L, arg, name,
                   swhi_setting_at(id)->kind == SWHI_KIND_COUNT ? "an integer" : "a number");
    }
    status = swhi_setting_set_number(id, name, (double)lua_tonumber(L, -1), config, &err);
    break;
  default: {
    if (lua_type(L, -1) != LUA_TSTRING) option_error(L, arg, name, "a string");
    /* Borrowed from the option table, which stays on the stack until swh_client_new has
       copied it. The core takes C strings: one cut at a NUL would be another project, key
       or URL (the value is not quoted: it may be a secret). */
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    if (strlen(s) != len) {
      luaL_argerror(L, arg, lua_pushfstring(L, "%s: contains a NUL byte, which would cut it "
                                            "short", name));
    }
    status = swhi_setting_parse(id, name, s, config, &err);
  }
  }
  if (status != SWH_OK) setting_error(L, arg, &err);
}

/* Raises for the unknown option key: the closest known one if any is close, and the list. */
static int unknown_option(lua_State *L, int arg, const char *key) {
  const char *names[OPTION_COUNT];
  for (size_t i = 0; i < OPTION_COUNT; i++) names[i] = option_name(i);
  return luaL_argerror(L, arg, lswh_unknown_option(L, key, names, OPTION_COUNT));
}

/* Reads the option table at arg strictly into config: raises on an unknown key or a value
   refused. given[i] says which options were there. */
static void read_options(lua_State *L, int arg, swh_config *config,
                         bool given[SWHI_SETTING_COUNT]) {
  memset(config, 0, sizeof *config);
  memset(given, 0, SWHI_SETTING_COUNT * sizeof *given);
  lua_pushnil(L);
  while (lua_next(L, arg) != 0) { /* ..., key, value */
    if (lua_type(L, -2) != LUA_TSTRING) {
      luaL_argerror(L, arg, lua_pushfstring(L, "option keys are strings, got a %s key",
                                            luaL_typename(L, -2)));
    }
    const char *key = lua_tostring(L, -2);
    size_t i = 0;
    while (i < OPTION_COUNT && strcmp(option_name(i), key) != 0) {
      i++;
    }
    if (i == OPTION_COUNT) {
      unknown_option(L, arg, key);
    }
    read_option(L, arg, i, config);
    if (i < SWHI_SETTING_COUNT) given[i] = true;
    lua_pop(L, 1); /* ..., key */
  }
}

/* Pushes the error of a client that cannot be made from the environment; when credentials
   are missing, err.missing lists their variables, for the caller to say how to set them. */
static void push_environment_error(lua_State *L, swh_error *err, unsigned missing) {
  lswh_error_push(L, err); /* ..., err */
  if (!missing) return;
  lua_newtable(L); /* ..., err, missing */
  int n = 0;
  for (swhi_setting_id id = 0; id < SWHI_SETTING_COUNT; id++) {
    if (missing & (1u << id)) {
      lua_pushstring(L, swhi_setting_at(id)->env);
      lua_rawseti(L, -2, ++n);
    }
  }
  lua_setfield(L, -2, "missing"); /* ..., err */
}

/* ---- client ---- */

static lua_client *check_client(lua_State *L, int idx) {
  return luaL_checkudata(L, idx, LSWH_CLIENT_MT);
}

static lua_client *check_open_client(lua_State *L, int idx) {
  lua_client *c = check_client(L, idx);
  if (!c->client) {
    luaL_error(L, CLOSED_MESSAGE);
  }
  return c;
}

/* core.client(options [, from [, environment]]) -> client | nil, err. Raises on misuse of
   the option table. from maps options to where they came from ({base_url = "--base-url"}),
   for the messages of the core; with environment, the settings options do not give are read
   from their variables (SINCH_REGION, ...), and a bad or missing one is nil, err. */
static int client_new(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TTABLE);
  bool environment = lua_toboolean(L, 3);
  lua_settop(L, 2);
  lua_client *c = lua_newuserdatauv(L, sizeof *c, 1); /* opts, from, client */
  c->client = NULL;                                  /* born closed */
  c->loop = NULL;
  luaL_setmetatable(L, LSWH_CLIENT_MT);
  lua_newtable(L); /* opts, from, client, calls */
  lua_newtable(L); /* opts, from, client, calls, mt */
  lua_pushliteral(L, "v");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_setiuservalue(L, 3, 1); /* opts, from, client */

  swh_config config;
  bool given[SWHI_SETTING_COUNT];
  const char *sources[SWHI_SETTING_COUNT] = {0};
  read_options(L, 1, &config, given);
  for (swhi_setting_id id = 0; id < SWHI_SETTING_COUNT && lua_istable(L, 2); id++) {
    if (lua_getfield(L, 2, swhi_setting_at(id)->name) == LUA_TSTRING) { /* ..., source */
      sources[id] = lua_tostring(L, -1); /* kept alive by from, on the stack */
    }
    lua_pop(L, 1);
  }
  for (swhi_setting_id id = 0; id < SWHI_SETTING_COUNT; id++) {
    if (given[id] && !sources[id]) sources[id] = swhi_setting_at(id)->name; /* an option */
  }
  swh_error err;
  swh_error_init(&err);
  if (environment) {
    unsigned missing = 0;
    if (swhi_settings_read_environment(&config, given, sources, &missing, &err) != SWH_OK) {
      lua_pushnil(L);
      push_environment_error(L, &err, missing);
      return 2;
    }
  } else {
    for (swhi_setting_id id = 0; id < SWHI_SETTING_COUNT; id++) {
      if (swhi_setting_at(id)->required && !given[id]) {
        luaL_argerror(L, 1, lua_pushfstring(L, "%s: required, a string",
                                            swhi_setting_at(id)->name));
      }
    }
  }
  swh_client *client = swhi_client_new(&config, sources, &err);
  if (!client) {
    lua_pushnil(L);
    lswh_error_push(L, &err);
    return 2;
  }
  c->client = client;
  return 1;
}

static int client_close(lua_State *L) {
  lua_client *c = check_client(L, 1);
  swh_client *client = c->client;
  c->client = NULL; /* closed first: nothing can reach a half-freed client */
  swh_client_free(client);
  return 0;
}

static int client_gc(lua_State *L) {
  client_close(L);
  lua_client *c = check_client(L, 1);
  lswh_loop_free(c->loop);
  c->loop = NULL;
  return 0;
}

/* The event-loop interface (swh_client_set_loop), used by swh.loop (lua/swh/loop.lua):
   client:set_loop(), client:socket_ready(fd, what), client:timeout(), client:loop_ready(),
   client:loop_fd() and client:loop_changes() (lua_loop.c), which still reads a closed
   client's last changes. */
static int client_set_loop(lua_State *L) {
  lua_client *c = check_open_client(L, 1);
  return lswh_loop_set(L, c->client, &c->loop);
}

static int client_socket_ready(lua_State *L) {
  lua_client *c = check_open_client(L, 1);
  lua_Integer fd = luaL_checkinteger(L, 2), what = luaL_checkinteger(L, 3);
  luaL_argcheck(L, fd >= 0 && fd <= 0x7fffffff, 2, "a descriptor expected");
  luaL_argcheck(L, what >= 0 && what <= 7, 3, "SWH_WATCH_* bits expected");
  swh_client_socket_ready(c->client, (int)fd, (int)what);
  return 0;
}

static int client_timeout(lua_State *L) {
  swh_client_timeout(check_open_client(L, 1)->client);
  return 0;
}

static int client_loop_fd(lua_State *L) {
  return lswh_loop_fd(L, check_client(L, 1)->loop);
}

static int client_loop_ready(lua_State *L) {
  lua_client *c = check_open_client(L, 1);
  if (!c->loop) return luaL_error(L, "the client is not driven by a loop (call set_loop first)");
  lswh_loop_ready(c->client, c->loop);
  return 0;
}

static int client_loop_changes(lua_State *L) {
  return lswh_loop_push_changes(L, check_client(L, 1)->loop);
}

static int client_is_closed(lua_State *L) {
  lua_pushboolean(L, check_client(L, 1)->client == NULL);
  return 1;
}

/* client:api_host() -> the host of the API the client talks to (lower case). */
static int client_api_host(lua_State *L) {
  lua_pushstring(L, swh_client_api_host(check_open_client(L, 1)->client));
  return 1;
}

/* client:project_id() -> the project the client works on. */
static int client_project_id(lua_State *L) {
  lua_pushstring(L, swh_client_project_id(check_open_client(L, 1)->client));
  return 1;
}

/* Sets field name of the table on top to url, its password masked. */
static void set_masked_url(lua_State *L, const char *name, const char *url) {
  char *masked = url ? swhi_url_mask(url, SWHI_REDACTED) : NULL;
  if (url && !masked) luaL_error(L, "not enough memory");
  lua_pushstring(L, masked); /* ..., t, url | nil */
  free(masked);
  lua_setfield(L, -2, name);
}

/* client:settings() -> the effective settings, defaults applied, secrets left out:
   {project_id, region, base_url, auth_url, auth, timeout, retries, retry_time, concurrency,
   rate, allow_insecure_http}; region is nil when base_url was given, URLs have their
   password masked. */
static int client_settings(lua_State *L) {
  swh_config config;
  swhi_client_settings(check_open_client(L, 1)->client, &config);
  lua_createtable(L, 0, 12);
  lua_pushstring(L, config.project_id);
  lua_setfield(L, -2, "project_id");
  lua_pushstring(L, config.region);
  lua_setfield(L, -2, "region");
  set_masked_url(L, "base_url", config.base_url);
  set_masked_url(L, "auth_url", config.auth_url);
  lua_pushstring(L, swhi_setting_at(SWHI_SETTING_AUTH)->choices[config.auth]);
  lua_setfield(L, -2, "auth");
  lua_pushboolean(L, config.auth == SWH_AUTH_OAUTH2); /* whether the key goes to auth_url */
  lua_setfield(L, -2, "token_requests");
  lua_pushnumber(L, config.timeout);
  lua_setfield(L, -2, "timeout");
  lua_pushinteger(L, config.retries);
  lua_setfield(L, -2, "retries");
  lua_pushnumber(L, config.retry_time);
  lua_setfield(L, -2, "retry_time");
  lua_pushinteger(L, config.concurrency);
  lua_setfield(L, -2, "concurrency");
  lua_pushnumber(L, config.rate);
  lua_setfield(L, -2, "rate");
  lua_pushboolean(L, config.allow_insecure_http);
  lua_setfield(L, -2, "allow_insecure_http");
  return 1;
}

static int client_tostring(lua_State *L) {
  lua_client *c = check_client(L, 1);
  if (!c->client) {
    lua_pushliteral(L, "swh.client (closed)");
  } else {
    lua_pushfstring(L, "swh.client (%s)", swh_client_project_id(c->client));
  }
  return 1;
}

/* The operations, in swh_op order, as client:start names them. */
static const char *const op_names[] = {"webhooks.list", "webhook.create", "webhook.get",
                                       "webhook.update", "webhook.delete", "apps.list", NULL};

/* client:start(op, id, body [, resent]) -> call | nil, err (validation). Raises on misuse; a
   body that cannot be encoded raises its path alone ("changes.triggers[2]: cannot encode a
   function"), for the swh module to name the argument. resent: an earlier run may have sent
   this request already (swh_call_resend). */
static int client_start(lua_State *L) {
  lua_client *c = check_open_client(L, 1);
  swh_op op = (swh_op)luaL_checkoption(L, 2, NULL, op_names);
  size_t id_len = 0;
  const char *id = luaL_optlstring(L, 3, NULL, &id_len);
  bool resent = lua_toboolean(L, 5);
  lua_settop(L, 4);
  swh_error err;
  swh_error_init(&err);
  /* A NUL inside: the core would see the id cut short. Other ids are checked by
     swh_call_start, which also names the request. */
  if (id && strlen(id) != id_len && swh_id_check(op, id, id_len, &err) != SWH_OK) {
    lua_pushnil(L);
    lswh_error_push(L, &err);
    return 2;
  }
  lswh_json_box *box = lswh_json_box_push(L); /* client, op, id, body, box */
  if (!lua_isnil(L, 4)) {
    luaL_checktype(L, 4, LUA_TTABLE);
    char why[LSWH_JSON_ERROR_MAX];
    const char *root = op == SWH_OP_WEBHOOK_UPDATE ? "changes" : "webhook";
    box->value = lswh_json_from_lua(L, 4, root, why);
    if (!box->value) {
      return luaL_error(L, "%s", why); /* the swh module names the argument */
    }
    if (json_is_array(box->value) && json_array_size(box->value) == 0) {
      json_decref(box->value); /* {} means an empty object here: bodies are objects */
      box->value = json_object();
      if (!box->value) {
        return luaL_error(L, "not enough memory");
      }
    } else if (!json_is_object(box->value)) {
      return luaL_error(L, "%s: expected a table with string keys, got an array", root);
    }
  }
  lua_call *call = lua_newuserdatauv(L, sizeof *call, 1); /* ..., box, call */
  call->call = NULL;
  call->finished = 0;
  luaL_setmetatable(L, LSWH_CALL_MT);
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, -2, 1); /* the call keeps its client alive */
  lua_getiuservalue(L, 1, 1);  /* ..., box, call, calls */
  lua_pushlightuserdata(L, call);
  lua_pushvalue(L, -3);
  lua_rawset(L, -3); /* calls[call] = userdata, before start: start cannot fail after */
  lua_pop(L, 1);     /* ..., box, call */

  call->call = swh_call_start(c->client, op, id, box->value, call, &err);
  json_decref(box->value); /* the core copied what it keeps */
  box->value = NULL;
  if (call->call && resent && swh_call_resend(call->call, &err) != SWH_OK) {
    char message[SWH_ERROR_MESSAGE_MAX]; /* memory: the call is freed with its userdata */
    snprintf(message, sizeof message, "%s", err.message);
    swh_error_clear(&err);
    return luaL_error(L, "%s", message);
  }
  if (call->call) {
    return 1;
  }
  call->finished = 1;
  if (err.kind == SWH_ERR_USAGE || err.kind == SWH_ERR_MEMORY) {
    char message[SWH_ERROR_MESSAGE_MAX];
    snprintf(message, sizeof message, "%s", err.message);
    swh_error_clear(&err);
    return luaL_error(L, "%s", message);
  }
  lua_pushnil(L);
  lswh_error_push(L, &err);
  return 2;
}

/* client:step([timeout_ms]) -> number of calls not yet done. */
static int client_step(lua_State *L) {
  lua_client *c = check_open_client(L, 1);
  lua_Integer timeout_ms = luaL_optinteger(L, 2, 0);
  luaL_argcheck(L, timeout_ms >= 0 && timeout_ms <= 60000, 2,
                "timeout_ms: expected an integer from 0 to 60000");
  lua_pushinteger(L, swh_client_step(c->client, (int)timeout_ms));
  return 1;
}

/* client:next_done() -> the next call that completed (oldest first), or nil. */
static int client_next_done(lua_State *L) {
  lua_client *c = check_open_client(L, 1);
  lua_getiuservalue(L, 1, 1); /* client, calls */
  swh_call *done;
  while ((done = swh_client_next_done(c->client)) != NULL) {
    lua_pushlightuserdata(L, swh_call_user(done));
    if (lua_rawget(L, -2) == LUA_TUSERDATA) { /* client, calls, call */
      return 1;
    }
    lua_pop(L, 1); /* its userdata was collected: nobody waits for it */
  }
  lua_pushnil(L);
  return 1;
}

/* ---- call ---- */

static int call_done(lua_State *L) {
  lua_call *call = luaL_checkudata(L, 1, LSWH_CALL_MT);
  lua_pushboolean(L, call->finished || swh_call_done(call->call));
  return 1;
}

/* call:finish() -> value | nil, err. Raises if the call is not done or already finished. */
static int call_finish(lua_State *L) {
  lua_call *call = luaL_checkudata(L, 1, LSWH_CALL_MT);
  if (call->finished) {
    return luaL_error(L, "attempt to finish a call twice");
  }
  if (!swh_call_done(call->call)) {
    return luaL_error(L, "attempt to finish a call that is not done (step its client first)");
  }
  lswh_json_box *box = lswh_json_box_push(L); /* call, box */
  swh_error err;
  swh_error_init(&err);
  swh_call *owned = call->call;
  call->call = NULL;
  call->finished = 1;
  swh_status status = swh_call_finish(owned, &box->value, &err);
  if (status != SWH_OK) {
    lua_pushnil(L);
    lswh_error_push(L, &err);
    return 2;
  }
  lswh_json_push(L, box->value);
  json_decref(box->value);
  box->value = NULL;
  return 1;
}

static int call_gc(lua_State *L) {
  lua_call *call = luaL_checkudata(L, 1, LSWH_CALL_MT);
  swh_call *owned = call->call;
  call->call = NULL;
  call->finished = 1;
  swh_call_abandon(owned);
  return 0;
}

static int call_tostring(lua_State *L) {
  lua_call *call = luaL_checkudata(L, 1, LSWH_CALL_MT);
  lua_pushstring(L, call->finished               ? "swh.call (finished)"
                    : swh_call_done(call->call) ? "swh.call (done)"
                                                : "swh.call (running)");
  return 1;
}

void lswh_client_open(lua_State *L) {
  static const luaL_Reg client_methods[] = {
      {"start", client_start},         {"step", client_step}, {"next_done", client_next_done},
      {"close", client_close},         {"is_closed", client_is_closed},
      {"api_host", client_api_host},   {"settings", client_settings},
      {"project_id", client_project_id},
      {"set_loop", client_set_loop},   {"socket_ready", client_socket_ready},
      {"timeout", client_timeout},     {"loop_changes", client_loop_changes},
      {"loop_fd", client_loop_fd},     {"loop_ready", client_loop_ready},
      {NULL, NULL}};
  static const luaL_Reg client_meta[] = {{"__gc", client_gc},
                                         {"__close", client_close},
                                         {"__tostring", client_tostring},
                                         {"__index", NULL},
                                         {NULL, NULL}};
  static const luaL_Reg call_methods[] = {
      {"done", call_done}, {"finish", call_finish}, {NULL, NULL}};
  static const luaL_Reg call_meta[] = {{"__gc", call_gc},
                                       {"__close", call_gc},
                                       {"__tostring", call_tostring},
                                       {"__index", NULL},
                                       {NULL, NULL}};
  /* core */
  luaL_newmetatable(L, LSWH_CLIENT_MT); /* core, mt */
  luaL_setfuncs(L, client_meta, 0);
  luaL_newlib(L, client_methods); /* core, mt, methods */
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  luaL_newmetatable(L, LSWH_CALL_MT); /* core, mt */
  luaL_setfuncs(L, call_meta, 0);
  luaL_newlib(L, call_methods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  lua_pushcfunction(L, client_new); /* core, client_new */
  lua_setfield(L, -2, "client");
  /* core.client_defaults: what swh.map runs at unless told, the client's own default */
  lua_createtable(L, 0, 2);
  lua_pushinteger(L, SWH_DEFAULT_CONCURRENCY);
  lua_setfield(L, -2, "concurrency");
  lua_pushnumber(L, SWH_DEFAULT_RATE);
  lua_setfield(L, -2, "rate");
  lua_setfield(L, -2, "client_defaults");
}
