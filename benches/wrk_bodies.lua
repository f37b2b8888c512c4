-- Posts recorded request bodies round-robin, each on a new connection (`Connection: close`, as
-- mod_xml_curl and mod_json_cdr do), and prints the run's figures and its latency histogram as
-- one JSON line.
--
-- Usage: wrk -t1 -cN -dS -s benches/wrk_bodies.lua http://127.0.0.1:PORT/ -- BODIES CONTENT_TYPE [AUTHORIZATION [RATE]]
-- BODIES holds the requests as "<path> <length>\n<body bytes>" one after another (benches/wrk.py).
-- RATE (requests a second, this thread): sent on a fixed schedule instead of as fast as the server
-- answers, the way FreeSWITCH's requests arrive; each connection takes the next free slot (wrk's
-- delay() hook, in whole milliseconds) and a late answer does not move the later slots. Latency is
-- still wrk's, from the request's first byte written: a slot's wait is not in it.
-- Requests go round-robin from a random start; benches that must not repeat a body (CDRs) give
-- more bodies than a run can send and check the count afterwards (benches/httpbench.py).

local requests, count, next_index = {}, 0, 0
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bodies_timespec;
int clock_gettime(int clock, bodies_timespec *now);
]]
local timespec, CLOCK_MONOTONIC = ffi.new("bodies_timespec"), 1

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

local function paced_at(rate)
  local interval, next_slot = 1000 / rate, nil
  return function()
    local now = now_ms()
    next_slot = next_slot or now
    local slot = next_slot
    next_slot = next_slot + interval
    return math.max(0, math.floor(slot - now + 0.5))
  end
end

function init(args)
  local file = assert(io.open(args[1], "rb"))
  local headers = {
    ["User-Agent"] = "freeswitch-xml/1.0",
    ["Accept"] = "*/*",
    ["Connection"] = "close",
    ["Content-Type"] = args[2],
  }
  if args[3] and args[3] ~= "" then headers["Authorization"] = args[3] end  -- FreeSWITCH's basic auth
  -- wrk asks whether the script has delay() after this init: defined only when paced.
  if args[4] then delay = paced_at(tonumber(args[4])) end
  while true do
    local line = file:read("*l")
    if not line then break end
    local path, length = line:match("^(%S+) (%d+)$")
    local body = file:read(tonumber(length))
    count = count + 1
    requests[count] = wrk.format("POST", path, headers, body)
  end
  file:close()
  -- Each thread starts at its own place so two threads never send the same sequence.
  next_index = math.random(count) - 1
end

function request()
  next_index = next_index % count + 1
  return requests[next_index]
end

-- The whole latency histogram too, as [microseconds, requests] pairs, so that a bench can pool
-- the requests of many runs (benches/latency_windows.py). wrk 4.1's stats object (src/script.c,
-- src/stats.c): #latency is the number of distinct values, latency(i) the i-th smallest and its
-- count. This is wrk's histogram after its correction for coordinated omission (src/wrk.c
-- stats_correct), the one its percentiles above come from.
local function histogram(latency)
  local buckets = {}
  for i = 1, #latency do
    local value, count = latency(i)
    buckets[i] = string.format("[%d, %d]", value, count)
  end
  return "[" .. table.concat(buckets, ", ") .. "]"
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"p50_us": %d, "p99_us": %d, "p999_us": %d, "max_us": %d, "mean_us": %.1f, "histogram": %s}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean,
    histogram(latency)))
end
