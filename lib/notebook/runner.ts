/**
 * Headless notebook execution through tslab's own compiler and display path.
 *
 * Each notebook runs in a fresh child process (lib/notebook/kernelWorker.ts) with the notebook's
 * folder as working directory, like a Jupyter kernel. Cells run in order; outputs (streams,
 * display_data with PNG/HTML, errors) are written back into the notebook. A cell that fails or
 * runs past the per-cell time limit stops the run: the result names the cell and the message.
 */
import { fork, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Notebook, Output, CodeCell, readNotebook, writeNotebook, sourceText, toLines, DisplayDataOutput, StreamOutput } from './nbformat';
import { projectPath } from '../runtime/paths';

export interface RunOptions {
  /** Seconds one cell may run (default: CVKIT_CELL_TIMEOUT or 900). */
  cellTimeoutSeconds?: number;
  /** Extra environment for the kernel process (e.g. CVKIT_QUICK=1). */
  env?: Record<string, string>;
  /** Text output kept per cell, in bytes (default 1 MB); the rest is replaced by a note. */
  maxOutputBytes?: number;
  /** Called as each cell starts and ends. */
  onCell?: (event: { index: number; executionCount: number; phase: 'start' | 'end'; ok?: boolean; seconds?: number }) => void;
}

export interface CellFailure {
  /** Index of the cell in the notebook (0-based, markdown included). */
  index: number;
  /** Its execution count ("In [n]"). */
  executionCount: number;
  message: string;
  timedOut: boolean;
}

export interface RunResult {
  ok: boolean;
  notebook: Notebook;
  failure?: CellFailure;
  seconds: number;
  cellSeconds: { index: number; seconds: number }[];
}

type WorkerMessage =
  | { type: 'ready' }
  | { type: 'fatal'; error: string }
  | { type: 'stream'; index: number; name: 'stdout' | 'stderr'; text: string }
  | { type: 'display'; index: number; data: Record<string, unknown>; metadata: Record<string, unknown>; displayId?: string; update: boolean }
  | { type: 'done'; index: number; ok: boolean; error?: string };

const WORKER = () => projectPath('dist', 'lib', 'notebook', 'kernelWorker.js');

function textBytes(outputs: Output[]): number {
  let n = 0;
  for (const o of outputs) if (o.output_type === 'stream') n += (o.text as string).length;
  return n;
}

/** Collects one cell's outputs the way Jupyter's front end does. */
class CellOutputs {
  readonly outputs: Output[] = [];
  private readonly byDisplayId = new Map<string, DisplayDataOutput>();
  private truncated = false;
  constructor(private readonly maxBytes: number) {}

  stream(name: 'stdout' | 'stderr', text: string): void {
    if (this.truncated) return;
    if (textBytes(this.outputs) + text.length > this.maxBytes) {
      this.truncated = true;
      text = text.slice(0, Math.max(0, this.maxBytes - textBytes(this.outputs))) + `\n[output truncated at ${this.maxBytes} bytes]\n`;
    }
    const last = this.outputs[this.outputs.length - 1];
    if (last && last.output_type === 'stream' && last.name === name) last.text = (last.text as string) + text;
    else this.outputs.push({ output_type: 'stream', name, text });
  }

