/* The REPL of swh (see host_repl.h), after lua.c's doREPL. */
#include "host_repl.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "host_lua.h"

#define PROMPT "swh> "
#define PROMPT_CONTINUED "swh>> "
#define REPL_MAX_INPUT 4096
#define HISTORY_FILE ".swh_history"
#define HISTORY_LINES 1000

/* The end-of-input marker in a syntax error: the chunk is incomplete, not wrong. */
#define EOF_MARK "<eof>"
#define EOF_MARK_LENGTH (sizeof(EOF_MARK) / sizeof(char) - 1)

#if defined(SWH_USE_READLINE)
#include <readline/history.h>
#include <readline/readline.h>

static char history_path[4096];

static void history_open(void) {
  const char *home = getenv("HOME");
  if (!home || !*home ||
      snprintf(history_path, sizeof history_path, "%s/%s", home, HISTORY_FILE) >=
          (int)sizeof history_path) {
    history_path[0] = '\0';
    return;
  }
  stifle_history(HISTORY_LINES);
  read_history(history_path); /* none yet is fine */
}

/* A history that cannot be written (read-only home...) is not worth an error. */
static void history_close(void) {
  if (history_path[0])
    write_history(history_path);
}

static void history_add(const char *line) {
  if (*line)
    add_history(line);
}

static char *read_line(const char *prompt) { return readline(prompt); }
static void free_line(char *line) { free(line); }

#else

static void history_open(void) {}
static void history_close(void) {}
static void history_add(const char *line) { (void)line; }

static char *read_line(const char *prompt) {
  static char buffer[REPL_MAX_INPUT];
  fputs(prompt, stdout);
  fflush(stdout);
  if (fgets(buffer, sizeof buffer, stdin) == NULL)
    return NULL;
  buffer[strcspn(buffer, "\n")] = '\0';
  return buffer;
}
static void free_line(char *line) { (void)line; }

#endif

/* Pushes the next line (without its newline); false at end of input. */
static bool push_line(lua_State *L, bool first) {
  char *line = read_line(first ? PROMPT : PROMPT_CONTINUED);
  if (line == NULL)
    return false;
  size_t length = strlen(line);
  if (length > 0 && line[length - 1] == '\n')
    line[--length] = '\0';
  if (first && line[0] == '=') /* Lua 5.2's "=expr" still works */
    lua_pushfstring(L, "return %s", line + 1);
  else
    lua_pushlstring(L, line, length);
  free_line(line);
  return true;
}

/* Whether a load status is a syntax error at the end of input: more lines may complete it.
   Pops the message when it is. */
static bool incomplete(lua_State *L, int status) {
  if (status != LUA_ERRSYNTAX)
    return false;
  size_t length;
  const char *message = lua_tolstring(L, -1, &length);
  if (length >= EOF_MARK_LENGTH && strcmp(message + length - EOF_MARK_LENGTH, EOF_MARK) == 0) {
    lua_pop(L, 1);
    return true;
  }
  return false;
}

/* Tries the line (at the top) as "return <line>": an expression whose values are shown. */
static int add_return(lua_State *L) {
  const char *line = lua_tostring(L, -1);
  const char *with_return = lua_pushfstring(L, "return %s;", line);
  int status = luaL_loadbuffer(L, with_return, strlen(with_return), "=stdin");
  if (status == LUA_OK) {
    lua_remove(L, -2); /* line, chunk */
    history_add(line);
  } else {
    lua_pop(L, 2); /* line */
  }
  return status;
}

/* Reads lines until the input compiles or fails for a reason other than its end; -1 when
   the input ends first. */
static int multi_line(lua_State *L, int base) {
  for (;;) {
    size_t length;
    const char *code = lua_tolstring(L, base + 1, &length);
    int status = luaL_loadbuffer(L, code, length, "=stdin");
    if (!incomplete(L, status)) {
      history_add(code);
      return status; /* the line, then the chunk or the error */
    }
    if (!push_line(L, false)) {
      history_add(code);
      return -1; /* input ended inside a statement: nothing to run */
    }
    lua_pushliteral(L, "\n");
    lua_insert(L, -2);
    lua_concat(L, 3); /* the input so far, joined by newlines */
  }
}

/* Reads and compiles one statement or expression: leaves the chunk (or the error) at the
   top, above the host table. Returns -1 at end of input. */
static int load_line(lua_State *L, int base) {
  lua_settop(L, base);
  if (!push_line(L, true))
    return -1;
  int status = add_return(L);
  if (status != LUA_OK)
    status = multi_line(L, base);
  if (status == -1)
    return -1;
  lua_remove(L, base + 1); /* the line */
  return status;
}

/* Shows the results above base through host.results. */
static void print_results(lua_State *L, int host_index, int base) {
  int n = lua_gettop(L) - base;
  if (n == 0)
    return;
  luaL_checkstack(L, LUA_MINSTACK, "too many results to print");
  lua_getfield(L, host_index, "results");
  lua_insert(L, base + 1);
  int status = host_docall(L, n, 1);
  if (status == LUA_OK) {
    fputs(lua_tostring(L, -1) ? lua_tostring(L, -1) : "", stdout);
    fputc('\n', stdout);
    fflush(stdout);
    lua_pop(L, 1);
  } else {
    lua_pushfstring(L, "error printing the results (%s)", lua_tostring(L, -1));
    lua_remove(L, -2);
    host_report(L, status);
  }
}

void host_repl(lua_State *L, int host_index) {
  int base = lua_gettop(L);
  history_open();
  int status;
  while ((status = load_line(L, base)) != -1) {
    if (status == LUA_OK)
      status = host_docall(L, 0, LUA_MULTRET);
    if (status == LUA_OK)
      print_results(L, host_index, base);
    else
      host_report(L, status);
  }
  lua_settop(L, base);
  history_close();
  fputc('\n', stdout);
  fflush(stdout);
}
