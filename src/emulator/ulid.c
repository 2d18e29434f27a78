/* ULID encoding (https://github.com/ulid/spec): 10 characters of time, 16 of randomness. */
#include "ulid.h"

#include <string.h>

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void emu_ulid_format(char out[EMU_ULID_LEN + 1], uint64_t ms, const unsigned char random[10]) {
  /* time: 48 bits in 10 characters (the top 2 bits of the 50 are zero) */
  for (int i = 9; i >= 0; i--) {
    out[i] = crockford[ms & 31];
    ms >>= 5;
  }
  /* randomness: 80 bits in 16 characters, 5 bits at a time, most significant first */
  for (int i = 0; i < 16; i++) {
    int bit = i * 5, value = 0;
    for (int b = 0; b < 5; b++, bit++)
      value = (value << 1) | ((random[bit / 8] >> (7 - bit % 8)) & 1);
    out[10 + i] = crockford[value];
  }
  out[EMU_ULID_LEN] = '\0';
}

bool emu_ulid_valid(const char *s) {
  if (strlen(s) != EMU_ULID_LEN || s[0] > '7')
    return false;
  for (const char *p = s; *p; p++)
    if (!strchr(crockford, *p))
      return false;
  return true;
}
