-- swh.verify (lua/swh/verify.lua, src/core/swh_probe.c): targets checked against receivers
-- this spec starts on 127.0.0.1: swh.listen with a secret (refuses unsigned callbacks), one
-- without (accepts them), one answering 500, a port nothing listens on, and `openssl
-- s_server` with an expired certificate and with one for another host, both signed by a
-- CA made here and trusted through ca_file. Nothing leaves 127.0.0.1.
local swh = require "swh"
local h = require "host_run"
local helper = require "helper"

local function sh(command)
  assert(os.execute(command), command)
end

-- A CA and, signed by it, a certificate for 127.0.0.1 expired yesterday and one valid for
-- 30 days for other.example.com only.
local function make_certificates(dir)
  local q = h.quote
  local function openssl(args) sh("openssl " .. args .. " >/dev/null 2>&1") end
  openssl(("req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s -days 2 -subj '/CN=swh spec CA'")
    :format(q(dir .. "/ca.key"), q(dir .. "/ca.pem")))
  openssl(("req -newkey rsa:2048 -nodes -keyout %s -out %s -subj /CN=127.0.0.1")
    :format(q(dir .. "/server.key"), q(dir .. "/server.csr")))
  h.write(dir .. "/ip.ext", "subjectAltName=IP:127.0.0.1\n")
  h.write(dir .. "/other.ext", "subjectAltName=DNS:other.example.com\n")
  local sign = "x509 -req -in %s -CA %s -CAkey %s -CAcreateserial -out %s -days %d -extfile %s"
  openssl(sign:format(q(dir .. "/server.csr"), q(dir .. "/ca.pem"), q(dir .. "/ca.key"),
    q(dir .. "/expired.pem"), -1, q(dir .. "/ip.ext")))
  openssl(sign:format(q(dir .. "/server.csr"), q(dir .. "/ca.pem"), q(dir .. "/ca.key"),
    q(dir .. "/other.pem"), 30, q(dir .. "/other.ext")))
end

