--- Prints scripts/bench's results side by side: swh and the Node SDK, with the ratios.
--   lua5.4 table.lua DIR RUNS CONCURRENCY...
-- DIR holds one file per run, named SIDE-CONCURRENCY-RUN.out (SIDE: swh or sdk), each with
-- the lines the workloads print (phase NAME REQUESTS SECONDS, rss_kb N, cpu_s S,
-- phases_cpu_s S) and the line
-- "wall SECONDS" (the client process from start to exit, measured by scripts/bench).
-- Of each side's runs the one with the least total phase time is shown; peak RSS is the
-- largest of all runs.
local dir, runs = arg[1], math.tointeger(tonumber(arg[2]))
assert(dir and runs and arg[3], "usage: table.lua DIR RUNS CONCURRENCY...")

local function read_run(path)
  local f = assert(io.open(path, "r"))
  local run = { phases = {}, total = 0, requests = 0 }
  for line in f:lines() do
    local name, requests, seconds = line:match("^phase (%a+) (%d+) ([%d.]+)$")
    if name then
      run.phases[#run.phases + 1] = { name = name, requests = tonumber(requests),
        seconds = tonumber(seconds) }
      run.total = run.total + tonumber(seconds)
      run.requests = run.requests + tonumber(requests)
    end
    run.rss_kb = run.rss_kb or tonumber(line:match("^rss_kb (%d+)$"))
    run.wall = run.wall or tonumber(line:match("^wall ([%d.]+)$"))
    run.cpu = run.cpu or tonumber(line:match("^cpu_s ([%d.]+)$"))
    run.phases_cpu = run.phases_cpu or tonumber(line:match("^phases_cpu_s ([%d.]+)$"))
  end
  f:close()
  assert(#run.phases > 0 and run.rss_kb and run.wall and run.cpu and run.phases_cpu,
    path .. ": incomplete results")
  return run
end

local function best_of(side, concurrency)
  local best, rss = nil, 0
  for r = 1, runs do
    local run = read_run(("%s/%s-%s-%d.out"):format(dir, side, concurrency, r))
    if not best or run.total < best.total then best = run end
    rss = math.max(rss, run.rss_kb)
  end
  best.rss_kb = rss
  return best
end

local function row(cells)
  print((("%-22s %8s %9s %9s %8s %10s %10s"):format(table.unpack(cells)):gsub("%s+$", "")))
end
local function ms(s) return ("%.1f"):format(s * 1000) end
local function rps(n, s) return ("%.0f"):format(n / s) end
local function ratio(sdk, swh) return ("%.1fx"):format(sdk / swh) end

for i = 3, #arg do
  local c = arg[i]
  local swh, sdk = best_of("swh", c), best_of("sdk", c)
  print()
  print(("concurrency %s"):format(c))
  row { "phase", "requests", "swh ms", "SDK ms", "SDK/swh", "swh req/s", "SDK req/s" }
  for k, p in ipairs(swh.phases) do
    local q = sdk.phases[k]
    assert(q and q.name == p.name and q.requests == p.requests,
      "the two sides ran different phases")
    row { p.name, p.requests, ms(p.seconds), ms(q.seconds), ratio(q.seconds, p.seconds),
      rps(p.requests, p.seconds), rps(q.requests, q.seconds) }
  end
  row { "all phases", swh.requests, ms(swh.total), ms(sdk.total), ratio(sdk.total, swh.total),
    rps(swh.requests, swh.total), rps(sdk.requests, sdk.total) }
  row { "process, start to exit", "", ms(swh.wall), ms(sdk.wall), ratio(sdk.wall, swh.wall),
    "", "" }
  row { "client CPU, user+sys ms", "", ms(swh.cpu), ms(sdk.cpu), ratio(sdk.cpu, swh.cpu), "", "" }
  -- the timed phases' CPU only: start-up (loading node and the SDK, or swh) and setup left out
  local swh_us = swh.phases_cpu * 1e6 / swh.requests
  local sdk_us = sdk.phases_cpu * 1e6 / sdk.requests
  row { "CPU per request (us)", "", ("%.0f"):format(swh_us), ("%.0f"):format(sdk_us),
    ratio(sdk_us, swh_us), "", "" }
  row { "peak RSS (MB)", "", ("%.1f"):format(swh.rss_kb / 1024), ("%.1f"):format(sdk.rss_kb / 1024),
    ratio(sdk.rss_kb, swh.rss_kb), "", "" }
end
