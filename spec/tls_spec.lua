-- A server whose certificate is not trusted (self-signed, made here): the client fails at
-- once with kind "tls", not retried as a network failure. The server is openssl s_server
-- on 127.0.0.1.
local helper = require "helper"

local function read_all(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local text = f:read("a")
  f:close()
  return text
end

describe("a server with a self-signed certificate", function()
  local dir, server, pid, url

  lazy_setup(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -m 700 " .. helper.shell_quote(dir)))
    local key, cert, log = dir .. "/key.pem", dir .. "/cert.pem", dir .. "/server.log"
    assert(os.execute(("openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s "
      .. "-subj /CN=127.0.0.1 -days 1 2>/dev/null"):format(helper.shell_quote(key),
      helper.shell_quote(cert))))
    -- sh prints its pid, then becomes the server
    server = assert(io.popen(("exec sh -c 'echo $$; exec openssl s_server -accept 127.0.0.1:0 "
      .. "-cert %s -key %s -www >%s 2>&1' </dev/null"):format(cert, key, log)))
    pid = assert(tonumber(server:read("l")))
    for _ = 1, 500 do
      local port = read_all(log):match("ACCEPT 127%.0%.0%.1:(%d+)")
      if port then
        url = "https://127.0.0.1:" .. port
        break
      end
      helper.sleep(0.01)
    end
    assert(url, "openssl s_server did not start: " .. read_all(log))
  end)

  lazy_teardown(function()
    if pid then os.execute("kill " .. pid .. " 2>/dev/null") end
    if server then server:close() end
    if dir then os.execute("rm -rf " .. helper.shell_quote(dir)) end
  end)

  it("fails at once with kind tls, and is not retried", function()
    local out = helper.lua(([[
      local swh = require "swh"
      local c = assert(swh.client{ project_id = "p", key_id = "k", key_secret = "s",
        base_url = %q, auth = "basic", trace = true })
      local apps, err = c.apps:list()
      print(apps, err.kind, err.retryable, err.http_status, err.request)
      print(err.message)]]):format(url))
    local _, sent = out:gsub("> GET https://127%.0%.0%.1:%d+/v1/projects/p/apps\n", "")
    assert.equal(1, sent, out)
    assert.matches("\nnil\ttls\tfalse\tnil\tGET /v1/projects/p/apps\n"
      .. "SSL certificate problem: self%-signed certificate\n$", out)
  end)

  it("says so for the token endpoint too", function()
    local out = helper.lua(([[
      local swh = require "swh"
      local c = assert(swh.client{ project_id = "p", key_id = "k", key_secret = "s",
        base_url = %q, auth_url = %q })
      local apps, err = c.apps:list()
      print(apps, err.kind, err.retryable)
      print(err.message)]]):format(url, url .. "/oauth2/token"))
    assert.equal("nil\ttls\tfalse\nthe token endpoint " .. url .. "/oauth2/token failed: SSL "
      .. "certificate problem: self-signed certificate\n", out)
  end)
end)
