/* The Lua state of swh: preloading, protected calls, interruption (see host_lua.h). */
#define _POSIX_C_SOURCE 200809L /* isatty */
#include "host_lua.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "host_embedded.h"
#include "swh_binding.h"

/* The state a SIGINT interrupts (only set while a chunk runs) and whether it did. */
static lua_State *running_state = NULL;
static volatile sig_atomic_t interrupted = 0;

void host_message(const char *message) {
  fprintf(stderr, "%s: %s\n", HOST_PROGNAME, message);
  fflush(stderr);
}

/* Loads an embedded module's source and runs it with the module name, as require would. */
static int load_embedded(lua_State *L) {
  const swh_embedded_module *module = lua_touserdata(L, lua_upvalueindex(1));
  if (luaL_loadbufferx(L, (const char *)module->source, module->size, module->chunkname, "t") !=
      LUA_OK)
    return lua_error(L);
  lua_pushstring(L, module->name); /* chunk, name */
  lua_call(L, 1, 1);
  return 1;
}

/* Raises the interruption: swh.core's value (SWH_INTERRUPTION_KEY), which swh.run and
   swh.map pass on rather than count as a task's failure, or a string before swh.core is
   loaded. The host reports either as "interrupted" (host_report). */
static void raise_interruption(lua_State *L) {
  if (lua_getfield(L, LUA_REGISTRYINDEX, SWH_INTERRUPTION_KEY) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_pushliteral(L, "interrupted");
  }
  lua_error(L);
}

/* The hook a SIGINT puts on a thread: raises at the next instruction that runs there. */
static void stop_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  raise_interruption(L);
}

/* The coroutines being resumed right now, outermost first (tracked_resume). A hook can only
   stop the thread it is set on: while a task's coroutine runs, the main thread waits inside
   coroutine.resume, and a busy task would never stop if only the main thread were hooked. */
#define RESUMED_MAX 64
static lua_State *volatile resumed[RESUMED_MAX]; /* volatile: written before the count */
static volatile sig_atomic_t resumed_count = 0;

/* Only hooks are set here (lua_sethook is signal-safe): on the main thread and on every
   coroutine being resumed. A second SIGINT before a hook runs (a script stuck in C) gets the
   default action and ends the process. */
static void on_sigint(int signal_number) {
  signal(signal_number, SIG_DFL);
  interrupted = 1;
  const int mask = LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT;
  lua_sethook(running_state, stop_hook, mask, 1);
  int count = resumed_count;
  for (int i = 0; i < count && i < RESUMED_MAX; i++)
    lua_sethook(resumed[i], stop_hook, mask, 1);
}

/* coroutine.resume, as the standard one (its upvalue), but noting the coroutine in resumed
   while it runs. The call is protected, so that the note is taken back whatever happens
   (the standard one returns a coroutine's errors; it raises only when out of memory). */
static int tracked_resume(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTHREAD);
  lua_State *co = lua_tothread(L, 1);
  int depth = resumed_count;
  if (depth < RESUMED_MAX) {
    resumed[depth] = co;
    resumed_count = depth + 1;
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
  resumed_count = depth;
  if (status != LUA_OK)
    return lua_error(L);
  return lua_gettop(L);
}

/* The function coroutine.wrap returns, as the standard one but resuming through
   tracked_resume. Upvalues: the coroutine, tracked_resume, coroutine.close. */
static int tracked_wrap_call(lua_State *L) {
  int narg = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(2));
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_rotate(L, 1, 2);                /* resume, co, args... */
  lua_call(L, narg + 1, LUA_MULTRET); /* true, results... | false, error */
  if (lua_toboolean(L, 1)) {
    lua_remove(L, 1);
    return lua_gettop(L);
  }
  lua_settop(L, 2); /* false, error */
  int status = lua_status(lua_tothread(L, lua_upvalueindex(1)));
  if (status != LUA_OK && status != LUA_YIELD) {
    /* an error ended the coroutine: close its to-be-closed variables, whose own error, if
       any, takes the place of the first */
    lua_pushvalue(L, lua_upvalueindex(3));
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_call(L, 1, 2); /* false, error, closed, close's error */
    if (!lua_toboolean(L, 3))
      lua_copy(L, 4, 2);
    lua_settop(L, 2);
  }
  if (lua_type(L, 2) == LUA_TSTRING) { /* where the wrap function was called, as Lua says */
    luaL_where(L, 1);
    lua_insert(L, 2);
    lua_concat(L, 2);
  }
  return lua_error(L);
}

/* coroutine.wrap, so that the coroutines it makes are noted too (upvalues: tracked_resume,
   coroutine.close). */
static int tracked_wrap(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_State *co = lua_newthread(L);
  lua_pushvalue(L, 1);
  lua_xmove(L, co, 1); /* the body, in the new thread */
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, lua_upvalueindex(2));
  lua_pushcclosure(L, tracked_wrap_call, 3);
  return 1;
}

