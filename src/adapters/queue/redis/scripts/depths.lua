-- Waiting jobs by backend and priority band. ARGV: prefix, band width, the
-- number of bands. Returns {backend, band, count} for every backend and
-- band, bands in order of score (highest priority first).
local p, width, bands = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
for _, backend in ipairs(redis.call('SMEMBERS', p .. ':backends')) do
  local line = p .. ':ready:' .. backend
  for band = 0, bands - 1 do
    local low = string.format('%d', band * width)
    local high = '(' .. string.format('%d', (band + 1) * width)
    out[#out + 1] = {backend, band, redis.call('ZCOUNT', line, low, high)}
  end
end
return out
