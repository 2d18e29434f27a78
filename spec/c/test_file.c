/* Unit tests of swh_file_write_atomic and swh_file_write_atomic_with: the file it leaves
   (content, mode 0600, a new inode renamed into place), and what every failure leaves: the
   old file as it was, no temporary file, and a message naming the path and the reason. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "swh_file.h"

typedef struct {
  char dir[64];
} fixture;

static int make_dir(void **state) {
  fixture *f = calloc(1, sizeof *f);
  snprintf(f->dir, sizeof f->dir, "/tmp/swh-file-test-XXXXXX");
  if (!mkdtemp(f->dir))
    return -1;
  *state = f;
  return 0;
}

static int remove_dir(void **state) {
  fixture *f = *state;
  char command[128];
  snprintf(command, sizeof command, "rm -rf '%s'", f->dir);
  int status = system(command);
  free(f);
  return status == 0 ? 0 : -1;
}

/* The names in dir, sorted and joined with spaces ("" when empty). */
static void list_dir(const char *dir, char *out, size_t size) {
  struct dirent **names;
  int n = scandir(dir, &names, NULL, alphasort);
  assert_true(n >= 0);
  out[0] = '\0';
  for (int i = 0; i < n; i++) {
    if (strcmp(names[i]->d_name, ".") != 0 && strcmp(names[i]->d_name, "..") != 0) {
      size_t used = strlen(out);
      snprintf(out + used, size - used, "%s%s", used ? " " : "", names[i]->d_name);
    }
    free(names[i]);
  }
  free(names);
}

static void read_whole(const char *path, char *out, size_t size) {
  FILE *file = fopen(path, "rb");
  assert_non_null(file);
  size_t n = fread(out, 1, size - 1, file);
  out[n] = '\0';
  fclose(file);
}

static void write_plain(const char *path, const char *text, mode_t mode) {
  FILE *file = fopen(path, "wb");
  assert_non_null(file);
  assert_int_equal(fputs(text, file) >= 0, 1);
  assert_int_equal(fclose(file), 0);
  assert_int_equal(chmod(path, mode), 0);
}

/* Expects path to be a regular file of mode 0600 holding text, alone in the directory with
   names (no temporary file left behind). */
static void expect_written(const fixture *f, const char *path, const char *text,
                           const char *names) {
  char found[256];
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_true(S_ISREG(st.st_mode));
  assert_int_equal(st.st_mode & 07777, 0600);
  read_whole(path, found, sizeof found);
  assert_string_equal(found, text);
  list_dir(f->dir, found, sizeof found);
  assert_string_equal(found, names);
}

/* Writes text to path expecting SWH_ERR_USAGE with exactly message, after which the
   directory must hold exactly names (no temporary file left behind). */
static void expect_refusal(const fixture *f, const char *path, const char *text,
                           const char *message, const char *names) {
  char listed[256];
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swh_file_write_atomic(path, text, strlen(text), &err), SWH_ERR_USAGE);
  assert_int_equal(err.kind, SWH_ERR_USAGE);
  assert_false(err.retryable);
  assert_string_equal(err.message, message);
  list_dir(f->dir, listed, sizeof listed);
  assert_string_equal(listed, names);
  swh_error_clear(&err);
}

static void test_writes_a_new_file_with_mode_0600(void **state) {
  fixture *f = *state;
  char path[128];
  snprintf(path, sizeof path, "%s/new.json", f->dir);
  /* a umask that would leave the owner unable to write: the mode is 0600 all the same */
  mode_t old_umask = umask(0277);
  swh_error err;
  swh_error_init(&err);
  swh_status status = swh_file_write_atomic(path, "{\"a\": 1}\n", 9, &err);
  umask(old_umask);
  assert_int_equal(status, SWH_OK);
  assert_int_equal(err.kind, SWH_OK);
  expect_written(f, path, "{\"a\": 1}\n", "new.json");
}

