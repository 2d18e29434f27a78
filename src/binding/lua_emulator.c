/*
 * swh.emulator.core: the emulator library (swh_emulator.h) for Lua, so that a program's own
 * busted suite can start one in-process without the swh host. A module of its own, so that
 * `require "swh"` never needs libmicrohttpd. lua/swh/emulator.lua is its public face: it
 * checks the options and turns a seed table into JSON text before calling this.
 *
 *   core.start{port=, project_id=, key_id=, key_secret=, apps=, seed_file=, seed_json=,
 *              state_file=, latency_ms=, rate_limit=, basic_rate_limit=, no_retry_after=,
 *              error_form="nested"|"flat",
 *              token_ttl=, faults=, seed_random=,
 *              unknown_fields="drop"|"keep"|"refuse", quiet=}
 *                                 -> emulator | nil, kind, message
 *   emulator:url()                  -> "http://127.0.0.1:PORT"
 *   emulator:project_id()           -> the project it serves
 *   emulator:snapshot_json()        -> its state as snapshot JSON text
 *   emulator:trigger_json(text)     -> answer JSON text | nil, kind, message
 *       (text: {"trigger","app_id","event"?,"count"?,"rate"?}: swh_emulator_trigger)
 *   emulator:deliveries_json(limit, wait_s) -> the delivery log as JSON text (waiting at
 *       most wait_s for none to be pending first)
 *   emulator:stop()                 stops it; safe twice; __gc and __close do the same
 * A stopped emulator raises on url, project_id and snapshot_json.
 */
#include <stdlib.h>

#include <lauxlib.h>
#include <lua.h>

#include "swh_binding.h"
#include "swh_emulator.h"

#define LSWH_EMULATOR_MT "swh.emulator"

typedef struct lua_emulator {
  swh_emulator *emulator; /* NULL once stopped */
} lua_emulator;

static lua_emulator *check_running(lua_State *L) {
  lua_emulator *e = luaL_checkudata(L, 1, LSWH_EMULATOR_MT);
  if (!e->emulator) luaL_error(L, "the emulator is stopped");
  return e;
}

/* The string field name of the options table at 1, or NULL when absent. */
static const char *opt_string(lua_State *L, const char *name) {
  lua_getfield(L, 1, name);
  const char *s = lua_isnil(L, -1) ? NULL : luaL_checkstring(L, -1);
  lua_pop(L, 1); /* the options table keeps the string alive */
  return s;
}

static lua_Number opt_number(lua_State *L, const char *name) {
  lua_getfield(L, 1, name);
  lua_Number n = lua_isnil(L, -1) ? 0 : luaL_checknumber(L, -1);
  lua_pop(L, 1);
  return n;
}

static int opt_int(lua_State *L, const char *name, int min, int max) {
  lua_Number n = opt_number(L, name);
  if (n < min || n > max || n != (lua_Number)(int)n)
    return luaL_error(L, "option %s: an integer from %d to %d expected", name, min, max);
  return (int)n;
}

static int emulator_start(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  swh_emulator_config config = {0};
  config.port = opt_int(L, "port", 0, 65535);
  config.project_id = opt_string(L, "project_id");
  config.key_id = opt_string(L, "key_id");
  config.key_secret = opt_string(L, "key_secret");
  config.apps = opt_int(L, "apps", 0, 100000);
  config.seed_file = opt_string(L, "seed_file");
  config.state_file = opt_string(L, "state_file");
  config.latency_ms = opt_int(L, "latency_ms", 0, 600000);
  config.rate_limit = opt_number(L, "rate_limit");
  config.basic_rate_limit = opt_number(L, "basic_rate_limit");
  lua_getfield(L, 1, "no_retry_after");
  config.no_retry_after = lua_toboolean(L, -1);
  lua_pop(L, 1);
  static const char *const error_forms[] = {"nested", "flat", NULL};
  lua_getfield(L, 1, "error_form");
  config.flat_errors = luaL_checkoption(L, lua_gettop(L), "nested", error_forms) == 1;
  lua_pop(L, 1);
  config.token_ttl = opt_int(L, "token_ttl", 0, 1 << 30);
  config.faults = opt_string(L, "faults");
  config.seed_random = (unsigned)opt_int(L, "seed_random", 0, 1 << 30);
  config.callback_retry_ms = opt_int(L, "callback_retry_ms", 0, 86400000);
  config.callback_attempts = opt_int(L, "callback_attempts", 0, 100);
  static const char *const unknown_modes[] = {"drop", "keep", "refuse", NULL};
  lua_getfield(L, 1, "unknown_fields");
  config.unknown_fields = (swh_emulator_unknown_fields)luaL_checkoption(L, lua_gettop(L), "drop",
                                                                        unknown_modes);
  lua_pop(L, 1);
  lua_getfield(L, 1, "quiet");
  config.quiet = lua_toboolean(L, -1);
  lua_pop(L, 1);

  json_t *seed = NULL;
  const char *seed_json = opt_string(L, "seed_json");
  if (seed_json) {
    json_error_t jerr;
    seed = json_loads(seed_json, 0, &jerr);
    if (!seed) return luaL_error(L, "option seed: not JSON: %s", jerr.text);
    config.seed = seed;
  }
  /* The userdata first, so that no emulator is left running if it cannot be made. */
  lua_emulator *e = lua_newuserdatauv(L, sizeof *e, 0);
  e->emulator = NULL;
  luaL_setmetatable(L, LSWH_EMULATOR_MT);
  swh_error err;
  swh_error_init(&err);
  e->emulator = swh_emulator_start(&config, &err);
  json_decref(seed);
  if (!e->emulator) {
    lua_pushnil(L);
    lua_pushstring(L, swh_error_kind_name(err.kind));
    lua_pushstring(L, err.message);
    swh_error_clear(&err);
    return 3;
  }
  return 1;
}

