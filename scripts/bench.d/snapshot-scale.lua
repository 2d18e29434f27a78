--- Times swh.save or swh.load of a snapshot of WEBHOOKS webhooks, 5 an app, as users with a
-- large project have them (every webhook with triggers, a secret, and a field swh does not
-- know). Run by scripts/bench.d/snapshot-scale, which measures peak RSS around it:
--   swh -q snapshot-scale.lua save WEBHOOKS FILE   -- builds the snapshot, times swh.save
--   swh -q snapshot-scale.lua load WEBHOOKS FILE   -- times swh.load, checks the count
-- Prints "save|load WEBHOOKS SECONDS".
-- luacheck: read globals swh
local gettime = require("system").gettime

local mode, count, path = arg[1], math.tointeger(tonumber(arg[2])), arg[3]
assert((mode == "save" or mode == "load") and count and path,
  "usage: snapshot-scale.lua save|load WEBHOOKS FILE")

local PER_APP = 5
local elapsed
if mode == "save" then
  local apps, webhooks = {}, {}
  for a = 1, (count + PER_APP - 1) // PER_APP do
    local app_id = ("01BENCHAPP%016d"):format(a)
    apps[a] = { id = app_id, display_name = "App " .. a, rate_limits = { outbound = 20 } }
    for k = 1, PER_APP do
      local n = #webhooks + 1
      if n > count then break end
      webhooks[n] = {
        id = ("01BENCHHOOK%015d"):format(n), app_id = app_id, target_type = "HTTP",
        target = ("https://hooks.example.com/%s/%d"):format(app_id, k),
        triggers = { "MESSAGE_INBOUND", "MESSAGE_DELIVERY" },
        secret = "bench-secret-" .. n, future_field = { kept = true },
      }
    end
  end
  local snapshot = { swh_snapshot = 1, project_id = "bench", apps = apps, webhooks = webhooks }
  local t0 = gettime()
  assert(swh.save(snapshot, path))
  elapsed = gettime() - t0
else
  local t0 = gettime()
  local snapshot = assert(swh.load(path))
  elapsed = gettime() - t0
  assert(#snapshot.webhooks == count, ("loaded %d webhooks, not %d"):format(#snapshot.webhooks,
    count))
end
print(("%s %d %.3f"):format(mode, count, elapsed))
