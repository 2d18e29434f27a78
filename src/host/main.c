/*
 * swh: runs Lua scripts against the webhooks of the Sinch Conversation API, and a REPL.
 * The shape is lua.c's: main parses the command line, then runs everything through a
 * protected call of pmain, so that no Lua error (memory included) escapes; each chunk runs
 * via host_docall with a traceback. Exit status: 0 success, 1 a failed script (or setup),
 * 2 a bad command line, 130 interrupted by Ctrl-C; a command (swh COMMAND, run by the
 * prelude's host.command) returns its own (doc/COMMANDS.md).
 */
#define _POSIX_C_SOURCE 200809L /* isatty */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>

#include "host_lua.h"
#include "host_options.h"
#include "host_repl.h"
#include "host_sandbox.h"
#include "host_trigger.h"
#include "swh.h"

#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define EXIT_INTERRUPTED 130

typedef struct {
  int argc;
  char **argv;
  const host_options *options;
  int exit_status;
} host_run;

/* The sandbox lives in a userdata so that closing the state (or an error anywhere) stops the
   emulator exactly once. */
static int sandbox_gc(lua_State *L) {
  host_sandbox_stop(lua_touserdata(L, 1));
  return 0;
}

/* Starts the sandbox the options ask for and leaves its description table (or nil) on the
   stack. Raises a message on failure. */
static void push_sandbox(lua_State *L, const host_options *options) {
  if (options->sandbox == HOST_SANDBOX_NONE) {
    lua_pushnil(L);
    return;
  }
  host_sandbox *sandbox = lua_newuserdatauv(L, sizeof *sandbox, 0);
  memset(sandbox, 0, sizeof *sandbox);
  lua_newtable(L); /* sandbox, mt */
  lua_pushcfunction(L, sandbox_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2); /* sandbox */
  /* Anchored in the registry: it must outlive every client the script makes. */
  lua_setfield(L, LUA_REGISTRYINDEX, "swh.host.sandbox");

  char error[768];
  if (!host_sandbox_start(sandbox, options->sandbox, options->sandbox_file, error,
                          sizeof error))
    luaL_error(L, "%s", error);
  lua_createtable(L, 0, 5);
  lua_pushstring(L, host_sandbox_url(sandbox));
  lua_setfield(L, -2, "url");
  lua_pushstring(L, host_sandbox_project(sandbox));
  lua_setfield(L, -2, "project_id");
  lua_pushstring(L, sandbox->key_id);
  lua_setfield(L, -2, "key_id");
  lua_pushstring(L, sandbox->key_secret);
  lua_setfield(L, -2, "key_secret");
  lua_pushstring(L, sandbox->kind);
  lua_setfield(L, -2, "kind");
  host_trigger_open(L); /* the sandbox's callbacks: trigger, deliveries */
}

/* The value of a boolean setting's flag (checked by host_options_parse), read by the
   settings table, the one home of what "yes" or "0" means. */
static bool flag_boolean(swhi_setting_id id, const char *text) {
  swh_config scratch;
  memset(&scratch, 0, sizeof scratch);
  swh_error err;
  swh_error_init(&err);
  swhi_setting_parse(id, swhi_setting_at(id)->flag, text, &scratch, &err);
  swh_error_clear(&err);
  return *(const bool *)((const char *)&scratch + swhi_setting_at(id)->offset);
}

/* The ctx table of swh.host.setup: what the command line said. ctx.settings holds the
   client's settings given by flags, by option name, and ctx.from the flag of each. */