-- A free port of 127.0.0.1 (a listener's, closed again).
local function free_port()
  local l = assert(swh.listen {})
  local port = tonumber(l:url():match(":(%d+)$"))
  l:close()
  return port
end

-- openssl s_server with cert on a free port, kept alive by a sleeping stdin; its pid.
local function tls_server(dir, cert)
  local port = free_port()
  local pid = h.shell(("(sleep 60 | openssl s_server -quiet -accept 127.0.0.1:%d -cert %s "
    .. "-key %s) >/dev/null 2>&1 </dev/null & echo $!"):format(port, h.quote(dir .. "/" .. cert),
    h.quote(dir .. "/server.key"))):match("%d+")
  local url = ("https://127.0.0.1:%d/hooks"):format(port)
  for _ = 1, 200 do -- until it accepts connections (at most 2 s)
    local r = swh.verify({ url }, { timeout = 1 })
    if r.targets[1].stage ~= "connect" then break end
    helper.sleep(0.01)
  end
  return url, pid
end

describe("swh.verify", function()
  local dir, receivers, pids
  setup(function()
    dir = h.temp_dir()
    make_certificates(dir)
  end)
  teardown(function() h.remove_dir(dir) end)
  before_each(function() receivers, pids = {}, {} end)
  after_each(function()
    for _, r in ipairs(receivers) do r:close() end
    for _, pid in ipairs(pids) do os.execute("pkill -P " .. pid .. " 2>/dev/null; kill " .. pid
      .. " 2>/dev/null") end
  end)
  local function receiver(options)
    local r = assert(swh.listen(options))
    receivers[#receivers + 1] = r
    return r
  end

  it("tells each kind of target apart", function()
    local strict = receiver { secret = "s" }
    local lax = receiver {}
    local failing = receiver { status = 500 }
    local nobody = ("http://127.0.0.1:%d/hooks"):format(free_port())
    local expired, p1 = tls_server(dir, "expired.pem")
    local other, p2 = tls_server(dir, "other.pem")
    pids = { p1, p2 }
    local report = assert(swh.verify({ strict:url() .. "/a", lax:url() .. "/b",
      failing:url() .. "/c", nobody, expired, other }, { ca_file = dir .. "/ca.pem",
      timeout = 5 }))
    local t = report.targets
    assert.equal(6, #t)
    assert.same({ "ok", "warning", "broken", "broken", "broken", "broken" },
      { t[1].verdict, t[2].verdict, t[3].verdict, t[4].verdict, t[5].verdict, t[6].verdict })
    assert.equal("verifies signatures (401 to an unsigned callback)", t[1].says)
    assert.equal("accepts unsigned callbacks (200)", t[2].says)
    assert.equal("answers 500", t[3].says)
    assert.equal("connect", t[4].stage)
    assert.matches("^connection refused: Failed to connect to 127.0.0.1 port", t[4].says)
    assert.equal("tls", t[5].stage)
    assert.matches("certificate has expired", t[5].error, 1, true)
    assert.equal(-1, t[5].certificate.days_left) -- expired a day (and seconds) ago
    assert.is_true(t[5].certificate.expired)
    assert.equal("tls", t[6].stage)
    assert.matches("no alternative certificate subject name matches target host name "
      .. "'127.0.0.1'", t[6].error, 1, true)
    -- 30 days from its making, in whole days left: 30 within its first second, then 29
    local left = t[6].certificate.days_left
    assert.is_true(left == 29 or left == 30, "days_left " .. left)
    assert.is_false(t[6].certificate.expired)
    assert.equal(os.date("!%Y-%m-%d", os.time() + 30 * 86400),
      t[6].certificate.expires:sub(1, 10))
    assert.same({ ok = 1, warnings = 1, broken = 4 },
      { ok = report.ok, warnings = report.warnings, broken = report.broken })
    -- the receivers saw one POST each, with no event and no signature
    local cb = strict:next(1)
    assert.equal("unsigned", cb.signature)
    assert.matches("not an event", cb.body, 1, true)
    local text = swh.verify_table(report)
    assert.matches("1 ok, 1 warning, 4 broken$", text)
    assert.matches("\nbroken +https://127.0.0.1:%d+/hooks +TLS failed: .*certificate "
      .. "expires %d+%-%d+%-%d+T", text)
  end)

  it("sends a signed test event to the targets of a client's webhooks", function()
    local emu = helper.emulator { apps = 1 }
    local client = helper.client(emu)
    local app = assert(client.apps:list())[1].id
    local strict = receiver { secret = "right" }
    local wrong = receiver { secret = "wrong" }
    assert(client.webhooks:create { app_id = app, target = strict:url() .. "/1",
      secret = "right", triggers = { "MESSAGE_DELIVERY" } })
    local w2 = assert(client.webhooks:create { app_id = app, target = wrong:url() .. "/2",
      secret = "right", triggers = { "MESSAGE_DELIVERY" } })
    local report = assert(swh.verify(client, { signed = true }))
    assert.equal(2, #report.targets)
    local by_url = {}
    for _, r in ipairs(report.targets) do by_url[r.url] = r end
    local good, bad = by_url[strict:url() .. "/1"], by_url[wrong:url() .. "/2"]
    assert.equal("ok", good.verdict)
    assert.equal("accepts a signed test event (200)", good.says)
    assert.is_true(good.signed)
    assert.equal("broken", bad.verdict)
    assert.equal("refuses a correctly signed test event (401)", bad.says)
    assert.same({ w2.id }, bad.webhooks)
    assert.equal("valid", strict:next(1).signature)
    -- a selection: only the second webhook
    local only = assert(swh.verify(client, { select = function(w) return w.id == w2.id end }))
    assert.equal(1, #only.targets)
    assert.equal("verifies signatures (401 to an unsigned callback)", only.targets[1].says)
    client:close()
    emu:stop()
  end)

  it("checks 2,000 targets at once", function()
    local r = receiver { secret = "s" }
    local urls = {}
    for i = 1, 2000 do urls[i] = r:url() .. "/" .. i end
    local report = assert(swh.verify(urls))
    assert.equal(2000, report.ok)
    assert.equal(0, report.broken)
  end)

  it("says what is wrong with its arguments", function()
    local ok, err = swh.verify("https://x.example.com/")
    assert.is_nil(ok)
    assert.equal("verify: expected a client, a list of webhooks or a list of URLs, got string",
      err.message)
    ok, err = swh.verify({ 42 })
    assert.is_nil(ok)
    assert.equal("verify: targets[1]: expected a URL or a webhook with a target", err.message)
    -- options are read as every function's are (swh.check): one wording, typed values
    assert.has_error(function() swh.verify({}, { sigend = true }) end,
      "bad argument #2 to 'verify' (unknown option \"sigend\" (did you mean \"signed\"? "
      .. "known: ca_file, concurrency, progress, select, signed, timeout, warn_days))")
    assert.has_error(function() swh.verify({}, { timeout = "5" }) end,
      "bad argument #2 to 'verify' (timeout: expected a positive number, got string)")
    assert.has_error(function() swh.verify({}, { timeout = 0 }) end,
      "bad argument #2 to 'verify' (timeout: expected a positive number, got 0)")
    assert.has_error(function() swh.verify({}, { ca_file = "" }) end,
      "bad argument #2 to 'verify' (ca_file: expected a file path, got string)")
    assert.has_error(function() swh.verify({}, { warn_days = -1 }) end,
      "bad argument #2 to 'verify' (warn_days: expected a number, 0 or more, got -1)")
  end)
end)
