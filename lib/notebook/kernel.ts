/**
 * One tslab kernel process (lib/notebook/kernelWorker.ts) driven over a framed channel
 * (lib/notebook/channel.ts): start it, run cells one at a time with a time limit, collect their
 * outputs the way Jupyter's front end does.
 *
 * Used by the headless runner (every lesson) and by the grader, which adds: a sandbox wrapper
 * (bwrap) and Node permission flags, a memory cap on the whole process tree, output limits, and a
 * plugin (lib/grader/kernelPlugin.ts) through which the kit's test helpers report the VALUES a test
 * cell's cases computed (never a verdict), inputs chosen by the grader are sent in, and the grader
 * calls the notebook's functions (`rpc`, lib/grader/remote.ts). Everything the kernel sends is
 * untrusted: it is checked for shape and size here and judged only in the grader's process.
 */
import { spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import { Socket } from 'net';
import { DisplayDataOutput, Output, StreamOutput, toLines } from './nbformat';
import { FrameReader, encodeFrame } from './channel';
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
  /** Rich output (images, HTML) kept per cell, in bytes (default 64 MB). */
  maxDisplayBytes?: number;
  /** Largest message the kernel may send, in bytes (default: maxDisplayBytes + 1 MB, at least 8 MB). */
  maxFrameBytes?: number;
  /** false: the kernel gets only `env` and a fixed PATH, not this process's environment (default true). */
  inheritEnv?: boolean;
  /** A module the kernel loads to extend itself (absolute path; the grader's: lib/grader/kernelPlugin.ts). */
  plugin?: string;
  /** Seconds to wait for the kernel to start (default 120). */
  startTimeoutSeconds?: number;
  /** Run the kernel process as this user and group (the grader, unsandboxed, as root). */
  uid?: number;
  gid?: number;
}

/** What one case of a test cell computed, as the kernel reported it (untrusted, still encoded). */
export interface CaseReport { name: string; value?: unknown; error?: string; meta?: unknown }
/** One call of `grading.tests` in grading mode. */
export interface ValuesReport { question: string; results: CaseReport[] }

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
  /** With the grader's plugin: the values the cell's `grading.tests` calls reported. */
  values: ValuesReport[];
  /** With the check plugin (`cvkit run --check`): each `grading.tests` call's results as the notebook printed them. */
  feedback: FeedbackReport[];
}

/** One `grading.tests` call as a student sees it in the notebook (lib/grader/testkit.ts). */
export interface FeedbackReport { question: string; results: { name: string; points: number; passed: boolean; message: string }[] }

export interface RpcReply { ok: boolean; value?: unknown; error?: string }

export const WORKER_PATH = () => projectPath('dist', 'lib', 'notebook', 'kernelWorker.js');
/** The PATH a kernel gets when it does not inherit this process's environment. */
export const KERNEL_PATH = '/usr/local/bin:/usr/bin:/bin';

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

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** A kernel's `feedback` message, checked for shape. */
function feedbackReport(m: Record<string, unknown>): FeedbackReport | null {
  const r = m.report;
  if (!isRecord(r) || typeof r.question !== 'string' || !Array.isArray(r.results)) return null;
  const results = r.results.filter(isRecord).map((x) => ({ name: String(x.name), points: Number(x.points) || 0, passed: x.passed === true, message: String(x.message ?? '').slice(0, 2000) }));
  return { question: r.question, results };
}

/** A kernel's `values` message, checked for shape (the values themselves stay encoded). */
function valuesReport(m: Record<string, unknown>): ValuesReport | null {
  const r = m.report;
  if (!isRecord(r) || typeof r.question !== 'string' || !Array.isArray(r.results)) return null;
  const results: CaseReport[] = [];
  for (const x of r.results) {
    if (!isRecord(x) || typeof x.name !== 'string') continue;
    results.push({ name: x.name, value: x.value, error: typeof x.error === 'string' ? x.error.slice(0, 2000) : undefined, meta: x.meta });
  }
  return { question: r.question, results };
}

