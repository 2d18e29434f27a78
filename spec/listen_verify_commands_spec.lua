-- `swh verify` and `swh listen` (lua/swh/commands/verify.lua, listen.lua): the commands over
-- swh.verify and swh.listen, against receivers on 127.0.0.1 and the sandbox's emulator.
local cjson = require "cjson"
local swh = require "swh"
local h = require "host_run"
local helper = require "helper"

local APP = "01APPCOMMANDS0000000000001"

local function free_port()
  local l = assert(swh.listen {})
  local port = tonumber(l:url():match(":(%d+)$"))
  l:close()
  return port
end

local function sandbox_file(webhooks)
  for i, w in ipairs(webhooks) do
    w.id, w.app_id, w.triggers = "W" .. i, APP, w.triggers or { "MESSAGE_DELIVERY" }
  end
  local file = os.tmpname()
  h.write(file, cjson.encode { swh_snapshot = 1, project_id = "commands-spec",
    apps = { { id = APP, display_name = "Shop" }, { id = "01APPOTHER", display_name = "x" } },
    webhooks = webhooks })
  return file
end

describe("swh verify", function()
  it("checks the URLs given: exit 1 when one is broken, 0 when none is", function()
    local strict = assert(swh.listen { secret = "s" })
    local dead = ("http://127.0.0.1:%d/gone"):format(free_port())
    local r = h.run { "verify", strict:url() .. "/a", dead }
    assert.equal(1, r.status)
    assert.equal("", r.err)
    local lines = {}
    for line in r.out:gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.equal(4, #lines)
    assert.matches("^VERDICT +URL +WHAT$", lines[1])
    assert.matches("^broken +" .. dead:gsub("%p", "%%%0") .. " +connection refused: ", lines[2])
    assert.matches("^ok +http://127%.0%.0%.1:%d+/a +verifies signatures %(401 to an unsigned "
      .. "callback%)$", lines[3])
    assert.equal("1 ok, 0 warnings, 1 broken", lines[4])
    r = h.run { "verify", "--json", strict:url() .. "/b" }
    assert.equal(0, r.status)
    local report = cjson.decode(r.out)
    assert.equal(1, report.ok)
    assert.equal(401, report.targets[1].status)
    strict:close()
  end)

  it("checks the selected webhooks of the project", function()
    local lax = assert(swh.listen {})
    local file = sandbox_file {
      { target = lax:url() .. "/lax" },
      { target = ("http://127.0.0.1:%d/gone"):format(free_port()), triggers = { "OPT_IN" } },
    }
    local r = h.run { "--sandbox=" .. file, "verify", "--trigger", "MESSAGE_DELIVERY" }
    assert.equal(0, r.status)
    assert.matches("\nwarning +http://127%.0%.0%.1:%d+/lax +accepts unsigned callbacks %(200%) "
      .. "%[1 webhook%]\n0 ok, 1 warning, 0 broken\n$", r.out)
    r = h.run { "--sandbox=" .. file, "verify", "--app", "Shop" }
    assert.equal(1, r.status)
    assert.matches("0 ok, 1 warning, 1 broken\n$", r.out)
    r = h.run { "verify", "--timeout", "0", "http://127.0.0.1:1/" }
    assert.equal(2, r.status)
    assert.matches('--timeout: "0" is not a number of seconds', r.err, 1, true)
    os.remove(file)
    lax:close()
  end)
end)

describe("swh listen", function()
  it("prints the callbacks the sandbox's emulator sends, signatures verified", function()
    local port = free_port()
    local out, err = os.tmpname(), os.tmpname()
    -- in the background until killed (or 60 s); its pid to end it by
    local pid = h.shell(("%s listen --port %d --secret s3 --timeout 60 >%s 2>%s & echo $!")
      :format(h.quote(h.swh), port, h.quote(out), h.quote(err))):match("%d+")
    for _ = 1, 500 do -- until it listens (at most 5 s)
      if h.read(err):find("Listening on", 1, true) then break end
      helper.sleep(0.01)
    end
    assert.equal(("Listening on http://127.0.0.1:%d (Ctrl-C stops)\n"):format(port), h.read(err))
    local file = sandbox_file { { target = ("http://127.0.0.1:%d/cb"):format(port),
                                  secret = "s3" } }
    local r = h.run { "--sandbox=" .. file, "-e", ([[
      assert(swh.emulator_trigger { trigger = "MESSAGE_DELIVERY", app_id = %q })
      local log = swh.emulator_deliveries { wait = 20 }
      local d = log.deliveries[1] or { outcome = "pending", status = log.pending }
      print(d.outcome, d.status, d.error)
    ]]):format(APP) }
    os.remove(file)
    assert.equal("", r.err)
    assert.equal("delivered\t200\tnil\n", r.out)
    local line = "200 valid message_delivery_report app " .. APP .. " /cb\n"
    for _ = 1, 500 do
      if h.read(out):find(line, 1, true) then break end
      helper.sleep(0.01)
    end
    os.execute("kill " .. pid)
    assert.equal(line, h.read(out))
    os.remove(out)
    os.remove(err)
  end)

  it("refuses conflicting or bad flags", function()
    local r = h.run { "listen", "--secret", "a", "--webhook", "W1" }
    assert.equal(2, r.status)
    assert.matches("give --secret or --webhook, not both", r.err, 1, true)
    r = h.run { "listen", "--port", "70000" }
    assert.equal(2, r.status)
    assert.matches('--port: "70000" is not a whole number from 0 to 65535', r.err, 1, true)
  end)
end)
