/*
 * libswh, the C core of swh: a client for the webhooks of the Sinch Conversation API
 * (API.md), its validation rules, its error model, callback signatures, and the snapshot
 * files of a project (checked, written atomically). No Lua here.
 */
#ifndef SWH_H
#define SWH_H

#define SWH_VERSION "0.1.0"

#include "swh_error.h"
#include "swh_webhook.h"
#include "swh_signature.h"
#include "swh_client.h"
#include "swh_file.h"
#include "swh_snapshot.h"
#include "swh_project.h"

#endif
