-- What lease holders do with their leases: 'extend' one, 'ack' (the job is
-- done with: forgotten) or 'release' (the job waits again). ARGV: prefix,
-- then per lease four values: action, job id, token, lease (ms, for
-- extend). Returns one outcome per lease, in order: 1 when done, 0 when
-- the lease was lost (another token, or none), -1 when an extend found it
-- lapsed (the job then waits again, as a claim would have found it). A
-- lapsed lease no claim has taken over may still be acknowledged or
-- released: its holder is the last to have had it.
local p = ARGV[1]
local now = clock()
local outcomes = {}

local function settle(action, id, token, lease)
  local job = p .. ':job:' .. id
  local held = redis.call('HMGET', job, 's', 'k', 'e', 'b', 'r')
  if held[1] ~= 'c' or held[2] ~= token then
    return 0
  end
  if action == 'ack' then
    redis.call('ZREM', p .. ':leases', id)
    redis.call('DEL', job)
    return 1
  end
  if action == 'release' or tonumber(held[3]) <= now then
    redis.call('ZREM', p .. ':leases', id)
    redis.call('HSET', job, 's', 'w')
    redis.call('HDEL', job, 'k', 'e')
    redis.call('ZADD', p .. ':ready:' .. held[4], held[5], id)
    redis.call('PUBLISH', p .. ':arrivals', held[4])
    if action == 'release' then
      return 1
    end
    return -1
  end
  local expires = now + tonumber(lease)
  redis.call('HSET', job, 'e', string.format('%d', expires))
  redis.call('ZADD', p .. ':leases', expires, id)
  return 1
end

for i = 2, #ARGV, 4 do
  outcomes[#outcomes + 1] = settle(ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3])
end
return outcomes
