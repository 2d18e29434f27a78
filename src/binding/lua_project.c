/*
 * The project's rules for the Lua layer (swh.plan), from their one definition in the core
 * (swh_project.h, swh_webhook.h), so that no rule is written again in Lua:
 *
 *   core.project_rules   a table made once, at load:
 *     webhooks_per_app   5 (SWH_WEBHOOKS_PER_APP)
 *     updatable_fields   {"app_id", "target", ...}: what update_mask may name, in its order
 *     defaults           {target_type = "HTTP", triggers = {}, secret = "",
 *                         client_credentials = core.null}: what a left-out field is
 *                         (swh_webhook_field_default); copy before changing them
 *     trigger_aliases    {SMART_CONVERSATIONS = "SMART_CONVERSATION"}: other spellings
 *   core.check_placements(webhooks, names) -> nil | i, message
 *     Puts each webhook ({app_id =, target =, ...}) in turn into a project holding the apps
 *     they name (whether those exist is the caller's question) with swh_project's rules.
 *     nil when all fit; else the first that does not, and the API's message naming the
 *     webhook in the way by names[j] ("desired[1]"):
 *       'webhook.target: app "A" already has a webhook with this target (desired[1])'
 *       'app "A" already has 5 webhooks, the most an app can have'
 *     A webhook without string app_id and target raises, naming it by names[i]. Linear.
 */
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "binding_internal.h"
#include "swh_project.h"
#include "swh_webhook.h"

#define PROJECT_BOX_MT "swh.project_box"

/* A project owned by a userdata, so a Lua error while it is built frees it (__gc). */
typedef struct project_box {
  swh_project *project;
} project_box;

static int project_box_gc(lua_State *L) {
  project_box *box = luaL_checkudata(L, 1, PROJECT_BOX_MT);
  swh_project_free(box->project);
  box->project = NULL;
  return 0;
}

/* Pushes names[i] and returns it, or "?" when it is not a string. */
static const char *push_name(lua_State *L, lua_Integer i) {
  lua_geti(L, 2, i);
  return lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?";
}

/* A string field of the webhook at the top, or a raise naming it by names[i]. */
static const char *string_field(lua_State *L, const char *key, lua_Integer i) {
  if (lua_getfield(L, -1, key) != LUA_TSTRING) /* ..., webhook, value */
    luaL_error(L, "%s.%s: expected a string", push_name(L, i), key);
  const char *s = lua_tostring(L, -1);
  lua_pop(L, 1); /* the webhook still holds the string */
  return s;
}

/* A webhook with app_id, target and its number n (to name it when it is in the way). */
static json_t *placed_webhook(const char *app_id, const char *target, lua_Integer n) {
  json_t *webhook = json_object();
  if (webhook && json_object_set_new_nocheck(webhook, "app_id", json_string_nocheck(app_id)) == 0 &&
      json_object_set_new_nocheck(webhook, "target", json_string_nocheck(target)) == 0 &&
      json_object_set_new_nocheck(webhook, "n", json_integer(n)) == 0)
    return webhook;
  json_decref(webhook);
  return NULL;
}

static int check_placements(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checktype(L, 2, LUA_TTABLE);
  project_box *box = lua_newuserdatauv(L, sizeof *box, 0); /* webhooks, names, box */
  box->project = NULL;
  luaL_setmetatable(L, PROJECT_BOX_MT);
  box->project = swh_project_new(NULL);
  if (!box->project)
    return luaL_error(L, "not enough memory");
  swh_error err;
  swh_error_init(&err);
  lua_Integer count = luaL_len(L, 1);
  for (lua_Integer i = 1; i <= count; i++) {
    if (lua_geti(L, 1, i) != LUA_TTABLE) { /* ..., webhook */
      return luaL_error(L, "%s: expected a webhook (a table)", push_name(L, i));
    }
    const char *app_id = string_field(L, "app_id", i);
    const char *target = string_field(L, "target", i);
    if (!swh_project_app(box->project, app_id)) {
      json_t *app = json_object();
      swh_status status = app && json_object_set_new_nocheck(app, "id", json_string_nocheck(app_id)) == 0
                              ? swh_project_add_app(box->project, app, &err)
                              : SWH_ERR_MEMORY;
      json_decref(app);
      if (status != SWH_OK)
        return luaL_error(L, "not enough memory");
    }
    const json_t *holder;
    swh_placement rule = swh_project_placement(box->project, app_id, target, NULL, &holder);
    if (rule != SWH_PLACEMENT_OK) {
      lua_Integer j = holder ? json_integer_value(json_object_get(holder, "n")) : 0;
      const char *name = push_name(L, j); /* ..., webhook, name */
      swh_project_placement_error(&err, rule, NULL, app_id, name);
      lua_pushinteger(L, i);
      lua_pushstring(L, err.message);
      return 2;
    }
    json_t *webhook = placed_webhook(app_id, target, i);
    swh_status status = webhook ? swh_project_add_webhook(box->project, webhook, &err)
                                : SWH_ERR_MEMORY;
    json_decref(webhook);
    if (status != SWH_OK)
      return luaL_error(L, "not enough memory");
    lua_pop(L, 1); /* webhooks, names, box */
  }
  swh_project_free(box->project);
  box->project = NULL;
  lua_pushnil(L);
  return 1;
}

/* Pushes core.project_rules. */
static void push_rules(lua_State *L) {
  static const char *const fields[] = {
#define SWH_X_FIELD(name) #name,
      SWH_UPDATABLE_FIELDS(SWH_X_FIELD)
#undef SWH_X_FIELD
  };
  const int field_count = (int)(sizeof fields / sizeof fields[0]);
  lua_createtable(L, 0, 4); /* rules */
  lua_pushinteger(L, SWH_WEBHOOKS_PER_APP);
  lua_setfield(L, -2, "webhooks_per_app");

  lua_createtable(L, field_count, 0); /* rules, fields */
  lua_createtable(L, 0, field_count); /* rules, fields, defaults */
  for (int i = 0; i < field_count; i++) {
    lua_pushstring(L, fields[i]);
    lua_rawseti(L, -3, i + 1);
    json_t *value = swh_webhook_field_default(fields[i]);
    bool required = strcmp(fields[i], "app_id") == 0 || strcmp(fields[i], "target") == 0;
    if (!value && !required)
      luaL_error(L, "not enough memory");
    if (value) {
      lswh_json_push(L, value); /* rules, fields, defaults, value */
      json_decref(value);
      lua_setfield(L, -2, fields[i]);
    }
  }
  lua_setfield(L, -3, "defaults"); /* rules, fields */
  lua_setfield(L, -2, "updatable_fields"); /* rules */

  lua_newtable(L); /* rules, aliases */
#define SWH_X_ALIAS(spelling, trigger) \
  lua_pushliteral(L, #trigger);        \
  lua_setfield(L, -2, #spelling);
  SWH_TRIGGER_ALIASES(SWH_X_ALIAS)
#undef SWH_X_ALIAS
  lua_setfield(L, -2, "trigger_aliases"); /* rules */
}

void lswh_project_open(lua_State *L) {
  luaL_newmetatable(L, PROJECT_BOX_MT); /* core, mt */
  lua_pushcfunction(L, project_box_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1); /* core */
  push_rules(L);
  lua_setfield(L, -2, "project_rules");
  lua_pushcfunction(L, check_placements);
  lua_setfield(L, -2, "check_placements");
}
