-- What is a secret is decided once, in the core (swh_is_secret_key, and swh_url.c for URL
-- passwords): every channel that shows a value hides the same set. One table of cases
-- drives every channel: the -v trace, an error, a plan's text, the REPL and swh.pretty.
local helper = require "helper"
local h = require "host_run"
local swh = require "swh"
local pretty = require "swh.pretty"
local plan_text = require "swh.plan.text"

-- { key, whether its value is hidden }: each value is unique ("hush03", "show05").
local CASES = {
  { "secret", true }, { "client_secret", true }, { "key_secret", true },
  { "access_token", true }, { "refresh_token", true }, { "id_token", true },
  { "authorization", true }, { "password", true }, { "db_password", true },
  { "api_key", true }, { "x_secret_hint", true },
  { "token_type", false }, { "token_request_type", false }, { "client_id", false },
  { "key_id", false }, { "note", false },
}
local URL_PASSWORD = "urlpw-HIDDEN"

local function value_of(i)
  return (CASES[i][2] and "hush%02d" or "show%02d"):format(i)
end

-- The cases as one table of fields.
local function fields()
  local t = {}
  for i, case in ipairs(CASES) do t[case[1]] = value_of(i) end
  return t
end

-- Checks that out hides every secret value and shows every other one (in channel's name).
local function hides_the_same_set(channel, out)
  for i, case in ipairs(CASES) do
    local shown = out:find(value_of(i), 1, true) ~= nil
    assert(shown ~= case[2], ("%s: %s %s"):format(channel, case[1],
      case[2] and "was shown" or "was hidden") .. "\n" .. out)
  end
end

describe("every output channel", function()
  local emu
  lazy_setup(function() emu = helper.emulator{ apps = 1 } end)
  lazy_teardown(function() if emu then emu:stop() end end)

  it("agrees with the core's predicate", function()
    for _, case in ipairs(CASES) do
      assert.equal(case[2], require("swh.core").is_secret_key(case[1]), case[1])
      assert.equal(case[2], pretty.is_secret_key(case[1]), case[1])
    end
  end)

  it("the -v trace hides the same keys and URL passwords", function()
    -- one create a case: the trace cuts a body at 400 bytes
    local creates = {}
    for i, case in ipairs(CASES) do
      creates[#creates + 1] = ("c.webhooks:create{ app_id = app, target = %q, [%q] = %q }")
        :format("https://u:" .. URL_PASSWORD .. "@example.com/" .. i, case[1], value_of(i))
    end
    local out = helper.lua(([[
      local swh = require "swh"
      local c = assert(swh.client{ project_id = "emulator-project", key_id = "emulator-key",
        key_secret = "emulator-secret", base_url = %q, auth_url = %q, trace = true })
      local app = assert(c.apps:list())[1].id
      %s]]):format(emu.url, emu.auth_url, table.concat(creates, "\n")))
    hides_the_same_set("trace", out)
    assert.is_nil(out:find(URL_PASSWORD, 1, true), out)
  end)

  it("an error hides a URL password", function()
    local ok, err = pcall(swh.client, { project_id = "p", key_id = "k", key_secret = "s",
      base_url = "ftp://u:" .. URL_PASSWORD .. "@example.com" })
    assert.is_false(ok)
    assert.truthy(err:find('"ftp://u:[redacted]@example.com"', 1, true), err)
    local c, e = swh.client{ project_id = "p", key_id = "k", key_secret = "s",
      base_url = "http://u:" .. URL_PASSWORD .. "@api.example.com" }
    assert.is_nil(c)
    assert.is_nil(tostring(e):find(URL_PASSWORD, 1, true), tostring(e))
  end)

  it("a plan's text hides the same keys and URL passwords", function()
    local webhook = fields()
    webhook.app_id, webhook.target = "A1", "https://u:" .. URL_PASSWORD .. "@example.com/h"
    local step = { op = "create", webhook = webhook }
    local out = plan_text.format{ project_id = "p", creates = { step }, updates = {},
                                  deletes = {}, unchanged = 0, steps = { step } }
    hides_the_same_set("plan", out)
    assert.is_nil(out:find(URL_PASSWORD, 1, true), out)
  end)

  it("swh.pretty hides the same keys, in a webhook and in any table", function()
    local webhook = fields()
    webhook.id, webhook.app_id = "W1", "A1"
    webhook.target = "https://u:" .. URL_PASSWORD .. "@example.com/h"
    for _, value in ipairs{ webhook, fields(), { nested = { fields() } } } do
      local out = pretty.format(value)
      hides_the_same_set("pretty", out)
      assert.is_nil(out:find(URL_PASSWORD, 1, true), out)
    end
  end)

  it("the REPL hides the same keys and URL passwords", function()
    local home = h.temp_dir()
    local parts = {}
    for i, case in ipairs(CASES) do parts[i] = ("[%q] = %q"):format(case[1], value_of(i)) end
    parts[#parts + 1] = ("url = %q"):format("https://u:" .. URL_PASSWORD .. "@example.com/")
    local out = h.repl({}, { "{ " .. table.concat(parts, ", ") .. " }" }, { home = home })
    h.remove_dir(home)
    local printed = out:find("\n{\n", 1, true) -- the table as printed, after the input
    assert.truthy(printed, out)
    out = out:sub(printed)
    hides_the_same_set("REPL", out)
    assert.is_nil(out:find(URL_PASSWORD, 1, true), out)
  end)
end)
