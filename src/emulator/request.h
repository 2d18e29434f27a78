/*
 * The parts of a request that arrive as text besides its path and body: the update_mask
 * values of the query, and the fields of a form-urlencoded body. server.c feeds them what
 * libmicrohttpd hands it; the fuzz target of the emulator (spec/fuzz) feeds them raw text,
 * so both go through this one code.
 */
#ifndef EMU_REQUEST_H
#define EMU_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

typedef struct emu_masks {
  json_t *values; /* the decoded update_mask and update_mask.paths values, in order */
  bool invalid;   /* a value that is not UTF-8 (or no memory): the request is refused */
} emu_masks;

/* Takes one query argument as libmicrohttpd gives it (with '+' already a space, %HH not
   yet decoded); keeps its decoded value in masks->values when its decoded key is
   update_mask or update_mask.paths. Never fails: a problem sets masks->invalid. */
void emu_masks_add(emu_masks *masks, const char *key, const char *value);

/* An application/x-www-form-urlencoded body of len bytes (body may be NULL when len is 0)
   as a new object of its decoded fields (the caller owns it); a field whose name or value
   is not UTF-8 is left out. NULL when out of memory. */
json_t *emu_form_parse(const char *body, size_t len);

#endif
