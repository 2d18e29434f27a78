-- scripts/test's counting (scripts/test.d/count.bash): any sign of failure in a step counts
-- as a failed test, so that the final "N passed, N failed" line and the exit status say so.

local function quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

--- Counts one node --test run that prints out and ends with status: "passed failed".
local function node_counts(out, status)
  local script = ("source scripts/test.d/count.bash; "
    .. "node_counted sh -c %s >/dev/null; echo \"$passed $failed\""):format(
    quote(("printf '%%s' %s; exit %d"):format(quote(out), status)))
  local pipe = assert(io.popen("bash -c " .. quote(script)))
  local counts = pipe:read("a")
  pipe:close()
  return (counts:gsub("\n$", ""))
end

local function summary(pass, fail, cancelled)
  return ("TAP version 13\nok 1 - a\n1..%d\n# tests %d\n# suites 0\n# pass %d\n# fail %d\n"
    .. "# cancelled %d\n# skipped 0\n# todo 0\n# duration_ms 12.5\n"):format(
    pass + fail + cancelled, pass + fail + cancelled, pass, fail, cancelled)
end

describe("scripts/test's count of the Node SDK run", function()
  it("takes the passed and failed tests from the TAP summary", function()
    assert.equal("3 0", node_counts(summary(3, 0, 0), 0))
    assert.equal("2 1", node_counts(summary(2, 1, 0), 1))
  end)

  it("counts a cancelled test as failed (node then says '# fail 0')", function()
    assert.equal("1 1", node_counts(summary(1, 0, 1), 1))
  end)

  it("counts a run that ends badly as failed, summary or not", function()
    assert.equal("0 1", node_counts("TAP version 13\nok 1 - a\n", 124)) -- killed by timeout
    assert.equal("3 1", node_counts(summary(3, 0, 0), 1)) -- spec/node/run failed after it
  end)
end)
