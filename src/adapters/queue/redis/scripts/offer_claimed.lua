-- Offers jobs and leases each in the same step, when the queue does not
-- hold it and no job of its backend waits. ARGV: prefix, then per entry
-- seven values: lease (ms), job id, backend, client, priority,
-- submitted_at (ms), score. Returns per entry, in order, its token, or
-- false when it was not leased.
local p = ARGV[1]
local now, micros = clock()
local tokens = {}
for i = 2, #ARGV, 7 do
  local lease, id, backend = tonumber(ARGV[i]), ARGV[i + 1], ARGV[i + 2]
  local job = p .. ':job:' .. id
  if redis.call('EXISTS', job) == 1 or redis.call('ZCARD', p .. ':ready:' .. backend) > 0 then
    tokens[#tokens + 1] = false
  else
    local token = next_token(p, micros)
    local expires = now + lease
    redis.call('HSET', job, 'b', backend, 'c', ARGV[i + 3], 'p', ARGV[i + 4], 't', ARGV[i + 5],
      'r', ARGV[i + 6], 's', 'c', 'k', token, 'e', string.format('%d', expires))
    redis.call('ZADD', p .. ':leases', expires, id)
    redis.call('SADD', p .. ':backends', backend)
    tokens[#tokens + 1] = token
  end
end
return tokens
