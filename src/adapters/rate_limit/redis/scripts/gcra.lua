-- GCRA over one key per client: a burst of `rate` jobs, then one every
-- 60/rate s, counted for the whole cluster. The key holds the theoretical
-- arrival time (ms, Redis's clock) and expires once it has passed.
-- ARGV: prefix, client, rate per minute, jobs. Returns 0 when the jobs are
-- allowed (and taken), -1 when more than the burst was asked at once, or
-- the milliseconds to wait before trying again.
local key = ARGV[1] .. ':rate:' .. ARGV[2]
local rate, jobs = tonumber(ARGV[3]), tonumber(ARGV[4])
if jobs > rate then
  return -1
end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local interval = 60000 / rate
local tat = tonumber(redis.call('GET', key)) or now
if tat < now then
  tat = now
end
local next_tat = tat + jobs * interval
local allowed_at = next_tat - rate * interval
if allowed_at > now then
  return math.ceil(allowed_at - now)
end
redis.call('SET', key, string.format('%.3f', next_tat), 'PX', math.ceil(next_tat - now) + 1)
return 0