static void test_writes_exactly_len_bytes(void **state) {
  fixture *f = *state;
  char path[128];
  snprintf(path, sizeof path, "%s/bytes", f->dir);
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swh_file_write_atomic(path, "a\0b", 3, &err), SWH_OK);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_size, 3);
  assert_int_equal(swh_file_write_atomic(path, "", 0, &err), SWH_OK);
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_size, 0);
}

/* A second name for the old file keeps its inode: the replacement is a new file renamed
   over the path, never the old one rewritten in place (which a crash could leave half
   written). */
static void test_replaces_by_renaming_a_new_file(void **state) {
  fixture *f = *state;
  char path[128], other_name[128], text[64];
  snprintf(path, sizeof path, "%s/state.json", f->dir);
  snprintf(other_name, sizeof other_name, "%s/old-inode", f->dir);
  write_plain(path, "old\n", 0644);
  assert_int_equal(link(path, other_name), 0);
  struct stat before, after;
  assert_int_equal(stat(path, &before), 0);

  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swh_file_write_atomic(path, "new\n", 4, &err), SWH_OK);
  assert_int_equal(stat(path, &after), 0);
  assert_true(after.st_ino != before.st_ino);
  expect_written(f, path, "new\n", "old-inode state.json");
  read_whole(other_name, text, sizeof text);
  assert_string_equal(text, "old\n");
}

/* A name as long as the file system allows (255 bytes) leaves no room for a suffix: the
   temporary file's name is cut short, and the file is written all the same. */
static void test_a_name_of_255_bytes_is_written(void **state) {
  fixture *f = *state;
  char name[256], path[384];
  memset(name, 'n', 250);
  memcpy(name + 250, ".json", 6);
  snprintf(path, sizeof path, "%s/%s", f->dir, name);
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swh_file_write_atomic(path, "first\n", 6, &err), SWH_OK);
  assert_int_equal(swh_file_write_atomic(path, "second\n", 7, &err), SWH_OK);
  expect_written(f, path, "second\n", name);
}

static void test_a_symbolic_link_is_replaced_not_followed(void **state) {
  fixture *f = *state;
  char path[128], target[128], text[64];
  snprintf(path, sizeof path, "%s/link.json", f->dir);
  snprintf(target, sizeof target, "%s/elsewhere", f->dir);
  write_plain(target, "elsewhere\n", 0644);
  assert_int_equal(symlink("elsewhere", path), 0);
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swh_file_write_atomic(path, "new\n", 4, &err), SWH_OK);
  struct stat st;
  assert_int_equal(lstat(path, &st), 0);
  assert_true(S_ISREG(st.st_mode)); /* the link itself was replaced */
  expect_written(f, path, "new\n", "elsewhere link.json");
  read_whole(target, text, sizeof text);
  assert_string_equal(text, "elsewhere\n");
}

static void test_a_missing_directory_is_named_and_nothing_is_made(void **state) {
  fixture *f = *state;
  char path[128], expected[256];
  snprintf(path, sizeof path, "%s/missing/x.json", f->dir);
  snprintf(expected, sizeof expected,
           "%s/missing/x.json: cannot write in %s/missing: No such file or directory", f->dir,
           f->dir);
  expect_refusal(f, path, "{}\n", expected, "");
}

/* The file system refuses the data halfway (here: a file size limit of 4 bytes, which
   works even for root): the old file stays whole and the temporary file goes. */
/* A limit on the size of the files this process writes, so that a write past it fails with
   EFBIG ("File too large") instead of the process being killed by SIGXFSZ. */
typedef struct size_limit {
  struct rlimit saved;
  void (*previous)(int);
} size_limit;

static size_limit limit_file_size(rlim_t bytes) {
  size_limit limit;
  assert_int_equal(getrlimit(RLIMIT_FSIZE, &limit.saved), 0);
  struct rlimit small = limit.saved;
  small.rlim_cur = bytes;
  limit.previous = signal(SIGXFSZ, SIG_IGN);
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
  return limit;
}

static void lift_file_size_limit(const size_limit *limit) {
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &limit->saved), 0);
  signal(SIGXFSZ, limit->previous);
}

