/* The --faults spec and the draw. */
#include "faults.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "prng.h"

static const char *const fault_names[] = {
#define EMU_X_NAME(constant, name) name,
    EMU_FAULT_KINDS(EMU_X_NAME)
#undef EMU_X_NAME
};

const char *emu_fault_name(emu_fault fault) {
  return fault >= 0 && fault < EMU_FAULT_COUNT ? fault_names[fault] : "none";
}

static swh_status parse_item(emu_faults *faults, const char *item, size_t len,
                             swh_error *err) {
  const char *eq = memchr(item, '=', len);
  if (!eq)
    return swh_error_set(err, SWH_ERR_USAGE,
                         "--faults: \"%.*s\" is not KIND=PROBABILITY", (int)len, item);
  size_t name_len = (size_t)(eq - item);
  int kind = -1;
  for (int i = 0; i < EMU_FAULT_COUNT; i++)
    if (strlen(fault_names[i]) == name_len && memcmp(fault_names[i], item, name_len) == 0)
      kind = i;
  if (kind < 0)
    return swh_error_set(err, SWH_ERR_USAGE,
                         "--faults: unknown fault \"%.*s\" (known: 500, 503, 429, 429ra, "
                         "drop, lost)", (int)name_len, item);
  char number[64];
  size_t number_len = len - name_len - 1;
  if (number_len == 0 || number_len >= sizeof number)
    return swh_error_set(err, SWH_ERR_USAGE, "--faults: %.*s: bad probability",
                         (int)name_len, item);
  memcpy(number, eq + 1, number_len);
  number[number_len] = '\0';
  char *end;
  errno = 0;
  double p = strtod(number, &end);
  if (errno || *end || !(p >= 0.0 && p <= 1.0))
    return swh_error_set(err, SWH_ERR_USAGE,
                         "--faults: %.*s: probability \"%s\" is not a number from 0 to 1",
                         (int)name_len, item, number);
  faults->probability[kind] = p;
  return SWH_OK;
}

swh_status emu_faults_init(emu_faults *faults, const char *spec, uint64_t seed,
                           swh_error *err) {
  memset(faults, 0, sizeof *faults);
  faults->prng = seed;
  if (pthread_mutex_init(&faults->lock, NULL) != 0)
    return swh_error_set(err, SWH_ERR_MEMORY, "cannot create a mutex");
  if (!spec)
    return SWH_OK;
  const char *p = spec;
  while (*p) {
    size_t len = strcspn(p, ",");
    if (len > 0 && parse_item(faults, p, len, err) != SWH_OK) {
      pthread_mutex_destroy(&faults->lock);
      return err ? err->kind : SWH_ERR_USAGE;
    }
    p += len;
    if (*p == ',')
      p++;
  }
  double sum = 0;
  for (int i = 0; i < EMU_FAULT_COUNT; i++)
    sum += faults->probability[i];
  if (sum > 1.0 + 1e-9) {
    pthread_mutex_destroy(&faults->lock);
    return swh_error_set(err, SWH_ERR_USAGE,
                         "--faults: the probabilities add up to %g, more than 1", sum);
  }
  faults->any = sum > 0;
  return SWH_OK;
}

void emu_faults_destroy(emu_faults *faults) { pthread_mutex_destroy(&faults->lock); }

emu_fault emu_faults_draw(emu_faults *faults) {
  if (!faults->any)
    return EMU_FAULT_NONE;
  pthread_mutex_lock(&faults->lock);
  double x = emu_prng_unit(&faults->prng);
  pthread_mutex_unlock(&faults->lock);
  for (int i = 0; i < EMU_FAULT_COUNT; i++) {
    if (x < faults->probability[i])
      return (emu_fault)i;
    x -= faults->probability[i];
  }
  return EMU_FAULT_NONE;
}
