-- Offers a job and leases it in one step, when the queue does not hold it
-- and no job of its backend waits. ARGV: prefix, lease (ms), job id,
-- backend, client, priority, submitted_at (ms), score. Returns the token,
-- or nil.
local p, lease, id, backend = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local job = p .. ':job:' .. id
if redis.call('EXISTS', job) == 1 or redis.call('ZCARD', p .. ':ready:' .. backend) > 0 then
  return nil
end
local now, micros = clock()
local token = next_token(p, micros)
local expires = now + lease
redis.call('HSET', job, 'b', backend, 'c', ARGV[5], 'p', ARGV[6], 't', ARGV[7], 'r', ARGV[8],
  's', 'c', 'k', token, 'e', string.format('%d', expires))
redis.call('ZADD', p .. ':leases', expires, id)
redis.call('SADD', p .. ':backends', backend)
return token
