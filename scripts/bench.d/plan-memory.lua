-- plan-memory.lua: the time and peak RSS of swh.plan and plan:apply over WEBHOOKS webhooks
-- (5 an app, every one retargeted), swh's side alone: the client is an in-process stand-in
-- that answers at once from a table, so no server's speed enters the figures.
--   build/release/swh -q scripts/bench.d/plan-memory.lua WEBHOOKS JOURNAL
-- JOURNAL must not exist (false: apply without one). Prints one line per phase:
--   phase NAME SECONDS PEAK_RSS_MB
local swh = require "swh"
local gettime = require("system").gettime

local n = math.tointeger(tonumber(arg[1]))
local journal_path = arg[2]
assert(n and n >= 5 and journal_path, "usage: plan-memory.lua WEBHOOKS JOURNAL|false")
if journal_path == "false" then journal_path = false end

local function peak_mb()
  local f = assert(io.open("/proc/self/status"))
  local kb = f:read("a"):match("VmHWM:%s*(%d+) kB")
  f:close()
  return tonumber(kb) / 1000
end

-- The stand-in's project: webhooks as the API lists them.
local apps, by_app, by_id = setmetatable({}, swh.array_mt), {}, {}
for a = 1, n // 5 do
  local app_id = ("01APP%021d"):format(a)
  apps[a] = setmetatable({ id = app_id, display_name = "App " .. a }, swh.object_mt)
  by_app[app_id] = setmetatable({}, swh.array_mt)
  for k = 1, 5 do
    local w = setmetatable({
      id = ("01HOOK%020d"):format((a - 1) * 5 + k), app_id = app_id,
      target = ("https://old.example.com/hooks/%d/%d"):format(a, k), target_type = "HTTP",
      secret = "s3cret-" .. a, triggers = setmetatable({ "MESSAGE_INBOUND", "MESSAGE_DELIVERY" },
        swh.array_mt),
    }, swh.object_mt)
    by_app[app_id][k] = w
    by_id[w.id] = w
  end
end

local function copy(v)
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = copy(x) end
  return setmetatable(out, getmetatable(v))
end

local Client = { __name = "swh.client" }
Client.__index = Client
local client = setmetatable({}, Client)
function Client.project_id() return "bench-project" end
function Client.api_host() return "stand-in" end
function Client.is_closed() return false end
function Client.settings() return { concurrency = 64, rate = 800 } end
client.apps = { list = function() return copy(apps) end }
client.webhooks = {
  list = function(_, app_id) return copy(by_app[app_id]) end,
  update = function(_, id, changes)
    local w = by_id[id]
    for k, v in pairs(changes) do w[k] = copy(v) end
    return copy(w)
  end,
}

collectgarbage()
print(("phase setup 0 %.1f (the stand-in's project: %.1f MB of Lua heap)"):format(peak_mb(),
  collectgarbage("count") / 1024))
local t0 = gettime()
local plan = assert(swh.plan(client, function(w)
  w.target = w.target:gsub("^https://old%.", "https://new.")
end))
local t1 = gettime()
print(("phase plan %.3f %.1f"):format(t1 - t0, peak_mb()))
assert(#plan.updates == n, "planned " .. #plan.updates .. " updates")
local summary = assert(plan:apply{ journal = journal_path, progress = false })
local t2 = gettime()
assert(summary.updated == n and summary.failed == 0, tostring(summary))
print(("phase apply %.3f %.1f"):format(t2 - t1, peak_mb()))
