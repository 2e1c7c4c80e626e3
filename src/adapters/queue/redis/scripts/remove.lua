-- Takes a waiting job out of its line. ARGV: prefix, job id. Returns 1 when
-- it was waiting, 0 otherwise.
local p, id = ARGV[1], ARGV[2]
local job = p .. ':job:' .. id
local held = redis.call('HMGET', job, 's', 'b')
if held[1] ~= 'w' then
  return 0
end
redis.call('ZREM', p .. ':ready:' .. held[2], id)
redis.call('DEL', job)
return 1
