// Output for people (aligned tables) and for scripts (JSON or YAML of the API's objects).
import { stringify } from 'yaml';
import { formatDuration } from '../model/duration.js';
import type { OutputFormat } from './command.js';

export interface Table {
  columns: string[];
  rows: string[][];
}

export function renderTable({ columns, rows }: Table): string {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('   ').trimEnd();
  return `${[line(columns), ...rows.map(line)].join('\n')}\n`;
}

export function render(format: OutputFormat, data: unknown, table?: Table): string {
  if (format === 'yaml') return stringify(data);
  if (format === 'json' || !table) return `${JSON.stringify(data, null, 2)}\n`;
  return renderTable(table);
}

/** "1h59m", "expired", or "-" for a lane without expiry. */
export function timeLeft(expiresInSeconds: unknown): string {
  if (typeof expiresInSeconds !== 'number') return '-';
  return expiresInSeconds <= 0 ? 'expired' : formatDuration(expiresInSeconds);
}
