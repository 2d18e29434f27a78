/*
 * What the files of the binding share: the names of its metatables (registry keys made by
 * luaL_newmetatable in luaopen_swh_core), JSON <-> Lua conversion, and errors as tables.
 * Not installed; only src/binding includes it.
 */
#ifndef LSWH_BINDING_INTERNAL_H
#define LSWH_BINDING_INTERNAL_H

#include <stddef.h>

#include <jansson.h>
#include <lua.h>

#include "swh_client.h"
#include "swh_error.h"

#define LSWH_CLIENT_MT "swh.client"
#define LSWH_CALL_MT "swh.call"
#define LSWH_ERROR_MT "swh.error"
#define LSWH_ARRAY_MT "swh.array"   /* every JSON array read; marks empty ones */
#define LSWH_OBJECT_MT "swh.object" /* every JSON object read; marks empty ones */
#define LSWH_JSON_BOX_MT "swh.json_box"

/* Room for a path such as "changes.client_credentials.scope" in conversion errors. */
#define LSWH_JSON_ERROR_MAX 320

/*
 * A json_t owned by a userdata, so that it is freed (by __gc) even if a Lua error interrupts
 * the code that holds it. Set value after the box is pushed; take it back by setting NULL.
 */
typedef struct lswh_json_box {
  json_t *value;
} lswh_json_box;

/* Pushes an empty box; raises on memory exhaustion. */
lswh_json_box *lswh_json_box_push(lua_State *L);

/*
 * Pushes a Lua value for v: objects and arrays become tables with the object and array
 * metatables, null becomes the lightuserdata NULL (cjson.null), integers Lua integers, reals
 * floats. Raises only on memory exhaustion or absurd nesting; v stays owned by the caller.
 */
void lswh_json_push(lua_State *L, const json_t *v);

/* As lswh_json_push, for a value the caller drops after (the only holder of its arrays):
   each array element's JSON is released as soon as it is pushed, so that a large value
   (a snapshot, a journal) is never whole as JSON and as Lua tables at once. v is left with
   nulls in its arrays. */
void lswh_json_push_consuming(lua_State *L, json_t *v);

/*
 * Converts the Lua value at idx into a new JSON value (the caller owns it). Tables with the
 * array or object metatable are arrays or objects; other tables are objects when their keys
 * are strings and arrays when they are 1..n (an empty one is an array); nil and
 * cjson.null are null. Never raises: for a value that cannot be encoded it returns NULL and
 * writes into why a message naming the path from root, e.g.
 * "changes.triggers[2]: cannot encode a function".
 */
json_t *lswh_json_from_lua(lua_State *L, int idx, const char *root,
                          char why[LSWH_JSON_ERROR_MAX]);

/* swh.core.json_encode(value [, {indent=n, sort_keys=bool}]) and json_decode(text). */
int lswh_json_encode(lua_State *L);
int lswh_json_decode(lua_State *L);

/* Makes the array, object and box metatables. Stack unchanged. */
void lswh_json_open(lua_State *L);

/*
 * Pushes err as a table {kind, http_status, status, message, details, retryable, request}
 * with the error metatable (whose __tostring is swh_error_format's line). err is cleared.
 * Raises only on memory exhaustion (err's details are freed either way).
 */
void lswh_error_push(lua_State *L, swh_error *err);

/* core.new_error(kind, message) -> an error value of that kind (not "ok"), for failures
   found in Lua, so that they print and read like the core's. An unknown kind raises. */
int lswh_new_error(lua_State *L);

/* Makes the error metatable. Stack unchanged. */
void lswh_error_open(lua_State *L);

/* Makes the client and call metatables and sets core.client into the table at -1. */
void lswh_client_open(lua_State *L);

/* Sets core.validate into the table at -1 (lua_validate.c). */
void lswh_validate_open(lua_State *L);

/* Sets core.journal_open and core.journal_truncate into the table at -1 (lua_journal.c). */
void lswh_journal_open(lua_State *L);

/* Pushes and returns the message for the unknown option key among names (count of them):
   'unknown option "key" (did you mean "name"? known: a, b)' (lua_options.c). */
const char *lswh_unknown_option(lua_State *L, const char *key, const char *const *names,
                                   size_t count);

/* Sets core.probe into the table at -1 (lua_probe.c: the checks of swh.verify). */
void lswh_probe_open(lua_State *L);

/* Sets core.listen into the table at -1 (lua_listen.c: the receiver of swh listen). */
void lswh_listen_open(lua_State *L);

/* Sets core.unknown_option into the table at -1 (lua_options.c). */
void lswh_options_open(lua_State *L);

/* Sets core.save_snapshot and core.load_snapshot into the table at -1 (lua_snapshot.c). */
void lswh_snapshot_open(lua_State *L);

/* Sets core.project_rules and core.check_placements into the table at -1 (lua_project.c). */
void lswh_project_open(lua_State *L);

/* The record of swh_client_set_loop's callbacks for a client driven by an event loop
   (lua_loop.c). */
typedef struct lswh_loop lswh_loop;

/* client:set_loop() -> true | nil, message: attaches a record to client (once; true again
   after). Raises on memory exhaustion. */
int lswh_loop_set(lua_State *L, swh_client *client, lswh_loop **loop);

/* client:loop_changes() -> timer_ms | nil (unchanged since the last read; -1: none), and a
   list {fd, what, fd, what, ...} of the watches asked since; empties the record. */
int lswh_loop_push_changes(lua_State *L, lswh_loop *loop);

/* client:loop_fd() -> a descriptor (epoll) readable when one the client watches is ready. */
int lswh_loop_fd(lua_State *L, lswh_loop *loop);

/* client:loop_ready(): tells client of every watched descriptor that is ready now. */
void lswh_loop_ready(swh_client *client, lswh_loop *loop);

/* Frees the record (after the client it belongs to). NULL is a no-op. */
void lswh_loop_free(lswh_loop *loop);

#endif
