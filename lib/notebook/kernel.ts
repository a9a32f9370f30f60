/**
 * One tslab kernel process (lib/notebook/kernelWorker.ts) driven over IPC: start it, run cells
 * one at a time with a time limit, collect their outputs the way Jupyter's front end does.
 *
 * Used by the headless runner (every lesson) and by the grader, which adds: a sandbox wrapper
 * (bwrap) and Node permission flags, a memory cap on the whole process tree, output limits, and a
 * secure channel — the kernel gets a random key before any student code runs; every message it
 * sends carries the nonce (student code can call process.send but cannot forge it) and hidden
 * test code arrives encrypted, so a student cell listening on the IPC channel learns nothing.
 */
import { spawn, ChildProcess } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import { DisplayDataOutput, Output, StreamOutput, toLines } from './nbformat';
import { projectPath } from '../runtime/paths';

export interface KernelOptions {
  /** Working directory of the kernel (the notebook's folder). */
  cwd: string;
  env?: Record<string, string>;
  /** Extra node flags (e.g. --max-old-space-size, --experimental-permission ...). */
  nodeArgs?: string[];
  /** A command that wraps `node kernelWorker.js`, e.g. ['bwrap', ...args]. */
  wrapper?: string[];
  /** Resident memory of the kernel's whole process tree, in MB, above which it is killed. */
  memoryLimitMB?: number;
  /** Text output kept per cell, in bytes (default 1 MB). */
  maxOutputBytes?: number;
  /** Rich output (images, HTML) kept per cell, in bytes (default 64 MB: plotly.js alone is 3.5 MB). */
  maxDisplayBytes?: number;
  /** false: the kernel gets only `env` and PATH, not this process's environment (default true). */
  inheritEnv?: boolean;
  /** Grading mode: nonce-signed messages, encrypted hidden code, frozen test helpers. */
  secure?: boolean;
  /** Seconds to wait for the kernel to start (default 120). */
  startTimeoutSeconds?: number;
}

/** What the kit's test helpers (lib/grader/testkit.ts) report for one call of `tests()`. */
export interface TestReport {
  question: string;
  hidden: boolean;
  results: { name: string; points: number; passed: boolean; message: string }[];
}

export interface ExecResult {
  ok: boolean;
  /** The error text (tslab's stderr line, or why the kernel stopped). */
  error?: string;
  timedOut: boolean;
  /** Set when the kernel process ended during the cell. */
  exited?: string;
  outOfMemory: boolean;
  outputs: Output[];
  seconds: number;
  reports: TestReport[];
}

type WorkerMessage =
  | { type: 'ready'; nonce?: string }
  | { type: 'fatal'; error: string; nonce?: string }
  | { type: 'stream'; index: number; name: 'stdout' | 'stderr'; text: string; nonce?: string }
  | { type: 'display'; index: number; data: Record<string, unknown>; metadata: Record<string, unknown>; displayId?: string; update: boolean; nonce?: string }
  | { type: 'report'; report: TestReport; nonce?: string }
  | { type: 'done'; index: number; ok: boolean; error?: string; nonce?: string };

export const WORKER_PATH = () => projectPath('dist', 'lib', 'notebook', 'kernelWorker.js');

/** Collects one cell's outputs the way Jupyter's front end does, within size limits. */
export class CellOutputs {
  readonly outputs: Output[] = [];
  private readonly byDisplayId = new Map<string, DisplayDataOutput>();
  private textBytes = 0;
  private displayBytes = 0;
  private truncated = false;
  private displayDropped = false;
  constructor(private readonly maxBytes: number, private readonly maxDisplayBytes = 64 * 1024 * 1024) {}

  stream(name: 'stdout' | 'stderr', text: string): void {
    if (this.truncated) return;
    if (this.textBytes + text.length > this.maxBytes) {
      this.truncated = true;
      text = text.slice(0, Math.max(0, this.maxBytes - this.textBytes)) + `\n[output truncated at ${this.maxBytes} bytes]\n`;
    }
    this.textBytes += text.length;
    const last = this.outputs[this.outputs.length - 1];
    if (last && last.output_type === 'stream' && last.name === name) last.text = (last.text as string) + text;
    else this.outputs.push({ output_type: 'stream', name, text });
  }