export class Kernel {
  private child!: ChildProcess;
  private channel!: Socket;
  private collector: CellOutputs | null = null;
  private values: ValuesReport[] = [];
  private feedback: FeedbackReport[] = [];
  private pending: ((m: { ok: boolean; error?: string; exited?: string }) => void) | null = null;
  private rpcPending: ((reply: RpcReply) => void) | null = null;
  private rpcId = 0;
  private exitReason: string | null = null;
  private memoryTimer: NodeJS.Timeout | null = null;
  private oom = false;
  private protocolError: string | null = null;
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
    const env: Record<string, string> = o.inheritEnv === false ? { PATH: KERNEL_PATH, ...o.env } : { ...(process.env as Record<string, string>), ...o.env };
    if (o.plugin) env.CVKIT_KERNEL_PLUGIN = o.plugin;
    this.child = spawn(argv[0], argv.slice(1), { cwd: o.cwd, env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'], uid: o.uid, gid: o.gid });
    this.channel = this.child.stdio[3] as Socket;
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
    const maxFrame = o.maxFrameBytes ?? Math.max(8 * 1048576, (o.maxDisplayBytes ?? 64 * 1048576) + 1048576);
    return new Promise<void>((resolve, reject) => {
      const startTimer = setTimeout(() => { this.kill(); reject(new Error('the kernel did not start in time')); }, (o.startTimeoutSeconds ?? 120) * 1000);
      const reader = new FrameReader(maxFrame, (message) => {
        const m = message as Record<string, unknown>;
        switch (m.type) {
          case 'ready': clearTimeout(startTimer); resolve(); break;
          case 'fatal': clearTimeout(startTimer); reject(new Error(`kernel failed to start: ${String(m.error).slice(0, 2000)}`)); break;
          case 'stream': if (typeof m.text === 'string') this.collector?.stream(m.name === 'stderr' ? 'stderr' : 'stdout', m.text); break;
          case 'display':
            if (isRecord(m.data)) this.collector?.display(m.data, isRecord(m.metadata) ? m.metadata : {}, typeof m.displayId === 'string' ? m.displayId : undefined, m.update === true);
            break;
          case 'values': {
            const report = o.plugin ? valuesReport(m) : null;
            if (report && this.values.length < 256) this.values.push(report);
            break;
          }
          case 'feedback': {
            const report = o.plugin ? feedbackReport(m) : null;
            if (report && this.feedback.length < 256) this.feedback.push(report);
            break;
          }
          case 'rpc':
            if (m.id === this.rpcId) this.rpcPending?.({ ok: m.ok === true, value: m.value, error: typeof m.error === 'string' ? m.error.slice(0, 2000) : undefined });
            break;
          case 'done': this.pending?.({ ok: m.ok === true, error: typeof m.error === 'string' ? m.error : undefined }); break;
        }
      }, (reason) => {
        // A kernel that breaks the protocol (student code writing to the channel, or a message over
        // the limit) is stopped; the cell it was running fails with the reason.
        this.protocolError = `the kernel sent ${reason}`;
        this.kill();
      });
      this.channel.on('data', (chunk: Buffer) => reader.push(chunk));
      this.channel.on('error', () => { /* the kernel went away; 'exit' says why */ });
      this.child.on('error', (err) => { clearTimeout(startTimer); this.exitReason = err.message; reject(err); });
      this.child.on('exit', (code, signal) => {
        clearTimeout(startTimer);
        if (this.memoryTimer) clearInterval(this.memoryTimer);
        this.exitReason = this.oom ? `kernel killed: over the ${o.memoryLimitMB} MB memory limit`
          : this.protocolError ? `kernel stopped: ${this.protocolError}`
            : /heap out of memory|Allocation failed/i.test(this.rawOutput) ? 'kernel ran out of memory (JavaScript heap)'
              : `kernel process exited (${signal ?? `code ${code}`})`;
        const lines = this.rawOutput.trim().split('\n');
        const cause = lines.find((l) => /Error|denied|not found/i.test(l)) ?? lines.slice(-3).join(' | ');
        reject(new Error(`${this.exitReason}${cause ? `: ${cause.trim().slice(0, 500)}` : ''}`));
        this.pending?.({ ok: false, exited: this.exitReason });
        this.rpcPending?.({ ok: false, error: `KernelDied: ${this.exitReason}` });
      });
    });
  }

  private send(message: object): void {
    if (this.alive) this.channel.write(encodeFrame(message));
  }

  /** Runs one cell. */
  async execute(index: number, source: string, timeoutSeconds: number): Promise<ExecResult> {
    const o = this.options;
    this.collector = new CellOutputs(o.maxOutputBytes ?? 1024 * 1024, o.maxDisplayBytes);
    this.values = [];
    this.feedback = [];
    const start = Date.now();
    let timedOut = false;
    const result = await new Promise<{ ok: boolean; error?: string; exited?: string }>((resolve) => {
      if (!this.alive) { resolve({ ok: false, exited: this.exitReason! }); return; }
      const timer = setTimeout(() => { timedOut = true; this.kill(); }, timeoutSeconds * 1000);
      this.pending = (m) => { clearTimeout(timer); this.pending = null; resolve(m); };
      if (source.trim() === '') { this.pending({ ok: true }); return; }
      this.send({ type: 'execute', index, source });
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
      outputs: collector.finish(), seconds: (Date.now() - start) / 1000, values: this.values, feedback: this.feedback,
    };
  }

  /** Grading mode: the inputs the grader chose for a question's cases, by case name (encoded values). */
  sendInputs(question: string, inputs: Record<string, unknown>): void {
    this.send({ type: 'inputs', question, inputs });
  }

  /** Grading mode: one request to the kernel's evaluator (lib/grader/evaluate.ts); a kernel that does not answer in time is killed. */
  rpc(request: object, timeoutSeconds: number): Promise<RpcReply> {
    return new Promise<RpcReply>((resolve) => {
      if (!this.alive) { resolve({ ok: false, error: `KernelDied: ${this.exitReason}` }); return; }
      if (this.rpcPending) { resolve({ ok: false, error: 'one request at a time: the previous one has not been answered' }); return; }
      const id = ++this.rpcId;
      const timer = setTimeout(() => { this.kill(); finish({ ok: false, error: `TimeoutError: no answer within ${timeoutSeconds.toFixed(0)} s` }); }, timeoutSeconds * 1000);
      const finish = (reply: RpcReply) => { clearTimeout(timer); this.rpcPending = null; resolve(reply); };
      this.rpcPending = finish;
      this.send({ type: 'rpc', id, request });
    });
  }

  kill(): void {
    if (this.child && this.child.exitCode == null && this.child.signalCode == null) this.child.kill('SIGKILL');
  }
}
