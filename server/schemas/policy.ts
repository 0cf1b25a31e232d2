/**
 * The realm policy (shared/policy.ts), built from its bounds so that the schema, the server's
 * cross-field checks (mergePolicy) and the dashboard's forms state the same rules.
 */
import { Type, type TSchema } from 'typebox';
import { ACTION_TOKEN_OPERATIONS, BOOLEAN_POLICY_FIELDS, DEFAULT_POLICY, POLICY_BOUNDS, SESSION_LIMIT_BEHAVIORS } from '../../shared/policy.js';
import { literals } from './common.js';

const INT_MAX = 2147483647;

function fields(optional: boolean): Record<string, TSchema> {
  const out: Record<string, TSchema> = {};
  const wrap = (s: TSchema) => (optional ? Type.Optional(s) : s);
  for (const [field, b] of Object.entries(POLICY_BOUNDS)) {
    out[field] = wrap(Type.Integer({ minimum: b.min, maximum: b.max, description: `${b.label}${b.unit === 'seconds' ? ', in seconds' : ''}`, default: DEFAULT_POLICY[field as keyof typeof POLICY_BOUNDS] }));
  }
  for (const field of BOOLEAN_POLICY_FIELDS) out[field] = wrap(Type.Boolean({ default: DEFAULT_POLICY[field] }));
  const overrides: Record<string, TSchema> = {};
  for (const op of ACTION_TOKEN_OPERATIONS) {
    const v = Type.Union([Type.Null(), Type.Integer({ minimum: 1, maximum: INT_MAX })], { description: `Lifespan of ${op} links in seconds; null: userActionLifespan` });
    overrides[op] = optional ? Type.Optional(v) : v;
  }
  out.sessionLimitBehavior = wrap(Type.Unsafe<string>({
    ...literals(SESSION_LIMIT_BEHAVIORS), default: DEFAULT_POLICY.sessionLimitBehavior,
    description: 'Past maxSessionsPerUser: deny-new refuses the sign-in (409 VIGIL_ERR_SESSION_LIMIT, OIDC access_denied); terminate-oldest ends the user\'s oldest session (session.terminated, reason session-limit)',
  }));
  out.userActionLifespanOverrides = wrap(Type.Object(overrides, { additionalProperties: false, title: 'lifespan override', description: 'Per-operation lifespans of user-initiated action links' }));
  return out;
}

export const Policy = Type.Object(fields(false), { $id: 'Policy', title: 'Policy', description: 'The realm policy: changes apply to live sessions at once' });

/** A PATCH of the policy: any of its fields; every other field is refused by name. */
export const PolicyPatch = Type.Object(fields(true), {
  additionalProperties: false,
  title: 'policy',
  description: 'Any policy fields. expiryPromptSeconds must be less than ssoSessionIdle and offlineSessionIdle, and ssoSessionIdle must not exceed ssoSessionMax (checked on the merged policy).',
});