static int emulator_url(lua_State *L) {
  lua_pushstring(L, swh_emulator_url(check_running(L)->emulator));
  return 1;
}

static int emulator_project_id(lua_State *L) {
  lua_pushstring(L, swh_emulator_project(check_running(L)->emulator));
  return 1;
}

static int emulator_snapshot_json(lua_State *L) {
  json_t *snapshot = swh_emulator_snapshot(check_running(L)->emulator);
  char *text = snapshot ? json_dumps(snapshot, JSON_COMPACT) : NULL;
  json_decref(snapshot);
  if (!text) return luaL_error(L, "not enough memory");
  lua_pushstring(L, text);
  free(text);
  return 1;
}

/* Pushes text (owned, freed here) as the result, or raises when memory ran out. */
static int push_text(lua_State *L, char *text) {
  if (!text) return luaL_error(L, "not enough memory");
  lua_pushstring(L, text);
  free(text);
  return 1;
}

static int emulator_trigger_json(lua_State *L) {
  swh_emulator *emulator = check_running(L)->emulator;
  const char *text = luaL_checkstring(L, 2);
  json_error_t jerr;
  json_t *request = json_loads(text, 0, &jerr);
  if (!json_is_object(request)) {
    json_decref(request);
    return luaL_error(L, "trigger: expected a JSON object");
  }
  json_t *count = json_object_get(request, "count"), *rate = json_object_get(request, "rate");
  swh_emulator_event event = {
      .trigger = json_string_value(json_object_get(request, "trigger")),
      .app_id = json_string_value(json_object_get(request, "app_id")),
      .event = json_object_get(request, "event"),
      .count = json_is_integer(count) ? (int)json_integer_value(count) : 0,
      .rate = json_is_number(rate) ? json_number_value(rate) : 0,
  };
  swh_error err;
  swh_error_init(&err);
  json_t *answer = swh_emulator_trigger(emulator, &event, &err);
  json_decref(request);
  if (!answer) {
    lua_pushnil(L);
    lua_pushstring(L, swh_error_kind_name(err.kind));
    lua_pushstring(L, err.message);
    swh_error_clear(&err);
    return 3;
  }
  char *dumped = json_dumps(answer, JSON_COMPACT);
  json_decref(answer);
  return push_text(L, dumped);
}

static int emulator_deliveries_json(lua_State *L) {
  swh_emulator *emulator = check_running(L)->emulator;
  lua_Integer limit = luaL_optinteger(L, 2, 0);
  lua_Number wait = luaL_optnumber(L, 3, 0);
  if (wait > 0)
    swh_emulator_wait_deliveries(emulator, (long)(wait * 1000));
  json_t *log = swh_emulator_deliveries(emulator, (long)limit);
  char *dumped = log ? json_dumps(log, JSON_COMPACT) : NULL;
  json_decref(log);
  return push_text(L, dumped);
}

static int emulator_stop(lua_State *L) {
  lua_emulator *e = luaL_checkudata(L, 1, LSWH_EMULATOR_MT);
  swh_emulator *emulator = e->emulator;
  e->emulator = NULL; /* before stopping: a second stop or the __gc finds nothing to do */
  swh_emulator_stop(emulator);
  return 0;
}

static int emulator_tostring(lua_State *L) {
  lua_emulator *e = luaL_checkudata(L, 1, LSWH_EMULATOR_MT);
  if (e->emulator)
    lua_pushfstring(L, "swh.emulator (%s)", swh_emulator_url(e->emulator));
  else
    lua_pushliteral(L, "swh.emulator (stopped)");
  return 1;
}

int luaopen_swh_emulator_core(lua_State *L) {
  static const luaL_Reg meta[] = {{"__gc", emulator_stop},
                                  {"__close", emulator_stop},
                                  {"__tostring", emulator_tostring},
                                  {NULL, NULL}};
  static const luaL_Reg methods[] = {{"url", emulator_url},
                                     {"project_id", emulator_project_id},
                                     {"snapshot_json", emulator_snapshot_json},
                                     {"trigger_json", emulator_trigger_json},
                                     {"deliveries_json", emulator_deliveries_json},
                                     {"stop", emulator_stop},
                                     {NULL, NULL}};
  static const luaL_Reg functions[] = {{"start", emulator_start}, {NULL, NULL}};
  luaL_checkversion(L);
  luaL_newmetatable(L, LSWH_EMULATOR_MT);
  luaL_setfuncs(L, meta, 0);
  luaL_newlib(L, methods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  luaL_newlib(L, functions);
  lua_pushstring(L, SWH_EMULATOR_DEFAULT_KEY_ID);
  lua_setfield(L, -2, "default_key_id");
  lua_pushstring(L, SWH_EMULATOR_DEFAULT_KEY_SECRET);
  lua_setfield(L, -2, "default_key_secret");
  return 1;
}
