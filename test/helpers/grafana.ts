/** Reads a Grafana dashboard's PromQL: the metric names every panel's targets ask for. */

interface Panel {
  id?: number;
  title?: string;
  type?: string;
  targets?: Array<{ expr?: string }>;
  panels?: Panel[];
}

/** Every panel, rows' children included. */
export function dashboardPanels(dashboard: { panels?: Panel[] }): Panel[] {
  return (dashboard.panels ?? []).flatMap((p) => [p, ...dashboardPanels(p)]);
}

const NOT_METRICS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'and', 'or', 'unless', 'inf', 'nan']);

/** The metric names in one PromQL expression (functions, label matchers, groupings and ranges left out). */
export function exprMetricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of bare.matchAll(/(?<![\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:]|\s*\()/g)) {
    if (!NOT_METRICS.has(m[1]!.toLowerCase())) names.add(m[1]!);
  }
  return [...names];
}

/** Every metric name the dashboard's panels ask for, sorted. */
export function dashboardMetricNames(dashboard: { panels?: Panel[] }): string[] {
  const names = new Set<string>();
  for (const p of dashboardPanels(dashboard)) for (const t of p.targets ?? []) for (const n of exprMetricNames(t.expr ?? '')) names.add(n);
  return [...names].sort();
}
