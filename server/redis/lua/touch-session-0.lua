--[[
  Records activity on a session. Activity only ever moves deadlines later, so the deadline
  set and the timer queue are left alone: the pending check finds the new deadline and
  reschedules itself. session.activity is coalesced to one per session per second.
  While the session is in warning only an explicit extend counts, so activity is ignored.

  ARGV[1] key base   ARGV[2] session id   ARGV[3] source

  Returns 1 recorded, 2 ignored (in warning), 0 no such session, -1 expired just now
]]
--- @include "common"
local sid = ARGV[2]
local key = sessionKey(sid)
local h = hgetall(key)
if not h then return 0 end
local now = nowMs()
local prompt = promptSeconds()
if expireIfDue(sid, h, now, prompt) then return -1 end
if h.st ~= 'a' then return 2 end
h.la = now
local wa, ea = deadlines(h, prompt)
redis.call('HSET', key, 'la', now, 'wa', wa, 'ea', ea)
if now - tonumber(h.lae or '0') >= 1000 then
  redis.call('HSET', key, 'lae', now)
  h.wa = wa
  h.ea = ea
  emit('session.activity', sid, now, cjson.encode({ source = ARGV[3] }), h)
end
return 1
