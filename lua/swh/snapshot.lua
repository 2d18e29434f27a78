--- swh.snapshot, swh.save, swh.load: a project's apps and webhooks as one value, and as a
-- file to back up, diff, or rehearse on (`swh --sandbox=FILE`, `swh-emulator FILE`).
--
--   local snap = assert(swh.snapshot(client))     -- every app and every webhook
--   assert(swh.save(snap, "backup.json"))         -- atomically, mode 0600: it holds secrets
--   local again = assert(swh.load("backup.json")) -- checked as the emulator checks a seed
--
-- A snapshot is the emulator's seed and state format:
--   { swh_snapshot = 1, project_id = "…", apps = { app, … }, webhooks = { webhook, … } }
-- with apps and webhooks whole, as the API gave them (unknown fields included), webhooks in
-- the apps' order and then by target (a stable order: two backups diff line by line).
-- Tables carry swh.object_mt / swh.array_mt, so empty ones keep their JSON type through
-- save and load. The file's rules (what load accepts) and its atomic writing live in the
-- core (swh_snapshot.h, swh_file.h), shared with the emulator; this file only gathers the
-- lists and checks arguments.

local core = require "swh.core"
local check = require "swh.check"
local tasks = require "swh.tasks"

local error, getmetatable, ipairs, pairs, pcall, setmetatable, tostring, type =
  error, getmetatable, ipairs, pairs, pcall, setmetatable, tostring, type
local sort = table.sort

local M = {}

-- A path argument: a string, not empty.
local function check_path(path, n, fname)
  check.type(path, "string", n, fname, "path")
  if path == "" then check.argerror(n, fname, "path: must not be empty") end
end

-- The failure of one app's list, as a new error value whose message names the app; the
-- rest (kind, statuses, details, request) is the failure's own.
local function for_app(err, app)
  local copy = {}
  for k, v in pairs(err) do copy[k] = v end
  copy.message = ('listing the webhooks of app "%s": %s'):format(app.id, tostring(err.message))
  return setmetatable(copy, getmetatable(err))
end

local function by_target(a, b) return tostring(a.target) < tostring(b.target) end

-- The client's concurrency (client:settings()), or nil for swh.each's default when the
-- client is a table of another kind that cannot tell.
local function client_concurrency(client)
  if type(client.settings) ~= "function" then return nil end
  return client:settings().concurrency
end

--- swh.snapshot(client [, opts]) -> snapshot | nil, err
-- Lists every app, then every app's webhooks concurrently (swh.each; opts.progress draws a
-- bar labelled with it, opts.concurrency bounds the lists at once: by default, the
-- client's). The first failure, in
-- the apps' order, is returned as nil, err, its message naming the app; never a part of a
-- snapshot.
function M.snapshot(client, opts)
  if type(client) ~= "table" or type(client.apps) ~= "table" or type(client.webhooks) ~= "table"
  then
    check.argerror(1, "snapshot", "client expected, got " .. type(client))
  end
  opts = check.options(opts, 2, "snapshot", tasks.MAP_OPTIONS)
  if type(client.is_closed) == "function" then check.open(client) end

  local apps, err = client.apps:list()
  if not apps then
    return nil, err
  end
  for i, app in ipairs(apps) do
    if type(app) ~= "table" or type(app.id) ~= "string" or app.id == "" then
      return nil, core.new_error("protocol", ("the apps list has no id for apps[%d]"):format(i))
    end
  end

  -- Each app's list as it comes (swh.each: no result records kept), joined in the apps'
  -- order once all are in.
  local lists, first_failure = {}, nil
  tasks.each(apps, function(app)
    return client.webhooks:list(app.id)
  end, {
    progress = opts and opts.progress,
    concurrency = opts and opts.concurrency or client_concurrency(client),
    on_result = function(i, ok, value)
      if ok then
        lists[i] = value
      elseif getmetatable(value) ~= core.error_mt then
        error(value, 0) -- a raise in the list call is misuse: raise it on
      elseif not first_failure or i < first_failure then
        first_failure, lists[i] = i, value
      end
    end,
  })
  if first_failure then
    return nil, for_app(lists[first_failure], apps[first_failure])
  end
  local webhooks = setmetatable({}, core.array_mt)
  for i = 1, #apps do
    -- by target (unique within an app): two snapshots of one project list its webhooks in
    -- the same order, whatever order the API answered in, so that their files diff line
    -- by line
    sort(lists[i], by_target)
    for _, webhook in ipairs(lists[i]) do
      webhooks[#webhooks + 1] = webhook
    end
    lists[i] = nil
  end
  return setmetatable({
    swh_snapshot = 1,
    project_id = client:project_id(),
    apps = apps,
    webhooks = webhooks,
  }, core.object_mt)
end

--- swh.save(snapshot, path) -> true | nil, err
-- Checks the snapshot as swh.load would (a snapshot it would refuse is refused here, with
-- kind validation, before the old file is touched), then writes it as JSON with sorted keys
-- and two-space indents, atomically (the old file stays whole if anything fails) and with
-- mode 0600. A value JSON cannot hold raises, naming its place (snapshot.apps[2]…).
function M.save(snapshot, path)
  check.type(snapshot, "table", 1, "save", "snapshot")
  check_path(path, 2, "save")
  local ok, saved, err = pcall(core.save_snapshot, path, snapshot)
  if not ok then check.argerror(1, "save", tostring(saved)) end
  return saved, err
end

--- swh.load(path) -> snapshot | nil, err
-- Reads a snapshot file and checks it with the emulator's rules (the message names the
-- file and the place: `snap.json: webhooks[3].app_id: no such app "X"`).
function M.load(path)
  check_path(path, 1, "load")
  return core.load_snapshot(path)
end

return M
