-- The two channels of errors: misuse raises, naming the argument, at the script's line;
-- failures of the world return nil, err. Plus the environment, both auth schemes, and
-- secrets kept out of every message and trace.
local helper = require "helper"
local swh = require "swh"

local THIS = "spec/errors_spec.lua"

-- Runs f, which must raise; returns the message.
local function raises(f)
  local ok, err = pcall(f)
  assert.is_false(ok)
  return err
end

-- The line of the caller plus d, for messages that carry the script's position.
local function at(d)
  return THIS .. ":" .. (debug.getinfo(2, "l").currentline + d) .. ": "
end

describe("misuse", function()
  local emu, client

  lazy_setup(function()
    emu = helper.emulator{ apps = 1 }
    client = helper.client(emu)
  end)

  lazy_teardown(function()
    if emu then emu:stop() end
  end)

  it("raises at the script's line for an id that is not a string", function()
    local where = at(1)
    local err = raises(function() client.webhooks:get(42) end)
    assert.equal(where .. "bad argument #1 to 'get' (id: string expected, got number)", err)
    where = at(1)
    err = raises(function() client.webhooks:list(nil) end)
    assert.equal(where .. "bad argument #1 to 'list' (app_id: string expected, got nil)", err)
    where = at(1)
    err = raises(function() client.webhooks:delete("") end)
    assert.equal(where .. "bad argument #1 to 'delete' (id: must not be empty)", err)
  end)

  it("raises for a webhook or changes that are not tables", function()
    local where = at(1)
    local err = raises(function() client.webhooks:create("x") end)
    assert.equal(where .. "bad argument #1 to 'create' (webhook: table expected, got string)", err)
    where = at(1)
    err = raises(function() client.webhooks:update("id") end)
    assert.equal(where .. "bad argument #2 to 'update' (changes: table expected, got nil)", err)
  end)

  it("raises naming the path of a value that cannot be sent as JSON", function()
    local where = at(1)
    local err = raises(function() client.webhooks:update("id", { triggers = { "A", print } }) end)
    assert.equal(where .. "bad argument #2 to 'update' (changes.triggers[2]: cannot encode a "
      .. "function)", err)
    where = at(1)
    err = raises(function() client.webhooks:create{ app_id = "a", target = 0 / 0 } end)
    assert.equal(where .. "bad argument #1 to 'create' (webhook.target: cannot encode a number "
      .. "that is not finite (nan))", err)
    where = at(1)
    err = raises(function() client.webhooks:create{ app_id = "a", 1 } end)
    assert.equal(where .. "bad argument #1 to 'create' (webhook: cannot encode a table with "
      .. "both string keys and array items)", err)
    where = at(1)
    err = raises(function() client.webhooks:create{ "a", "b" } end)
    assert.equal(where .. "bad argument #1 to 'create' (webhook: expected a table with string "
      .. "keys, got an array)", err)
  end)

  it("raises for a method called with a dot instead of a colon", function()
    local where = at(1)
    local err = raises(function() client.webhooks.get("x") end)
    assert.equal(where .. "calling 'get' on bad self (use client.webhooks:get(id))", err)
    where = at(1)
    err = raises(function() client.apps.list() end)
    assert.equal(where .. "calling 'list' on bad self (use client.apps:list())", err)
  end)

  it("raises on every use of a closed client, which closes twice safely", function()
    local c = helper.client(emu)
    assert.equal("swh.client (emulator-project)", tostring(c))
    assert.is_false(c:is_closed())
    c:close()
    c:close()
    assert.is_true(c:is_closed())
    assert.equal("swh.client (closed)", tostring(c))
    local uses = {
      function() c.webhooks:list("a") end,
      function() c.webhooks:create{ app_id = "a", target = "https://example.com" } end,
      function() c.webhooks:get("a") end,
      function() c.webhooks:update("a", { target = "https://example.com" }) end,
      function() c.webhooks:delete("a") end,
      function() c.apps:list() end,
    }
    for i, use in ipairs(uses) do
      local err = raises(use)
      assert.matches("^" .. THIS .. ":%d+: attempt to use a closed client$", err, 1, false,
        "use " .. i)
    end
  end)

  it("closes a client declared <close> at the end of its block", function()
    local kept
    do
      local c <close> = helper.client(emu)
      kept = c
      assert.is_false(c:is_closed())
    end
    assert.is_true(kept:is_closed())
  end)

  it("raises for an options value that is not a table", function()
    local where = at(1)
    local err = raises(function() swh.client("x") end)
    assert.equal(where .. "bad argument #1 to 'client' (options table expected, got string)", err)
  end)

  it("reads options strictly, naming the option", function()
    local function option_error(extra)
      local opts = helper.client_options(emu, extra)
      local err = raises(function() swh.client(opts) end)
      return (err:gsub("^" .. THIS .. ":%d+: ", ""))
    end
    assert.equal("bad argument #1 to 'client' (unknown option \"colour\" (known: project_id, "
      .. "key_id, key_secret, region, base_url, auth_url, auth, timeout, retries, retry_time, "
      .. "concurrency, rate, allow_insecure_http, trace))", option_error{ colour = "red" })
    assert.equal("bad argument #1 to 'client' (timeout: expected a number, got string)",
      option_error{ timeout = "30" })
    -- values are refused by the core's settings table, in its one wording
    assert.equal("bad argument #1 to 'client' (timeout: -1 is not a positive number of "
      .. "seconds)", option_error{ timeout = -1 })
    assert.equal("bad argument #1 to 'client' (retry_time: 0 is not a positive number of "
      .. "seconds)", option_error{ retry_time = 0 })
    assert.equal("bad argument #1 to 'client' (retries: 1.5 is not an integer from 1 to "
      .. "100000)", option_error{ retries = 1.5 })
    assert.equal("bad argument #1 to 'client' (retries: expected an integer, got string)",
      option_error{ retries = "5" })
    assert.equal("bad argument #1 to 'client' (unknown option \"concurency\" (did you mean "
      .. "\"concurrency\"? known: project_id, key_id, key_secret, region, base_url, auth_url, "
      .. "auth, timeout, retries, retry_time, concurrency, rate, allow_insecure_http, trace))",
      option_error{ concurency = 4 })
    assert.equal("bad argument #1 to 'client' (concurrency: 0 is not an integer from 1 to "
      .. "100000)", option_error{ concurrency = 0 })
    assert.equal("bad argument #1 to 'client' (rate: inf is not a positive number)",
      option_error{ rate = math.huge })
    assert.equal("bad argument #1 to 'client' (rate: expected a number, got boolean)",
      option_error{ rate = true })
    assert.equal("bad argument #1 to 'client' (trace: expected a boolean, got number)",
      option_error{ trace = 1 })
    assert.equal("bad argument #1 to 'client' (allow_insecure_http: expected a boolean, got "
      .. "string)", option_error{ allow_insecure_http = "yes" })
    assert.equal('bad argument #1 to \'client\' (auth: "digest" is not an auth scheme (oauth2, '
      .. 'basic))', option_error{ auth = "digest" })
    assert.equal("bad argument #1 to 'client' (key_secret: expected a string, got number)",
      option_error{ key_secret = 12345 })
    assert.equal("bad argument #1 to 'client' (region: expected a string, got table)",
      option_error{ region = {} })
    -- A string cut at a NUL byte would be another project, key or URL; never printed, as
    -- the value may be a secret.
    assert.equal("bad argument #1 to 'client' (key_secret: contains a NUL byte, which would "
      .. "cut it short)", option_error{ key_secret = "emulator-secret\0SECRET" })
    assert.equal("bad argument #1 to 'client' (project_id: contains a NUL byte, which would "
      .. "cut it short)", option_error{ project_id = "p\0q" })
    local err = raises(function() swh.client{ project_id = "p", key_id = "k" } end)
    assert.matches("bad argument #1 to 'client' %(key_secret: required, a string%)$", err)
    err = raises(function() swh.client{ true } end)
    assert.matches("bad argument #1 to 'client' %(option keys are strings, got a number "
      .. "key%)$", err)
  end)

  it("does not change the options table it is given", function()
    local opts = helper.client_options(emu, { timeout = 5 })
    local before = swh.json.encode(opts, { sort_keys = true })
    helper.client(emu, opts):close()
    assert.equal(before, swh.json.encode(opts, { sort_keys = true }))
  end)
end)