  display(data: Record<string, unknown>, metadata: Record<string, unknown>, displayId: string | undefined, update: boolean): void {
    const size = JSON.stringify(data).length;
    const existing = displayId ? this.byDisplayId.get(displayId) : undefined;
    if (update && existing) {
      existing.data = data;
      existing.metadata = metadata;
      return;
    }
    if (this.displayBytes + size > this.maxDisplayBytes) {
      if (!this.displayDropped) this.stream('stderr', `[rich output over ${(this.maxDisplayBytes / 1048576).toFixed(0)} MB dropped]\n`);
      this.displayDropped = true;
      return;
    }
    this.displayBytes += size;
    const output: DisplayDataOutput = { output_type: 'display_data', data, metadata };
    this.outputs.push(output);
    if (displayId) this.byDisplayId.set(displayId, output);
  }

  error(ename: string, evalue: string): void {
    this.outputs.push({ output_type: 'error', ename, evalue, traceback: evalue.split('\n') });
  }

  /** nbformat wants text as a list of lines. */
  finish(): Output[] {
    return this.outputs.map((o) => (o.output_type === 'stream' ? { ...o, text: toLines(o.text as string) } as StreamOutput : o));
  }
}

/** The exception's name and text, from tslab's stderr line. */
export function errorName(message: string): { ename: string; evalue: string } {
  // tslab reports type errors as "line:col - message" and does not run the cell.
  if (/^\d+:\d+ - /.test(message.trim())) return { ename: 'CompileError', evalue: message.trim() };
  const m = /^(\w*Error|\w*Exception)(?::\s*)?([\s\S]*)$/.exec(message.trim());
  return m ? { ename: m[1], evalue: message.trim() } : { ename: 'Error', evalue: message.trim() };
}

