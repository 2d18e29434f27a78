/*
 * JSON <-> Lua for the binding, on jansson: the core's answers become tables, tables become
 * the core's request bodies, and swh.json.encode/decode expose the same conversion so that
 * empty arrays survive a round trip (Debian's lua-cjson 2.1.0 cannot: it encodes every
 * empty table as {}).
 *
 * Lua to JSON never raises for a value it cannot encode: it reports the path instead, so the
 * caller can free what it built and raise (or return) a clear message.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "binding_internal.h"

/* A table that contains itself stops here. Below jansson's parsing limit (2048), so what
   swh writes it can read back, and far deeper than any webhook or app. */
#define LSWH_JSON_MAX_DEPTH 2000
#define LSWH_JSON_PATH_MAX 256

/* ---- the box: a json_t freed by __gc ---- */

static int json_box_gc(lua_State *L) {
  lswh_json_box *box = luaL_checkudata(L, 1, LSWH_JSON_BOX_MT);
  json_decref(box->value);
  box->value = NULL;
  return 0;
}

lswh_json_box *lswh_json_box_push(lua_State *L) {
  lswh_json_box *box = lua_newuserdatauv(L, sizeof *box, 0);
  box->value = NULL;
  luaL_setmetatable(L, LSWH_JSON_BOX_MT);
  return box;
}

/* ---- JSON to Lua ---- */

static void push_json(lua_State *L, json_t *v, int depth, bool consume) {
  /* jansson refuses to parse deeper than 2048, so this only guards the C stack. */
  if (depth > 2 * LSWH_JSON_MAX_DEPTH) {
    luaL_error(L, "JSON nested too deeply");
  }
  luaL_checkstack(L, 4, "JSON nested too deeply");
  switch (json_typeof(v)) {
  case JSON_OBJECT: {
    const char *key;
    size_t key_len;
    json_t *item;
    lua_createtable(L, 0, (int)json_object_size(v));
    json_object_keylen_foreach((json_t *)v, key, key_len, item) {
      lua_pushlstring(L, key, key_len);
      push_json(L, item, depth + 1, consume);
      lua_rawset(L, -3);
    }
    luaL_setmetatable(L, LSWH_OBJECT_MT);
    break;
  }
  case JSON_ARRAY: {
    size_t n = json_array_size(v);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
      push_json(L, json_array_get(v, i), depth + 1, consume);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
      /* the element is Lua's now; its JSON goes at once (replacing a value cannot fail) */
      if (consume)
        json_array_set_new(v, i, json_null());
    }
    luaL_setmetatable(L, LSWH_ARRAY_MT);
    break;
  }
  case JSON_STRING:
    lua_pushlstring(L, json_string_value(v), json_string_length(v));
    break;
  case JSON_INTEGER:
    lua_pushinteger(L, (lua_Integer)json_integer_value(v));
    break;
  case JSON_REAL:
    lua_pushnumber(L, (lua_Number)json_real_value(v));
    break;
  case JSON_TRUE:
    lua_pushboolean(L, 1);
    break;
  case JSON_FALSE:
    lua_pushboolean(L, 0);
    break;
  case JSON_NULL:
  default:
    lua_pushlightuserdata(L, NULL); /* cjson.null */
    break;
  }
}

void lswh_json_push(lua_State *L, const json_t *v) {
  push_json(L, (json_t *)v, 0, false); /* without consume, nothing is changed */
}

void lswh_json_push_consuming(lua_State *L, json_t *v) {
  push_json(L, v, 0, true);
}

/* ---- Lua to JSON ---- */

/* A step of the path to the value being converted: a key (borrowed from the Lua stack,
   where it stays while its value is converted), or an array index when key is NULL. */
typedef struct path_step {
  const char *key;
  size_t key_len;
  lua_Integer index;
} path_step;

/* The steps a path keeps: each shows as 2 characters or more, so deeper ones would be cut
   from the LSWH_JSON_PATH_MAX characters of a message anyway. */
#define PATH_STEPS (LSWH_JSON_PATH_MAX / 2 + 1)

typedef struct to_json {
  lua_State *L;
  int array_mt;  /* stack slots of the two metatables, to recognise marked tables */
  int object_mt;
  const char *root;
  /* The path is written out only for a message ("snapshot.webhooks[3].target"): formatting
     it for every value took a twentieth of a large save. */
  path_step steps[PATH_STEPS];
  int depth; /* steps entered, those past PATH_STEPS counted only */
  char *why;
} to_json;

