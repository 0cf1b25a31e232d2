/** Building blocks shared by every element: buttons, fields, badges, cards, tables. */
import { css } from 'lit';

export const baseStyles = css`
  :host { font-family: var(--vigil-font); color: var(--vigil-text); box-sizing: border-box; }
  *, *::before, *::after { box-sizing: inherit; }
  [hidden] { display: none !important; }
  h1, h2, h3 { margin: 0; font-weight: 650; letter-spacing: -0.01em; }
  p { margin: 0; }
  .muted { color: var(--vigil-text-muted); }
  .mono { font-family: var(--vigil-font-mono); font-size: 0.95em; }
  .sr-only { position: absolute; width: 0.0625rem; height: 0.0625rem; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }

  button, .btn {
    font: inherit; font-size: var(--vigil-text-sm); font-weight: 600;
    display: inline-flex; align-items: center; justify-content: center; gap: 0.375rem;
    min-height: 2.25rem; padding: 0 0.875rem; border-radius: var(--vigil-radius-sm);
    border: 0.0625rem solid var(--vigil-border-strong); background: var(--vigil-surface); color: var(--vigil-text);
    cursor: pointer; white-space: nowrap; text-decoration: none;
    transition: background 120ms, border-color 120ms, color 120ms;
  }
  button:hover:not(:disabled) { background: var(--vigil-surface-hover); }
  button:focus-visible, a:focus-visible, input:focus-visible, select:focus-visible, [tabindex]:focus-visible {
    outline: none; box-shadow: var(--vigil-focus);
  }
  button:disabled { cursor: not-allowed; opacity: 0.5; }
  button.primary { background: var(--vigil-accent); border-color: var(--vigil-accent); color: var(--vigil-accent-text); }
  button.primary:hover:not(:disabled) { background: var(--vigil-accent-hover); }
  button.danger { background: var(--vigil-danger); border-color: var(--vigil-danger); color: #fff; }
  button.danger:hover:not(:disabled) { background: var(--vigil-danger-hover); }
  button.ghost { background: transparent; border-color: transparent; }
  button.ghost:hover:not(:disabled) { background: var(--vigil-surface-hover); }
  button.icon { padding: 0; width: 2.125rem; min-height: 2.125rem; }
  button.small { min-height: 1.875rem; padding: 0 0.625rem; font-size: var(--vigil-text-xs); }

  label.field { display: grid; gap: 0.375rem; font-size: var(--vigil-text-sm); font-weight: 600; }
  .hint { font-size: var(--vigil-text-xs); font-weight: 400; color: var(--vigil-text-muted); }
  input[type='text'], input[type='password'], input[type='number'], input[type='search'], input[type='email'], input[type='url'], input:not([type]), select {
    font: inherit; font-size: var(--vigil-text-md); font-weight: 400;
    min-height: 2.375rem; padding: 0 0.625rem; border-radius: var(--vigil-radius-sm);
    border: 0.0625rem solid var(--vigil-border-strong); background: var(--vigil-surface); color: var(--vigil-text);
    width: 100%;
  }
  input[aria-invalid='true'] { border-color: var(--vigil-danger); }
  input:disabled, select:disabled { background: var(--vigil-surface-2); color: var(--vigil-text-muted); }
  input[type='checkbox'] { width: 1.125rem; height: 1.125rem; accent-color: var(--vigil-accent); margin: 0; }
  .check { display: inline-flex; align-items: center; gap: 0.625rem; font-size: var(--vigil-text-md); cursor: pointer; }

  .error-text { color: var(--vigil-danger); font-size: var(--vigil-text-sm); font-weight: 500; }
  .banner { display: flex; gap: 0.625rem; align-items: flex-start; padding: 0.625rem 0.875rem; border-radius: var(--vigil-radius-sm); font-size: var(--vigil-text-sm); line-height: 1.45; }
  .banner.error { background: var(--vigil-danger-soft); color: var(--vigil-danger); }
  .banner.warning { background: var(--vigil-warning-soft); color: var(--vigil-warning); }
  .banner.info { background: var(--vigil-info-soft); color: var(--vigil-text-muted); }
  .banner.success { background: var(--vigil-success-soft); color: var(--vigil-success); }

  .badge {
    display: inline-flex; align-items: center; gap: 0.375rem; padding: 0.125rem 0.625rem; border-radius: 62.4375rem;
    font-size: var(--vigil-text-xs); font-weight: 650; letter-spacing: 0.02em; text-transform: uppercase; white-space: nowrap;
    background: var(--vigil-info-soft); color: var(--vigil-text-muted);
  }
  .badge::before { content: ''; width: 0.4375rem; height: 0.4375rem; border-radius: 50%; background: currentColor; }
  .badge.active { background: var(--vigil-success-soft); color: var(--vigil-success); }
  .badge.warning { background: var(--vigil-warning-soft); color: var(--vigil-warning); }
  .badge.danger { background: var(--vigil-danger-soft); color: var(--vigil-danger); }
  .badge.plain::before { display: none; }

  .card { background: var(--vigil-surface); border: 0.0625rem solid var(--vigil-border); border-radius: var(--vigil-radius); box-shadow: var(--vigil-shadow); }
  .card-header { display: flex; align-items: center; gap: var(--vigil-space-3); padding: var(--vigil-space-4) var(--vigil-space-5); border-bottom: 0.0625rem solid var(--vigil-border); flex-wrap: wrap; }
  .card-header h2 { font-size: var(--vigil-text-lg); flex: 1 1 auto; }
  .card-body { padding: var(--vigil-space-5); }
  .page-title { display: flex; align-items: baseline; gap: var(--vigil-space-3); margin-bottom: var(--vigil-space-5); }
  .page-title h1 { font-size: var(--vigil-text-xl); }

  table.data { width: 100%; border-collapse: collapse; font-size: var(--vigil-text-sm); }
  table.data th { text-align: left; font-size: var(--vigil-text-xs); text-transform: uppercase; letter-spacing: 0.05em; color: var(--vigil-text-muted); font-weight: 650; padding: 0.625rem 1rem; background: var(--vigil-surface-2); border-bottom: 0.0625rem solid var(--vigil-border); }
  table.data td { padding: 0.625rem 1rem; border-bottom: 0.0625rem solid var(--vigil-border); vertical-align: middle; }
  table.data tr:last-child td { border-bottom: none; }
  table.data td.actions { text-align: right; white-space: nowrap; }
  table.data td.actions button + button { margin-left: 0.375rem; }

  .empty { padding: 3rem 1.5rem; text-align: center; color: var(--vigil-text-muted); display: grid; gap: 0.5rem; justify-items: center; }
  .empty strong { color: var(--vigil-text); font-size: var(--vigil-text-md); }
  .spinner { width: 1.375rem; height: 1.375rem; border-radius: 50%; border: 0.1875rem solid var(--vigil-border); border-top-color: var(--vigil-accent); animation: spin 0.8s linear infinite; }
  @keyframes spin { to { transform: rotate(360deg); } }
`;
