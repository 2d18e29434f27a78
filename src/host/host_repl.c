/* The REPL of swh (see host_repl.h), after lua.c's doREPL. */
/* sigaction, read, isatty: POSIX, beyond C11. */
#define _POSIX_C_SOURCE 200809L
#include "host_repl.h"

#include <signal.h>
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
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

static char history_path[4096];

/* The history holds what was typed, tokens and secrets included: it is made 0600, and an
   existing file with a looser mode (readline keeps the mode it finds) is made 0600 too. Only
   a regular file of ours is touched; a symbolic link is left as it is (O_NOFOLLOW). */
static void history_make_private(void) {
  int fd = open(history_path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return;
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
      (st.st_mode & 077) != 0)
    fchmod(fd, 0600);
  close(fd);
}

static void history_open(void) {
  const char *home = getenv("HOME");
  if (!home || !*home ||
      snprintf(history_path, sizeof history_path, "%s/%s", home, HISTORY_FILE) >=
          (int)sizeof history_path) {
    history_path[0] = '\0';
    return;
  }
  stifle_history(HISTORY_LINES);
  /* a multi-line entry (a function typed over several lines) comes back as one: readline
     writes a timestamp line before each entry and reads the lines up to the next as one */
  history_write_timestamps = 1;
  history_multiline_entries = 1;
  /* none yet is fine: it is made here for the lines to be added to */
  history_make_private();
  read_history(history_path);
}

/* A history that cannot be written (read-only home...) is not worth an error. */
static void history_close(void) {
  if (history_path[0]) {
    history_truncate_file(history_path, HISTORY_LINES);
    history_make_private(); /* however readline rewrote it */
  }
}

/* Each entry goes to the file at once, so that a session that does not end well (killed, or
   a crash) keeps what was typed; the file is cut to its last lines at the end. */
static void history_add(const char *line) {
  if (!*line)
    return;
  add_history(line);
  if (history_path[0])
    append_history(1, history_path);
}

/* Ctrl-C at the prompt drops the input typed so far and prompts again. readline's own signal
   handling is off (rl_catch_signals = 0): SIGINT only sets a flag and interrupts read(), and
   the getc function below then ends the line. */
static volatile sig_atomic_t prompt_interrupted = 0;

static void on_prompt_sigint(int signal_number) {
  (void)signal_number;
  prompt_interrupted = 1;
}

static int interruptible_getc(FILE *stream) {
  for (;;) {
    unsigned char c;
    ssize_t n = read(fileno(stream), &c, 1);
    if (n == 1)
      return c;
    if (n == 0 || errno != EINTR)
      return EOF;
    if (prompt_interrupted) {
      rl_replace_line("", 0); /* so that readline ends the read with nothing */
      return EOF;
    }
  }
}

static char *read_line(const char *prompt, bool *interrupted) {
  struct sigaction action, previous;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_prompt_sigint; /* no SA_RESTART: read() must return */
  sigemptyset(&action.sa_mask);
  prompt_interrupted = 0;
  rl_catch_signals = 0;
  rl_getc_function = interruptible_getc;
  sigaction(SIGINT, &action, &previous);
  char *line = readline(prompt);
  sigaction(SIGINT, &previous, NULL);
  *interrupted = prompt_interrupted != 0;
  if (*interrupted) {
    fputs("\n", stdout);
    fflush(stdout);
  }
  return line;
}
static void free_line(char *line) { free(line); }

/* Tab completion: the prelude's host.complete(word) gives the candidates (globals, fields,
   methods after ':'), readline shows them. The state and the host's index are the REPL's,
   set while it runs; a failing completion offers nothing. */
static lua_State *completion_state = NULL;
static int completion_host_index = 0;
static char **completion_list = NULL;
static size_t completion_count = 0, completion_next = 0;

static void completion_clear(void) {
  for (size_t i = completion_next; i < completion_count; i++)
    free(completion_list[i]);
  free(completion_list);
  completion_list = NULL;
  completion_count = completion_next = 0;
}

/* Fills completion_list from host.complete(text). */
static void completion_fill(const char *text) {
  completion_clear();
  lua_State *L = completion_state;
  int top = lua_gettop(L);
  lua_getfield(L, completion_host_index, "complete");
  lua_pushstring(L, text);
  if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_istable(L, -1)) {
    size_t n = (size_t)lua_rawlen(L, -1);
    completion_list = calloc(n > 0 ? n : 1, sizeof *completion_list);
    for (size_t i = 1; completion_list && i <= n; i++) {
      lua_rawgeti(L, -1, (lua_Integer)i);
      const char *candidate = lua_tostring(L, -1);
      char *copy = candidate ? strdup(candidate) : NULL;
      if (copy)
        completion_list[completion_count++] = copy;
      lua_pop(L, 1);
    }
  }
  lua_settop(L, top);
}

