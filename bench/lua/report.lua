-- Appended to every wrk script the bench runs: prints one line of JSON that the bench (bench/wrk.py) reads
-- (wrk's own text summary rounds the numbers and spreads them over several lines).

function done(summary, latency, requests)
  local e = summary.errors
  local extra = ""
  if bench_extra then
    extra = bench_extra()
  end
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"mean": %.1f, "p50": %d, "p90": %d, "p99": %d, "max": %d}%s}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, extra))
end
