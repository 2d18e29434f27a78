/* Hexadecimal digits: see hex.h. */
#include "hex.h"

#include <string.h>

int emu_hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

void emu_hex_encode(const unsigned char *bytes, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 15];
  }
  out[2 * n] = '\0';
}

bool emu_hex_decode(const char *text, unsigned char *out, size_t n) {
  if (!text || strlen(text) != 2 * n)
    return false;
  for (size_t i = 0; i < n; i++) {
    int high = emu_hex_digit(text[2 * i]), low = emu_hex_digit(text[2 * i + 1]);
    if (high < 0 || low < 0)
      return false;
    out[i] = (unsigned char)(high * 16 + low);
  }
  return true;
}