static void test_a_failed_write_leaves_the_old_file(void **state) {
  fixture *f = *state;
  char path[128], expected[256], text[64];
  snprintf(path, sizeof path, "%s/keep.json", f->dir);
  write_plain(path, "old\n", 0600);
  snprintf(expected, sizeof expected, "%s/keep.json: cannot write: File too large", f->dir);
  size_limit limit = limit_file_size(4);
  expect_refusal(f, path, "more than four bytes\n", expected, "keep.json");
  lift_file_size_limit(&limit);
  read_whole(path, text, sizeof text);
  assert_string_equal(text, "old\n");
}

/* A writer of count pieces: piece i is the line "line i\n"; fails (as if out of memory)
   at piece fail_at, unless it is 0. */
typedef struct pieces {
  int count, fail_at;
} pieces;

static bool write_pieces(swh_file_sink *sink, void *ctx) {
  const pieces *p = ctx;
  for (int i = 1; i <= p->count; i++) {
    char line[32];
    int n = snprintf(line, sizeof line, "line %d\n", i);
    if (i == p->fail_at || !swh_file_sink_write(sink, line, (size_t)n))
      return false;
  }
  return true;
}

static void test_a_writer_fills_the_file_a_piece_at_a_time(void **state) {
  fixture *f = *state;
  char path[128];
  snprintf(path, sizeof path, "%s/pieces.txt", f->dir);
  /* 20,000 lines, 208,894 bytes: the 64 KB buffer fills and empties three times */
  pieces p = {20000, 0};
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swh_file_write_atomic_with(path, write_pieces, &p, &err), SWH_OK);
  FILE *file = fopen(path, "rb");
  assert_non_null(file);
  char line[32];
  int n = 0;
  while (fgets(line, sizeof line, file)) {
    char expected[32];
    snprintf(expected, sizeof expected, "line %d\n", ++n);
    assert_string_equal(line, expected);
  }
  assert_int_equal(ftell(file), 208894);
  fclose(file);
  assert_int_equal(n, 20000);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0600);
}

static void test_a_failing_writer_leaves_the_old_file(void **state) {
  fixture *f = *state;
  char path[128], text[64], listed[256];
  snprintf(path, sizeof path, "%s/keep.json", f->dir);
  write_plain(path, "old\n", 0600);
  /* the writer gives up after 10,000 lines (98,894 bytes, the buffer emptied once): out of
     memory, nothing kept */
  pieces p = {20000, 10001};
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swh_file_write_atomic_with(path, write_pieces, &p, &err), SWH_ERR_MEMORY);
  assert_string_equal(err.message, "out of memory");
  swh_error_clear(&err);
  read_whole(path, text, sizeof text);
  assert_string_equal(text, "old\n");
  list_dir(f->dir, listed, sizeof listed);
  assert_string_equal(listed, "keep.json");

  /* a write the file system refuses, past the first buffer: its reason, nothing kept */
  size_limit limit = limit_file_size(100000);
  p = (pieces){20000, 0};
  swh_status status = swh_file_write_atomic_with(path, write_pieces, &p, &err);
  lift_file_size_limit(&limit);
  assert_int_equal(status, SWH_ERR_USAGE);
  char expected[256];
  snprintf(expected, sizeof expected, "%s/keep.json: cannot write: File too large", f->dir);
  assert_string_equal(err.message, expected);
  swh_error_clear(&err);
  read_whole(path, text, sizeof text);
  assert_string_equal(text, "old\n");
  list_dir(f->dir, listed, sizeof listed);
  assert_string_equal(listed, "keep.json");
}

static void test_a_directory_in_the_way_is_left_alone(void **state) {
  fixture *f = *state;
  char path[128], expected[256];
  snprintf(path, sizeof path, "%s/taken", f->dir);
  assert_int_equal(mkdir(path, 0700), 0);
  snprintf(expected, sizeof expected, "%s/taken: cannot write: Is a directory", f->dir);
  expect_refusal(f, path, "{}\n", expected, "taken");
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_true(S_ISDIR(st.st_mode));
}

