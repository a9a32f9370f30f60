/**
 * Progress for long loops (epochs, steps, ETA). In a notebook: one HTML bar updated in place.
 * In a terminal: one line rewritten with \r. In a log (CI, pipes): a line every 10% or 10 s.
 */
import { inKernel, newDisplay, DisplayHandle } from './kernel';

export interface ProgressOptions {
  /** Shown before the bar, e.g. "epoch 3/10". */
  label?: string;
  /** Minimum milliseconds between redraws (default 200). */
  interval?: number;
  /** Set false to draw nothing (metrics are still kept). */
  enabled?: boolean;
}

function formatSeconds(s: number): string {
  if (!isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

function formatMetrics(metrics: Record<string, number>): string {
  return Object.entries(metrics).map(([k, v]) => `${k} ${Math.abs(v) >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toFixed(4)}`).join('  ');
}

/** A progress bar over `total` steps. */
export class Progress {
  private done = 0;
  private readonly start = Date.now();
  private lastDraw = 0;
  private lastLogFraction = -1;
  private lastLogTime = 0;
  private metrics: Record<string, number> = {};
  private label: string;
  private readonly handle: DisplayHandle | null;
  private readonly mode: 'kernel' | 'tty' | 'log' | 'off';

  constructor(private readonly total: number, options: ProgressOptions = {}) {
    this.label = options.label ?? '';
    this.interval = options.interval ?? 200;
    this.mode = options.enabled === false || process.env.CVKIT_PROGRESS === '0'
      ? 'off'
      : inKernel() ? 'kernel' : process.stderr.isTTY ? 'tty' : 'log';
    this.handle = this.mode === 'kernel' ? newDisplay() : null;
  }

  private readonly interval: number;

  /** Advances by `steps`, recording `metrics` (shown beside the bar). */
  tick(steps = 1, metrics?: Record<string, number>): void {
    this.done = Math.min(this.total, this.done + steps);
    if (metrics) this.metrics = { ...this.metrics, ...metrics };
    this.draw(false);
  }

  /** Changes the label (e.g. the epoch) without advancing. */
  setLabel(label: string): void {
    this.label = label;
  }

  /** Seconds since the bar started. */
  elapsed(): number {
    return (Date.now() - this.start) / 1000;
  }

  /** Draws the final state. */
  finish(metrics?: Record<string, number>): void {
    if (metrics) this.metrics = { ...this.metrics, ...metrics };
    this.draw(true);
    if (this.mode === 'tty') process.stderr.write('\n');
  }

  /** One line of text: label, count, percentage, elapsed, ETA and metrics. */
  text(): string {
    const elapsed = this.elapsed();
    const rate = this.done / Math.max(elapsed, 1e-9);
    const eta = this.done > 0 ? (this.total - this.done) / rate : Infinity;
    const pct = this.total > 0 ? (100 * this.done) / this.total : 100;
    return `${this.label ? this.label + ' ' : ''}${this.done}/${this.total} (${pct.toFixed(0)}%) ` +
      `${formatSeconds(elapsed)} elapsed, ETA ${formatSeconds(eta)}${Object.keys(this.metrics).length ? '  ' + formatMetrics(this.metrics) : ''}`;
  }

  private draw(final: boolean): void {
    if (this.mode === 'off') return;
    const now = Date.now();
    if (!final && now - this.lastDraw < this.interval) return;
    this.lastDraw = now;
    const text = this.text();
    if (this.mode === 'kernel') {
      const pct = this.total > 0 ? (100 * this.done) / this.total : 100;
      const html = `<div style="font-family:monospace;font-size:12px">` +
        `<progress value="${this.done}" max="${this.total}" style="width:240px;vertical-align:middle"></progress> ` +
        `${escapeHtml(text)}</div>`;
      this.handle!.update({ 'text/html': html, 'text/plain': `[${'#'.repeat(Math.round(pct / 5)).padEnd(20, '.')}] ${text}` });
    } else if (this.mode === 'tty') {
      process.stderr.write(`\r${text}`.padEnd(100).slice(0, 160));
    } else {
      const fraction = Math.floor((10 * this.done) / Math.max(1, this.total));
      if (final || fraction > this.lastLogFraction || now - this.lastLogTime > 10000) {
        this.lastLogFraction = fraction;
        this.lastLogTime = now;
        process.stderr.write(`${text}\n`);
      }
    }
  }
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
