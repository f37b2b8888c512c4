-- Posts recorded request bodies round-robin, each on a new connection (`Connection: close`, as
-- mod_xml_curl and mod_json_cdr do), and prints the run's figures as one JSON line.
--
-- Usage: wrk -t1 -cN -dS -s benches/wrk_bodies.lua http://127.0.0.1:PORT/ -- BODIES CONTENT_TYPE [AUTHORIZATION]
-- BODIES holds the requests as "<path> <length>\n<body bytes>" one after another (benches/wrk.py).
-- Requests go round-robin from a random start; benches that must not repeat a body (CDRs) give
-- more bodies than a run can send and check the count afterwards (benches/httpbench.py).

local requests, count, next_index = {}, 0, 0

function init(args)
  local file = assert(io.open(args[1], "rb"))
  local headers = {
    ["User-Agent"] = "freeswitch-xml/1.0",
    ["Accept"] = "*/*",
    ["Connection"] = "close",
    ["Content-Type"] = args[2],
  }
  if args[3] then headers["Authorization"] = args[3] end  -- FreeSWITCH's basic auth (benches/servers.py)
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

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"p50_us": %d, "p99_us": %d, "p999_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean))
end