static void enter_index(to_json *c, lua_Integer index) {
  if (c->depth < PATH_STEPS)
    c->steps[c->depth] = (path_step){NULL, 0, index};
  c->depth++;
}

static void enter_key(to_json *c, const char *key, size_t key_len) {
  if (c->depth < PATH_STEPS)
    c->steps[c->depth] = (path_step){key, key_len, 0};
  c->depth++;
}

static void leave(to_json *c) { c->depth--; }

/* A path being written out, cut at LSWH_JSON_PATH_MAX - 1 characters. */
typedef struct path_text {
  char text[LSWH_JSON_PATH_MAX];
  size_t len;
} path_text;

/* Appends a segment to the path (truncated, never overflowing). */
static void path_append(path_text *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void path_append(path_text *p, const char *fmt, ...) {
  if (p->len < sizeof p->text - 1) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(p->text + p->len, sizeof p->text - p->len, fmt, ap);
    va_end(ap);
    if (n > 0) {
      p->len = p->len + (size_t)n < sizeof p->text ? p->len + (size_t)n : sizeof p->text - 1;
    }
  }
}

static int is_identifier(const char *s, size_t len);

/* Writes out the path of the value being converted. */
static void path_write(const to_json *c, path_text *p) {
  p->len = 0;
  p->text[0] = '\0';
  path_append(p, "%s", c->root ? c->root : "");
  int shown = c->depth < PATH_STEPS ? c->depth : PATH_STEPS;
  for (int i = 0; i < shown; i++) {
    const path_step *step = &c->steps[i];
    if (!step->key)
      path_append(p, "[%lld]", (long long)step->index);
    else if (is_identifier(step->key, step->key_len))
      path_append(p, "%s%.*s", p->len ? "." : "", (int)step->key_len, step->key);
    else
      path_append(p, "[\"%.*s\"]", (int)(step->key_len > 40 ? 40 : step->key_len), step->key);
  }
}

static json_t *fail(to_json *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static json_t *fail(to_json *c, const char *fmt, ...) {
  path_text path;
  path_write(c, &path);
  int n = snprintf(c->why, LSWH_JSON_ERROR_MAX, "%s: ", path.text);
  if (n > 0 && n < LSWH_JSON_ERROR_MAX) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->why + n, (size_t)(LSWH_JSON_ERROR_MAX - n), fmt, ap);
    va_end(ap);
  }
  return NULL;
}

static json_t *convert(to_json *c, int idx, int depth);

/* Whether a string key can be written as .key in a path rather than ["key"]. */
static int is_identifier(const char *s, size_t len) {
  if (len == 0 || len > 64) {
    return 0;
  }
  for (size_t i = 0; i < len; i++) {
    char ch = s[i];
    int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
             (i > 0 && ch >= '0' && ch <= '9');
    if (!ok) {
      return 0;
    }
  }
  return 1;
}

typedef enum { SHAPE_ARRAY, SHAPE_OBJECT, SHAPE_ANY } table_shape;

static json_t *convert_array(to_json *c, int idx, lua_Integer n, int depth) {
  lua_State *L = c->L;
  json_t *array = json_array();
  if (!array) {
    return fail(c, "out of memory");
  }
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, idx, i); /* ..., item */
    enter_index(c, i);
    json_t *item = convert(c, lua_gettop(L), depth + 1);
    lua_pop(L, 1);
    if (!item) {
      json_decref(array);
      return NULL;
    }
    leave(c);
    if (json_array_append_new(array, item) != 0) {
      json_decref(array);
      return fail(c, "out of memory");
    }
  }
  return array;
}

static json_t *convert_object(to_json *c, int idx, int depth) {
  lua_State *L = c->L;
  json_t *object = json_object();
  if (!object) {
    return fail(c, "out of memory");
  }
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) { /* ..., key, value (keys are all strings here) */
    size_t key_len;
    const char *key = lua_tolstring(L, -2, &key_len);
    enter_key(c, key, key_len);
    json_t *item = convert(c, lua_gettop(L), depth + 1);
    lua_pop(L, 1); /* ..., key */
    if (!item) {
      lua_pop(L, 1);
      json_decref(object);
      return NULL;
    }
    if (json_object_setn_new(object, key, key_len, item) != 0) {
      lua_pop(L, 1);
      json_decref(object);
      return fail(c, "key is not valid UTF-8");
    }
    leave(c);
  }
  return object;
}

