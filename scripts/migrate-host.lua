#!/usr/bin/env swh
--- migrate-host.lua: moves every webhook from one callback host to another, and adds a
-- trigger to each moved webhook that lacks it.
--
--   swh scripts/migrate-host.lua [OLD_HOST [NEW_HOST [TRIGGER]]]
--   swh --sandbox scripts/migrate-host.lua        rehearse on the demo project
--
-- OLD_HOST  default hooks.old-callbacks.example.com: a webhook moves when the host part of
--           its target (name and port, any case) is exactly this
-- NEW_HOST  default hooks.new-callbacks.example.com: replaces it; scheme, path and query stay
-- TRIGGER   default MESSAGE_DELIVERY: added where missing; "-" adds none
--
-- It lists the apps and their webhooks through the API, updates each webhook to move with
-- client.webhooks:update(id, {target = …, triggers = …}), lists them again, and prints the
-- webhooks before and after and a summary. Requests run many at once (swh.map), paced under
-- the project's rate limit. A webhook that cannot be moved is reported and the others go on;
-- the exit status is 1 when any failed. Bad arguments (a host that is not one, a misspelt
-- TRIGGER: the message says "did you mean") change nothing and exit with status 2, and so
-- does a first update the API refuses as invalid: it goes alone, so that a change every
-- webhook would fail stops before any other request. When no webhook is on OLD_HOST, it
-- says so, lists the hosts in use, changes nothing and exits with status 1. With -q, no
-- progress on stderr.
-- luacheck: read globals swh client
local pretty = require "swh.pretty"

local DEFAULT_OLD = "hooks.old-callbacks.example.com"
local DEFAULT_NEW = "hooks.new-callbacks.example.com"
local DEFAULT_TRIGGER = "MESSAGE_DELIVERY"

local USAGE = "usage: swh migrate-host.lua [OLD_HOST [NEW_HOST [TRIGGER]]]\n"

--- Says what is wrong (and, for bad arguments, the usage) and exits with status 2.
local function refuse(problem, show_usage)
  io.stderr:write("migrate-host.lua: ", problem, "\n", show_usage and USAGE or "")
  os.exit(2, true)
end

if arg[1] == "-h" or arg[1] == "--help" then
  io.write(USAGE, ("  OLD_HOST  default %s\n  NEW_HOST  default %s\n"
    .. "  TRIGGER   default %s, added where missing (\"-\": none)\n"):format(
    DEFAULT_OLD, DEFAULT_NEW, DEFAULT_TRIGGER))
  os.exit(0, true)
end

local old_host = (arg[1] or DEFAULT_OLD):lower()
local new_host = arg[2] or DEFAULT_NEW
local trigger = arg[3] or DEFAULT_TRIGGER
if trigger == "-" then trigger = nil end
for _, host in ipairs { old_host, new_host } do
  if not host:match("^%w[%w.-]*$") and not host:match("^%w[%w.-]*:%d+$") then
    refuse(("'%s' is not a host name (like hooks.example.com or host:8443)"):format(host), true)
  end
end
if old_host == new_host:lower() then refuse("OLD_HOST and NEW_HOST are the same", true) end
if arg[4] then refuse("too many arguments", true) end
if trigger then
  local valid, err = swh.validate({ triggers = { trigger } }, true)
  if not valid then
    refuse(("TRIGGER: %s"):format(err.message:gsub("^webhook%.triggers%[0%]: ", "")), true)
  end
end

-- A line of progress on stderr, after what stdout holds (buffered when it is not a terminal).
local function progress(...)
  if not swh.quiet then
    io.stdout:flush()
    io.stderr:write(...)
    io.stderr:write("\n")
  end
end

--- The parts of a target URL: scheme with "://", userinfo with "@" (or ""), host (name and
-- port), and the rest; nil when it is not a URL.
local function split_target(target)
  local scheme, authority, rest = target:match("^(%a[%w+.-]*://)([^/?#]*)(.*)$")
  if not scheme then return nil end
  local userinfo, host = authority:match("^(.*@)(.*)$")
  if not userinfo then userinfo, host = "", authority end
  return scheme, userinfo, host, rest
end

--- The target with its host replaced, or nil when the target is not on OLD_HOST.
local function moved_target(target)
  local scheme, userinfo, host, rest = split_target(target)
  if not scheme or host:lower() ~= old_host then return nil end
  return scheme .. userinfo .. new_host .. rest
end

