/**
 * Realm settings for admins: every policy field, grouped as Keycloak's realm "Sessions" and
 * "Tokens" tabs group them, plus Vigil's console-session settings. Durations use a
 * value-and-unit input; validation is the shared `mergePolicy`, so the form never disagrees
 * with the server. Warns when the access token lifespan exceeds SSO Session Idle.
 */
import { css, html, nothing, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { ACTION_TOKEN_OPERATIONS, POLICY_BOUNDS, SESSION_LIMIT_BEHAVIORS, mergePolicy, type ActionTokenOperation, type RealmPolicy, type SessionLimitBehavior } from '../../../shared/policy.js';
import { ApiError, errorMessage } from '../lib/api.js';
import { clonePolicy, lifespanExceedsIdle, policyPatch } from '../lib/policy-form.js';
import { baseStyles } from '../styles/shared-styles.js';
import { RealmPage } from './realm-page.js';
import './vigil-duration-input.js';

type DurationField = Exclude<keyof typeof POLICY_BOUNDS, 'refreshTokenMaxReuse' | 'maxSessionsPerUser'>;
type CountField = 'refreshTokenMaxReuse' | 'maxSessionsPerUser';

const HELP: Partial<Record<keyof RealmPolicy, string>> = {
  ssoSessionIdle: 'Idle limit of an SSO session. Authentication and token refresh bump it.',
  ssoSessionMax: 'Hard limit of an SSO session, regardless of activity.',
  offlineSessionIdle: 'Idle limit of an offline session (offline_access refresh tokens).',
  offlineSessionMaxEnabled: 'Give offline sessions a hard limit too.',
  offlineSessionMax: 'Hard limit of an offline session, when limited.',
  loginTimeout: 'Maximum total time of one login.',
  loginActionTimeout: 'Maximum time on any one page of a login.',
  revokeRefreshToken: 'Refresh tokens become one-time use; reuse fails with invalid_grant and invalidates the client session.',
  refreshTokenMaxReuse: 'How many extra times one refresh token may be reused.',
  accessTokenLifespan: 'Lifetime of an access token. It never outlives the session maximum.',
  accessTokenLifespanImplicit: 'Lifetime of access tokens issued by the implicit flow.',
  clientLoginTimeout: 'Maximum time between issuing an authorization code and redeeming it.',
  verifyEmail: 'A user given an e-mail address that is not verified (a new user, or a changed address) is mailed a link to confirm it.',
  userActionLifespan: 'How long an e-mailed link works when the user asked for it (Forgot password) or it verifies an e-mail address, unless its operation has an override below. Example: 5 minutes — a reset link sent at 10:00:00 works until 10:05:00 and not one second after.',
  adminActionLifespan: 'How long the link of an admin\'s "Send actions e-mail" works, unless that send gives its own lifespan. Example: 12 hours — sent at 09:00, the link works until 21:00.',
  expiryPromptSeconds: 'How long the Logout prompt is shown before an idle session ends.',
  defaultTokenLifetime: 'Token lifetime of new accounts (the inactivity limit of their console sessions).',
  consoleSessionMax: 'Hard limit of a console session, regardless of activity.',
  maxSessionsPerUser: 'How many live sessions (console, SSO and offline together) one user may have; 0 is unlimited.',
  sessionLimitBehavior: 'What a sign-in past the limit does: refuse it, or sign the user\'s oldest session out at once.',
};

const BEHAVIOR_LABELS: Record<SessionLimitBehavior, string> = {
  'deny-new': 'Deny new session',
  'terminate-oldest': 'Terminate oldest session',
};

/** What each override governs, with an example (the contract's lifespan rules). */
const OP_HELP: Record<ActionTokenOperation, string> = {
  'verify-email': 'The link of an admin\'s "Send verify e-mail" (unless the send gives its own lifespan). Example: 1 day — the address can be confirmed until the same time tomorrow.',
  'reset-credentials': 'The link a user gets from "Forgot password?". Example: 15 minutes, for users who read mail slowly, while other links keep the default.',
  'execute-actions': 'Keycloak keeps this for user-initiated execute-actions; Vigil has none of those, and an admin\'s "Send actions e-mail" uses the admin-initiated lifespan above (or its own), not this.',
  'idp-verify-account-via-email': 'The link that confirms linking an account on a first sign-in through an identity provider whose e-mail address is an existing user\'s (see Identity providers). Example: 1 hour.',
};

const OP_LABELS: Record<ActionTokenOperation, string> = {
  'verify-email': 'Verify email',
  'reset-credentials': 'Forgot password',
  'execute-actions': 'Execute actions',
  'idp-verify-account-via-email': 'Email verification (IdP)',
};

export class VigilRealmSettings extends RealmPage {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; max-width: 65rem; }
      .sections { display: grid; gap: 1.25rem; padding-bottom: 5.625rem; }
      .group h3 { font-size: var(--vigil-text-xs); text-transform: uppercase; letter-spacing: 0.06em; color: var(--vigil-text-muted); margin: 0.25rem 0 0.5rem; }
      .group + .group { margin-top: 1.125rem; padding-top: 1.125rem; border-top: 0.0625rem dashed var(--vigil-border); }
      .field-row { display: grid; grid-template-columns: minmax(15rem, 1fr) minmax(17.5rem, 1.2fr); gap: 1.5rem; padding: 0.625rem 0; align-items: start; }
      .field-row .name { font-weight: 600; font-size: var(--vigil-text-sm); }
      .field-row .help { font-size: var(--vigil-text-xs); color: var(--vigil-text-muted); margin-top: 0.1875rem; line-height: 1.45; }
      .savebar { position: sticky; bottom: 0; display: flex; gap: 0.75rem; align-items: center; padding: 0.875rem 1.25rem; background: var(--vigil-surface); border: 0.0625rem solid var(--vigil-border); border-radius: var(--vigil-radius); box-shadow: var(--vigil-shadow-lg); margin-top: 0.75rem; }
      .savebar .msg { flex: 1; font-size: var(--vigil-text-sm); }
      .tag { font-size: 0.625rem; font-weight: 700; text-transform: uppercase; padding: 0.125rem 0.375rem; border-radius: 0.25rem; background: var(--vigil-accent-soft); color: var(--vigil-accent); margin-left: 0.5rem; vertical-align: middle; }
      .override { display: flex; align-items: center; gap: 0.75rem; flex-wrap: wrap; }
      input.count { width: 8.75rem; }
      select.behavior { width: auto; min-width: 16rem; }
    `,
  ];

  @state() _base: RealmPolicy | null = null;
  @state() _draft: RealmPolicy | null = null;
  /** Fields whose text is not yet a number. */
  @state() _invalid: Set<string> = new Set();
  @state() _loadError = '';
  @state() _saveError: { field: string; message: string } | null = null;
  @state() _saved = false;
  @state() _busy = false;

  /** Read-only (viewers). */
  @property({ type: Boolean }) readonly: boolean = false;

  protected override async load(): Promise<void> {
    this._loadError = '';
    try {
      const body = await this.api.get<RealmPolicy | { policy: RealmPolicy }>('/policy');
      const p = 'policy' in body && typeof body.policy === 'object' ? body.policy : (body as RealmPolicy);
      this._base = clonePolicy(p);
      this._draft = clonePolicy(p);
    } catch (e) {
      this._loadError = errorMessage(e, 'The policy could not be loaded.');
    }
  }

  #set<K extends keyof RealmPolicy>(field: K, value: RealmPolicy[K] | null): void {
    const inv = new Set(this._invalid);
    if (value === null) inv.add(field);
    else {
      inv.delete(field);
      this._draft = { ...this._draft!, [field]: value };
    }
    this._invalid = inv;
    this._saved = false;
    this._saveError = null;
  }

  #setOverride(op: ActionTokenOperation, value: number | null | undefined): void {
    const key = `override.${op}`;
    const inv = new Set(this._invalid);
    if (value === undefined) inv.add(key);
    else {
      inv.delete(key);
      this._draft = { ...this._draft!, userActionLifespanOverrides: { ...this._draft!.userActionLifespanOverrides, [op]: value } };
    }
    this._invalid = inv;
    this._saved = false;
  }

  /** The first problem of the draft, from the shared validator. */
  #problem(): { field: string; message: string } | null {
    if (!this._base || !this._draft) return null;
    const r = mergePolicy(this._base, policyPatch(this._base, this._draft));
    return 'problem' in r ? r.problem : null;
  }

  async #save(): Promise<void> {
    const patch = policyPatch(this._base!, this._draft!);
    if (this._invalid.size || this.#problem() || Object.keys(patch).length === 0) return;
    this._busy = true;
    this._saveError = null;
    try {
      const body = await this.api.patch<RealmPolicy | { policy: RealmPolicy }>('/policy', patch);
      const p = body && 'policy' in body && typeof body.policy === 'object' ? body.policy : (body as RealmPolicy | undefined);
      this._base = clonePolicy(p && typeof p === 'object' && 'ssoSessionIdle' in p ? p : this._draft!);
      this._draft = clonePolicy(this._base);
      this._saved = true;
    } catch (e) {
      const message = e instanceof ApiError ? e.message : 'The policy could not be saved.';
      const field = Object.keys(patch).find((f) => message.startsWith(f)) ?? '';
      this._saveError = { field, message };
    } finally {
      this._busy = false;
    }
  }

  #row(field: keyof RealmPolicy, label: string, control: TemplateResult, extra?: TemplateResult | typeof nothing) {
    return html`<div class="field-row">
      <div><div class="name" id="lbl-${field}">${label}</div><div class="help">${HELP[field] ?? ''}</div></div>
      <div>${control}${extra ?? nothing}</div>
    </div>`;
  }

  #duration(field: DurationField, problem: { field: string; message: string } | null) {
    const b = POLICY_BOUNDS[field];
    const msg = problem?.field === field ? problem.message : this._saveError?.field === field ? this._saveError.message : '';
    return this.#row(
      field,
      b.label,
      html`<vigil-duration-input data-field=${field} .value=${this._draft![field] as number} label=${b.label} .problem=${msg} ?disabled=${this.readonly}
        @vigil-change=${(e: CustomEvent<{ seconds: number | null }>) => this.#set(field, e.detail.seconds)}></vigil-duration-input>`,
    );
  }

  #count(field: CountField, problem: { field: string; message: string } | null) {
    const b = POLICY_BOUNDS[field];
    const msg = problem?.field === field ? problem.message : this._saveError?.field === field ? this._saveError.message : '';
    return this.#row(field, b.label, html`
      <input class="count" type="number" min=${b.min} max=${b.max} step="1" aria-labelledby="lbl-${field}" data-field=${field}
        .value=${String(this._draft![field])} ?disabled=${this.readonly} aria-invalid=${msg ? 'true' : 'false'}
        @input=${(e: Event) => { const t = (e.target as HTMLInputElement).value; this.#set(field, /^\d+$/.test(t) ? Number(t) : null); }} />
      ${msg ? html`<div class="error-text" role="alert">${msg}</div>` : nothing}`);
  }

  #toggle(field: 'revokeRefreshToken' | 'offlineSessionMaxEnabled' | 'verifyEmail', label: string) {
    return this.#row(
      field,
      label,
      html`<label class="check"><input type="checkbox" data-field=${field} .checked=${this._draft![field]} ?disabled=${this.readonly}
        @change=${(e: Event) => this.#set(field, (e.target as HTMLInputElement).checked)} />${this._draft![field] ? 'On' : 'Off'}</label>`,
    );
  }

  override render() {
    if (this._loadError) {
      return html`<div class="page-title"><h1>Realm settings</h1></div>
        <section class="card"><div class="empty"><strong>The realm policy could not be loaded</strong><span>${this._loadError}</span><button @click=${() => void this.load()}>Try again</button></div></section>`;
    }
    if (!this._draft || !this._base) {
      return html`<div class="page-title"><h1>Realm settings</h1></div><section class="card"><div class="empty"><div class="spinner"></div><span>Loading policy…</span></div></section>`;
    }
    const d = this._draft;
    const problem = this.#problem();
    const dirty = Object.keys(policyPatch(this._base, d)).length > 0;
    const overrideProblem = (op: string) => (problem?.field === `userActionLifespanOverrides.${op}` ? problem.message : '');
    return html`
      <div class="page-title"><h1>Realm settings</h1><span class="muted">realm <strong>${this.realm}</strong></span></div>
      <div class="sections">
        <section class="card" aria-labelledby="sessions-h">
          <div class="card-header"><h2 id="sessions-h">Sessions</h2></div>
          <div class="card-body">
            <div class="group"><h3>SSO session settings</h3>
              ${this.#duration('ssoSessionIdle', problem)}
              ${this.#duration('ssoSessionMax', problem)}
            </div>
            <div class="group"><h3>Offline session settings</h3>
              ${this.#duration('offlineSessionIdle', problem)}
              ${this.#toggle('offlineSessionMaxEnabled', 'Offline Session Max Limited')}
              ${d.offlineSessionMaxEnabled ? this.#duration('offlineSessionMax', problem) : nothing}
            </div>
            <div class="group"><h3>Session limits</h3>
              ${this.#count('maxSessionsPerUser', problem)}
              ${this.#row('sessionLimitBehavior', 'When the limit is reached', html`
                <select class="behavior" data-field="sessionLimitBehavior" aria-labelledby="lbl-sessionLimitBehavior" ?disabled=${this.readonly || d.maxSessionsPerUser === 0}
                  @change=${(e: Event) => this.#set('sessionLimitBehavior', (e.target as HTMLSelectElement).value as SessionLimitBehavior)}>
                  ${SESSION_LIMIT_BEHAVIORS.map((b) => html`<option value=${b} ?selected=${d.sessionLimitBehavior === b}>${BEHAVIOR_LABELS[b]}</option>`)}
                </select>`)}
            </div>
            <div class="group"><h3>Login settings</h3>
              ${this.#duration('loginTimeout', problem)}
              ${this.#duration('loginActionTimeout', problem)}
            </div>
          </div>
        </section>

        <section class="card" aria-labelledby="tokens-h">
          <div class="card-header"><h2 id="tokens-h">Tokens</h2></div>
          <div class="card-body">
            <div class="group"><h3>Refresh tokens</h3>
              ${this.#toggle('revokeRefreshToken', 'Revoke Refresh Token')}
              ${d.revokeRefreshToken ? this.#count('refreshTokenMaxReuse', problem) : nothing}
            </div>
            <div class="group"><h3>Access tokens</h3>
              ${this.#duration('accessTokenLifespan', problem)}
              ${lifespanExceedsIdle(d)
                ? html`<div class="banner warning" role="status" data-testid="lifespan-warning">Access Token Lifespan (${d.accessTokenLifespan} s) is longer than SSO Session Idle (${d.ssoSessionIdle} s): access tokens will outlive idle sessions. Keycloak recommends a lifespan shorter than SSO Session Idle.</div>`
                : nothing}
              ${this.#duration('accessTokenLifespanImplicit', problem)}
              ${this.#duration('clientLoginTimeout', problem)}
            </div>
            <div class="group"><h3>Action tokens</h3>
              ${this.#toggle('verifyEmail', 'Verify email')}
              ${this.#duration('userActionLifespan', problem)}
              ${this.#duration('adminActionLifespan', problem)}
              ${ACTION_TOKEN_OPERATIONS.map((op) => {
                const v = d.userActionLifespanOverrides[op];
                return html`<div class="field-row">
                  <div><div class="name">Override: ${OP_LABELS[op]}</div><div class="help">User-initiated action lifespan for <code>${op}</code>; off uses the default above. ${OP_HELP[op]}</div></div>
                  <div class="override">
                    <label class="check"><input type="checkbox" .checked=${v !== null} ?disabled=${this.readonly} aria-label="Override ${OP_LABELS[op]}"
                      @change=${(e: Event) => this.#setOverride(op, (e.target as HTMLInputElement).checked ? d.userActionLifespan : null)} />Override</label>
                    ${v !== null
                      ? html`<vigil-duration-input .value=${v} label="${OP_LABELS[op]} lifespan" .problem=${overrideProblem(op)} ?disabled=${this.readonly}
                          @vigil-change=${(e: CustomEvent<{ seconds: number | null }>) => this.#setOverride(op, e.detail.seconds ?? undefined)}></vigil-duration-input>`
                      : nothing}
                  </div>
                </div>`;
              })}
            </div>
          </div>
        </section>

        <section class="card" aria-labelledby="console-h">
          <div class="card-header"><h2 id="console-h">Console sessions <span class="tag">Vigil</span></h2></div>
          <div class="card-body">
            ${this.#duration('expiryPromptSeconds', problem)}
            ${this.#duration('defaultTokenLifetime', problem)}
            ${this.#duration('consoleSessionMax', problem)}
          </div>
        </section>
      </div>
      ${this.readonly
        ? nothing
        : html`<div class="savebar">
            <span class="msg" role="status">
              ${this._saveError && !this._saveError.field ? html`<span class="error-text">${this._saveError.message}</span>`
                : problem ? html`<span class="error-text">${problem.message}</span>`
                : this._invalid.size ? html`<span class="error-text">Some values are not valid durations.</span>`
                : this._saved ? html`<span style="color:var(--vigil-success)">Saved. Live sessions use the new policy now.</span>`
                : dirty ? 'You have unsaved changes.' : html`<span class="muted">All changes saved.</span>`}
            </span>
            <button ?disabled=${!dirty || this._busy} @click=${() => { this._draft = clonePolicy(this._base!); this._invalid = new Set(); this._saveError = null; }}>Revert</button>
            <button class="primary" ?disabled=${!dirty || !!problem || this._invalid.size > 0 || this._busy} @click=${() => void this.#save()}>${this._busy ? 'Saving…' : 'Save'}</button>
          </div>`}
    `;
  }
}

customElements.define('vigil-realm-settings', VigilRealmSettings);

declare global {
  interface HTMLElementTagNameMap {
    'vigil-realm-settings': VigilRealmSettings;
  }
}