static void test_no_path_is_a_usage_error(void **state) {
  swh_error err;
  swh_error_init(&err);
  assert_int_equal(swh_file_write_atomic("", "x", 1, &err), SWH_ERR_USAGE);
  assert_string_equal(err.message, "no file name to write to");
  assert_int_equal(swh_file_write_atomic(NULL, "x", 1, &err), SWH_ERR_USAGE);
  assert_string_equal(err.message, "no file name to write to");
  /* err may be NULL, as everywhere in the core */
  assert_int_equal(swh_file_write_atomic(NULL, "x", 1, NULL), SWH_ERR_USAGE);
}

/* The temporary files a kill leaves are removed; a name that only looks like one (another
   file's, another length, a directory, a link) is left. */
static void test_stale_temporaries_are_removed(void **state) {
  fixture *f = *state;
  char path[128], other[192], listed[512];
  snprintf(path, sizeof path, "%s/state.json", f->dir);
  const char *names[] = {"state.json", "state.json.tmp.Ab12Cd", "state.json.tmp.zzzzzz",
                         "state.json.tmp.short", "state.json.tmp.toolong1", "other.json.tmp.Ab12Cd",
                         "state.json.log"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    snprintf(other, sizeof other, "%s/%s", f->dir, names[i]);
    write_plain(other, "x", 0600);
  }
  snprintf(other, sizeof other, "%s/state.json.tmp.dirxyz", f->dir);
  assert_int_equal(mkdir(other, 0700), 0);
  snprintf(other, sizeof other, "%s/state.json.tmp.linkxy", f->dir);
  assert_int_equal(symlink("state.json", other), 0);
  assert_int_equal(swh_file_remove_temporaries(path), 2);
  list_dir(f->dir, listed, sizeof listed);
  assert_string_equal(listed, "other.json.tmp.Ab12Cd state.json state.json.log "
                              "state.json.tmp.dirxyz state.json.tmp.linkxy "
                              "state.json.tmp.short state.json.tmp.toolong1");
  assert_int_equal(swh_file_remove_temporaries(path), 0);
  /* a name near the limit: the temporary name holds its first 200 bytes */
  char name[256];
  memset(name, 'n', 250);
  name[250] = '\0';
  char *long_path = malloc(strlen(f->dir) + 300);
  sprintf(long_path, "%s/%s", f->dir, name);
  char *temp = malloc(strlen(f->dir) + 300);
  sprintf(temp, "%s/%.200s.tmp.QWErty", f->dir, name);
  write_plain(temp, "x", 0600);
  assert_int_equal(swh_file_remove_temporaries(long_path), 1);
  assert_int_equal(access(temp, F_OK), -1);
  free(long_path);
  free(temp);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_writes_a_new_file_with_mode_0600, make_dir,
                                      remove_dir),
      cmocka_unit_test_setup_teardown(test_writes_exactly_len_bytes, make_dir, remove_dir),
      cmocka_unit_test_setup_teardown(test_replaces_by_renaming_a_new_file, make_dir,
                                      remove_dir),
      cmocka_unit_test_setup_teardown(test_a_name_of_255_bytes_is_written, make_dir, remove_dir),
      cmocka_unit_test_setup_teardown(test_a_symbolic_link_is_replaced_not_followed, make_dir,
                                      remove_dir),
      cmocka_unit_test_setup_teardown(test_a_missing_directory_is_named_and_nothing_is_made,
                                      make_dir, remove_dir),
      cmocka_unit_test_setup_teardown(test_a_failed_write_leaves_the_old_file, make_dir,
                                      remove_dir),
      cmocka_unit_test_setup_teardown(test_a_writer_fills_the_file_a_piece_at_a_time,
                                      make_dir, remove_dir),
      cmocka_unit_test_setup_teardown(test_a_failing_writer_leaves_the_old_file, make_dir,
                                      remove_dir),
      cmocka_unit_test_setup_teardown(test_a_directory_in_the_way_is_left_alone, make_dir,
                                      remove_dir),
      cmocka_unit_test(test_no_path_is_a_usage_error),
      cmocka_unit_test_setup_teardown(test_stale_temporaries_are_removed, make_dir, remove_dir),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
