-- plan-move.lua: times swh.plan and plan:apply at scale. Gives every app of the project two
-- webhooks on old.example.com, then moves them all to new.example.com with a plan applied
-- with a journal (arg[1], which must not exist yet). Against an emulator with many apps:
--   build/release/swh-emulator --port 18091 --apps 800 -q &
--   SINCH_PROJECT_ID=emulator-project SINCH_KEY_ID=emulator-key SINCH_KEY_SECRET=emulator-secret \
--     build/release/swh -q --base-url=http://127.0.0.1:18091 \
--       --auth-url=http://127.0.0.1:18091/oauth2/token \
--       scripts/bench.d/plan-move.lua /tmp/move.journal
-- luacheck: read globals swh client
local gettime = require("system").gettime

local journal = assert(arg[1], "usage: plan-move.lua JOURNAL")
local apps = assert(client.apps:list())
local wanted = {}
for _, app in ipairs(apps) do
  for k = 1, 2 do
    wanted[#wanted + 1] = { app_id = app.id, triggers = { "MESSAGE_INBOUND" },
                            target = ("https://old.example.com/%s/%d"):format(app.id, k) }
  end
end
for _, r in ipairs(swh.map(wanted, function(w) return client.webhooks:create(w) end)) do
  assert(r.ok, r.err)
end

local t0 = gettime()
local plan = assert(swh.plan(client, function(w)
  w.target = w.target:gsub("^https://old%.example%.com/", "https://new.example.com/")
end))
local t1 = gettime()
local summary = assert(plan:apply { journal = journal, progress = false })
local t2 = gettime()
assert(summary.updated == #wanted and summary.failed == 0, tostring(summary))
print(("%d apps, %d webhooks: plan %.0f ms, apply %.0f ms (%s)"):format(#apps, #wanted,
  (t1 - t0) * 1000, (t2 - t1) * 1000, tostring(summary)))
