--[[
  Resolves a session token (by its hash) for one request, ending the session first if its
  deadline has passed (an ended session's token is refused immediately, whether or not the
  timer has run yet), and optionally counting the request as activity.

  ARGV[1] key base   ARGV[2] token hash   ARGV[3] "1" to count as activity   ARGV[4] source

  Returns {} when the token is unknown or its session ended, else
  { sessionFlat (HGETALL of the session), userFlat (HGETALL of its user) }
]]
--- @include "common"
local th = ARGV[2]
local sid = redis.call('HGET', KB .. 'tokens', th)
if not sid then return {} end
local key = sessionKey(sid)
local h = hgetall(key)
if not h then
  redis.call('HDEL', KB .. 'tokens', th)
  return {}
end
local now = nowMs()
local prompt = promptSeconds()
local ended = expireIfDue(sid, h, now, prompt)
if ended then return {} end
if ARGV[3] == '1' and h.st == 'a' then
  h.la = now
  local wa, ea = deadlines(h, prompt)
  redis.call('HSET', key, 'la', now, 'wa', wa, 'ea', ea)
  if now - tonumber(h.lae or '0') >= 1000 then
    redis.call('HSET', key, 'lae', now)
    h.wa = wa
    h.ea = ea
    emit('session.activity', sid, now, cjson.encode({ source = ARGV[4] }), h)
  end
end
return { redis.call('HGETALL', key), redis.call('HGETALL', KB .. 'user:' .. h.u) }
