/**
 * The design system: every colour, size and radius is a CSS custom property on the
 * document root, so that shadow roots inherit them and an embedding page can re-theme
 * the guard. `ensureTokens()` installs them once; pages and the standalone guard call it.
 */

const TOKENS = `
:where(:root) {
  --vigil-font: "Inter", "Segoe UI", system-ui, -apple-system, "Helvetica Neue", Arial, sans-serif;
  --vigil-font-mono: ui-monospace, "SFMono-Regular", "JetBrains Mono", Menlo, Consolas, monospace;
  --vigil-text-xs: 0.75rem;
  --vigil-text-sm: 0.8125rem;
  --vigil-text-md: 0.9375rem;
  --vigil-text-lg: 1.125rem;
  --vigil-text-xl: 1.5rem;
  --vigil-text-2xl: 2rem;

  --vigil-bg: #f4f6f9;
  --vigil-surface: #ffffff;
  --vigil-surface-2: #f8fafc;
  --vigil-surface-hover: #f1f5fb;
  --vigil-border: #dde3ea;
  --vigil-border-strong: #c3ccd7;
  --vigil-text: #17202c;
  --vigil-text-muted: #5b6776;
  --vigil-text-faint: #8793a1;
  --vigil-accent: #2563eb;
  --vigil-accent-hover: #1d4ed8;
  --vigil-accent-soft: #e6efff;
  --vigil-accent-text: #ffffff;
  --vigil-danger: #c62828;
  --vigil-danger-hover: #a61f1f;
  --vigil-danger-soft: #fdecec;
  --vigil-warning: #b45309;
  --vigil-warning-soft: #fff4e0;
  --vigil-success: #15803d;
  --vigil-success-soft: #e5f6eb;
  --vigil-info-soft: #eef2f7;
  --vigil-focus: 0 0 0 0.1875rem rgba(37, 99, 235, 0.35);

  --vigil-nav-bg: #111827;
  --vigil-nav-text: #cbd5e1;
  --vigil-nav-active: #ffffff;

  --vigil-space-1: 0.25rem;
  --vigil-space-2: 0.5rem;
  --vigil-space-3: 0.75rem;
  --vigil-space-4: 1rem;
  --vigil-space-5: 1.5rem;
  --vigil-space-6: 2rem;
  --vigil-radius: 0.5rem;
  --vigil-radius-sm: 0.3125rem;
  --vigil-shadow: 0 0.0625rem 0.125rem rgba(16, 24, 40, 0.06), 0 0.0625rem 0.1875rem rgba(16, 24, 40, 0.08);
  --vigil-shadow-lg: 0 1.25rem 3.125rem rgba(15, 23, 42, 0.28);
  --vigil-row-height: 3.25rem;
}
:where(html) { background: var(--vigil-bg); color: var(--vigil-text); font-family: var(--vigil-font); }
:where(body) { margin: 0; }
`;

/** Installs the design tokens into the document once (idempotent). */
export function ensureTokens(doc: Document = document): void {
  if (doc.getElementById('vigil-tokens')) return;
  const style = doc.createElement('style');
  style.id = 'vigil-tokens';
  style.textContent = TOKENS;
  doc.head.prepend(style);
}