describe("settings the core's table refuses", function()
  -- A bad value is misuse, like a bad type: it raises, in the words the swh host and the
  -- environment get (region: "xx" is not a region ...). It used to be nil, err from
  -- swh_client_new, in another wording.
  it("raise naming the option, in one wording", function()
    local base = { project_id = "p", key_id = "k", key_secret = "s" }
    local function refused(k, v)
      local opts = {}
      for key, value in pairs(base) do opts[key] = value end
      opts[k] = v
      local err = raises(function() swh.client(opts) end)
      return (err:gsub("^" .. THIS .. ":%d+: ", ""))
    end
    assert.equal([[bad argument #1 to 'client' (region: "xx" is not a region (us, eu, br))]],
      refused("region", "xx"))
    assert.equal([[bad argument #1 to 'client' (base_url: "ftp://x" is not an http:// or ]]
      .. [[https:// URL)]], refused("base_url", "ftp://x"))
    assert.equal([[bad argument #1 to 'client' (auth_url: "nope" is not an http:// or ]]
      .. [[https:// URL)]], refused("auth_url", "nope"))
    assert.equal([[bad argument #1 to 'client' (project_id: ".." cannot be an id (as a path ]]
      .. [[segment it would change the request's path))]], refused("project_id", ".."))
    assert.equal([[bad argument #1 to 'client' (key_id: "" is not a key id)]],
      refused("key_id", ""))
  end)

  it("leave what depends on several settings to swh_client_new: nil, err", function()
    local c, err = swh.client{ project_id = "p", key_id = "k", key_secret = "s",
                               base_url = "http://10.1.2.3" }
    assert.is_nil(c)
    assert.equal("usage", err.kind)
    assert.matches('^base_url: "http://10.1.2.3" is plain http://', err.message)
  end)
end)

describe("the client's getters", function()
  it("give the project and the API host, and raise on a closed client or a bad self",
     function()
    local c = assert(swh.client{ project_id = "p-1", key_id = "k", key_secret = "s",
                                 region = "br" })
    assert.equal("p-1", c:project_id())
    assert.equal("br.conversation.api.sinch.com", c:api_host())
    assert.equal("br", c:settings().region)
    assert.equal("https://br.conversation.api.sinch.com", c:settings().base_url)
    c:close()
    for _, getter in ipairs{ "project_id", "api_host", "settings" } do
      local err = raises(function() local _ = c[getter](c) end)
      assert.equal(at(-1) .. "attempt to use a closed client", err)
      err = raises(function() local _ = c[getter]({}) end)
      assert.equal(at(-1) .. ("calling '%s' on bad self (use client:%s())"):format(getter,
        getter), err)
    end
  end)
end)

describe("failures of the world", function()
  it("are nil, err of kind network when nothing listens, retryable", function()
    local c = assert(swh.client{ project_id = "p", key_id = "k", key_secret = "s",
      base_url = "http://127.0.0.1:1", auth = "basic", retries = 1 })
    local apps, err = c.apps:list()
    assert.is_nil(apps)
    assert.equal("network", err.kind)
    assert.is_nil(err.http_status)
    assert.is_nil(err.status)
    assert.equal(true, err.retryable)
    assert.equal("GET /v1/projects/p/apps", err.request)
    assert.matches("^Failed to connect to 127%.0%.0%.1 port 1 after %d+ ms: Couldn't connect "
      .. "to server$", err.message)
    assert.equal("network: " .. err.message .. " [GET /v1/projects/p/apps]", tostring(err))
    assert.is_true(swh.is_error(err))
    assert.is_false(swh.is_error(err.message))
    assert.is_false(swh.is_error({ kind = "network" }))
  end)

  it("are nil, err of kind timeout when the answer comes too late", function()
    local slow = helper.emulator{ apps = 1, args = { "--latency", "1500" } }
    local c = helper.client(slow, { timeout = 0.3, retries = 1, auth = "basic" })
    local apps, err = c.apps:list()
    slow:stop()
    assert.is_nil(apps)
    assert.equal("timeout", err.kind)
    assert.equal(true, err.retryable)
    assert.equal("GET /v1/projects/emulator-project/apps", err.request)
    assert.matches("^no answer in time: Operation timed out after %d+ milliseconds with 0 "
      .. "bytes received$", err.message)
  end)

  it("print their one line through assert, in the script and from lua5.4", function()
    local emu = helper.emulator{ apps = 1 }
    local c = helper.client(emu)
    -- (busted replaces the global assert; the child below runs Lua's own)
    local ok, err = pcall(function() local w, e = c.webhooks:get("nope") error(e) return w end)
    assert.is_false(ok)
    assert.equal(swh.error_mt, getmetatable(err))
    local line = "NOT_FOUND (404): Webhook not found [GET /v1/projects/emulator-project/"
      .. "webhooks/nope]"
    assert.equal(line, tostring(err))
    local out, success = helper.lua(([[
      local swh = require "swh"
      local c = swh.client{ project_id = "emulator-project", key_id = "emulator-key",
        key_secret = "emulator-secret", base_url = %q, auth_url = %q }
      assert(c.webhooks:get("nope"))]]):format(emu.url, emu.auth_url))
    emu:stop()
    assert.is_false(success)
    assert.equal("lua5.4: " .. line .. "\n", out)
  end)
end)

describe("authentication", function()
  local emu

  lazy_setup(function()
    emu = helper.emulator{ apps = 2 }
  end)

  lazy_teardown(function()
    if emu then emu:stop() end
  end)

  it("works with OAuth2, the default, and with Basic", function()
    assert.equal(2, #assert(helper.client(emu).apps:list()))
    assert.equal(2, #assert(helper.client(emu, { auth = "oauth2" }).apps:list()))
    assert.equal(2, #assert(helper.client(emu, { auth = "basic" }).apps:list()))
  end)

  it("gives kind auth, 401, for a wrong key secret with OAuth2, without quoting it", function()
    local c = helper.client(emu, { key_secret = "WRONG-SECRET-123" })
    local apps, err = c.apps:list()
    assert.is_nil(apps)
    assert.equal("auth", err.kind)
    assert.equal(401, err.http_status)
    assert.equal("UNAUTHENTICATED", err.status)
    assert.equal("the key was refused by " .. emu.auth_url .. ": check key_id and key_secret",
      err.message)
    assert.is_nil(tostring(err):find("WRONG-SECRET-123", 1, true))
  end)

  it("gives kind auth, 401, for a wrong key secret with Basic", function()
    local c = helper.client(emu, { key_secret = "WRONG-SECRET-123", auth = "basic" })
    local apps, err = c.apps:list()
    assert.is_nil(apps)
    assert.equal("UNAUTHENTICATED (401): Invalid credentials [GET /v1/projects/"
      .. "emulator-project/apps]", tostring(err))
    assert.equal("auth", err.kind)
  end)

  it("never shows the key secret in the client's tostring", function()
    local c = helper.client(emu, { key_secret = "emulator-secret" })
    assert.equal("swh.client (emulator-project)", tostring(c))
  end)
end)

describe("swh.client() without options", function()
  local emu
  local unset = {} -- every variable swh.client() reads (the core's table)
  for _, name in ipairs(swh.environment) do unset[name] = false end
  local function env(vars)
    local all = {}
    for k, v in pairs(unset) do all[k] = v end
    for k, v in pairs(vars) do all[k] = v end
    return all
  end
  local count_apps = [[
    local swh = require "swh"
    local c, err = swh.client()
    if not c then print(err.kind, tostring(err)) return end
    local apps, e = c.apps:list()
    print(apps and #apps or tostring(e))]]

  lazy_setup(function()
    emu = helper.emulator{ apps = 2 }
  end)

  lazy_teardown(function()
    if emu then emu:stop() end
  end)

  it("reads the SINCH_* variables", function()
    local out = helper.lua(count_apps, env{
      SINCH_PROJECT_ID = emu.project_id, SINCH_KEY_ID = emu.key_id,
      SINCH_KEY_SECRET = emu.key_secret, SINCH_CONVERSATION_URL = emu.url,
      SINCH_AUTH_URL = emu.auth_url })
    assert.equal("2\n", out)
  end)

  it("reads SINCH_AUTH", function()
    local out = helper.lua(count_apps, env{
      SINCH_PROJECT_ID = emu.project_id, SINCH_KEY_ID = emu.key_id,
      SINCH_KEY_SECRET = emu.key_secret, SINCH_CONVERSATION_URL = emu.url,
      SINCH_AUTH = "basic", SINCH_AUTH_URL = "http://127.0.0.1:1/unused" })
    assert.equal("2\n", out)
    out = helper.lua(count_apps, env{ SINCH_PROJECT_ID = "p", SINCH_KEY_ID = "k",
      SINCH_KEY_SECRET = "s", SINCH_AUTH = "digest" })
    assert.equal('usage\tusage: SINCH_AUTH: "digest" is not an auth scheme (oauth2, basic)\n',
      out)
  end)

  it("names the variables to set when some are missing", function()
    local out = helper.lua(count_apps, env{ SINCH_PROJECT_ID = "p" })
    assert.equal("usage\tusage: missing SINCH_KEY_ID, SINCH_KEY_SECRET in the environment: "
      .. "set them, or pass project_id, key_id and key_secret to swh.client{…}\n", out)
    out = helper.lua(count_apps, env{ SINCH_PROJECT_ID = "p", SINCH_KEY_ID = "k",
      SINCH_KEY_SECRET = "" })
    assert.equal("usage\tusage: missing SINCH_KEY_SECRET in the environment: set it, or pass "
      .. "project_id, key_id and key_secret to swh.client{…}\n", out)
  end)

  it("refuses an unknown SINCH_REGION, naming the variable", function()
    local out = helper.lua(count_apps, env{ SINCH_PROJECT_ID = "p", SINCH_KEY_ID = "k",
      SINCH_KEY_SECRET = "s", SINCH_REGION = "mars" })
    assert.equal('usage\tusage: SINCH_REGION: "mars" is not a region (us, eu, br)\n', out)
  end)

  it("reads SWH_RETRY_TIME as retry_time, in seconds", function()
    local dead = "http://127.0.0.1:1"
    local out = helper.lua([[
      local swh = require "swh"
      local c = assert(swh.client())
      local clock = require("system").gettime
      local start = clock()
      local apps, e = c.apps:list()
      print(e.kind, e.message:match("retry_time 0.3 s ran out"), clock() - start < 2)]],
      env{ SINCH_PROJECT_ID = "p", SINCH_KEY_ID = "k", SINCH_KEY_SECRET = "s",
           SINCH_AUTH = "basic", SINCH_CONVERSATION_URL = dead, SWH_RETRY_TIME = "0.3" })
    assert.equal("network\tretry_time 0.3 s ran out\ttrue\n", out)
    for _, bad in ipairs{ "soon", "0", "-1" } do
      out = helper.lua(count_apps, env{ SINCH_PROJECT_ID = "p", SINCH_KEY_ID = "k",
        SINCH_KEY_SECRET = "s", SWH_RETRY_TIME = bad })
      assert.equal(('usage\tusage: SWH_RETRY_TIME: "%s" is not a positive number of '
        .. 'seconds\n'):format(bad), out)
    end
  end)

  it("reads the tuning settings from SWH_* variables", function()
    local out = helper.lua([[
      local swh = require "swh"
      local s = assert(swh.client()):settings()
      print(s.timeout, s.retries, s.retry_time, s.concurrency, s.rate)]],
      env{ SINCH_PROJECT_ID = "p", SINCH_KEY_ID = "k", SINCH_KEY_SECRET = "s",
           SWH_TIMEOUT = "2.5", SWH_RETRIES = "3", SWH_RETRY_TIME = "4",
           SWH_CONCURRENCY = "7", SWH_RATE = "90" })
    assert.equal("2.5\t3\t4.0\t7\t90.0\n", out)
    out = helper.lua(count_apps, env{ SINCH_PROJECT_ID = "p", SINCH_KEY_ID = "k",
      SINCH_KEY_SECRET = "s", SWH_CONCURRENCY = "1.5" })
    assert.equal('usage\tusage: SWH_CONCURRENCY: "1.5" is not an integer from 1 to 100000\n',
      out)
  end)

  it("lists the variables it reads in swh.environment, from the core's table", function()
    assert.same({ "SINCH_PROJECT_ID", "SINCH_KEY_ID", "SINCH_KEY_SECRET", "SINCH_REGION",
      "SINCH_CONVERSATION_URL", "SINCH_AUTH_URL", "SINCH_AUTH", "SWH_TIMEOUT", "SWH_RETRIES",
      "SWH_RETRY_TIME", "SWH_CONCURRENCY", "SWH_RATE" }, swh.environment)
  end)

  it("reads them under given options with swh._client, as the swh host does", function()
    local out = helper.lua([[
      local swh = require "swh"
      local c, err = swh._client({ region = "eu", auth = "basic" }, nil, true)
      print(c, err.kind, table.concat(err.missing, ","))]], env{
      SINCH_KEY_ID = "k", SINCH_KEY_SECRET = "", SINCH_REGION = "xx", SINCH_AUTH = "digest",
      SINCH_AUTH_URL = "http://u:pw@127.0.0.1:1/t" })
    -- the given region and auth win over the bad variables; the key secret is missing
    assert.truthy(out:find("^nil\tusage\tSINCH_PROJECT_ID,SINCH_KEY_SECRET\n"), out)
    out = helper.lua([[
      local swh = require "swh"
      local c = assert(swh._client({ project_id = "p", region = "eu", auth = "basic" },
                                   { project_id = "--project" }, true))
      local s = c:settings()
      print(c:project_id(), c:api_host(), s.region, s.auth, s.auth_url)]], env{
      SINCH_KEY_ID = "k", SINCH_KEY_SECRET = "s", SINCH_REGION = "xx", SINCH_AUTH = "digest",
      SINCH_AUTH_URL = "http://u:pw@127.0.0.1:1/t" })
    assert.equal("p\teu.conversation.api.sinch.com\teu\tbasic\t"
      .. "http://u:[redacted]@127.0.0.1:1/t\n", out)
  end)
end)

describe("the HTTP trace", function()
  it("goes to stderr with every secret redacted", function()
    local emu = helper.emulator{ apps = 1 }
    local out = helper.lua(([[
      local swh = require "swh"
      local c = assert(swh.client{ project_id = "emulator-project", key_id = "emulator-key",
        key_secret = "emulator-secret", base_url = %q, auth_url = %q, trace = true })
      local app = assert(c.apps:list())[1].id
      local w = assert(c.webhooks:create{ app_id = app, target = "https://example.com/t",
        secret = "TRACE-SECRET-1", client_credentials = { client_id = "i",
        client_secret = "CC-SECRET-2", endpoint = "https://auth.example.com/token" } })
      io.stdout:write("created ", w.secret, "\n")]]):format(emu.url, emu.auth_url))
    emu:stop()
    assert.matches("> POST " .. emu.url:gsub("%p", "%%%0") .. "/oauth2/token\n", out)
    assert.matches("< 200 GET /v1/projects/emulator%-project/apps %(%d+ ms%)\n", out)
    assert.matches('"secret":"%[redacted%]"', out)
    assert.matches('"client_secret":"%[redacted%]"', out)
    assert.matches("created TRACE%-SECRET%-1\n", out) -- the script asked for it
    local _, shown = out:gsub("TRACE%-SECRET%-1", "")
    assert.equal(1, shown)
    assert.is_nil(out:find("CC-SECRET-2", 1, true))
    assert.is_nil(out:find("emulator-secret", 1, true))
    assert.is_nil(out:find("Bearer ", 1, true))
  end)

  it("is off by default", function()
    local emu = helper.emulator{ apps = 1 }
    local out = helper.lua(([[
      local swh = require "swh"
      local c = assert(swh.client{ project_id = "emulator-project", key_id = "emulator-key",
        key_secret = "emulator-secret", base_url = %q, auth_url = %q })
      io.stdout:write(#assert(c.apps:list()), "\n")]]):format(emu.url, emu.auth_url))
    emu:stop()
    assert.equal("1\n", out)
  end)
end)

describe("the client's options", function()
  it("retries = n makes n attempts at a retryable failure", function()
    local emu = helper.emulator{ apps = 1, args = { "--faults", "503=1" } }
    local out = helper.lua(([[
      local swh = require "swh"
      local c = assert(swh.client{ project_id = "emulator-project", key_id = "emulator-key",
        key_secret = "emulator-secret", base_url = %q, auth = "basic", retries = 3,
        trace = true })
      local apps, err = c.apps:list()
      print(apps, err.kind, err.http_status, err.status, err.retryable)]]):format(emu.url))
    emu:stop()
    local _, attempts = out:gsub("> GET [^\n]*/v1/projects/emulator%-project/apps\n", "")
    assert.equal(3, attempts)
    assert.matches("\nnil\thttp\t503\tUNAVAILABLE\ttrue\n$", out)
  end)

  it("retry_time = s ends the retries s seconds after the first failure", function()
    local emu = helper.emulator{ apps = 1, args = { "--faults", "503=1" } }
    local c = helper.client(emu, { auth = "basic", retries = 100000, retry_time = 0.4 })
    local clock = require("system").gettime
    local start = clock()
    local apps, err = c.apps:list()
    local elapsed = clock() - start
    emu:stop()
    assert.is_nil(apps)
    assert.equal(503, err.http_status)
    assert.equal(true, err.retryable)
    assert.matches("^Service unavailable %(injected by %-%-faults%) %(gave up after %d+ "
      .. "attempts: retry_time 0%.4 s ran "
      .. "out%)$", err.message)
    assert.is_true(elapsed >= 0.4 and elapsed < 2, "took " .. elapsed .. " s")
  end)

  it("says an update whose answers were all lost may have been applied", function()
    local seed = os.tmpname()
    local f = assert(io.open(seed, "w"))
    f:write([[{"swh_snapshot":1,"project_id":"emulator-project",
      "apps":[{"id":"01SEEDAPP0000000000000000A","display_name":"A"}],
      "webhooks":[{"id":"01SEEDWEBHOOK0000000000001","app_id":"01SEEDAPP0000000000000000A",
                   "target":"https://example.com/lost","triggers":["MESSAGE_DELIVERY"]}]}]])
    f:close()
    local emu = helper.emulator{ args = { "--seed-file", seed, "--faults", "lost=1" } }
    local c = helper.client(emu, { auth = "basic", retries = 2 })
    local w, err = c.webhooks:update("01SEEDWEBHOOK0000000000001", { target_type = "DISMISS" })
    emu:stop()
    os.remove(seed)
    assert.is_nil(w)
    assert.equal("network", err.kind)
    assert.equal("Empty reply from server (gave up after 2 attempts); it may have been applied",
      err.message)
  end)

  it("concurrency = 1 sends one request at a time", function()
    local emu = helper.emulator{ apps = 1, args = { "--latency", "200" } }
    local c = helper.client(emu, { auth = "basic", concurrency = 1 })
    local clock = require("system").gettime
    local start = clock()
    local results = swh.map({ 1, 2, 3, 4 }, function() return c.apps:list() end)
    local elapsed = clock() - start
    emu:stop()
    for _, r in ipairs(results) do assert.is_true(r.ok) end
    assert.is_true(elapsed >= 0.75, "4 requests one at a time took only " .. elapsed .. " s")
  end)
end)
