-- The OAuth2 token through the Lua client: a server restarted with a new signing key
-- refuses the cached token (a 401 that does not say "expired"); the client renews it once
-- and the call goes through.
local helper = require "helper"

describe("the cached OAuth2 token", function()
  it("is renewed once when a restarted server refuses it", function()
    local emu = helper.emulator{ apps = 2 }
    local port = emu.url:match(":(%d+)$")
    local out = helper.lua(([[
      local helper = require "helper"
      local swh = require "swh"
      local c = assert(swh.client{ project_id = "emulator-project", key_id = "emulator-key",
        key_secret = "emulator-secret", base_url = %q, auth_url = %q, trace = true })
      print("before", #assert(c.apps:list()))
      os.execute("kill %d")
      helper.sleep(0.2)
      local again = helper.emulator{ apps = 3, args = { "--port", %q } }
      local apps, err = c.apps:list()
      print("after", apps and #apps or tostring(err))
      again:stop()]]):format(emu.url, emu.auth_url, emu.pid, port))
    emu:stop()
    local _, tokens = out:gsub("> POST [^\n]*/oauth2/token\n", "")
    assert.matches("\nbefore\t2\n", out)
    assert.matches("\nafter\t3\n$", out) -- the new server's three apps, same client
    assert.is_true(tokens <= 2, out)
  end)
end)
