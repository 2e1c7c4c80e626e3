-- Gives up the leader lease if this node holds it, so that another node
-- takes over at once. ARGV: prefix, node id. Returns 1 when it was held.
local p, node = ARGV[1], ARGV[2]
local key = p .. ':leader'
if redis.call('HGET', key, 'node') == node then
  redis.call('DEL', key)
  redis.call('ZREM', p .. ':nodes', node)
  return 1
end
redis.call('ZREM', p .. ':nodes', node)
return 0
