--- The swh steps of the scale table, against an emulator seeded with snapshot-scale.lua's
-- snapshot of WEBHOOKS webhooks (project "bench", the default key), run by
-- scripts/bench.d/scale as
--   swh -q scale-steps.lua URL WEBHOOKS JOURNAL [ONLY]
-- swh.snapshot of the project, swh.plan retargeting every webhook, and plan:apply of it with
-- a journal at JOURNAL (which must not exist), each checked exactly. The client runs at 64
-- requests in flight and no rate of its own (the emulator has no limit), so the figures are
-- swh's and the emulator's work. Before each step a full collection runs and the peak RSS
-- is reset (/proc/self/clear_refs), so each step's peak is its own, the plan alive during
-- the apply. Prints "step NAME SECONDS PEAK_KB" a step. With ONLY (snapshot, plan or none)
-- it runs that step alone, or none (the client only): how scripts/bench.d/instructions
-- counts a step's instructions.
-- luacheck: read globals swh
local gettime = require("system").gettime

local url, count, journal, only = arg[1], math.tointeger(tonumber(arg[2])), arg[3], arg[4]
assert(url and count and journal and (only == nil or only == "snapshot" or only == "plan"
  or only == "none"), "usage: scale-steps.lua URL WEBHOOKS JOURNAL [snapshot|plan|none]")

local function reset_peak()
  collectgarbage()
  local f = assert(io.open("/proc/self/clear_refs", "w"))
  f:write("5")
  f:close()
end

local function peak_kb()
  local f = assert(io.open("/proc/self/status"))
  local kb = f:read("a"):match("VmHWM:%s*(%d+) kB")
  f:close()
  return kb
end

local client = assert(swh.client{
  project_id = "bench", key_id = "emulator-key", key_secret = "emulator-secret",
  base_url = url, auth_url = url .. "/oauth2/token", concurrency = 64, rate = 1e6,
})

local function step(name, fn)
  reset_peak()
  local t0 = gettime()
  local result = fn()
  print(("step %s %.3f %s"):format(name, gettime() - t0, peak_kb()))
  return result
end

if only == "none" then return end
if only ~= "plan" then
  step("swh.snapshot", function()
    local snapshot = assert(swh.snapshot(client))
    assert(#snapshot.webhooks == count, ("%d webhooks, not %d"):format(#snapshot.webhooks,
      count))
  end)
  if only == "snapshot" then return end
end
local plan = step("swh.plan", function()
  local plan = assert(swh.plan(client, function(w)
    w.target = w.target:gsub("^https://hooks%.", "https://moved.")
  end))
  assert(#plan.updates == count, ("%d updates planned, not %d"):format(#plan.updates, count))
  return plan
end)
if only == "plan" then return end
step("plan:apply", function()
  local summary = assert(plan:apply{ journal = journal, progress = false })
  assert(summary.updated == count and summary.failed == 0, tostring(summary))
end)
