-- Plain http:// to a host that is not loopback would carry the key or the access token in
-- clear text: swh.client refuses it unless allow_insecure_http = true. Every client here
-- is made in a child lua5.4 inside an empty network namespace (unshare -rn), so that no
-- packet can leave even if the code is wrong.
local helper = require "helper"

-- Runs code in a child lua5.4 in an empty network namespace; returns what it printed.
local function in_empty_netns(code)
  local command = ("LUA_PATH=%s LUA_CPATH=%s unshare -rn lua5.4 -e %s 2>&1"):format(
    helper.shell_quote(package.path), helper.shell_quote(package.cpath),
    helper.shell_quote(code))
  local f = assert(io.popen(command, "r"))
  local out = f:read("a")
  local ok = f:close()
  assert(ok, "the child failed (is unshare -rn allowed here?): " .. out)
  return out
end

local PRELUDE = [[
local swh = require "swh"
local function try(opts)
  local base = { project_id = "p", key_id = "k", key_secret = "KEY-SECRET-42" }
  for k, v in pairs(opts) do base[k] = v end
  local c, err = swh.client(base)
  if c then c:close() return "made" end
  return tostring(err)
end
]]

describe("plain http:// to a host that is not loopback", function()
  it("is refused before any connection, saying what would travel in clear text", function()
    local out = in_empty_netns(PRELUDE .. [[
print(try{ base_url = "http://10.1.2.3", auth = "basic" })
print(try{ base_url = "http://api.example.com/v1" })
print(try{ base_url = "https://api.example.com", auth_url = "http://auth.example.com/t" })
print(try{ base_url = "http://u:PW-SECRET@10.1.2.3/" , auth = "basic" })
]])
    local why = " would travel in clear text; use https://, or set allow_insecure_http"
    local host = " is plain http:// to a host that is not loopback: "
    -- named by the option, as every refusal of swh.client's settings is
    assert.equal(table.concat({
      'usage: base_url: "http://10.1.2.3"' .. host .. "the key" .. why,
      'usage: base_url: "http://api.example.com/v1"' .. host .. "the access token"
        .. why,
      'usage: auth_url: "http://auth.example.com/t"' .. host .. "the key" .. why,
      'usage: base_url: "http://u:[redacted]@10.1.2.3/"' .. host .. "the key" .. why,
    }, "\n") .. "\n", out)
    assert.is_nil(out:find("SECRET", 1, true))
  end)

  it("is allowed for loopback, and with allow_insecure_http = true", function()
    local out = in_empty_netns(PRELUDE .. [[
print(try{ base_url = "http://127.0.0.1:9", auth_url = "http://localhost:9/t" })
print(try{ base_url = "http://[::1]:9", auth = "basic" })
local c = assert(swh.client{ project_id = "p", key_id = "k", key_secret = "s",
  base_url = "http://10.255.255.1:9", auth = "basic", allow_insecure_http = true,
  retries = 1, timeout = 2 })
local apps, err = c.apps:list() -- really tried: nothing is reachable from here
print(apps, err.kind, err.request)
]])
    assert.equal("made\nmade\nnil\tnetwork\tGET /v1/projects/p/apps\n", out)
  end)

  -- The swh host, in an empty network namespace too: its flag, and no variable, allows it.
  local function swh_in_empty_netns(flag)
    local command = ("env -i PATH=/usr/bin:/bin SINCH_KEY_ID=k SINCH_KEY_SECRET=KEY-SECRET-42 "
      .. "SWH_ALLOW_INSECURE_HTTP=yes unshare -rn timeout 30 %s --project=p --auth=basic "
      .. "--base-url=http://10.1.2.3 --retries=1 --timeout=2 %s -e %s 2>&1; echo \"exit $?\"")
      :format(helper.shell_quote(helper.build .. "/swh"), flag, helper.shell_quote(
        "print(client:settings().allow_insecure_http) "
        .. "local apps, err = client.apps:list() print(apps, err.kind)"))
    local f = assert(io.popen(command, "r"))
    local out = f:read("a")
    f:close()
    return out
  end

  it("is allowed by the swh host's --allow-insecure-http=yes, and only by it", function()
    assert.equal("true\nnil\tnetwork\nexit 0\n", swh_in_empty_netns("--allow-insecure-http=yes"))
    for _, flag in ipairs { "", "--allow-insecure-http=no" } do
      local out = swh_in_empty_netns(flag)
      assert.truthy(out:find('^swh: %-%-base%-url: "http://10%.1%.2%.3" is plain http:// to a '
        .. "host that is not loopback: the key would travel in clear text; use https://, or "
        .. "set allow_insecure_http\n"), out)
      assert.truthy(out:find("\nexit 1\n$"), out)
    end
    assert.equal("swh: --allow-insecure-http: \"maybe\" is not a boolean\nTry 'swh --help' for "
      .. "more information.\nexit 2\n", swh_in_empty_netns("--allow-insecure-http=maybe"))
  end)
end)
