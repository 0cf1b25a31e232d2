/**
 * Realm policy: the Keycloak realm "Sessions" and "Tokens" settings plus Vigil's own
 * console-session settings. Bounds live here so that the server's validation and the
 * dashboard's forms can never disagree.
 */

export const TOKEN_LIFETIME_MIN = 30;
/** TrueNAS's maximum: 24 days, 20 hours, 31 minutes, 22 seconds. */
export const TOKEN_LIFETIME_MAX = 2147482;
export const TOKEN_LIFETIME_DEFAULT = 300;

export const ACTION_TOKEN_OPERATIONS = [
  'verify-email',
  'reset-credentials',
  'execute-actions',
  'idp-verify-account-via-email',
] as const;
export type ActionTokenOperation = (typeof ACTION_TOKEN_OPERATIONS)[number];

export interface RealmPolicy {
  expiryPromptSeconds: number;
  defaultTokenLifetime: number;
  consoleSessionMax: number;
  ssoSessionIdle: number;
  ssoSessionMax: number;
  offlineSessionIdle: number;
  offlineSessionMaxEnabled: boolean;
  offlineSessionMax: number;
  accessTokenLifespan: number;
  accessTokenLifespanImplicit: number;
  clientLoginTimeout: number;
  loginTimeout: number;
  loginActionTimeout: number;
  revokeRefreshToken: boolean;
  refreshTokenMaxReuse: number;
  userActionLifespan: number;
  adminActionLifespan: number;
  userActionLifespanOverrides: Record<ActionTokenOperation, number | null>;
  /** Keycloak's "Verify email": a user given an unverified address is mailed a verify-email link. */
  verifyEmail: boolean;
  /** Each user's live sessions of every kind, at most (Keycloak's session count limiter); 0 = unlimited. */
  maxSessionsPerUser: number;
  /** Past maxSessionsPerUser: refuse the new sign-in, or end the user's oldest session. */
  sessionLimitBehavior: SessionLimitBehavior;
}

export const SESSION_LIMIT_BEHAVIORS = ['deny-new', 'terminate-oldest'] as const;
export type SessionLimitBehavior = (typeof SESSION_LIMIT_BEHAVIORS)[number];

export const DEFAULT_POLICY: RealmPolicy = {
  expiryPromptSeconds: 30,
  defaultTokenLifetime: TOKEN_LIFETIME_DEFAULT,
  consoleSessionMax: 2592000,
  ssoSessionIdle: 1800,
  ssoSessionMax: 36000,
  offlineSessionIdle: 2592000,
  offlineSessionMaxEnabled: false,
  offlineSessionMax: 5184000,
  accessTokenLifespan: 300,
  accessTokenLifespanImplicit: 900,
  clientLoginTimeout: 60,
  loginTimeout: 1800,
  loginActionTimeout: 300,
  revokeRefreshToken: false,
  refreshTokenMaxReuse: 0,
  userActionLifespan: 300,
  adminActionLifespan: 43200,
  userActionLifespanOverrides: {
    'verify-email': null,
    'reset-credentials': null,
    'execute-actions': null,
    'idp-verify-account-via-email': null,
  },
  verifyEmail: false,
  maxSessionsPerUser: 0,
  sessionLimitBehavior: 'terminate-oldest',
};

/** The longest duration any field accepts: Java's Integer.MAX_VALUE seconds, as in Keycloak. */
const INT_MAX = 2147483647;

export interface FieldBounds {
  min: number;
  max: number;
  label: string;
  unit: 'seconds' | 'count';
}

/** Integer fields and their inclusive bounds. */
export const POLICY_BOUNDS: Record<Exclude<keyof RealmPolicy, 'offlineSessionMaxEnabled' | 'revokeRefreshToken' | 'userActionLifespanOverrides' | 'verifyEmail' | 'sessionLimitBehavior'>, FieldBounds> = {
  expiryPromptSeconds: { min: 5, max: 3600, label: 'Expiry prompt', unit: 'seconds' },
  defaultTokenLifetime: { min: TOKEN_LIFETIME_MIN, max: TOKEN_LIFETIME_MAX, label: 'Default token lifetime', unit: 'seconds' },
  consoleSessionMax: { min: 60, max: INT_MAX, label: 'Console session max', unit: 'seconds' },
  ssoSessionIdle: { min: 10, max: INT_MAX, label: 'SSO Session Idle', unit: 'seconds' },
  ssoSessionMax: { min: 10, max: INT_MAX, label: 'SSO Session Max', unit: 'seconds' },
  offlineSessionIdle: { min: 10, max: INT_MAX, label: 'Offline Session Idle', unit: 'seconds' },
  offlineSessionMax: { min: 10, max: INT_MAX, label: 'Offline Session Max', unit: 'seconds' },
  accessTokenLifespan: { min: 1, max: INT_MAX, label: 'Access Token Lifespan', unit: 'seconds' },
  accessTokenLifespanImplicit: { min: 1, max: INT_MAX, label: 'Access Token Lifespan For Implicit Flow', unit: 'seconds' },
  clientLoginTimeout: { min: 1, max: INT_MAX, label: 'Client login timeout', unit: 'seconds' },
  loginTimeout: { min: 1, max: INT_MAX, label: 'Login timeout', unit: 'seconds' },
  loginActionTimeout: { min: 1, max: INT_MAX, label: 'Login action timeout', unit: 'seconds' },
  refreshTokenMaxReuse: { min: 0, max: 1000, label: 'Refresh Token Max Reuse', unit: 'count' },
  userActionLifespan: { min: 1, max: INT_MAX, label: 'User-Initiated Action Lifespan', unit: 'seconds' },
  adminActionLifespan: { min: 1, max: INT_MAX, label: 'Default Admin-Initiated Action Lifespan', unit: 'seconds' },
  maxSessionsPerUser: { min: 0, max: 10000, label: 'Max sessions per user', unit: 'count' },
};