/* readline's generator: state 0 starts a new completion; each call hands over the next
   candidate (readline frees it), NULL at the end. */
static char *completion_generator(const char *text, int state) {
  if (state == 0)
    completion_fill(text);
  if (completion_next < completion_count)
    return completion_list[completion_next++];
  completion_clear();
  return NULL;
}

static char **complete(const char *text, int start, int end) {
  (void)start;
  (void)end;
  rl_attempted_completion_over = 1;      /* never file names */
  rl_completion_append_character = '\0'; /* "client.webhooks" may go on with . or : */
  return rl_completion_matches(text, completion_generator);
}

static void completion_setup(lua_State *L, int host_index) {
  completion_state = L;
  completion_host_index = host_index;
  rl_attempted_completion_function = complete;
  /* '.' and ':' belong to the word: client.webhooks:li is completed whole */
  rl_completer_word_break_characters = " \t\n\"\\'`@$><=;|&{(,+-*/%^#~[]";
}

#else

static void completion_setup(lua_State *L, int host_index) {
  (void)L;
  (void)host_index;
}

static void history_open(void) {}
static void history_close(void) {}
static void history_add(const char *line) { (void)line; }

/* Without readline, Ctrl-C at the prompt is ignored (the REPL ignores it between chunks);
   Ctrl-D ends swh. */
static char *read_line(const char *prompt, bool *interrupted) {
  static char buffer[REPL_MAX_INPUT];
  *interrupted = false;
  fputs(prompt, stdout);
  fflush(stdout);
  if (fgets(buffer, sizeof buffer, stdin) == NULL)
    return NULL;
  buffer[strcspn(buffer, "\n")] = '\0';
  return buffer;
}
static void free_line(char *line) { (void)line; }

#endif

typedef enum { LINE_READ, LINE_END, LINE_INTERRUPTED } line_status;

/* Pushes the next line (without its newline); pushes nothing at end of input or when Ctrl-C
   dropped the line. */
static line_status push_line(lua_State *L, bool first) {
  bool interrupted;
  char *line = read_line(first ? PROMPT : PROMPT_CONTINUED, &interrupted);
  if (interrupted) {
    free_line(line);
    return LINE_INTERRUPTED;
  }
  if (line == NULL)
    return LINE_END;
  size_t length = strlen(line);
  if (length > 0 && line[length - 1] == '\n')
    line[--length] = '\0';
  if (first && line[0] == '=') /* Lua 5.2's "=expr" still works */
    lua_pushfstring(L, "return %s", line + 1);
  else
    lua_pushlstring(L, line, length);
  free_line(line);
  return LINE_READ;
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

/* What load_line returns besides a load status. */
#define INPUT_ENDED (-1)
#define INPUT_DROPPED (-2)

/* Reads lines until the input compiles or fails for a reason other than its end; INPUT_ENDED
   when the input ends first, INPUT_DROPPED when Ctrl-C drops it. */
static int multi_line(lua_State *L, int base) {
  for (;;) {
    size_t length;
    const char *code = lua_tolstring(L, base + 1, &length);
    int status = luaL_loadbuffer(L, code, length, "=stdin");
    if (!incomplete(L, status)) {
      history_add(code);
      return status; /* the line, then the chunk or the error */
    }
    line_status next = push_line(L, false);
    if (next != LINE_READ) {
      history_add(code);
      return next == LINE_END ? INPUT_ENDED : INPUT_DROPPED;
    }
    lua_pushliteral(L, "\n");
    lua_insert(L, -2);
    lua_concat(L, 3); /* the input so far, joined by newlines */
  }
}

/* Reads and compiles one statement or expression: leaves the chunk (or the error) at the
   top, above base. Returns the load status, INPUT_ENDED or INPUT_DROPPED. */
static int load_line(lua_State *L, int base) {
  lua_settop(L, base);
  line_status first = push_line(L, true);
  if (first != LINE_READ)
    return first == LINE_END ? INPUT_ENDED : INPUT_DROPPED;
  int status = add_return(L);
  if (status != LUA_OK)
    status = multi_line(L, base);
  if (status == INPUT_ENDED || status == INPUT_DROPPED)
    return status;
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
  completion_setup(L, host_index);
  int status;
  while ((status = load_line(L, base)) != INPUT_ENDED) {
    if (status == INPUT_DROPPED)
      continue;
    if (status == LUA_OK)
      status = host_docall(L, 0, LUA_MULTRET);
    if (status == LUA_OK && lua_gettop(L) > base) { /* _: the last result, as Python's */
      lua_pushvalue(L, base + 1);
      lua_setglobal(L, "_");
    }
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
