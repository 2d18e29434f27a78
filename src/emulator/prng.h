/*
 * A small seeded PRNG (splitmix64): the emulator's faults and, with --seed, its ids must be
 * the same for the same seed and request order, which rand() cannot promise across
 * platforms. Not for secrets: tokens are signed with a key from OpenSSL's RAND_bytes.
 * The caller serialises access (each user holds its own lock).
 */
#ifndef EMU_PRNG_H
#define EMU_PRNG_H

#include <stdint.h>

static inline uint64_t emu_prng_next(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* A uniform double in [0, 1). */
static inline double emu_prng_unit(uint64_t *state) {
  return (double)(emu_prng_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

#endif
