-- wrk script for `make bench`.
--   GET:      wrk ... -s bench/wrk.lua URL
--   checkout: wrk ... -s bench/wrk.lua URL -- post TOKENS_FILE
-- "post" sends {"gateway":"esewa"} with a bearer token taken in turn from
-- TOKENS_FILE (one user per line, each with a non-empty cart) and a fresh
-- Idempotency-Key per request. done() prints one JSON line for bench/load.py.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  mode = args[1] or "get"
  tokens = {}
  if mode == "post" then
    for line in io.lines(args[2]) do
      if #line > 0 then tokens[#tokens + 1] = line end
    end
  end
  math.randomseed(os.time() * 1000 + tid)
  prefix = string.format("b%x-%d-%x", os.time(), tid, math.random(0, 2147483647))
  body = '{"gateway":"esewa"}'
  nthreads = 0
  counter = 0
end

function request()
  if mode ~= "post" then
    return wrk.format("GET")
  end
  counter = counter + 1
  -- spread requests over all the users (threads start at different offsets)
  local index = ((counter * 7 + tid * 104729) % #tokens) + 1
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[index],
    ["Idempotency-Key"] = prefix .. "-" .. counter,
  }
  return wrk.format("POST", nil, headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"connect_errors":%d,' ..
    '"read_errors":%d,"write_errors":%d,"status_errors":%d,"timeouts":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.mean, latency.max))
end