static json_t *convert_table(to_json *c, int idx, int depth) {
  lua_State *L = c->L;
  if (depth > LSWH_JSON_MAX_DEPTH) {
    return fail(c, "nested more than %d deep (a table that contains itself?)",
                LSWH_JSON_MAX_DEPTH);
  }
  if (!lua_checkstack(L, 6)) {
    return fail(c, "nested too deeply");
  }
  table_shape shape = SHAPE_ANY;
  if (lua_getmetatable(L, idx)) { /* ..., mt */
    if (lua_rawequal(L, -1, c->array_mt)) {
      shape = SHAPE_ARRAY;
    } else if (lua_rawequal(L, -1, c->object_mt)) {
      shape = SHAPE_OBJECT;
    }
    lua_pop(L, 1);
  }
  /* Look at every key first: decide array or object, and refuse what is neither. */
  lua_Integer count = 0, max = 0;
  int strings = 0, integers = 0;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) { /* ..., key, value */
    lua_pop(L, 1);
    int key_type = lua_type(L, -1);
    if (key_type == LUA_TSTRING) {
      strings = 1;
    } else if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1) {
      lua_Integer k = lua_tointeger(L, -1);
      integers = 1;
      count++;
      if (k > max) {
        max = k;
      }
    } else {
      char key[64];
      if (key_type == LUA_TNUMBER) {
        snprintf(key, sizeof key, "%s %.14g", lua_isinteger(L, -1) ? "integer" : "number",
                 (double)lua_tonumber(L, -1));
      } else {
        snprintf(key, sizeof key, "of type %s", lua_typename(L, key_type));
      }
      lua_pop(L, 1);
      return fail(c, "cannot encode a table key %s (keys are strings, or 1..n for an array)",
                  key);
    }
  }
  if (strings && integers) {
    return fail(c, "cannot encode a table with both string keys and array items");
  }
  if (shape == SHAPE_ARRAY && strings) {
    return fail(c, "a table marked as an array (swh.array_mt) has string keys");
  }
  if (shape == SHAPE_OBJECT && integers) {
    return fail(c, "a table marked as an object (swh.object_mt) has integer keys");
  }
  if (shape == SHAPE_OBJECT || (shape == SHAPE_ANY && strings)) {
    return convert_object(c, idx, depth);
  }
  if (max != count) { /* keys 1..max with holes: say where the first one is */
    for (lua_Integer i = 1; i <= max; i++) {
      int t = lua_rawgeti(L, idx, i);
      lua_pop(L, 1);
      if (t == LUA_TNIL) {
        return fail(c, "cannot encode an array with a hole: no item [%lld] before [%lld]",
                    (long long)i, (long long)max);
      }
    }
  }
  return convert_array(c, idx, max, depth);
}

static json_t *convert(to_json *c, int idx, int depth) {
  lua_State *L = c->L;
  switch (lua_type(L, idx)) {
  case LUA_TNIL:
    return json_null();
  case LUA_TBOOLEAN:
    return json_boolean(lua_toboolean(L, idx));
  case LUA_TNUMBER: {
    if (lua_isinteger(L, idx)) {
      json_t *n = json_integer((json_int_t)lua_tointeger(L, idx));
      return n ? n : fail(c, "out of memory");
    }
    double d = (double)lua_tonumber(L, idx);
    if (!isfinite(d)) {
      return fail(c, "cannot encode a number that is not finite (%s)",
                  isnan(d) ? "nan" : d > 0 ? "inf" : "-inf");
    }
    /* JSON has one kind of number: write an integral float (what lua-cjson decodes 1 into)
       as an integer, so a server that wants an integer field gets one. */
    json_t *n = d == floor(d) && fabs(d) <= 9007199254740992.0 ? json_integer((json_int_t)d)
                                                               : json_real(d);
    return n ? n : fail(c, "out of memory");
  }
  case LUA_TSTRING: {
    size_t len;
    const char *s = lua_tolstring(L, idx, &len);
    json_t *str = json_stringn(s, len);
    return str ? str : fail(c, "cannot encode a string that is not valid UTF-8");
  }
  case LUA_TTABLE:
    return convert_table(c, idx, depth);
  case LUA_TLIGHTUSERDATA:
    if (lua_touserdata(L, idx) == NULL) {
      return json_null(); /* cjson.null */
    }
    return fail(c, "cannot encode a light userdata other than cjson.null");
  default:
    return fail(c, "cannot encode a %s", luaL_typename(L, idx));
  }
}

