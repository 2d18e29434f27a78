-- swh.emulator: the emulator started in-process from a busted suite, without the swh host.
local swh = require "swh"
local emulator = require "swh.emulator"

local function seed(apps, webhooks)
  return { swh_snapshot = 1, project_id = "seeded", apps = apps, webhooks = webhooks or {} }
end

describe("swh.emulator", function()
  it("starts with apps = N and serves CRUD to swh.client", function()
    local emu <close> = assert(emulator.start{ apps = 2 })
    assert.matches("^http://127%.0%.0%.1:%d+$", emu.url)
    assert.equal(emu.url .. "/oauth2/token", emu.auth_url)
    assert.equal("emulator-project", emu.project_id)
    assert.equal("emulator-key", emu.key_id)
    assert.equal("emulator-secret", emu.key_secret)
    local client <close> = assert(swh.client(emu:client_options()))
    local apps = assert(client.apps:list())
    assert.equal(2, #apps)
    local app_id = apps[1].id
    local created = assert(client.webhooks:create{ app_id = app_id,
      target = "https://example.com/a", triggers = { "MESSAGE_INBOUND" } })
    local got = assert(client.webhooks:get(created.id))
    assert.equal("https://example.com/a", got.target)
    local updated = assert(client.webhooks:update(created.id, { target = "https://example.com/b" }))
    assert.equal("https://example.com/b", updated.target)
    assert.equal(1, #emu:snapshot().webhooks)
    assert(client.webhooks:delete(created.id))
    local _, err = client.webhooks:get(created.id)
    assert.equal("http", err.kind)
    assert.equal(404, err.http_status)
    assert.equal(0, #emu:snapshot().webhooks)
  end)

  it("starts from a seed table, its own credentials and project", function()
    local emu <close> = assert(emulator.start{
      seed = seed({ { id = "APP1", display_name = "one" } }, { { id = "W1", app_id = "APP1",
        target = "https://example.com/w", triggers = { "MESSAGE_DELIVERY" } } }),
      key_id = "k", key_secret = "s3cret" })
    assert.equal("seeded", emu.project_id)
    assert.same({ "k", "s3cret" }, { emu.key_id, emu.key_secret })
    local client <close> = assert(swh.client(emu:client_options()))
    local hooks = assert(client.webhooks:list("APP1"))
    assert.equal(1, #hooks)
    assert.equal("W1", hooks[1].id)
  end)

  it("starts from a seed file", function()
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write(swh.json.encode(seed({ { id = "APPF" } })))
    f:close()
    local emu <close> = assert(emulator.start{ seed_file = path })
    os.remove(path)
    assert.equal("APPF", emu:snapshot().apps[1].id)
  end)

  it("returns a validation error for a seed that breaks the API's rules", function()
    local emu, err = emulator.start{ seed = seed({}, { { id = "W1", app_id = "NOPE",
      target = "https://example.com/w", triggers = { "MESSAGE_DELIVERY" } } }) }
    assert.is_nil(emu)
    assert.is_true(swh.is_error(err))
    assert.equal("validation", err.kind)
    assert.equal('seed: webhooks[0].app_id: no such app "NOPE"', err.message)
  end)

  it("raises on an unknown or ill-typed option", function()
    assert.error_matches(function() emulator.start{ aps = 2 } end,
      'bad argument #1 to \'start\' %(unknown option "aps" %(did you mean "apps"%?')
    assert.error_matches(function() emulator.start{ apps = -1 } end,
      "bad argument #1 to 'start' %(option apps: an integer from 0 to 100000 expected%)")
    assert.error_matches(function() emulator.start(3) end,
      "bad argument #1 to 'start' %(table expected, got number%)")
  end)

  it("stops: twice is safe, the URL refuses connections, and a collected one is stopped", function()
    local emu = assert(emulator.start{ apps = 1 })
    local options = emu:client_options{ retries = 1 }
    emu:stop()
    emu:stop()
    assert.matches("%(stopped%)$", tostring(emu))
    assert.error_matches(function() emu:snapshot() end, "the emulator is stopped")
    local client <close> = assert(swh.client(options))
    local _, err = client.apps:list()
    assert.equal("network", err.kind)
    -- Dropped without stop: the garbage collector stops it (and frees its port).
    local url
    do
      local dropped = assert(emulator.start{ apps = 1 })
      url = dropped.url
    end
    collectgarbage()
    collectgarbage()
    options.base_url, options.auth_url = url, url .. "/oauth2/token"
    local c2 <close> = assert(swh.client(options))
    _, err = c2.apps:list()
    assert.equal("network", err.kind)
  end)
end)
