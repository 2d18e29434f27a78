/*
 * Loading a snapshot (swh_snapshot.h), as swh.load and the emulator's --seed and --state
 * do: the input is the file's text, read by swh_snapshot_read from an in-memory file, then
 * checked by swh_snapshot_check. Promises checked: a refusal says where, in one line, and
 * never quotes the text jansson stopped at; an accepted snapshot's apps and webhooks, put
 * back together, are accepted again, and each webhook is valid on its own.
 */
#include "fuzz.h"

#include <sys/mman.h>
#include <unistd.h>

#include <jansson.h>

#include "swh_snapshot.h"
#include "swh_webhook.h"

#define SOURCE "fuzz.json"

static void check_again(json_t *apps, json_t *webhooks, const char *project_id) {
  json_t *rebuilt = json_pack("{s:i,s:O,s:O}", "swh_snapshot", SWH_SNAPSHOT_VERSION, "apps",
                              apps, "webhooks", webhooks);
  if (project_id) json_object_set_new(rebuilt, "project_id", json_string(project_id));
  json_t *apps2, *webhooks2;
  const char *project2;
  swh_error err;
  swh_error_init(&err);
  swh_status status = swh_snapshot_check(rebuilt, SOURCE, &apps2, &webhooks2, &project2, &err);
  FUZZ_EXPECT(status == SWH_OK, "what was accepted is accepted again: %s", err.message);
  FUZZ_EXPECT(json_equal(webhooks, webhooks2), "checking twice changes nothing");
  size_t i;
  json_t *webhook;
  json_array_foreach(webhooks, i, webhook) {
    /* a webhook as a create would send it: its id is the server's */
    json_t *without_id = json_copy(webhook);
    json_object_del(without_id, "id");
    status = swh_webhook_validate(without_id, 0, &err);
    FUZZ_EXPECT(status == SWH_OK, "webhooks[%zu] valid: %s", i, err.message);
    json_decref(without_id);
  }
  json_decref(apps2);
  json_decref(webhooks2);
  json_decref(rebuilt);
  swh_error_clear(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int fd = -1;
  static char path[64];
  if (fd < 0) {
    fd = memfd_create("fuzz.json", 0);
    if (fd < 0) abort();
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  }
  if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size) abort();
  json_t *snapshot = NULL;
  swh_error err;
  swh_error_init(&err);
  swh_status status = swh_snapshot_read(path, &snapshot, &err);
  if (status != SWH_OK) {
    FUZZ_EXPECT(status == SWH_ERR_VALIDATION && !snapshot, "a validation error");
    fuzz_check_message(err.message);
    FUZZ_EXPECT(!strstr(err.message, " near '"), "no quoted text in \"%s\"", err.message);
    swh_error_clear(&err);
    return 0;
  }
  json_t *apps, *webhooks;
  const char *project_id;
  status = swh_snapshot_check(snapshot, SOURCE, &apps, &webhooks, &project_id, &err);
  if (status == SWH_OK) {
    FUZZ_EXPECT(json_is_array(apps) && json_is_array(webhooks), "arrays");
    check_again(apps, webhooks, project_id);
    json_decref(apps);
    json_decref(webhooks);
  } else {
    FUZZ_EXPECT(status == SWH_ERR_VALIDATION || status == SWH_ERR_MEMORY, "kind %d", status);
    FUZZ_EXPECT(!apps && !webhooks && !project_id, "nothing returned on failure");
    fuzz_check_message(err.message);
    FUZZ_EXPECT(strncmp(err.message, SOURCE ": ", strlen(SOURCE) + 2) == 0,
                "the source first in \"%s\"", err.message);
  }
  json_decref(snapshot);
  swh_error_clear(&err);
  return 0;
}
