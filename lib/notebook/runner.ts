/**
 * Headless notebook execution through tslab's own compiler and display path.
 *
 * Each notebook runs in a fresh child process (lib/notebook/kernelWorker.ts) with the notebook's
 * folder as working directory, like a Jupyter kernel. Cells run in order; outputs (streams,
 * display_data with PNG/HTML, errors) are written back into the notebook. A cell that fails or
 * runs past the per-cell time limit stops the run (the result names the cell and the message), unless
 * `keepGoing`: then every cell runs (a kernel that died is restarted) and every failure is listed, so
 * one unfinished answer does not hide the feedback of the questions after it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Notebook, CodeCell, readNotebook, writeNotebook, sourceText } from './nbformat';
import { Kernel, FeedbackReport } from './kernel';

export interface RunOptions {
  /** Seconds one cell may run (default: CVKIT_CELL_TIMEOUT or 900). */
  cellTimeoutSeconds?: number;
  /** Extra environment for the kernel process (e.g. CVKIT_QUICK=1). */
  env?: Record<string, string>;
  /** Text output kept per cell, in bytes (default 1 MB); the rest is replaced by a note. */
  maxOutputBytes?: number;
  /** Run every cell even after one fails (restarting a kernel that died); list all failures. */
  keepGoing?: boolean;
  /** A kernel plugin module (absolute path), e.g. the check plugin of `cvkit run --check`. */
  plugin?: string;
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
  /** The first failure. */
  failure?: CellFailure;
  /** Every failure (more than one only with keepGoing). */
  failures: CellFailure[];
  /** With the check plugin: each test cell's results, by cell index. */
  feedback: { index: number; report: FeedbackReport }[];
  seconds: number;
  cellSeconds: { index: number; seconds: number }[];
}

/** Runs every code cell of `notebook` (in memory) and returns it with outputs. */
export async function executeNotebookObject(notebook: Notebook, notebookDir: string, options: RunOptions = {}): Promise<RunResult> {
  const start = Date.now();
  const timeoutSeconds = options.cellTimeoutSeconds ?? Number(process.env.CVKIT_CELL_TIMEOUT ?? 900);
  const cellSeconds: { index: number; seconds: number }[] = [];
  const failures: CellFailure[] = [];
  const feedback: { index: number; report: FeedbackReport }[] = [];
  let kernel: Kernel | null = null;
  const replay: { index: number; source: string }[] = [];
  const start1 = () => Kernel.start({ cwd: notebookDir, env: options.env, maxOutputBytes: options.maxOutputBytes, plugin: options.plugin });
  try {
    kernel = await start1();
    let count = 0;
    for (let index = 0; index < notebook.cells.length; index++) {
      const cell = notebook.cells[index];
      if (cell.cell_type !== 'code') continue;
      const code = cell as CodeCell;
      const executionCount = ++count;
      if (!kernel.alive) {
        // keepGoing after a cell killed the kernel: a new one, with the cells that worked run again (silently).
        kernel = await start1();
        for (const r of replay) await kernel.execute(r.index, r.source, timeoutSeconds);
      }
      options.onCell?.({ index, executionCount, phase: 'start' });
      const result = await kernel.execute(index, sourceText(code), timeoutSeconds);
      cellSeconds.push({ index, seconds: result.seconds });
      code.outputs = result.outputs;
      code.execution_count = executionCount;
      for (const report of result.feedback) feedback.push({ index, report });
      if (result.ok) replay.push({ index, source: sourceText(code) });
      options.onCell?.({ index, executionCount, phase: 'end', ok: result.ok, seconds: result.seconds });
      if (!result.ok) {
        let message = result.error ?? '';
        if (result.timedOut) message = `TimeoutError: cell ${index} (In [${executionCount}]) ran longer than ${timeoutSeconds} s and was stopped`;
        else if (result.exited) message = `KernelDied: ${result.exited} while running cell ${index} (In [${executionCount}])`;
        failures.push({ index, executionCount, message: message.split('\n').slice(0, 12).join('\n'), timedOut: result.timedOut });
        if (!options.keepGoing) break;
      }
    }
  } catch (err) {
    failures.push({ index: -1, executionCount: 0, message: (err as Error).message, timedOut: false });
  } finally {
    kernel?.kill();
  }
  return { ok: failures.length === 0, notebook, failure: failures[0], failures, feedback, seconds: (Date.now() - start) / 1000, cellSeconds };
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
