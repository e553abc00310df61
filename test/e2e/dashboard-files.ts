import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/paths.js';

export interface Dashboard {
  panels: { title: string; targets: { expr: string }[] }[];
}

export const dashboardsDir = join(packageRoot, 'dashboards');
export const dashboard = (file: string) => JSON.parse(readFileSync(join(dashboardsDir, file), 'utf8')) as Dashboard;
export const dashboardFiles = () => readdirSync(dashboardsDir).filter((f) => f.endsWith('.json'));

/** Metric names a PromQL expression reads: identifiers not followed by `(` and not label names or keywords. */
export function metricNames(expr: string): string[] {
  const withoutLabels = expr.replace(/\{[^}]*\}/g, '').replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const names = withoutLabels.match(/[a-zA-Z_:][a-zA-Z0-9_:]*(?!\s*\()\b/g) ?? [];
  return names.filter((n) => n.includes('_') && !/^\d/.test(n));
}
