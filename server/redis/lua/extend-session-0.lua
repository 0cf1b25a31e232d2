--[[
  Extend Session: resets the idle counter, also from the warning state, and announces
  session.extended so that every tab of the session closes its prompt.
  A warning caused by the hard limit cannot be extended.

  ARGV[1] key base   ARGV[2] session id

  Returns { 1, now, newSlices... } extended; { 0 } no such session; { -1 } expired;
  { -3 } not extendable (hard-limit warning)
]]
--- @include "common"
local sid = ARGV[2]
local key = sessionKey(sid)
local h = hgetall(key)
if not h then return { 0 } end
local now = nowMs()
local prompt = promptSeconds()
if expireIfDue(sid, h, now, prompt) then return { -1 } end
if h.st == 'w' and h.wr == 'max' then return { -3 } end
if h.st == 'w' then count('warning', -1) end
h.la = now
h.lae = now
h.st = 'a'
h.wr = ''
local wa, ea = deadlines(h, prompt)
h.wa = wa
h.ea = ea
redis.call('HSET', key, 'la', now, 'lae', now, 'st', 'a', 'wr', '', 'wa', wa, 'ea', ea)
schedule(sid, wa)
emit('session.extended', sid, now, '{}', h)
return { 1, now, unpack(newSlices) }