/** Resident set size (bytes) of a process and all its descendants, from /proc. */
export function treeRss(rootPid: number): number {
  let entries: string[];
  try { entries = fs.readdirSync('/proc'); } catch { return 0; }
  const children = new Map<number, number[]>();
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(e));
      children.set(ppid, list);
    } catch { /* the process ended */ }
  }
  let total = 0;
  const stack = [rootPid];
  while (stack.length) {
    const pid = stack.pop()!;
    try { total += Number(fs.readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * 4096; } catch { /* ended */ }
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

export class Kernel {
  private child!: ChildProcess;
  private key = crypto.randomBytes(32);
  private nonce = crypto.randomBytes(16).toString('hex');
  private collector: CellOutputs | null = null;
  private reports: TestReport[] = [];
  private pending: ((m: { ok: boolean; error?: string; exited?: string }) => void) | null = null;
  private exitReason: string | null = null;
  private memoryTimer: NodeJS.Timeout | null = null;
  private oom = false;
  /** Output the process wrote around tslab (native writes, crashes), last 64 KB. */
  rawOutput = '';

  private constructor(private readonly options: KernelOptions) {}

  static async start(options: KernelOptions): Promise<Kernel> {
    const kernel = new Kernel(options);
    await kernel.spawn();
    return kernel;
  }

  get alive(): boolean {
    return this.exitReason == null;
  }

  private spawn(): Promise<void> {
    const worker = WORKER_PATH();
    if (!fs.existsSync(worker)) throw new Error(`${worker} is missing: run \`npm run build\` first`);
    const o = this.options;
    const nodeCommand = [process.execPath, ...(o.nodeArgs ?? []), worker];
    const argv = [...(o.wrapper ?? []), ...nodeCommand];
    const env: Record<string, string> = o.inheritEnv === false ? { PATH: process.env.PATH ?? '/usr/bin:/bin', ...o.env } : { ...(process.env as Record<string, string>), ...o.env };
    if (o.secure) env.CVKIT_KERNEL_SECURE = '1';
    this.child = spawn(argv[0], argv.slice(1), { cwd: o.cwd, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const keep = (chunk: Buffer) => { this.rawOutput = (this.rawOutput + chunk.toString('utf8')).slice(-65536); };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    if (o.memoryLimitMB) {
      const limit = o.memoryLimitMB * 1048576;
      this.memoryTimer = setInterval(() => {
        if (this.child.pid && treeRss(this.child.pid) > limit) {
          this.oom = true;
          this.kill();
        }
      }, 150);
    }
    return new Promise<void>((resolve, reject) => {
      const startTimer = setTimeout(() => { this.kill(); reject(new Error('the kernel did not start in time')); }, (o.startTimeoutSeconds ?? 120) * 1000);
      this.child.on('message', (m: WorkerMessage) => {
        if (o.secure && m.nonce !== this.nonce) return; // forged by code in the kernel
        switch (m.type) {
          case 'ready': clearTimeout(startTimer); resolve(); break;
          case 'fatal': clearTimeout(startTimer); reject(new Error(`kernel failed to start: ${m.error}`)); break;
          case 'stream': this.collector?.stream(m.name, m.text); break;
          case 'display': this.collector?.display(m.data, m.metadata, m.displayId, m.update); break;
          case 'report': this.reports.push(m.report); break;
          case 'done': this.pending?.({ ok: m.ok, error: m.error }); break;
        }
      });
      this.child.on('error', (err) => { clearTimeout(startTimer); this.exitReason = err.message; reject(err); });
      this.child.on('exit', (code, signal) => {
        clearTimeout(startTimer);
        if (this.memoryTimer) clearInterval(this.memoryTimer);
        this.exitReason = this.oom ? `kernel killed: over the ${o.memoryLimitMB} MB memory limit`
          : /heap out of memory|Allocation failed/i.test(this.rawOutput) ? 'kernel ran out of memory (JavaScript heap)'
            : `kernel process exited (${signal ?? `code ${code}`})`;
        const lines = this.rawOutput.trim().split('\n');
        const cause = lines.find((l) => /Error|denied|not found/i.test(l)) ?? lines.slice(-3).join(' | ');
        reject(new Error(`${this.exitReason}${cause ? `: ${cause.trim()}` : ''}`));
        this.pending?.({ ok: false, exited: this.exitReason });
      });
      if (o.secure) this.child.send({ type: 'init', key: this.key.toString('base64'), nonce: this.nonce });
    });
  }

  /** Runs one cell. `hidden` code is sent encrypted and its outputs are not kept by the caller. */
  async execute(index: number, source: string, timeoutSeconds: number, options: { hidden?: boolean } = {}): Promise<ExecResult> {
    const o = this.options;
    this.collector = new CellOutputs(o.maxOutputBytes ?? 1024 * 1024, o.maxDisplayBytes);
    this.reports = [];
    const start = Date.now();
    let timedOut = false;
    const result = await new Promise<{ ok: boolean; error?: string; exited?: string }>((resolve) => {
      if (!this.alive) { resolve({ ok: false, exited: this.exitReason! }); return; }
      const timer = setTimeout(() => { timedOut = true; this.kill(); }, timeoutSeconds * 1000);
      this.pending = (m) => { clearTimeout(timer); this.pending = null; resolve(m); };
      if (source.trim() === '') { this.pending({ ok: true }); return; }
      if (options.hidden) {
        if (!o.secure) throw new Error('hidden code needs a secure kernel');
        const iv = crypto.randomBytes(12);
        const cipher = crypto.createCipheriv('aes-256-gcm', this.key, iv);
        const data = Buffer.concat([cipher.update(source, 'utf8'), cipher.final()]);
        this.child.send({ type: 'hidden', index, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') });
      } else {
        this.child.send({ type: 'execute', index, source });
      }
    });
    const collector = this.collector;
    let error = result.error;
    if (timedOut) error = `TimeoutError: the cell ran longer than ${timeoutSeconds} s and was stopped`;
    else if (result.exited) error = `KernelDied: ${result.exited}`;
    if (!result.ok) {
      const { ename, evalue } = errorName(error ?? 'the cell failed');
      collector.error(timedOut ? 'TimeoutError' : result.exited ? 'KernelDied' : ename, evalue);
    }
    return {
      ok: result.ok, error, timedOut, exited: result.exited, outOfMemory: this.oom || /out of memory/.test(result.exited ?? ''),
      outputs: collector.finish(), seconds: (Date.now() - start) / 1000, reports: this.reports,
    };
  }

  kill(): void {
    if (this.child && this.child.exitCode == null && this.child.signalCode == null) this.child.kill('SIGKILL');
  }
}
