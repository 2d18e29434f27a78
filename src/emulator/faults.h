/*
 * Injected faults (--faults "500=0.05,503=0.05,429=0.05,429ra=0.05,drop=0.02,lost=0.02",
 * --seed N): each API request draws one number from a seeded PRNG, so a given seed and
 * request order always give the same faults. The token endpoint draws nothing.
 */
#ifndef EMU_FAULTS_H
#define EMU_FAULTS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "swh_error.h"

/* X(enum constant, name in the spec and the log) */
#define EMU_FAULT_KINDS(X)                                                         \
  X(EMU_FAULT_500, "500")     /* 500 INTERNAL, nothing applied */                  \
  X(EMU_FAULT_503, "503")     /* 503 UNAVAILABLE, nothing applied */               \
  X(EMU_FAULT_429, "429")     /* 429 RESOURCE_EXHAUSTED without Retry-After */     \
  X(EMU_FAULT_429RA, "429ra") /* 429 with Retry-After: 1 */                        \
  X(EMU_FAULT_DROP, "drop")   /* connection closed before anything is applied */   \
  X(EMU_FAULT_LOST, "lost")   /* the change is applied, then the connection closed */

typedef enum {
  EMU_FAULT_NONE = -1,
#define EMU_X_ENUM(constant, name) constant,
  EMU_FAULT_KINDS(EMU_X_ENUM)
#undef EMU_X_ENUM
  EMU_FAULT_COUNT
} emu_fault;

typedef struct emu_faults {
  double probability[EMU_FAULT_COUNT];
  bool any;                 /* false: no draws at all */
  uint64_t prng;
  pthread_mutex_t lock;
} emu_faults;

/* Parses spec (NULL or "" means none) and seeds the PRNG. On a bad spec returns
   SWH_ERR_USAGE with a message naming the bad item. Destroy with emu_faults_destroy. */
swh_status emu_faults_init(emu_faults *faults, const char *spec, uint64_t seed,
                           swh_error *err);

void emu_faults_destroy(emu_faults *faults);

/* The fault for the next API request, or EMU_FAULT_NONE. Thread-safe. */
emu_fault emu_faults_draw(emu_faults *faults);

/* "500", "drop" ... */
const char *emu_fault_name(emu_fault fault);

#endif
