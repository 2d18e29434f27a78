-- swh-emulator's command line: help, refused flags (status 2), what it prints at start,
-- what it says when a given seed is not used, and a clean stop on SIGTERM.
local helper = require "helper"

local binary = helper.emulator_binary()

local function quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function read_file(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("a")
  f:close()
  return text
end

local function write_file(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

--- Runs swh-emulator with args (it must end by itself): its output (both streams), status.
local function run(args)
  local quoted = {}
  for i, a in ipairs(args) do quoted[i] = quote(a) end
  local pipe = assert(io.popen(("timeout 10 %s %s 2>&1"):format(quote(binary),
                                                                  table.concat(quoted, " "))))
  local out = pipe:read("a")
  local _, _, code = pipe:close()
  return out, code
end

describe("swh-emulator's command line", function()
  local dir

  before_each(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -m 700 " .. quote(dir)))
  end)

  after_each(function()
    os.execute("rm -rf " .. quote(dir))
  end)

  it("prints its help with --help", function()
    local out, code = run { "--help" }
    assert.equal(0, code)
    assert.truthy(out:find("^usage: swh%-emulator %[options%] %[snapshot%.json%]\n"), out)
  end)

  it("refuses bad flags with status 2, saying which and why", function()
    local cases = {
      { { "--latency", "abc" }, '--latency: "abc" is not milliseconds (0-600000)' },
      { { "--apps", "-1" }, '--apps: "-1" is not a number of apps (0-10000)' },
      { { "--rate-limit", "0" },
        "--rate-limit: 0 would refuse everything; use a negative value for no limit" },
      { { "--bogus" }, "--bogus: unknown option" },
      { { "--key-secret", "emu-SECRET", "-xq" }, "-x: unknown option" },
      { { "-qx" }, "-x: unknown option" },
      { { "--quiet=1" }, "--quiet: takes no value" },
      { { "--prot", "1" }, "--prot: unknown option (did you mean --port?)" },
      { { "--latncy=5" }, "--latncy: unknown option (did you mean --latency?)" },
      { { "a.json", "b.json" }, 'one snapshot only (got "b.json")' },
      { { "--seed-file", "a.json", "b.json" }, 'one snapshot only (got "b.json")' },
    }
    for _, case in ipairs(cases) do
      local out, code = run(case[1])
      assert.equal(2, code)
      assert.equal("swh-emulator: " .. case[2] .. "\nTry 'swh-emulator --help'.\n", out)
    end
  end)

  it("prints its URL and the key it accepts, but never a secret that was chosen", function()
    local emu = helper.emulator {}
    assert.truthy(read_file(emu.log):find("^swh%-emulator listening on "
      .. "http://127%.0%.0%.1:%d+\nproject emulator%-project, key id emulator%-key, key secret "
      .. "emulator%-secret %(the default%)\n"))
    emu:stop()
    emu = helper.emulator { project_id = "p1", key_id = "k1", key_secret = "chosen-secret" }
    local log = read_file(emu.log)
    assert.truthy(log:find("\nproject p1, key id k1, key secret as given %(not shown%)\n"), log)
    assert.falsy(log:find("chosen-secret", 1, true))
    emu:stop()
  end)

  --- curl's answer to a request (status and body), sent with args (a list) to url.
  local function curl(args, url)
    local quoted = {}
    for i, a in ipairs(args) do quoted[i] = quote(a) end
    local pipe = assert(io.popen(("curl -s -m 10 -w '\n%%{http_code}' %s %s"):format(
      table.concat(quoted, " "), quote(url))))
    local text = pipe:read("a")
    pipe:close()
    local body, status = text:match("^(.*)\n(%d+)$")
    return tonumber(status), body
  end

  it("keeps OAuth2 tokens valid across a kill -9 and restart on the same --state", function()
    local state = dir .. "/state.json"
    local emu = helper.emulator { args = { "--state", state } }
    local status, body = curl({ "-u", "emulator-key:emulator-secret", "-d",
                                "grant_type=client_credentials" }, emu.auth_url)
    assert.equal(200, status)
    local token = assert(body:match('"access_token":"([^"]+)"'))
    local bearer = { "-H", "Authorization: Bearer " .. token }
    local apps = emu.url .. "/v1/projects/emulator-project/apps"
    assert.equal(200, (curl(bearer, apps)))
    os.execute("kill -KILL " .. emu.pid)
    emu:stop()
    emu = helper.emulator { args = { "--state", state } }
    apps = emu.url .. "/v1/projects/emulator-project/apps"
    assert.equal(200, (curl(bearer, apps)))
    emu:stop()
    -- the key is in the state file only: an emulator without it refuses the token
    emu = helper.emulator {}
    status, body = curl(bearer, emu.url .. "/v1/projects/emulator-project/apps")
    assert.equal(401, status)
    assert.truthy(body:find('"message":"Invalid credentials"', 1, true), body)
    emu:stop()
  end)

  it("says so when an existing --state file wins over a snapshot and --apps", function()
    local state, seed = dir .. "/state.json", dir .. "/seed.json"
    local emu = helper.emulator { args = { "--apps", "2", "--state", state } }
    assert.falsy(read_file(emu.log):find("not used", 1, true))
    emu:stop()
    write_file(seed, '{"swh_snapshot":1,"project_id":"emulator-project",'
                            .. '"apps":[],"webhooks":[]}')
    emu = helper.emulator { args = { "--apps", "5", "--state", state, seed } }
    local client = helper.client(emu)
    assert.equal(2, #assert(client.apps:list())) -- the state file's two apps
    client:close()
    assert.truthy(read_file(emu.log):find(("^swh%%-emulator: %%-%%-state %s exists and was "
      .. "loaded: the snapshot %s was not used\nswh%%-emulator: %%-%%-apps 5 was not used: the "
      .. "project comes from %%-%%-state %s\n"):format(state:gsub("%p", "%%%0"),
      seed:gsub("%p", "%%%0"), state:gsub("%p", "%%%0"))), read_file(emu.log))
    emu:stop()
    -- without a state file, a snapshot wins over --apps
    emu = helper.emulator { args = { "--apps", "5", seed } }
    assert.truthy(read_file(emu.log):find(("^swh%%-emulator: %%-%%-apps 5 was not used: "
      .. "the project comes from the snapshot %s\n"):format(seed:gsub("%p", "%%%0"))))
    emu:stop()
  end)
end)
