--- swh.plan, plan:apply and swh.resume: change a project's webhooks to a desired state as a
-- plan a person reads before it runs, carried out so that an interruption loses nothing.
--
--   local plan = assert(swh.plan(client, desired))   -- a snapshot, a list, or a function
--   print(plan)                                       -- + create / ~ update / - delete
--   local summary = assert(plan:apply{ journal = "move.journal" })
--   -- after a crash, Ctrl-C or kill -9 during apply:
--   local summary = assert(swh.resume("move.journal", client))
--
-- The parts, in this folder: build.lua (live state, desired state, matching, diff), order.lua (the
-- waves that keep every app within the API's rules), text.lua (tostring), apply.lua
-- (carrying out and resuming), journal.lua (the file), values.lua (copies, comparisons).
local core = require "swh.core"
local check = require "swh.check"
local build = require "swh.plan.build"
local text = require "swh.plan.text"
local apply = require "swh.plan.apply"

local getmetatable, select, setmetatable, type = getmetatable, select, setmetatable, type

local Plan = { __name = "swh.plan", __index = { apply = apply.apply }, __tostring = text.format }

local function check_client(client, n, fname)
  local mt = getmetatable(client)
  if type(client) ~= "table" or type(mt) ~= "table" or mt.__name ~= "swh.client" then
    check.argerror(n, fname, "swh client expected, got " .. type(client))
  end
  check.open(client)
end

--- swh.plan(client, desired) -> plan | nil, err (see build.lua for desired).
-- plan = { project_id, creates = {webhook…}, deletes = {webhook…}, unchanged = n,
--          updates = {{id, app_id, target, changes, mask, was}…}, steps = {…} } (an update
-- names its webhook by id, app_id and target as they are live, was holding the live values
-- of the fields in mask, changes the new ones); tostring(plan) is a table of
-- the steps, secrets masked; plan:apply{journal = path} carries it out (apply.lua).
local function plan(client, desired, ...)
  check_client(client, 1, "plan")
  -- swh.plan(client, swh.load(path)) with a file that did not load: swh.load's nil, err
  -- arrive here as desired and a third argument; its error says more than a bad argument
  if desired == nil and select("#", ...) > 0 and getmetatable((...)) == core.error_mt then
    return nil, (...)
  end
  if not build.form(desired) then
    check.argerror(2, "plan", ("desired: a snapshot, a list of webhooks or a function expected, "
      .. "got %s"):format(type(desired) == "table" and "a table of another shape"
      or type(desired)))
  end
  -- Building allocates far faster than it frees (the read project, the desired copies, the
  -- records): with the collector's default pause (a cycle once the heap doubles) its garbage
  -- piles up to twice what is alive. A cycle once it grows by half keeps the peak lower
  -- (100,000 webhooks: 334 MB -> 305 MB, 3.0 s -> 3.8 s; scripts/bench.d/plan-memory.lua).
  -- Restored however build ends; not through pcall, which would hide the caller's line
  -- from swh.check's errors.
  local pause = collectgarbage("setpause", 150)
  local _ <close> = setmetatable({}, { __close = function() collectgarbage("setpause", pause) end })
  local result, err = build.build(client, desired)
  if not result then return nil, err end
  apply.bind(result, client)
  return setmetatable(result, Plan)
end

--- swh.resume(path, client [, options]) -> summary | nil, err: finishes the apply whose
-- journal is at path (apply.lua). options: progress (a label, or false), concurrency.
local function resume(path, client, options)
  if type(path) ~= "string" or path == "" then
    check.argerror(1, "resume", "journal path expected, got "
      .. (path == "" and "an empty string" or type(path)))
  end
  check_client(client, 2, "resume")
  return apply.resume(path, client, options)
end

return { plan = plan, resume = resume }