json_t *lswh_json_from_lua(lua_State *L, int idx, const char *root,
                          char why[LSWH_JSON_ERROR_MAX]) {
  idx = lua_absindex(L, idx);
  to_json c;
  c.L = L;
  c.why = why;
  why[0] = '\0';
  c.root = root;
  c.depth = 0;
  if (!lua_checkstack(L, 8)) {
    fail(&c, "out of stack space");
    return NULL;
  }
  luaL_getmetatable(L, LSWH_ARRAY_MT);  /* ..., array_mt */
  c.array_mt = lua_gettop(L);
  luaL_getmetatable(L, LSWH_OBJECT_MT); /* ..., array_mt, object_mt */
  c.object_mt = lua_gettop(L);
  json_t *v = convert(&c, idx, 0);
  lua_pop(L, 2);
  return v;
}

/* ---- swh.json.encode / decode ---- */

/* Reads encode's options strictly; returns jansson flags. */
static size_t encode_flags(lua_State *L, int idx) {
  size_t flags = JSON_ENCODE_ANY | JSON_COMPACT;
  if (lua_isnoneornil(L, idx)) {
    return flags;
  }
  luaL_checktype(L, idx, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) { /* ..., key, value */
    const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
    if (key && strcmp(key, "indent") == 0) {
      if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0 || lua_tointeger(L, -1) > 31) {
        luaL_argerror(L, idx, "indent: expected an integer from 0 to 31");
      }
      if (lua_tointeger(L, -1) > 0) {
        flags = (flags & ~(size_t)JSON_COMPACT) | JSON_INDENT(lua_tointeger(L, -1));
      }
    } else if (key && strcmp(key, "sort_keys") == 0) {
      if (!lua_isboolean(L, -1)) {
        luaL_argerror(L, idx, lua_pushfstring(L, "sort_keys: expected a boolean, got %s",
                                              luaL_typename(L, -1)));
      }
      if (lua_toboolean(L, -1)) {
        flags |= JSON_SORT_KEYS;
      }
    } else {
      static const char *const known[] = {"indent", "sort_keys"};
      luaL_argerror(L, idx, lswh_unknown_option(L, key ? key : luaL_typename(L, -2), known, 2));
    }
    lua_pop(L, 1);
  }
  return flags;
}

int lswh_json_encode(lua_State *L) {
  luaL_checkany(L, 1);
  size_t flags = encode_flags(L, 2);
  lua_settop(L, 1);
  lswh_json_box *box = lswh_json_box_push(L); /* value, box */
  char why[LSWH_JSON_ERROR_MAX];
  box->value = lswh_json_from_lua(L, 1, "value", why);
  if (!box->value) {
    return luaL_argerror(L, 1, why);
  }
  size_t size = json_dumpb(box->value, NULL, 0, flags);
  if (size == 0) {
    return luaL_error(L, "json.encode: out of memory");
  }
  luaL_Buffer b;
  char *out = luaL_buffinitsize(L, &b, size);
  json_dumpb(box->value, out, size, flags);
  luaL_pushresultsize(&b, size);
  json_decref(box->value);
  box->value = NULL;
  return 1;
}

int lswh_json_decode(lua_State *L) {
  size_t len;
  const char *text = luaL_checklstring(L, 1, &len);
  lswh_json_box *box = lswh_json_box_push(L);
  json_error_t error;
  box->value = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);
  if (!box->value) {
    lua_pushnil(L);
    lua_pushfstring(L, "invalid JSON at line %d, column %d: %s", error.line, error.column,
                    error.text);
    return 2;
  }
  lswh_json_push_consuming(L, box->value);
  json_decref(box->value);
  box->value = NULL;
  return 1;
}

void lswh_json_open(lua_State *L) {
  luaL_newmetatable(L, LSWH_ARRAY_MT);
  luaL_newmetatable(L, LSWH_OBJECT_MT);
  luaL_newmetatable(L, LSWH_JSON_BOX_MT);
  lua_pushcfunction(L, json_box_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 3);
}
