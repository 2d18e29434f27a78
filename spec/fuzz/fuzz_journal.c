/*
 * Fuzz target: reading a plan:apply journal (lua/swh/plan/journal.lua, journal.parse), the
 * text swh.resume trusts after a crash. The reader is Lua over the binding's JSON decoder, so
 * the target runs it in an embedded Lua state with swh.core preloaded, as the host does.
 * The input is the journal's whole text. Promises checked:
 * - parse never raises: a journal it cannot read gives nil and a message;
 * - the message names the file ("j:" or "j: ") and is one line;
 * - what it reads has a list of steps, complete as a boolean, records whose step numbers
 *   are steps of the plan (or none, for "resumed" and "complete"), a cut_line that is a
 *   line number, and journal.outcomes takes it without raising.
 * libFuzzer sees only C code's coverage, and the reader's branches are Lua: a line hook
 * gives it the Lua code's too, each pair of lines run one after the other counted in an
 * array of libFuzzer's extra counters (a section it reads on Linux).
 */
#include "fuzz.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "swh_binding.h"

static lua_State *L;

__attribute__((section("__libfuzzer_extra_counters"))) static uint8_t lua_edges[1 << 16];

/* Counts the step from the last line run to this one, as a compiler's edge coverage does. */
static void count_line(lua_State *state, lua_Debug *ar) {
  static uint32_t last;
  if (!lua_getinfo(state, "S", ar)) return;
  /* a chunk's source string is one object for its whole life: its address names it */
  uint32_t here = (uint32_t)((uintptr_t)ar->source * 31u) ^
                  ((uint32_t)ar->currentline * 2654435761u);
  lua_edges[(here ^ (last >> 1)) & (sizeof lua_edges - 1)]++;
  last = here;
}

/* The checks, in Lua: what parse promises its callers (apply.lua's resume). */
static const char CHECK[] =
  "local journal, text = ...\n"
  "local ok, data, message = pcall(journal.parse, text, 'j')\n"
  "if not ok then return 'parse raised: ' .. tostring(data) end\n"
  "if data == nil then\n"
  "  if type(message) ~= 'string' then return 'no message' end\n"
  "  if not message:find('^j[:]') then return 'a message not naming the file' end\n"
  "  if message:find('\\n', 1, true) then return 'a message of several lines' end\n"
  "  return nil\n"
  "end\n"
  "if type(data.header) ~= 'table' or type(data.header.steps) ~= 'table' then\n"
  "  return 'no steps'\n"
  "end\n"
  "if type(data.complete) ~= 'boolean' then return 'complete not a boolean' end\n"
  "local count = #data.header.steps\n"
  "for i, r in ipairs(data.records) do\n"
  "  if r.step ~= nil and (math.type(r.step) ~= 'integer' or r.step < 1 or r.step > count)\n"
  "  then return 'record ' .. i .. ': step ' .. tostring(r.step) .. ' of ' .. count end\n"
  "end\n"
  "if data.cut_line ~= nil and math.type(data.cut_line) ~= 'integer' then\n"
  "  return 'cut_line not a line number'\n"
  "end\n"
  "local fine, err = pcall(journal.outcomes, data)\n"
  "if not fine then return 'outcomes raised: ' .. tostring(err) end\n"
  "return nil\n";

/* The Lua state, made once: swh.core preloaded, the tree's lua/ on package.path, the
   journal module and the check chunk in the registry's slots 1 and 2 of a table. */
static void setup(void) {
  L = luaL_newstate();
  FUZZ_EXPECT(L != NULL, "a Lua state");
  luaL_openlibs(L);
  luaL_requiref(L, "swh.core", luaopen_swh_core, 0);
  lua_pop(L, 1);
  lua_getglobal(L, "package");                      /* package */
  lua_pushstring(L, SWH_LUA_DIR "/?.lua;" SWH_LUA_DIR "/?/init.lua");
  lua_setfield(L, -2, "path");                      /* package */
  lua_pop(L, 1);
  lua_getglobal(L, "require");
  lua_pushstring(L, "swh.plan.journal");
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
    fprintf(stderr, "fuzz_journal: %s\n", lua_tostring(L, -1));
    abort();
  }                                                 /* journal */
  lua_setfield(L, LUA_REGISTRYINDEX, "fuzz_journal");
  if (luaL_loadbuffer(L, CHECK, sizeof CHECK - 1, "=check") != LUA_OK) {
    fprintf(stderr, "fuzz_journal: %s\n", lua_tostring(L, -1));
    abort();
  }                                                 /* check */
  lua_setfield(L, LUA_REGISTRYINDEX, "fuzz_check");
  lua_sethook(L, count_line, LUA_MASKLINE, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!L) setup();
  lua_getfield(L, LUA_REGISTRYINDEX, "fuzz_check");
  lua_getfield(L, LUA_REGISTRYINDEX, "fuzz_journal");
  lua_pushlstring(L, (const char *)data, size);    /* check, journal, text */
  FUZZ_EXPECT(lua_pcall(L, 2, 1, 0) == LUA_OK, "the check to run: %s", lua_tostring(L, -1));
  const char *broken = lua_tostring(L, -1);
  FUZZ_EXPECT(broken == NULL, "journal.parse to keep its promises: %s", broken);
  lua_pop(L, 1);
  /* keep the heap of one input from hiding the next one's leaks or growth */
  lua_gc(L, LUA_GCCOLLECT);
  return 0;
}