--- "a.example.com (12), b.example.com (3)": the hosts of the targets, most used first.
local function hosts_in_use(listing)
  local counts, hosts = {}, {}
  for _, entry in ipairs(listing) do
    for _, w in ipairs(entry.webhooks) do
      local _, _, host = split_target(w.target)
      host = host and host:lower() or "(not a URL)"
      if not counts[host] then hosts[#hosts + 1] = host end
      counts[host] = (counts[host] or 0) + 1
    end
  end
  table.sort(hosts, function(a, b)
    if counts[a] ~= counts[b] then return counts[a] > counts[b] end
    return a < b
  end)
  for i, host in ipairs(hosts) do hosts[i] = ("%s (%d)"):format(host, counts[host]) end
  return #hosts > 0 and table.concat(hosts, ", ") or "none: no webhooks"
end

local function short_id(id)
  return #id > 8 and "…" .. id:sub(-8) or id
end

local function trigger_list(triggers)
  return table.concat(triggers or {}, ",")
end

-- Every app and its webhooks, listed through the API, many apps at once:
-- { {app = app, webhooks = {…}} … } in the order of apps.
local function inventory(apps, label)
  local results = swh.map(apps, function(app) return client.webhooks:list(app.id) end,
                          { progress = label })
  local listing = {}
  for i, r in ipairs(results) do
    if not r.ok then
      error(("cannot list the webhooks of app %s: %s"):format(apps[i].id, tostring(r.err)), 0)
    end
    listing[i] = { app = apps[i], webhooks = r.value }
  end
  return listing
end

-- The webhooks of listing as a table; with changed (a set of ids), those rows are marked
-- "*" in a first column, so that the moved ones stand out among the unchanged.
local function print_table(title, listing, changed)
  local rows = {}
  for _, entry in ipairs(listing) do
    for _, w in ipairs(entry.webhooks) do
      local row = { entry.app.display_name or entry.app.id, short_id(w.id),
                    pretty.mask_urls(w.target), trigger_list(w.triggers) }
      if changed then table.insert(row, 1, changed[w.id] and "*" or "") end
      rows[#rows + 1] = row
    end
  end
  local header = { "APP", "WEBHOOK", "TARGET", "TRIGGERS" }
  if changed then table.insert(header, 1, "") end
  print(("%s: %d webhooks%s"):format(title, #rows, changed and " (* moved by this run)" or ""))
  print(pretty.table(header, rows))
  print()
end

progress("listing apps…")
local apps = assert(client.apps:list())
local before = inventory(apps, "Listing webhooks")

local moved, unchanged, failed = 0, 0, {}
local to_move = {}
for _, entry in ipairs(before) do
  for _, w in ipairs(entry.webhooks) do
    local target = moved_target(w.target)
    if target then
      to_move[#to_move + 1] = { app = entry.app, webhook = w, target = target }
    else
      unchanged = unchanged + 1
    end
  end
end

if #to_move == 0 then
  io.stderr:write(("migrate-host.lua: no webhook targets %s, so nothing was changed. "
    .. "Hosts in use: %s\n"):format(old_host, hosts_in_use(before)))
  print(("Summary: %d apps, 0 webhooks moved, %d unchanged, 0 failed"):format(#apps, unchanged))
  os.exit(1, true) -- a migration that found nothing to move did not do its job: a typo?
end

-- One update per webhook, many in flight (swh.map paces them under the project's rate
-- limit and retries what can be retried); a failure is reported, the others go on.
local function move_one(move)
  local w = move.webhook
  local changes = { target = move.target }
  if trigger then
    local triggers, present = {}, false
    for i, t in ipairs(w.triggers or {}) do
      triggers[i] = t
      present = present or t == trigger
    end
    if not present then triggers[#triggers + 1] = trigger end
    changes.triggers = triggers
  end
  return client.webhooks:update(w.id, changes)
end

-- The first update alone: an invalid change (NEW_HOST a Sinch API host, say; TRIGGER was
-- checked above) would fail every webhook the same way, so it stops everything before any
-- other request.
local first = to_move[1]
local first_value, first_err
if first then
  first_value, first_err = move_one(first)
  if not first_value and type(first_err) == "table" and first_err.kind == "validation" then
    refuse(pretty.mask_urls(("the first update (webhook %s) is invalid, so no webhook was "
      .. "moved: %s"):format(first.webhook.id, first_err.message)))
  end
end

print_table("Before", before)
progress(("moving %d webhooks from %s to %s%s…"):format(#to_move, old_host, new_host,
  trigger and " (adding " .. trigger .. " where missing)" or ""))
local results = swh.map(to_move, function(move)
  if move == first then return first_value, first_err end -- done above
  return move_one(move)
end, { progress = "Moving webhooks" })
local moved_ids = {}
for i, r in ipairs(results) do
  if r.ok and r.value.target == to_move[i].target then
    moved = moved + 1
    moved_ids[to_move[i].webhook.id] = true
  else
    failed[#failed + 1] = { move = to_move[i], err = r.err or "the answer kept the old target" }
  end
end

print_table("After", inventory(apps, "Checking webhooks"), moved_ids)

for _, f in ipairs(failed) do
  print(pretty.mask_urls(("FAILED %s (%s) %s: %s"):format(f.move.webhook.id,
    f.move.app.display_name or f.move.app.id, f.move.webhook.target, tostring(f.err))))
end
print(("Summary: %d apps, %d webhooks moved, %d unchanged, %d failed"):format(
  #apps, moved, unchanged, #failed))
if #failed > 0 then os.exit(1, true) end
