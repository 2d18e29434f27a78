/*
 * receiver: a callback receiver on 127.0.0.1 for the tests and the bench of the emulator's
 * callbacks (libmicrohttpd, a pool of threads). It keeps the first RECEIVER_KEEP callbacks
 * whole (path, body, the signature headers, Authorization), answers them with a script of
 * statuses (then the last one again; 200 without a script), and serves OAuth2 tokens at
 * /token ({"access_token":"token-N","expires_in":3600}), keeping their requests apart.
 */
#ifndef RECEIVER_H
#define RECEIVER_H

#include <stdbool.h>
#include <stddef.h>

#define RECEIVER_KEEP 4096
#define RECEIVER_SCRIPT 16

typedef struct received {
  char path[256];
  char *body;
  size_t body_len;
  char signature[128], nonce[128], timestamp[64], algorithm[64];
  char authorization[2560]; /* room for a Bearer token of 2,000 bytes and more */
} received;

typedef struct receiver receiver;

receiver *receiver_start(void);
const char *receiver_url(const receiver *r);

/* The statuses of the next callbacks, in order (then the last again). */
void receiver_script(receiver *r, const int *statuses, int count);
/* Tokens served from now on are "token-N" padded with 'x' to length bytes (0: unpadded). */
void receiver_token_length(receiver *r, int length);

int receiver_count(receiver *r);       /* callbacks received (tokens not counted) */
int receiver_token_count(receiver *r); /* token requests */

/* A copy of the i-th callback (0-based; its body stays owned by the receiver), or false. */
bool receiver_get(receiver *r, int i, received *out);
/* A copy of the i-th token request: its Authorization in authorization, form in body. */
bool receiver_get_token(receiver *r, int i, received *out);

void receiver_stop(receiver *r);

#endif
