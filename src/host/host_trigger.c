/* The sandbox's callbacks for scripts (see host_trigger.h). */
#include "host_trigger.h"

#include <string.h>

#include <lauxlib.h>

#include "binding_internal.h"
#include "host_sandbox.h"

static swh_emulator *emulator_of(lua_State *L) {
  lua_getfield(L, LUA_REGISTRYINDEX, "swh.host.sandbox");
  host_sandbox *sandbox = lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (!sandbox || !sandbox->emulator)
    luaL_error(L, "the sandbox's emulator is stopped");
  return sandbox->emulator;
}

/* The string field name of the options table at 1 (required or not). */
static const char *string_field(lua_State *L, const char *name, int required) {
  int type = lua_getfield(L, 1, name);
  if (type == LUA_TNIL && !required) {
    lua_pop(L, 1);
    return NULL;
  }
  if (type != LUA_TSTRING)
    luaL_error(L, "emulator_trigger: %s: expected a string, got %s", name,
               luaL_typename(L, -1));
  const char *value = lua_tostring(L, -1);
  lua_pop(L, 1); /* the options table keeps it alive */
  return value;
}

static lua_Number number_field(lua_State *L, const char *name, const char *who,
                               lua_Number otherwise) {
  int type = lua_getfield(L, 1, name);
  lua_Number value = otherwise;
  if (type == LUA_TNUMBER)
    value = lua_tonumber(L, -1);
  else if (type != LUA_TNIL)
    luaL_error(L, "%s: %s: expected a number, got %s", who, name, luaL_typename(L, -1));
  lua_pop(L, 1);
  return value;
}

static void check_options(lua_State *L, const char *who, const char *const *names) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    lua_pop(L, 1);
    int known = 0;
    for (const char *const *n = names; *n && !known; n++)
      known = lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), *n) == 0;
    if (!known)
      luaL_error(L, "%s: unknown option %s", who,
                 lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "(not a name)");
  }
}

static int trigger(lua_State *L) {
  static const char *const names[] = {"trigger", "app_id", "event", "count", "rate", NULL};
  check_options(L, "emulator_trigger", names);
  swh_emulator_event event = {
      .trigger = string_field(L, "trigger", 1),
      .app_id = string_field(L, "app_id", 1),
      .count = (int)number_field(L, "count", "emulator_trigger", 0),
      .rate = number_field(L, "rate", "emulator_trigger", 0),
  };
  json_t *body = NULL;
  if (lua_getfield(L, 1, "event") != LUA_TNIL) {
    char why[LSWH_JSON_ERROR_MAX];
    if (!lua_istable(L, -1) || !(body = lswh_json_from_lua(L, -1, "event", why)))
      return luaL_error(L, "emulator_trigger: %s",
                        lua_istable(L, -1) ? why : "event: expected a table");
    event.event = body;
  }
  lua_pop(L, 1);
  swh_error err;
  swh_error_init(&err);
  json_t *answer = swh_emulator_trigger(emulator_of(L), &event, &err);
  json_decref(body);
  if (!answer) {
    lua_pushnil(L);
    lswh_error_push(L, &err);
    return 2;
  }
  swh_error_clear(&err);
  lswh_json_push(L, answer); /* raises only when memory runs out: answer then leaks once */
  json_decref(answer);
  return 1;
}

static int deliveries(lua_State *L) {
  static const char *const names[] = {"wait", "limit", NULL};
  if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_newtable(L);
  }
  check_options(L, "emulator_deliveries", names);
  lua_Number wait = number_field(L, "wait", "emulator_deliveries", 0);
  lua_Number limit = number_field(L, "limit", "emulator_deliveries", 0);
  swh_emulator *emulator = emulator_of(L);
  if (wait > 0)
    swh_emulator_wait_deliveries(emulator, (long)(wait * 1000));
  json_t *log = swh_emulator_deliveries(emulator, (long)limit);
  if (!log)
    return luaL_error(L, "emulator_deliveries: out of memory");
  lswh_json_push(L, log);
  json_decref(log);
  return 1;
}

void host_trigger_open(lua_State *L) {
  lua_pushcfunction(L, trigger);
  lua_setfield(L, -2, "trigger");
  lua_pushcfunction(L, deliveries);
  lua_setfield(L, -2, "deliveries");
}
