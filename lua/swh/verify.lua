--- swh.verify: a pre-flight check of callback targets, before and after a move
-- (doc/CALLBACKS.md). For each target: DNS, connect, TLS (the certificate checked for the
-- host, days to its expiry) and an HTTP POST carrying no event and no valid signature,
-- which a well-made receiver refuses. All targets at once (the core's swh_probe).
--
--   local report = assert(swh.verify(client))                  -- every webhook's target
--   local report = assert(swh.verify({ "https://new.example.com/hooks" }))
--   print(swh.verify_table(report))
--   if report.broken > 0 then os.exit(1) end
--
-- targets: a client (its webhooks, opts.select(webhook, app) -> bool choosing some), a list of
-- webhooks (tables with target, and secret for opts.signed), or a list of URLs.
-- opts: select, signed (POST a signed test event to targets with a secret: then a 2xx is
-- right), timeout (seconds per target, 10), ca_file (CAs to trust instead of the system's),
-- warn_days (a certificate expiring sooner is a warning, 14), concurrency/progress (for
-- the client's lists).
--
-- The report: {targets = {result…}, ok = n, warnings = n, broken = n}, one result per
-- distinct URL: {url, verdict = "ok"|"warning"|"broken", says = "verifies signatures"…,
-- stage, status, error?, certificate? = {expires, days_left, subject}, dns_ms, connect_ms,
-- tls_ms, total_ms, webhooks = {id…}}.

local core = require "swh.core"
local check = require "swh.check"
local count = require("swh.pretty").count

local ipairs, sort, tostring, type = ipairs, table.sort, tostring, type
local concat = table.concat

local M = {}

local OPTIONS = { select = check.FUNCTION, signed = check.BOOLEAN,
                  timeout = check.POSITIVE_NUMBER, ca_file = check.PATH,
                  warn_days = check.COUNT_OR_ZERO, concurrency = check.POSITIVE_INTEGER,
                  progress = check.LABEL }

-- What a result says, and its verdict.
local function judge(r, signed, warn_days)
  if r.stage ~= "ok" then
    local what = { dns = "DNS failed", connect = "connection refused", tls = "TLS failed",
                   timeout = "no answer in time", http = "HTTP failed" }
    return "broken", (what[r.stage] or r.stage) .. ": " .. tostring(r.error)
  end
  local s = r.status
  local verdict, says
  if s == 401 or s == 403 then
    if r.signed then
      verdict, says = "broken", ("refuses a correctly signed test event (%d)"):format(s)
    else
      verdict, says = "ok", ("verifies signatures (%d to an unsigned callback)"):format(s)
    end
  elseif s >= 200 and s < 300 then
    if r.signed then
      verdict, says = "ok", ("accepts a signed test event (%d)"):format(s)
    elseif signed then
      verdict, says = "warning", ("accepts unsigned callbacks (%d; no secret to sign "
        .. "a test event with)"):format(s)
    else
      verdict, says = "warning", ("accepts unsigned callbacks (%d)"):format(s)
    end
  elseif s >= 500 or s == 429 then
    verdict, says = "broken", ("answers %d"):format(s)
  else
    verdict, says = "warning", ("answers %d to %s callback (a signature check answers "
      .. "401 or 403)"):format(s, r.signed and "a signed" or "an unsigned")
  end
  local cert = r.certificate
  if cert and cert.days_left < warn_days and verdict == "ok" then
    verdict = "warning"
    says = says .. ("; certificate expires in %d days"):format(cert.days_left)
  end
  return verdict, says
end

-- The webhooks to check: a client's (selected), or the list given.
local function gather(targets, opts)
  if type(targets) ~= "table" then
    return nil, core.new_error("usage", "verify: expected a client, a list of webhooks or "
      .. "a list of URLs, got " .. type(targets))
  end
  if type(targets.webhooks) == "table" and type(targets.apps) == "table" then
    local snap, err = require("swh.snapshot").snapshot(targets, {
      concurrency = opts.concurrency, progress = opts.progress })
    if not snap then return nil, err end
    local apps, chosen = {}, {}
    for _, app in ipairs(snap.apps) do apps[app.id] = app end
    for _, w in ipairs(snap.webhooks) do
      if not opts.select or opts.select(w, apps[w.app_id]) then chosen[#chosen + 1] = w end
    end
    return chosen
  end
  local list = {}
  for i, t in ipairs(targets) do
    if type(t) == "string" then
      list[i] = { target = t }
    elseif type(t) == "table" and type(t.target) == "string" then
      list[i] = t
    else
      return nil, core.new_error("usage", ("verify: targets[%d]: expected a URL or a webhook "
        .. "with a target"):format(i))
    end
  end
  return list
end

--- swh.verify(targets [, opts]) -> report | nil, err
function M.verify(targets, opts)
  opts = check.options(opts, 2, "verify", OPTIONS)
  local webhooks, err = gather(targets, opts)
  if not webhooks then return nil, err end
  -- one probe per URL; its webhooks listed under it (a target shared by many is checked once;
  -- with signed, the first secret found for it signs)
  local by_url, order = {}, {}
  for _, w in ipairs(webhooks) do
    if not by_url[w.target] then
      by_url[w.target] = { url = w.target, webhooks = {} }
      order[#order + 1] = by_url[w.target]
    end
    local entry = by_url[w.target]
    if w.id then entry.webhooks[#entry.webhooks + 1] = w.id end
    if not entry.secret and type(w.secret) == "string" and w.secret ~= "" then
      entry.secret = w.secret
    end
  end
  local probes = {}
  for i, e in ipairs(order) do
    probes[i] = { url = e.url, secret = opts.signed and e.secret or nil }
  end
  local results, perr = core.probe(probes, { timeout = opts.timeout, ca_file = opts.ca_file,
                                             signed = opts.signed })
  if not results then return nil, perr end
  local report = { targets = {}, ok = 0, warnings = 0, broken = 0 }
  local warn_days = opts.warn_days or 14
  for i, r in ipairs(results) do
    r.verdict, r.says = judge(r, opts.signed, warn_days)
    r.webhooks = order[i].webhooks
    report.targets[i] = r
    local key = r.verdict == "ok" and "ok" or r.verdict == "warning" and "warnings" or "broken"
    report[key] = report[key] + 1
  end
  return report
end

--- The report as a table for people: one line a target, then the counts.
function M.format(report)
  local rows, width = {}, 3
  for _, r in ipairs(report.targets) do
    if #r.url > width then width = #r.url end
  end
  local sorted = {}
  for i, r in ipairs(report.targets) do sorted[i] = r end
  local rank = { broken = 1, warning = 2, ok = 3 }
  sort(sorted, function(a, b)
    if a.verdict ~= b.verdict then return rank[a.verdict] < rank[b.verdict] end
    return a.url < b.url
  end)
  rows[1] = ("%-7s  %-" .. width .. "s  %s"):format("VERDICT", "URL", "WHAT")
  for _, r in ipairs(sorted) do
    local extra = {}
    if r.certificate and r.verdict ~= "broken" then
      extra[#extra + 1] = ("certificate %d days left"):format(r.certificate.days_left)
    elseif r.certificate and r.stage == "tls" then
      extra[#extra + 1] = ("certificate expires %s"):format(r.certificate.expires)
    end
    if #r.webhooks > 0 then extra[#extra + 1] = count(#r.webhooks, "webhook") end
    rows[#rows + 1] = ("%-7s  %-" .. width .. "s  %s%s"):format(r.verdict, r.url, r.says,
      #extra > 0 and " [" .. concat(extra, ", ") .. "]" or "")
  end
  rows[#rows + 1] = ("%d ok, %s, %d broken"):format(report.ok, count(report.warnings,
    "warning"), report.broken)
  return concat(rows, "\n")
end

return M
