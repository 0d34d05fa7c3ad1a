-- wrk script for bench/api.py: one script, three modes, chosen by the arguments after "--".
--
--   wrk ... -s api.lua http://host:port/artifacts/images -- create <name prefix>
--   wrk ... -s api.lua http://host:port/artifacts/images -- show <file of ids>
--   wrk ... -s api.lua "http://host:port/artifacts/images?…" -- get
--
-- create: POST a new artifact with a name unique to the run, thread and request;
-- show:   GET /artifacts/<type>/<id>, walking the ids with a per-thread offset;
-- get:    GET the URL as given (the list request).
-- done() prints one "WRKJSON {...}" line that bench/api.py parses.

local mode, prefix, base
local ids = {}
local counter = 0
local thread_count = 0
local formats = { "qcow2", "raw", "vmdk" }

function setup(thread)
  thread_count = thread_count + 1
  thread:set("tid", thread_count)
end

function init(args)
  mode = args[1]
  base = wrk.path
  if mode == "create" then
    prefix = args[2]
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
  elseif mode == "show" then
    for line in io.lines(args[2]) do
      if #line > 0 then ids[#ids + 1] = line end
    end
    if base:sub(-1) ~= "/" then base = base .. "/" end
  end
end

function request()
  counter = counter + 1
  if mode == "create" then
    local body = string.format(
      '{"name":"%s-%d-%d","version":"1.%d.0","disk_format":"%s","min_ram":%d,"tags":["bench"]}',
      prefix, tid, counter, counter % 50, formats[counter % 3 + 1], counter % 4096)
    return wrk.format("POST", base, nil, body)
  elseif mode == "show" then
    local index = ((counter * 7 + tid * 7919) % #ids) + 1
    return wrk.format("GET", base .. ids[index])
  end
  return wrk.format("GET", base)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"connect_errors":%d,"read_errors":%d,'
      .. '"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,'
      .. '"p99_us":%d,"mean_us":%.1f,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean,
    latency.max))
end
