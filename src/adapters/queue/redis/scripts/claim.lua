-- Leases the best waiting job of the named backends: lowest score (highest
-- priority, then oldest), then lowest id (UUID v7: the earlier job). Leases
-- that have lapsed go back to their lines first. ARGV: prefix, lease (ms),
-- backends... Returns {job id, backend, token} or nil.
local p, lease = ARGV[1], tonumber(ARGV[2])
local now, micros = clock()

local lapsed = redis.call('ZRANGEBYSCORE', p .. ':leases', '-inf', now, 'LIMIT', 0, 100)
for _, id in ipairs(lapsed) do
  redis.call('ZREM', p .. ':leases', id)
  local job = p .. ':job:' .. id
  local held = redis.call('HMGET', job, 'b', 'r')
  if held[1] then
    redis.call('HSET', job, 's', 'w')
    redis.call('HDEL', job, 'k', 'e')
    redis.call('ZADD', p .. ':ready:' .. held[1], held[2], id)
  end
end

local best, best_score, best_backend
for i = 3, #ARGV do
  local head = redis.call('ZRANGE', p .. ':ready:' .. ARGV[i], 0, 0, 'WITHSCORES')
  if head[1] then
    local score = tonumber(head[2])
    if best == nil or score < best_score or (score == best_score and head[1] < best) then
      best, best_score, best_backend = head[1], score, ARGV[i]
    end
  end
end
if best == nil then
  return nil
end

local token = next_token(p, micros)
local expires = now + lease
redis.call('ZREM', p .. ':ready:' .. best_backend, best)
redis.call('HSET', p .. ':job:' .. best, 's', 'c', 'k', token, 'e', string.format('%d', expires))
redis.call('ZADD', p .. ':leases', expires, best)
return {best, best_backend, token}
