--[[
  Applies a new idle timeout (a token-lifetime change, or a realm policy change) and/or a
  new hard limit to one live session at once: recomputes its deadlines, leaves the warning
  state if the new deadline is no longer near, reschedules its check (deadlines may move
  earlier, so the deadline set is rewritten) and announces session.updated when anything
  visible changed. A session already past its new deadline expires now.

  ARGV[1] key base   ARGV[2] session id   ARGV[3] new idle timeout s ("" = keep)
  ARGV[4] new max seconds from creation ("" = keep)

  Returns { status, now, newSlices... }: status 1 updated, 2 unchanged, 0 none, -1 expired
]]
--- @include "common"
local sid = ARGV[2]
local key = sessionKey(sid)
local h = hgetall(key)
if not h then return { 0 } end
local now = nowMs()
local prompt = promptSeconds()
local fields = {}
if ARGV[3] ~= '' and tonumber(ARGV[3]) ~= tonumber(h.it) then
  h.it = tonumber(ARGV[3])
  fields[#fields + 1] = 'idleTimeout'
end
if ARGV[4] ~= '' then
  local mx = tonumber(h.ca) + tonumber(ARGV[4]) * 1000
  if mx ~= tonumber(h.mx) then
    h.mx = mx
    fields[#fields + 1] = 'maxExpiresAt'
  end
end
local wa, ea, reason = deadlines(h, prompt)
if wa ~= tonumber(h.wa) then fields[#fields + 1] = 'warnAt' end
if ea ~= tonumber(h.ea) then fields[#fields + 1] = 'expiresAt' end
if #fields == 0 then return { 2, now } end
h.wa = wa
h.ea = ea
if expireIfDue(sid, h, now, prompt) then return { -1, now } end
if h.st == 'w' and now < wa then
  count('warning', -1)
  h.st = 'a'
  h.wr = ''
  fields[#fields + 1] = 'state'
elseif h.st == 'w' then
  h.wr = reason
end
redis.call('HSET', key, 'it', h.it, 'mx', h.mx, 'wa', wa, 'ea', ea, 'st', h.st, 'wr', h.wr)
if h.st == 'a' then schedule(sid, wa) else schedule(sid, ea) end
emit('session.updated', sid, now, cjson.encode({ fields = fields }), h)
return { 1, now, unpack(newSlices) }