static void push_context(lua_State *L, const host_options *options) {
  lua_createtable(L, 0, 5);
  lua_newtable(L); /* ctx, settings */
  lua_newtable(L); /* ctx, settings, from */
  for (swhi_setting_id id = 0; id < SWHI_SETTING_COUNT; id++) {
    if (!options->settings[id])
      continue;
    lua_pushstring(L, swhi_setting_at(id)->flag);
    lua_setfield(L, -2, swhi_setting_at(id)->name);
    /* checked by host_options_parse: numbers read as the binding takes them */
    swhi_setting_kind kind = swhi_setting_at(id)->kind;
    if (kind == SWHI_KIND_COUNT)
      lua_pushinteger(L, (lua_Integer)strtod(options->settings[id], NULL));
    else if (kind == SWHI_KIND_SECONDS || kind == SWHI_KIND_NUMBER)
      lua_pushnumber(L, strtod(options->settings[id], NULL));
    else if (kind == SWHI_KIND_BOOLEAN) /* "yes", "1", "true"...: the settings table reads it */
      lua_pushboolean(L, flag_boolean(id, options->settings[id]));
    else
      lua_pushstring(L, options->settings[id]);
    lua_setfield(L, -3, swhi_setting_at(id)->name);
  }
  lua_setfield(L, -3, "from"); /* ctx, settings */
  lua_setfield(L, -2, "settings");
  lua_pushboolean(L, options->verbose);
  lua_setfield(L, -2, "verbose");
  lua_pushboolean(L, options->quiet);
  lua_setfield(L, -2, "quiet");
  lua_pushboolean(L, isatty(STDIN_FILENO)); /* whether a command may ask before it applies */
  lua_setfield(L, -2, "terminal");
  push_sandbox(L, options); /* ctx, sandbox */
  lua_setfield(L, -2, "sandbox");
}

/* arg as lua.c builds it: arg[0] the script, arg[1..] its arguments, negative indices the
   interpreter and its options. Without a script, arg[0] is the interpreter. */
static void create_arg_table(lua_State *L, char **argv, int argc, int script) {
  int narg = argc - (script + 1);
  lua_createtable(L, narg > 0 ? narg : 0, script + 1);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - script);
  }
  lua_setglobal(L, "arg");
}

/* Pushes arg[1..n] (the script's `...`); returns n. */
static int push_script_args(lua_State *L) {
  if (lua_getglobal(L, "arg") != LUA_TTABLE)
    luaL_error(L, "'arg' is not a table");
  int n = (int)luaL_len(L, -1);
  luaL_checkstack(L, n + 3, "too many arguments to the script");
  for (int i = 1; i <= n; i++)
    lua_rawgeti(L, -i, i);
  lua_remove(L, -n - 1); /* the arg table */
  return n;
}

/* Records a chunk's status; false when the run must stop. */
static bool finished(lua_State *L, host_run *run, int status) {
  if (status == LUA_OK)
    return true;
  run->exit_status = host_report(L, status) ? EXIT_INTERRUPTED : EXIT_FAILED;
  return false;
}

static bool run_file(lua_State *L, host_run *run, const char *path) {
  int status = luaL_loadfile(L, path);
  if (status == LUA_OK) {
    int n = push_script_args(L);
    status = host_docall(L, n, 0);
  }
  return finished(L, run, status);
}

static void print_banner(lua_State *L, int host_index, int ctx_index) {
  printf("swh %s (%s)\n", SWH_VERSION, LUA_RELEASE);
  lua_getfield(L, host_index, "describe");
  lua_pushvalue(L, ctx_index);
  if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_isstring(L, -1))
    printf("%s\n", lua_tostring(L, -1));
  lua_pop(L, 1);
  printf("Lua with the globals swh and client; values print readably, secrets as \xe2\x80\xa2"
         "\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2. Ctrl-D exits.\n");
  fflush(stdout);
}

