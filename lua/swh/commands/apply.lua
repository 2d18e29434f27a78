--- swh apply FILE: makes the project match a desired state, as swh.plan takes it: a
-- snapshot or a list of webhooks in JSON, or a Lua file returning either or a function.
--
-- With a selection, only the selected webhooks change: the other live webhooks of the apps
-- in scope are kept as they are, and desired webhooks that the selection leaves out are
-- not made.
local swh = require "swh"
local args = require "swh.commands.args"
local change = require "swh.commands.change"

local command = {
  name = "apply",
  summary = "make the project match a desired state (JSON, or a Lua file)",
  usage = "swh apply FILE [selection] [--dry-run] [--yes] [--json] [--journal PATH]",
  description = "FILE is a snapshot (swh backup) or a JSON list of webhooks, or a Lua file\n"
    .. "returning one of those or a function(webhook, app), as swh.plan takes them. A\n"
    .. "snapshot is the whole state of the apps it lists; a list, of the apps its\n"
    .. "webhooks name: live webhooks there that nothing matches are deleted.\n"
    .. "In CI, `swh apply desired.json --dry-run` exits 3 when the project drifted.",
  positional = { { "FILE", help = "the desired state (.json or .lua)" } },
  statuses = change.STATUSES,
}
command.flags = change.flags()

-- The desired state in FILE: a snapshot, a list or a function.
local function read_desired(path)
  if path:find("%.lua$") then
    local chunk, err = loadfile(path, "t")
    if not chunk then args.fail(err) end
    local ok, value = pcall(chunk)
    if not ok then args.fail(("%s: %s"):format(path, tostring(value))) end
    return value
  end
  local f, err = io.open(path, "rb")
  if not f then args.fail(err) end
  local text = f:read("a")
  f:close()
  local value, why = swh.json.decode(text)
  if value == nil then args.fail(("%s: not JSON: %s"):format(path, tostring(why))) end
  if type(value) == "table" and value.swh_snapshot ~= nil then
    local snap, load_err = swh.load(path) -- checked as a snapshot
    if not snap then args.fail(tostring(load_err.message or load_err)) end
    return snap
  end
  return value
end
command.read_desired = read_desired

-- desired narrowed to the selection: a function keeps its hand off the others; a snapshot
-- or a list becomes a snapshot of the apps in scope, with the selected desired webhooks
-- and the unselected live ones. Returns the desired state and whether anything was
-- selected.
local function narrowed(desired, selection, client)
  if type(desired) == "function" then
    local any = false
    return function(w, app)
      if not selection.test(w, app) then return end
      any = true
      return desired(w, app)
    end, function() return any end
  end
  local live, err = swh.snapshot(client)
  if not live then args.fail("cannot read the project: " .. tostring(err)) end
  local app_of, in_scope, scope = {}, {}, {}
  for _, app in ipairs(live.apps) do app_of[app.id] = app end
  local list = desired.swh_snapshot and desired.webhooks or desired
  if desired.swh_snapshot then
    for _, app in ipairs(desired.apps) do in_scope[app.id] = true end
  else
    for _, w in ipairs(list) do
      if type(w) == "table" and w.app_id then in_scope[w.app_id] = true end
    end
  end
  local webhooks, any = {}, false
  for _, w in ipairs(list) do
    local app = app_of[w.app_id]
    if app and selection.test(w, app) then webhooks[#webhooks + 1] = w; any = true end
  end
  for _, w in ipairs(live.webhooks) do
    if in_scope[w.app_id] then
      if selection.test(w, app_of[w.app_id]) then any = true
      else webhooks[#webhooks + 1] = w end
    end
  end
  for id in pairs(in_scope) do if app_of[id] then scope[#scope + 1] = app_of[id] end end
  return { swh_snapshot = 1, project_id = client:project_id(), apps = scope,
           webhooks = webhooks }, function() return any end
end

--- Plans and carries out desired for the command name (apply, restore).
function command.apply(name, desired, opts, env)
  local client = env.client()
  local selection = change.selection(opts, client)
  local matched = function() return true end
  if selection.any then desired, matched = narrowed(desired, selection, client) end
  local plan = change.plan(client, desired, selection)
  if not matched() then change.none_matched(selection) end
  return change.carry_out(name, plan, opts, env, change.app_names(client))
end

function command.run(opts, positional, env)
  return command.apply("apply", read_desired(positional[1]), opts, env)
end

return command
