--[[
  Redeems an OIDC refresh token (whose signature and claims the caller verified) against its
  client session, applying Revoke Refresh Token / Refresh Token Max Reuse atomically, and
  announces token.refreshed — or, on reuse, token.reuse_detected and the end of that client's
  session (the engine session it belongs to), never the user's other sessions.

  Client session hash  <base>oidc:cs:<sid>:<clientId>
    gen  highest refresh-token generation issued     ug  highest generation used so far
    uc   uses of generation ug                        u   user id

  ARGV[1] key base   ARGV[2] session id   ARGV[3] client id   ARGV[4] generation of the token
  ARGV[5] revoke ("1" | "0")   ARGV[6] max reuse   ARGV[7] token.refreshed data JSON

  A refresh is activity (Keycloak: refresh requests bump SSO Session Idle): an active session
  gets exactly what touch-session does for it, in this same atomic step, with source "refresh".
  A session in warning is left alone here; the caller extends an idle warning.

  Returns { 1, newGeneration, st, wr, it, mx, k, ea } ok;
          { -1 } session gone (ended or expired just now); { -2 } client session revoked;
          { -3 } reuse detected (the session was ended)
]]
--- @include "common"
local sid, cid, gen = ARGV[2], ARGV[3], tonumber(ARGV[4])
local h = hgetall(sessionKey(sid))
if not h then return { -1 } end
local now = nowMs()
local prompt = promptSeconds()
if expireIfDue(sid, h, now, prompt) then return { -1 } end
local csKey = KB .. 'oidc:cs:' .. sid .. ':' .. cid
local cs = hgetall(csKey)
if not cs or gen > tonumber(cs.gen or '0') then return { -2 } end
if ARGV[5] == '1' then
  local ug, uc = tonumber(cs.ug or '0'), tonumber(cs.uc or '0')
  if gen < ug or (gen == ug and uc > tonumber(ARGV[6])) then
    redis.call('DEL', csKey)
    local wa, ea = deadlines(h, prompt)
    h.wa, h.ea = wa, ea
    emit('token.reuse_detected', sid, now, cjson.encode({ clientId = cid, kind = 'refresh_token', generation = gen, usedGeneration = ug, uses = uc }), h)
    endSession(sid, h, 'session.terminated', cjson.encode({ reason = 'policy', by = cjson.null, cause = 'refresh_token_reuse', clientId = cid }), now)
    return { -3 }
  end
  if gen > ug then
    redis.call('HSET', csKey, 'ug', gen, 'uc', 1)
  else
    redis.call('HINCRBY', csKey, 'uc', 1)
  end
end
local nextGen = redis.call('HINCRBY', csKey, 'gen', 1)
emit('token.refreshed', sid, now, ARGV[7], h)
local wa, ea = deadlines(h, prompt)
if h.st == 'a' then
  -- the same as touch-session: deadlines only move later, the pending check reschedules itself
  h.la = now
  wa, ea = deadlines(h, prompt)
  redis.call('HSET', sessionKey(sid), 'la', now, 'wa', wa, 'ea', ea)
  if now - tonumber(h.lae or '0') >= 1000 then
    redis.call('HSET', sessionKey(sid), 'lae', now)
    h.wa = wa
    h.ea = ea
    emit('session.activity', sid, now, cjson.encode({ source = 'refresh' }), h)
  end
end
-- the client session lives a minute past the refresh token it just issued
redis.call('PEXPIRE', csKey, math.max(60000, math.min(now + tonumber(h.it) * 1000, tonumber(h.mx)) - now + 60000))
return { 1, nextGen, h.st, h.wr or '', h.it, h.mx, h.k, ea }
