-- swh.validate: the core's checks of API.md, without sending anything.
local swh = require "swh"

describe("swh.validate", function()
  local webhook = { app_id = "01EB37HMH1M6SV18BSNS3G135H", target = "https://example.com/h",
                    triggers = { "MESSAGE_DELIVERY" }, secret = "top-secret-1" }

  it("accepts a valid webhook and valid changes", function()
    assert.same({ true, nil }, { swh.validate(webhook) })
    assert.same({ true, nil }, { swh.validate({ triggers = { "OPT_IN" } }, true) })
  end)

  it("returns the validation error, with a did-you-mean, never quoting a secret", function()
    local ok, err = swh.validate({ app_id = "a", target = "https://example.com/h",
                                   triggers = { "MESAGE_DELIVERY" }, secret = "top-secret-1" })
    assert.is_nil(ok)
    assert.is_true(swh.is_error(err))
    assert.equal("validation", err.kind)
    assert.equal('webhook.triggers[0]: unknown trigger "MESAGE_DELIVERY" (did you mean '
                 .. '"MESSAGE_DELIVERY"?)', err.message)
    ok, err = swh.validate({ client_credentials = { client_id = "c",
      client_secret = "cc-secret-2", endpoint = "ftp://x" } }, true)
    assert.is_nil(ok)
    assert.equal("validation", err.kind)
    assert.falsy(tostring(err):find("cc-secret-2", 1, true))
  end)

  it("checks a whole webhook unless partial: what a create needs is required", function()
    local ok, err = swh.validate({ triggers = { "OPT_IN" } })
    assert.is_nil(ok)
    assert.equal("validation", err.kind)
    assert.equal("webhook.app_id: required", err.message)
    assert.same({ true, nil }, { swh.validate({ triggers = { "OPT_IN" } }, true) })
  end)

  it("raises for misuse, naming the argument", function()
    assert.has_error(function() swh.validate("x") end,
                     "bad argument #1 to 'validate' (table expected, got string)")
    assert.has_error(function() swh.validate({ 1, 2 }) end,
                     "bad argument #1 to 'validate' (webhook: expected a table with string "
                     .. "keys, got an array)")
    assert.has_error(function() swh.validate({ target = print }) end,
                     "bad argument #1 to 'validate' (webhook.target: cannot encode a function)")
  end)
end)
