--[[
  Redeems an authorization code once. A code presented by a client other than its own is
  refused first and changes nothing: anyone may name a public client, so an already redeemed
  code (leaked through a Referer header or history) must not let a stranger end its session.
  Presented by its own client, a code is single use: a second redemption is reuse, and ends
  the session the code started (revoking every token issued from it), with
  token.reuse_detected. A code past its Client login timeout announces code.expired.

  Code hash (KEYS[9])
    c client id, ru redirect uri, rg "1" if the authorization request carried ru ("0": the
    client's only registered URI was used, the token request need not repeat it; absent: "1"),
    cc PKCE challenge, n nonce, sc scope, s session id, x expiry ms, used "1" once redeemed

  PKCE and redirect_uri are checked here too, before anything changes: a caller without the
  code's verifier (a thief of a code not yet redeemed, or someone who found a redeemed one in a
  browser's history), or with the wrong redirect_uri (a client's misconfigured first try),
  neither redeems it, nor uses it up, nor triggers the reuse revocation of its session; so the
  client's correct retry still works.

  redirect_uri (RFC 6749 §4.1.3): required, and identical, if the authorization request carried
  it (rg not "0"); one given must match in any case.

  KEYS[1..8] the realm keys of includes/common.lua
  KEYS[9] the code hash   <base>oidc:code:<sha256(code)>
  KEYS[10] session key prefix: the code's session hash is KEYS[10]..id (the id read from the
           code hash), same slot by the {realm} tag

  ARGV[1] client id presenting it
  ARGV[2] S256 of the presented code_verifier, or "" when none was presented
  ARGV[3] "1" if a redirect_uri was presented, else "0"   ARGV[4] the presented redirect_uri, or ""

  Returns { CodeResult.Ok (1), flat code hash } redeemed; { CodeResult.Unknown (0) } unknown;
          { CodeResult.Expired (-1) } expired; { CodeResult.Reused (-2) } reused (session ended);
          { CodeResult.OtherClient (-3) } issued to another client;
          { CodeResult.VerifierMismatch (-4) } the code has a PKCE challenge and the verifier does not match it;
          { CodeResult.RedirectMismatch (-5) } redirect_uri missing or different;
          { CodeResult.UnexpectedVerifier (-6) } a verifier for a code without a challenge
]]
--- @include "common"
local key = KEYS[9]
local c = hgetall(key)
if not c then return { {{CodeResult.Unknown}} } end
if c.c ~= ARGV[1] then return { {{CodeResult.OtherClient}} } end
if c.cc and c.cc ~= '' and c.cc ~= ARGV[2] then return { {{CodeResult.VerifierMismatch}} } end
if (not c.cc or c.cc == '') and ARGV[2] ~= '' then return { {{CodeResult.UnexpectedVerifier}} } end
if (c.rg ~= '0' or ARGV[3] == '1') and ARGV[4] ~= c.ru then return { {{CodeResult.RedirectMismatch}} } end
local now = nowMs()
if c.used == '1' then
  redis.call('DEL', key)
  local sessionKey = KEYS[10] .. c.s
  local h = hgetall(sessionKey)
  if h then
    h.wa, h.ea = deadlines(h, promptSeconds())
    emit('token.reuse_detected', c.s, now, cjson.encode({ clientId = c.c, kind = 'authorization_code' }), h)
    endSession(sessionKey, c.s, h, 'session.terminated', cjson.encode({ reason = 'policy', by = cjson.null, cause = 'authorization_code_reuse', clientId = c.c }), now)
  else
    emit('token.reuse_detected', c.s, now, cjson.encode({ clientId = c.c, kind = 'authorization_code' }), nil)
  end
  return { {{CodeResult.Reused}} }
end
if now > tonumber(c.x) then
  redis.call('DEL', key)
  emit('code.expired', c.s, now, cjson.encode({ clientId = c.c }), nil)
  return { {{CodeResult.Expired}} }
end
redis.call('HSET', key, 'used', '1')
return { {{CodeResult.Ok}}, redis.call('HGETALL', key) }
