-- Takes the leader lease when nobody holds it, or renews it when this node
-- holds it; records this node's heartbeat either way. ARGV: prefix, node
-- id, lease (ms), heartbeat horizon (ms: nodes not seen for this long no
-- longer count). Returns {term (0 when another node leads), holder, nodes}.
local p, node, lease, horizon = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZADD', p .. ':nodes', now, node)
redis.call('ZREMRANGEBYSCORE', p .. ':nodes', '-inf', now - horizon)
local nodes = redis.call('ZCARD', p .. ':nodes')

local key = p .. ':leader'
local held = redis.call('HMGET', key, 'node', 'term')
if held[1] == false then
  -- Terms never repeat, not even after Redis restarted empty: the counter
  -- starts again from the clock (in ms) rather than from 1.
  local term = redis.call('INCR', p .. ':term')
  if term < now then
    term = now
    redis.call('SET', p .. ':term', term)
  end
  redis.call('HSET', key, 'node', node, 'term', term)
  redis.call('PEXPIRE', key, lease)
  return {term, node, nodes}
end
if held[1] == node then
  redis.call('PEXPIRE', key, lease)
  return {tonumber(held[2]), node, nodes}
end
return {0, held[1], nodes}
