-- wrk script: GET the webhooks of a random app of a snapshot-scale.lua snapshot, with Basic
-- auth (the emulator's default key), as scripts/bench.d/scale runs it:
--   SWH_BENCH_APPS=N wrk -s list-webhooks.lua URL
-- Any answer but 200 is counted, and wrk's summary says "Non-2xx or 3xx responses".
-- luacheck: globals wrk request
local apps = assert(tonumber(os.getenv("SWH_BENCH_APPS")), "SWH_BENCH_APPS: number of apps")
local credentials = "ZW11bGF0b3Ita2V5OmVtdWxhdG9yLXNlY3JldA==" -- emulator-key:emulator-secret

wrk.headers["Authorization"] = "Basic " .. credentials

function request()
  -- snapshot-scale.lua's app ids
  local path = ("/v1/projects/bench/apps/01BENCHAPP%016d/webhooks"):format(math.random(apps))
  return wrk.format("GET", path)
end