export const BOOLEAN_POLICY_FIELDS = ['offlineSessionMaxEnabled', 'revokeRefreshToken', 'verifyEmail'] as const;

export type PolicyPatch = Partial<Omit<RealmPolicy, 'userActionLifespanOverrides'>> & {
  userActionLifespanOverrides?: Partial<Record<ActionTokenOperation, number | null>>;
};

export interface PolicyProblem {
  field: string;
  message: string;
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/**
 * Validates a patch against the current policy and returns the merged policy or the first
 * problem, naming the field and the rule. Cross-field rules (the prompt must be shorter than
 * every idle limit it applies to) are checked on the merged result.
 */
export function mergePolicy(current: RealmPolicy, patch: unknown): { policy: RealmPolicy } | { problem: PolicyProblem } {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
    return { problem: { field: 'body', message: 'body must be a JSON object of policy fields' } };
  }
  const next: RealmPolicy = { ...current, userActionLifespanOverrides: { ...current.userActionLifespanOverrides } };
  for (const [field, value] of Object.entries(patch as Record<string, unknown>)) {
    if (Object.hasOwn(POLICY_BOUNDS, field)) {
      const b = POLICY_BOUNDS[field as keyof typeof POLICY_BOUNDS];
      if (!isInt(value) || value < b.min || value > b.max) {
        return { problem: { field, message: `${field} must be an integer from ${b.min} to ${b.max}` } };
      }
      (next as unknown as Record<string, number>)[field] = value;
    } else if ((BOOLEAN_POLICY_FIELDS as readonly string[]).includes(field)) {
      if (typeof value !== 'boolean') return { problem: { field, message: `${field} must be true or false` } };
      (next as unknown as Record<string, boolean>)[field] = value;
    } else if (field === 'sessionLimitBehavior') {
      if (!(SESSION_LIMIT_BEHAVIORS as readonly unknown[]).includes(value)) {
        return { problem: { field, message: `${field} must be one of ${SESSION_LIMIT_BEHAVIORS.join(', ')}` } };
      }
      next.sessionLimitBehavior = value as SessionLimitBehavior;
    } else if (field === 'userActionLifespanOverrides') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        return { problem: { field, message: 'userActionLifespanOverrides must be an object keyed by operation' } };
      }
      for (const [op, v] of Object.entries(value as Record<string, unknown>)) {
        if (!(ACTION_TOKEN_OPERATIONS as readonly string[]).includes(op)) {
          return { problem: { field: `userActionLifespanOverrides.${op}`, message: `unknown operation ${op}; expected one of ${ACTION_TOKEN_OPERATIONS.join(', ')}` } };
        }
        if (v !== null && (!isInt(v) || v < 1 || v > INT_MAX)) {
          return { problem: { field: `userActionLifespanOverrides.${op}`, message: `userActionLifespanOverrides.${op} must be null or an integer from 1 to ${INT_MAX}` } };
        }
        next.userActionLifespanOverrides[op as ActionTokenOperation] = v as number | null;
      }
    } else {
      return { problem: { field, message: `${field} is not a policy field` } };
    }
  }
  const prompt = next.expiryPromptSeconds;
  for (const f of ['ssoSessionIdle', 'offlineSessionIdle'] as const) {
    if (prompt >= next[f]) {
      return { problem: { field: 'expiryPromptSeconds', message: `expiryPromptSeconds (${prompt}) must be less than ${f} (${next[f]})` } };
    }
  }
  if (next.ssoSessionIdle > next.ssoSessionMax) {
    return { problem: { field: 'ssoSessionIdle', message: `ssoSessionIdle (${next.ssoSessionIdle}) must not exceed ssoSessionMax (${next.ssoSessionMax})` } };
  }
  return { policy: next };
}

/** Checks one token lifetime value; returns a message stating the bounds, or null when valid. */
export function tokenLifetimeProblem(value: unknown): string | null {
  if (!isInt(value) || value < TOKEN_LIFETIME_MIN || value > TOKEN_LIFETIME_MAX) {
    return `tokenLifetime must be an integer from ${TOKEN_LIFETIME_MIN} to ${TOKEN_LIFETIME_MAX} seconds`;
  }
  return null;
}