void host_open_libs(lua_State *L) {
  luaL_openlibs(L);
  lua_getglobal(L, "coroutine");
  lua_getfield(L, -1, "resume"); /* coroutine, resume */
  lua_pushcclosure(L, tracked_resume, 1);
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, "resume");  /* coroutine, tracked_resume */
  lua_getfield(L, -2, "close");   /* coroutine, tracked_resume, close */
  lua_pushcclosure(L, tracked_wrap, 2);
  lua_setfield(L, -2, "wrap");
  lua_pop(L, 1);
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "preload"); /* package, preload */
  lua_pushcfunction(L, luaopen_swh_core);
  lua_setfield(L, -2, "swh.core");
  lua_pushcfunction(L, luaopen_swh_emulator_core);
  lua_setfield(L, -2, "swh.emulator.core");
  for (const swh_embedded_module *m = swh_embedded_modules; m->name; m++) {
    lua_pushlightuserdata(L, (void *)m);
    lua_pushcclosure(L, load_embedded, 1);
    lua_setfield(L, -2, m->name);
  }
  lua_pop(L, 2);
}

/* The chunk name of the host prelude ("swh.host"), whose frames are the host's, not the
   script's. */
static const char *prelude_chunkname(void) {
  for (const swh_embedded_module *m = swh_embedded_modules; m->name; m++)
    if (strcmp(m->name, "swh.host") == 0)
      return m->chunkname;
  return NULL;
}

/* The level the traceback starts at: 1 (where the error was raised), or the first frame
   below the host prelude when the error came from there (a `client` that cannot be made):
   the script's line, not the prelude's. */
static int first_script_level(lua_State *L) {
  const char *prelude = prelude_chunkname();
  lua_Debug ar;
  int first = 1;
  for (int level = 1; prelude && lua_getstack(L, level, &ar); level++) {
    lua_getinfo(L, "S", &ar);
    if (strcmp(ar.source, prelude) == 0)
      first = level + 1;
    else if (strcmp(ar.what, "C") != 0)
      break;
  }
  return first;
}

/* The message handler: the error as text, plus a traceback. An error object that is not a
   string is described by its __tostring, or by a `message` field (swh's error tables); one
   whose `traceback` field is false gets no traceback. */
static int message_handler(lua_State *L) {
  /* {message = "...", traceback = false}: the host's own message for a mistake of setup (no
     credentials), which a traceback would only bury */
  if (lua_type(L, 1) == LUA_TTABLE && lua_getfield(L, 1, "traceback") == LUA_TBOOLEAN &&
      !lua_toboolean(L, -1) && lua_getfield(L, 1, "message") == LUA_TSTRING)
    return 1;
  lua_settop(L, 1);
  const char *message = lua_tostring(L, 1);
  if (message == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) {
      message = lua_tostring(L, -1);
    } else if (lua_type(L, 1) == LUA_TTABLE &&
               lua_getfield(L, 1, "message") == LUA_TSTRING) {
      message = lua_tostring(L, -1);
    } else {
      message = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
  }
  luaL_traceback(L, L, message, first_script_level(L));
  return 1;
}

int host_docall(lua_State *L, int narg, int nres) {
  int base = lua_gettop(L) - narg;
  lua_pushcfunction(L, message_handler);
  lua_insert(L, base);
  struct sigaction action, previous;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_sigint;
  action.sa_flags = SA_RESTART; /* as signal() does: C code waiting in a call goes on */
  sigemptyset(&action.sa_mask);
  running_state = L;
  interrupted = 0;
  sigaction(SIGINT, &action, &previous);
  int status = lua_pcall(L, narg, nres, base);
  sigaction(SIGINT, &previous, NULL); /* the REPL's own (ignore) between chunks */
  if (status == LUA_OK)
    interrupted = 0; /* the chunk caught the interruption and ended well: it is over */
  running_state = NULL;
  lua_remove(L, base);
  return status;
}

void host_ignore_sigint(void) {
  struct sigaction ignore;
  memset(&ignore, 0, sizeof ignore);
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGINT, &ignore, NULL);
}

bool host_report(lua_State *L, int status) {
  if (status == LUA_OK)
    return false;
  if (interrupted) {
    /* "interrupted" and where the script was, as lua.c says it; the traceback follows the
       first line of the message. On a terminal, a new line first: the cursor may be after
       the echoed ^C or in the middle of a progress bar. */
    interrupted = 0;
    const char *message = lua_tostring(L, -1);
    const char *traceback = message ? strchr(message, '\n') : NULL;
    fprintf(stderr, "%s%s: interrupted%s\n", isatty(STDERR_FILENO) ? "\n" : "", HOST_PROGNAME,
            traceback ? traceback : "");
    fflush(stderr);
    lua_pop(L, 1);
    return true;
  }
  const char *message = lua_tostring(L, -1);
  host_message(message ? message : "(error object is not a string)");
  lua_pop(L, 1);
  return false;
}
