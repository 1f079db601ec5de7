-- wrk script: cycles through a request file (METHOD<TAB>PATH<TAB>BODY per line). Thread t of T
-- sends lines t, t+T, t+2T, ... so requests that must be unique (sellbacks) never repeat across
-- threads. done() prints one JSON line that bench/wrk.py reads.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local reqs = {}
local n = 0
local idx = 0
local stride = 1

function init(args)
  local f = assert(io.open(args[1], "r"))
  for line in f:lines() do
    local method, path, body = line:match("^([^\t]*)\t([^\t]*)\t?(.*)$")
    if method then
      n = n + 1
      -- wrk.format uses the table it is given instead of wrk.headers (-H): copy them.
      local headers = {}
      for k, v in pairs(wrk.headers) do headers[k] = v end
      if body ~= nil and body ~= "" then
        headers["Content-Type"] = "application/json"
        reqs[n] = wrk.format(method, path, headers, body)
      else
        reqs[n] = wrk.format(method, path, headers)
      end
    end
  end
  f:close()
  stride = tonumber(args[2])
  idx = tid
end

function request()
  local r = reqs[(idx % n) + 1]
  idx = idx + stride
  return r
end

function done(summary, latency, requests)
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"status_errors":%d,"connect_errors":%d,' ..
    '"read_errors":%d,"write_errors":%d,"timeouts":%d,"p50_us":%d,"p99_us":%d,"p999_us":%d}\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9)))
end
