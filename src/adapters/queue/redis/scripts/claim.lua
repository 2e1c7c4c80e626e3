-- Leases, for each claimer in turn, the best waiting job of the backends
-- it names: lowest score (highest priority, then oldest), then lowest id
-- (UUID v7: the earlier job). Leases that have lapsed go back to their
-- lines first. ARGV: prefix, then per claimer: lease (ms), the number of
-- backends, the backends. Returns per claimer, in order, {job id,
-- backend, token}, or false when none of its backends has a job waiting.
local p = ARGV[1]
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

-- Lines found empty stay empty for the rest of this call.
local empty = {}

local function claim(lease, first, last)
  local best, best_score, best_backend
  for i = first, last do
    local backend = ARGV[i]
    if not empty[backend] then
      local head = redis.call('ZRANGE', p .. ':ready:' .. backend, 0, 0, 'WITHSCORES')
      if head[1] then
        local score = tonumber(head[2])
        if best == nil or score < best_score or (score == best_score and head[1] < best) then
          best, best_score, best_backend = head[1], score, backend
        end
      else
        empty[backend] = true
      end
    end
  end
  if best == nil then
    return false
  end
  local token = next_token(p, micros)
  local expires = now + lease
  redis.call('ZREM', p .. ':ready:' .. best_backend, best)
  redis.call('HSET', p .. ':job:' .. best, 's', 'c', 'k', token, 'e', string.format('%d', expires))
  redis.call('ZADD', p .. ':leases', expires, best)
  return {best, best_backend, token}
end

local claims = {}
local i = 2
while i <= #ARGV do
  local lease, count = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  claims[#claims + 1] = claim(lease, i + 2, i + 1 + count)
  i = i + 2 + count
end
return claims