  display(data: Record<string, unknown>, metadata: Record<string, unknown>, displayId: string | undefined, update: boolean): void {
    const existing = displayId ? this.byDisplayId.get(displayId) : undefined;
    if (update && existing) {
      existing.data = data;
      existing.metadata = metadata;
      return;
    }
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

/** The exception's first line, as tslab prints it to stderr. */
function errorName(message: string): { ename: string; evalue: string } {
  // tslab reports type errors as "line:col - message" and does not run the cell.
  if (/^\d+:\d+ - /.test(message.trim())) return { ename: 'CompileError', evalue: message.trim() };
  const m = /^(\w*Error|\w*Exception)(?::\s*)?([\s\S]*)$/.exec(message.trim());
  return m ? { ename: m[1], evalue: message.trim() } : { ename: 'Error', evalue: message.trim() };
}

/** Runs every code cell of `notebook` (in memory) and returns it with outputs. */
export async function executeNotebookObject(notebook: Notebook, notebookDir: string, options: RunOptions = {}): Promise<RunResult> {
  const start = Date.now();
  const timeoutSeconds = options.cellTimeoutSeconds ?? Number(process.env.CVKIT_CELL_TIMEOUT ?? 900);
  const maxBytes = options.maxOutputBytes ?? 1024 * 1024;
  const worker = WORKER();
  if (!fs.existsSync(worker)) throw new Error(`${worker} is missing: run \`npm run build\` first`);
  const child: ChildProcess = fork(worker, [], {
    cwd: notebookDir,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const cellSeconds: { index: number; seconds: number }[] = [];
  let collector: CellOutputs | null = null;
  let pending: { resolve: (m: { ok: boolean; error?: string; exited?: string }) => void } | null = null;
  let exitReason: string | null = null;

  const readyPromise = new Promise<void>((resolve, reject) => {
    child.on('message', (message: WorkerMessage) => {
      switch (message.type) {
        case 'ready': resolve(); break;
        case 'fatal': reject(new Error(`kernel failed to start: ${message.error}`)); break;
        case 'stream': collector?.stream(message.name, message.text); break;
        case 'display': collector?.display(message.data, message.metadata, message.displayId, message.update); break;
        case 'done': pending?.resolve({ ok: message.ok, error: message.error }); break;
      }
    });
    child.on('exit', (code, signal) => {
      exitReason = `kernel process exited (${signal ?? `code ${code}`})`;
      reject(new Error(exitReason));
      pending?.resolve({ ok: false, exited: exitReason });
    });
  });

  let failure: CellFailure | undefined;
  try {
    await readyPromise;
    let count = 0;
    for (let index = 0; index < notebook.cells.length; index++) {
      const cell = notebook.cells[index];
      if (cell.cell_type !== 'code') continue;
      const code = cell as CodeCell;
      const executionCount = ++count;
      const source = sourceText(code);
      collector = new CellOutputs(maxBytes);
      options.onCell?.({ index, executionCount, phase: 'start' });
      const cellStart = Date.now();
      let timedOut = false;
      const result = await new Promise<{ ok: boolean; error?: string; exited?: string }>((resolve) => {
        const timer = setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, timeoutSeconds * 1000);
        pending = { resolve: (m) => { clearTimeout(timer); resolve(m); } };
        if (source.trim() === '') pending.resolve({ ok: true });
        else child.send({ type: 'execute', index, source });
      });
      const seconds = (Date.now() - cellStart) / 1000;
      cellSeconds.push({ index, seconds });
      let message = result.error ?? '';
      if (timedOut) message = `TimeoutError: cell ${index} (In [${executionCount}]) ran longer than ${timeoutSeconds} s and was stopped`;
      else if (result.exited) message = `KernelDied: ${result.exited} while running cell ${index} (In [${executionCount}])`;
      if (!result.ok) {
        const { ename, evalue } = errorName(message);
        collector.error(timedOut ? 'TimeoutError' : result.exited ? 'KernelDied' : ename, evalue);
      }
      code.outputs = collector.finish();
      code.execution_count = executionCount;
      options.onCell?.({ index, executionCount, phase: 'end', ok: result.ok, seconds });
      if (!result.ok) {
        failure = { index, executionCount, message: message.split('\n').slice(0, 12).join('\n'), timedOut };
        break;
      }
    }
  } catch (err) {
    failure = failure ?? { index: -1, executionCount: 0, message: (err as Error).message, timedOut: false };
  } finally {
    if (child.exitCode == null && child.signalCode == null) child.kill('SIGKILL');
  }
  return { ok: failure == null, notebook, failure, seconds: (Date.now() - start) / 1000, cellSeconds };
}

/** Reads, executes and (unless outputPath is null) writes a notebook. Default output: in place. */
export async function executeNotebook(notebookPath: string, options: RunOptions & { outputPath?: string | null } = {}): Promise<RunResult> {
  const notebook = readNotebook(notebookPath);
  for (const cell of notebook.cells) if (cell.cell_type === 'code') { cell.outputs = []; cell.execution_count = null; }
  const result = await executeNotebookObject(notebook, path.dirname(path.resolve(notebookPath)), options);
  const out = options.outputPath === undefined ? notebookPath : options.outputPath;
  if (out) {
    fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    writeNotebook(out, result.notebook);
  }
  return result;
}
