--[[
  Retires a signing key at once (DELETE /api/v1/realms/{realm}/keys/{kid}): removes it, so
  that it leaves the JWKS and no token it signed verifies any more. The active key cannot be
  retired (rotate first). Atomic with rotation (oidc-rotate-key), so a key is never removed
  while it is, or is becoming, the active one.

  ARGV[1] key base   ARGV[2] kid

  Returns 1 retired; 0 no such key; -1 it is the active key
]]
local key = ARGV[1] .. 'oidc:keys'
local kid = ARGV[2]
if redis.call('HEXISTS', key, 'k:' .. kid) == 0 then return 0 end
if redis.call('HGET', key, 'active') == kid then return -1 end
redis.call('HDEL', key, 'k:' .. kid, 'r:' .. kid)
return 1
