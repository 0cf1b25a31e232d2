--[[
  Retires a signing key at once (DELETE /api/v1/realms/{realm}/keys/{kid}): removes it, so
  that it leaves the JWKS and no token it signed verifies any more. The active key cannot be
  retired (rotate first). Atomic with rotation (oidc-rotate-key), so a key is never removed
  while it is, or is becoming, the active one.

  KEYS[1] the realm's signing keys hash   <base>oidc:keys

  ARGV[1] kid

  Returns SigningKeyResult.Ok (1) retired; SigningKeyResult.Unknown (0) no such key;
          SigningKeyResult.Active (-1) it is the active key
]]
local key = KEYS[1]
local kid = ARGV[1]
if redis.call('HEXISTS', key, 'k:' .. kid) == 0 then return {{SigningKeyResult.Unknown}} end
if redis.call('HGET', key, 'active') == kid then return {{SigningKeyResult.Active}} end
redis.call('HDEL', key, 'k:' .. kid, 'r:' .. kid)
return {{SigningKeyResult.Ok}}
