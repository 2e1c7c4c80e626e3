-- Adds entries to their backends' lines, skipping any job the queue already
-- holds (waiting or claimed). ARGV: prefix, then per entry six values:
-- job id, backend, client, priority, submitted_at (ms), score.
-- Each entry added is announced on the arrivals channel (its backend), so
-- that a claimer waiting on any node wakes. Returns how many were added.
local p = ARGV[1]
local added = 0
for i = 2, #ARGV, 6 do
  local id, backend = ARGV[i], ARGV[i + 1]
  local job = p .. ':job:' .. id
  if redis.call('EXISTS', job) == 0 then
    redis.call('HSET', job, 'b', backend, 'c', ARGV[i + 2], 'p', ARGV[i + 3],
      't', ARGV[i + 4], 'r', ARGV[i + 5], 's', 'w')
    redis.call('ZADD', p .. ':ready:' .. backend, ARGV[i + 5], id)
    redis.call('SADD', p .. ':backends', backend)
    redis.call('PUBLISH', p .. ':arrivals', backend)
    added = added + 1
  end
end
return added