static int pmain(lua_State *L) {
  host_run *run = lua_touserdata(L, 1);
  const host_options *options = run->options;
  char **argv = run->argv;
  lua_settop(L, 0);
  run->exit_status = EXIT_FAILED; /* until everything ran */
  bool no_work = options->script == 0 && options->chunk_count == 0;
  bool repl = options->interactive || (no_work && isatty(STDIN_FILENO));
  /* A run that ends in the REPL ignores Ctrl-C from the start: in the moments between its
     chunks (setup, -e, the script, the banner), it would otherwise end swh; within them it
     stops the chunk. */
  if (repl)
    host_ignore_sigint();

  host_open_libs(L);
  create_arg_table(L, argv, run->argc, options->script);

  /* The globals: the host module's setup(ctx). */
  lua_getglobal(L, "require");
  lua_pushliteral(L, "swh.host");
  if (!finished(L, run, host_docall(L, 1, 1)))
    return 0;
  int host_index = lua_gettop(L); /* host */
  push_context(L, options); /* host, ctx */
  int ctx_index = lua_gettop(L);
  lua_getfield(L, host_index, "setup");
  lua_pushvalue(L, ctx_index);
  if (!finished(L, run, host_docall(L, 1, 0)))
    return 0;

  bool ran = true;
  for (int i = 0; ran && i < options->chunk_count; i++) {
    const char *code = options->chunks[i];
    int status = luaL_loadbuffer(L, code, strlen(code), "=(command line)");
    if (status == LUA_OK)
      status = host_docall(L, 0, 0);
    ran = finished(L, run, status);
  }
  if (ran && options->script && !options->script_stdin) {
    /* swh COMMAND [args]: the prelude's host.command says whether argv[script] names one,
       and runs it (its result is the exit status; nil: no command, a script). */
    lua_getfield(L, host_index, "command");
    lua_pushvalue(L, ctx_index);
    if (!finished(L, run, host_docall(L, 1, 1)))
      return 0;
    if (lua_isinteger(L, -1)) {
      run->exit_status = (int)lua_tointeger(L, -1);
      return 0;
    }
    lua_pop(L, 1);
  }
  if (ran && options->script) {
    /* NULL: stdin ("-" after "--" is a file named "-"). */
    const char *path = options->script_stdin ? NULL : argv[options->script];
    ran = run_file(L, run, path);
  }
  /* With -i, a failed or interrupted script has been reported, and the REPL opens all the
     same, to look at what it left (as python -i does); the rest of the chunks do not run. */
  if (!ran && !options->interactive)
    return 0;

  if (repl) {
    if (!options->quiet)
      print_banner(L, host_index, ctx_index);
    host_repl(L, host_index);
  } else if (no_work) {
    if (!run_file(L, run, NULL)) /* a script piped in */
      return 0;
  }
  run->exit_status = 0;
  return 0;
}

/* The commands' list for --help, from swh.commands (their one list), in a state of its own:
   --help runs before the one that runs scripts exists. */
static void print_commands(void) {
  lua_State *L = luaL_newstate();
  if (L == NULL)
    return;
  host_open_libs(L);
  lua_getglobal(L, "require");
  lua_pushliteral(L, "swh.commands");
  if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_getfield(L, -1, "listing") == LUA_TFUNCTION &&
      lua_pcall(L, 0, 1, 0) == LUA_OK && lua_isstring(L, -1))
    printf("\nCommands (swh help COMMAND, or swh COMMAND --help, explains one):\n%s\n",
           lua_tostring(L, -1));
  lua_close(L);
}

int main(int argc, char **argv) {
  host_options options;
  char error[512];
  if (!host_options_parse(&options, argc, argv, error, sizeof error)) {
    fprintf(stderr, "%s: %s\nTry '%s --help' for more information.\n", HOST_PROGNAME, error,
            HOST_PROGNAME);
    host_options_free(&options);
    return EXIT_USAGE;
  }
  if (options.help || options.version) {
    if (options.help) {
      host_usage_print(stdout);
      print_commands();
    }
    else
      printf("swh %s (%s)\n", SWH_VERSION, LUA_RELEASE);
    host_options_free(&options);
    return 0;
  }

  lua_State *L = luaL_newstate();
  if (L == NULL) {
    host_message("cannot create the Lua state: not enough memory");
    host_options_free(&options);
    return EXIT_FAILED;
  }
  host_run run = {argc, argv, &options, EXIT_FAILED};
  lua_pushcfunction(L, pmain);
  lua_pushlightuserdata(L, &run);
  int status = lua_pcall(L, 1, 0, 0);
  if (status != LUA_OK) { /* an error outside any chunk: sandbox start, memory */
    host_report(L, status);
    run.exit_status = EXIT_FAILED;
  }
  lua_close(L); /* stops the sandbox, closes clients */
  host_options_free(&options);
  return run.exit_status;
}
