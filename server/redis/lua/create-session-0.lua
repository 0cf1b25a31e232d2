--[[
  Starts a session: stores it, indexes its token hash, schedules its first check and
  announces session.started, in one atomic step.

  ARGV[1] key base   ARGV[2] session id   ARGV[3] token hash   ARGV[4] kind
  ARGV[5] user id    ARGV[6] username     ARGV[7] client id ("" for none)
  ARGV[8] idle timeout in seconds (console: the token lifetime; "" = from policy by kind)
  ARGV[9] ip         ARGV[10] user agent
  ARGV[11] session.started's data as JSON ("" = {}); e.g. who minted the session

  Returns { now, newSlices... }
]]
--- @include "common"
local sid, th, kind = ARGV[2], ARGV[3], ARGV[4]
local now = nowMs()
local prompt = promptSeconds()
local policy = KB .. 'policy'
local it = tonumber(ARGV[8])
local maxSeconds
if kind == 'console' then
  maxSeconds = tonumber(redis.call('HGET', policy, 'consoleSessionMax'))
elseif kind == 'sso' then
  it = it or tonumber(redis.call('HGET', policy, 'ssoSessionIdle'))
  maxSeconds = tonumber(redis.call('HGET', policy, 'ssoSessionMax'))
else
  it = it or tonumber(redis.call('HGET', policy, 'offlineSessionIdle'))
  if redis.call('HGET', policy, 'offlineSessionMaxEnabled') == 'true' then
    maxSeconds = tonumber(redis.call('HGET', policy, 'offlineSessionMax'))
  else
    maxSeconds = 100 * 365 * 86400
  end
end
local h = {
  id = sid, k = kind, u = ARGV[5], n = ARGV[6], c = ARGV[7], st = 'a', wr = '',
  ca = now, la = now, it = it, mx = now + maxSeconds * 1000, ip = ARGV[9], ua = ARGV[10],
  th = th, lae = now,
}
local wa, ea = deadlines(h, prompt)
h.wa = wa
h.ea = ea
local flat = {}
for f, v in pairs(h) do
  flat[#flat + 1] = f
  flat[#flat + 1] = v
end
redis.call('HSET', sessionKey(sid), unpack(flat))
redis.call('HSET', KB .. 'tokens', th, sid)
redis.call('SADD', KB .. 'u:' .. h.u, sid)
count(kind, 1)
schedule(sid, wa)
emit('session.started', sid, now, ARGV[11] ~= '' and ARGV[11] or '{}', h)
return { now, unpack(newSlices) }
