/**
 * Grading: one submission (`grade`), or a batch with a worker pool (`gradeBatch`).
 *
 * Each submission runs in its own fresh kernel process, in its own temporary work folder, inside the
 * sandbox (lib/grader/sandbox.ts), with a per-cell and a per-submission time limit, a memory cap on
 * the process tree and output limits. Cells run in the assignment's order (lib/grader/merge.ts);
 * right after each test cell the question's hidden tests run in the same kernel, so they see the
 * notebook's state at that question, not at the end. A cell that hangs or kills the kernel costs
 * that cell only: the kernel is restarted and the cells before it replayed.
 *
 * Scores come from the structured reports of the test helpers (lib/grader/testkit.ts), checked
 * against the manifest: a test counts only if it is in the manifest, its phase (test cell or hidden
 * tests) finished, and every report of it in that phase passed. Printed numbers count for nothing.
 *
 * Results follow Gradescope's results.json shape. The gradebook is a folder: results/<student>.json
 * written atomically after the graded notebook and the feedback page, so a kill -9 loses at most the
 * submissions in flight and a re-run grades exactly those (finished ones are kept when the
 * submission and the assignment are unchanged).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CodeCell, Notebook, NotebookFormatError, notebookFromValue, serializeNotebook, sourceText } from '../notebook/nbformat';
import { Kernel, TestReport } from '../notebook/kernel';
import { Assignment, Manifest, loadAssignment, makeRelease, sourceHash } from './assignment';
import { mergeSubmission } from './merge';
import { nbgraderOf, roleOf } from './metadata';
import { sandboxPlan, SandboxPlan } from './sandbox';
import { projectRoot } from '../runtime/paths';
import { feedbackHtml } from './report';

export interface GradeOptions {
  /** Overrides of the assignment's limits. */
  cellTimeoutSeconds?: number;
  submissionTimeoutSeconds?: number;
  memoryMB?: number;
  /** Folders the submission must not see besides the assignments (gradebook, submissions). */
  hide?: string[];
  /** Largest submission file accepted, in MB (default 20). */
  maxSubmissionMB?: number;
  /** Kernel restarts allowed after a cell hangs or kills it (default 8; the submission time limit bounds them too). */
  maxRestarts?: number;
  /** Called with a line of progress. */
  log?: (line: string) => void;
}

export interface TestEntry {
  name: string;
  question: string;
  score: number;
  max_score: number;
  status: 'passed' | 'failed' | 'pending';
  visibility: 'visible' | 'hidden' | 'after_published';
  output: string;
}

export interface GradeResult {
  score: number;
  max_score: number;
  /** Autograded points only (manual questions excluded). */
  autograded_max_score: number;
  output: string;
  tests: TestEntry[];
  execution_time: number;
  student: string;
  assignment: string;
  status: 'graded' | 'rejected';
  submission_sha256: string;
  source_hash: string;
  sandbox: string;
  graded_at: string;
}

interface Phase { question: string; hidden: boolean; ok: boolean; error?: string; reports: TestReport[] }

const sha256 = (data: Buffer | string) => crypto.createHash('sha256').update(data).digest('hex');

/** A submission's bytes as a notebook, without trusting them; throws NotebookFormatError with a clear message. */
export function parseSubmission(bytes: Buffer, maxMB = 20): Notebook {
  if (bytes.length > maxMB * 1048576) throw new NotebookFormatError(`the file is ${(bytes.length / 1048576).toFixed(1)} MB, over the ${maxMB} MB limit for a submission (clear the outputs and submit again)`, ['too large']);
  const text = bytes.toString('utf8');
  if (text.includes('\u0000') || text.includes('\uFFFD')) throw new NotebookFormatError('the file is not a notebook (binary data, not UTF-8 JSON)', ['binary']);
  let value: unknown;
  try { value = JSON.parse(text); } catch (err) { throw new NotebookFormatError(`the file is not JSON: ${(err as Error).message}`, ['not JSON']); }
  const v = value as { nbformat?: unknown };
  if (v && typeof v === 'object' && typeof v.nbformat === 'number' && v.nbformat !== 4) {
    throw new NotebookFormatError(`the notebook is nbformat ${v.nbformat}; save it as nbformat 4 (any current Jupyter does)`, ['nbformat']);
  }
  return notebookFromValue(value, 'the submission');
}

/** Runs the merged notebook with the assignment's hidden tests; returns the phases of every question. */
async function runGraded(a: Assignment, nb: Notebook, plan: SandboxPlan, workDir: string, notes: string[], o: Required<Pick<GradeOptions, 'cellTimeoutSeconds' | 'submissionTimeoutSeconds' | 'memoryMB' | 'maxRestarts'>>): Promise<Phase[]> {
  const phases: Phase[] = [];
  const deadline = Date.now() + o.submissionTimeoutSeconds * 1000;
  const env = { HOME: workDir, TMPDIR: workDir, CVKIT_QUICK: '1', CVKIT_THREADS: '1', CVKIT_PROGRESS: '0', CVKIT_GRADING: '1', LANG: 'C.UTF-8' };
  const start = () => Kernel.start({ cwd: workDir, env, inheritEnv: false, nodeArgs: plan.nodeArgs, wrapper: plan.wrapper, memoryLimitMB: o.memoryMB, secure: true, maxOutputBytes: 256 * 1024, maxDisplayBytes: 4 * 1048576 });
  let kernel: Kernel | null = null;
  let restarts = 0;
  const replay: { index: number; source: string }[] = [];
  const remaining = () => Math.max(1, Math.min(o.cellTimeoutSeconds, (deadline - Date.now()) / 1000));
  let stopped: string | null = null;

  const ensureKernel = async (): Promise<boolean> => {
    if (kernel?.alive) return true;
    if (kernel) {
      if (restarts >= o.maxRestarts) { stopped = `the kernel was restarted ${restarts} times; the remaining cells were not run`; return false; }
      restarts++;
    }
    try {
      kernel = await start();
    } catch (err) {
      stopped = `the kernel could not start: ${(err as Error).message}`;
      return false;
    }
    for (const r of replay) {
      if (Date.now() > deadline) { stopped = `the submission ran past its ${o.submissionTimeoutSeconds} s limit`; return false; }
      const res = await kernel.execute(r.index, r.source, remaining());
      if (!kernel.alive || res.timedOut) { stopped = `replaying cell ${r.index} after a restart failed: ${res.error}`; return false; }
    }
    return true;
  };

  let count = 0;
  try {
    for (let index = 0; index < nb.cells.length; index++) {
      const cell = nb.cells[index];
      if (cell.cell_type !== 'code') continue;
      count++;
      const code = cell as CodeCell;
      const role = roleOf(cell);
      const id = nbgraderOf(cell)?.grade_id;
      if (!stopped && Date.now() > deadline) stopped = `the submission ran past its ${o.submissionTimeoutSeconds} s limit; the remaining cells were not run`;
      if (!stopped) await ensureKernel();
      if (stopped) {
        code.outputs = [{ output_type: 'error', ename: 'NotRun', evalue: stopped, traceback: [stopped] }];
        if (role === 'tests') phases.push({ question: id!, hidden: false, ok: false, error: stopped, reports: [] });
        continue;
      }
      const source = sourceText(code);
      const res = await kernel!.execute(index, source, remaining());
      code.outputs = res.outputs;
      code.execution_count = count;
      if (res.timedOut || res.exited) {
        notes.push(`cell ${index}${id ? ` ('${id}')` : ''}: ${res.error}; the kernel was restarted and the cells before it run again`);
      } else {
        replay.push({ index, source });
      }
      if (role === 'tests' && id) {
        phases.push({ question: id, hidden: false, ok: res.ok, error: res.ok ? undefined : res.error, reports: res.reports });
        const hidden = a.hidden.get(id);
        if (hidden != null) {
          if (!(await ensureKernel())) { phases.push({ question: id, hidden: true, ok: false, error: stopped ?? 'not run', reports: [] }); continue; }
          const h = await kernel!.execute(index, hidden, remaining(), { hidden: true });
          // Hidden tests' outputs are never kept; only whether they ran and what they reported.
          phases.push({ question: id, hidden: true, ok: h.ok, error: h.ok ? undefined : h.error, reports: h.reports });
          if (h.timedOut || h.exited) notes.push(`hidden tests of '${id}': ${h.timedOut ? 'time limit' : h.exited}; the kernel was restarted`);
        }
      }
    }
  } finally {
    (kernel as Kernel | null)?.kill();
  }
  if (stopped) notes.push(stopped);
  return phases;
}

/** The manifest's view of a run: one entry per test, scored. */
function score(a: Assignment, manifest: Manifest, phases: Phase[]): TestEntry[] {
  const tests: TestEntry[] = [];
  for (const cell of a.source.cells) {
    const m = nbgraderOf(cell);
    if (!m) continue;
    const role = roleOf(cell);
    if (role === 'manual' || role === 'task') {
      tests.push({ name: `${m.grade_id}: graded by hand`, question: m.grade_id, score: 0, max_score: Number(m.points), status: 'pending', visibility: 'visible', output: 'This question is graded by a teaching assistant.' });
      continue;
    }
    if (role !== 'tests') continue;
    const q = manifest.questions[m.grade_id];
    if (!q) throw new Error(`the manifest has no question '${m.grade_id}': run \`cvkit assign\` again`);
    const all = [...q.public.map((t) => ({ ...t, hidden: false })), ...q.hidden.map((t) => ({ ...t, hidden: true }))];
    const weight = all.reduce((s, t) => s + t.points, 0);
    for (const t of all) {
      const phase = phases.find((p) => p.question === m.grade_id && p.hidden === t.hidden);
      const max = (q.points * t.points) / weight;
      let passed = false;
      let output: string;
      if (!phase) output = 'not run';
      else if (!phase.ok && t.hidden) {
        // The raw error could quote hidden test code: say only what kind of failure it was.
        const e = phase.error ?? '';
        output = /^TimeoutError/.test(e) ? 'the hidden tests ran past the time limit' : /^KernelDied/.test(e) ? 'the kernel died during the hidden tests'
          : /^NotRun|not run|could not start|restarted/.test(e) ? e.split('\n')[0] : 'the hidden tests could not run against this notebook (a name or signature they use is missing or changed)';
      } else if (!phase.ok) output = phase.error?.split('\n').slice(0, 3).join('\n') ?? 'the test cell failed';
      else {
        const reports = phase.reports.filter((r) => r.question === m.grade_id);
        const last = reports[reports.length - 1]?.results.find((r) => r.name === t.name);
        const every = reports.flatMap((r) => r.results.filter((x) => x.name === t.name));
        passed = !!last && every.every((r) => r.passed);
        output = passed ? '' : last ? (every.find((r) => !r.passed)?.message || 'failed') : 'the test did not report (the test helpers were interfered with, or the cell stopped early)';
      }
      tests.push({
        name: `${m.grade_id}: ${t.name}`, question: m.grade_id, score: passed ? max : 0, max_score: max,
        status: passed ? 'passed' : 'failed', visibility: t.hidden ? 'after_published' : 'visible', output,
      });
    }
  }
  return tests;
}

/** The manifest a run of the source notebook implies (used by `assign`). */
export function manifestFromPhases(a: Assignment, phases: Phase[]): Manifest {
  const questions: Manifest['questions'] = {};
  for (const cell of a.source.cells) {
    const m = nbgraderOf(cell);
    if (!m || roleOf(cell) !== 'tests') continue;
    const pick = (hidden: boolean) => {
      const phase = phases.find((p) => p.question === m.grade_id && p.hidden === hidden);
      const report = phase?.reports.filter((r) => r.question === m.grade_id).pop();
      if (!report && (!hidden || a.hidden.has(m.grade_id))) throw new Error(`question '${m.grade_id}': the ${hidden ? 'hidden tests' : 'test cell'} reported no tests${phase?.error ? ` (${phase.error.split('\n')[0]})` : ''}`);
      return (report?.results ?? []).map((r) => ({ name: r.name, points: r.points }));
    };
    questions[m.grade_id] = { points: Number(m.points), public: pick(false), hidden: pick(true) };
  }
  return { questions, sourceHash: sourceHash(a) };
}

let warned = false;

/** Grades one notebook object. Returns the result (without student name) and the graded notebook. */
export async function gradeNotebook(a: Assignment, submission: Notebook, options: GradeOptions & { manifest?: Manifest | null } = {}): Promise<{ result: Omit<GradeResult, 'student' | 'submission_sha256'>; notebook: Notebook; phases: Phase[] }> {
  const started = Date.now();
  const release = makeRelease(a.source);
  const { notebook, notes } = mergeSubmission(a.source, release, submission);
  const workRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'cvkit-grade-'));
  try {
    const root = projectRoot();
    for (const link of ['dist', 'node_modules', 'datasets']) fs.symlinkSync(path.join(root, link), path.join(workRoot, link));
    // Same depth as assignments/<id>/release/, so the notebook's relative imports (../../../dist/lib) resolve.
    const workDir = path.join(workRoot, 'assignments', a.config.id, 'release');
    fs.mkdirSync(workDir, { recursive: true });
    const plan = sandboxPlan(workRoot, [path.join(root, 'assignments'), ...(options.hide ?? [])], options.memoryMB ?? a.config.memoryMB);
    if (plan.warning && !warned) { warned = true; console.error(`\n${plan.warning}\n`); }
    const phases = await runGraded(a, notebook, plan, workDir, notes, {
      cellTimeoutSeconds: options.cellTimeoutSeconds ?? a.config.cellTimeoutSeconds,
      submissionTimeoutSeconds: options.submissionTimeoutSeconds ?? a.config.submissionTimeoutSeconds,
      memoryMB: options.memoryMB ?? a.config.memoryMB,
      maxRestarts: options.maxRestarts ?? 8,
    });
    const manifest = options.manifest === undefined ? a.manifest : options.manifest;
    const tests = score(a, manifest ?? manifestFromPhases(a, phases), phases);
    const auto = tests.filter((t) => t.status !== 'pending');
    const result = {
      score: round(auto.reduce((s, t) => s + t.score, 0)),
      max_score: round(tests.reduce((s, t) => s + t.max_score, 0)),
      autograded_max_score: round(auto.reduce((s, t) => s + t.max_score, 0)),
      output: [plan.warning ? 'Graded without the bubblewrap sandbox.' : '', ...notes].filter(Boolean).join('\n'),
      tests: tests.map((t) => ({ ...t, score: round(t.score), max_score: round(t.max_score) })),
      execution_time: round((Date.now() - started) / 1000),
      assignment: a.config.id, status: 'graded' as const,
      source_hash: sourceHash(a), sandbox: plan.kind, graded_at: new Date().toISOString(),
    };
    return { result, notebook, phases };
  } finally {
    fs.rmSync(workRoot, { recursive: true, force: true });
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000;

function rejected(a: Assignment, student: string, sha: string, message: string): GradeResult {
  const maxScore = a.source.cells.reduce((s, c) => s + (nbgraderOf(c) && ['tests', 'manual', 'task'].includes(roleOf(c)) ? Number(nbgraderOf(c)!.points) : 0), 0);
  return {
    score: 0, max_score: maxScore, autograded_max_score: maxScore, output: `Not graded: ${message}`, tests: [], execution_time: 0,
    student, assignment: a.config.id, status: 'rejected', submission_sha256: sha, source_hash: sourceHash(a), sandbox: 'none', graded_at: new Date().toISOString(),
  };
}

/** Grades one submission file: the one-call API (`grade(assignment, file)`). */
export async function grade(assignment: string | Assignment, submissionPath: string, options: GradeOptions & { student?: string } = {}): Promise<GradeResult & { notebook?: Notebook }> {
  const a = typeof assignment === 'string' ? loadAssignment(assignment) : assignment;
  const student = options.student ?? studentId(submissionPath, a.config.id);
  let sha = '';
  try {
    const bytes = fs.readFileSync(submissionPath);
    sha = sha256(bytes);
    const notebook = parseSubmission(bytes, options.maxSubmissionMB);
    const { result, notebook: graded } = await gradeNotebook(a, notebook, { ...options, hide: [...(options.hide ?? []), path.dirname(path.resolve(submissionPath))] });
    return { ...result, student, submission_sha256: sha, notebook: graded };
  } catch (err) {
    if (err instanceof NotebookFormatError || (err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EISDIR') {
      return rejected(a, student, sha, err instanceof NotebookFormatError ? err.message : `cannot read ${submissionPath}: ${(err as Error).message}`);
    }
    throw err;
  }
}

/** Student id from a path: nbgrader's submitted/<student>/<assignment>/<file>.ipynb, else the file name. */
export function studentId(file: string, assignmentId: string): string {
  const parts = path.resolve(file).split(path.sep);
  const name = parts[parts.length - 1].replace(/\.[^.]*$/, '');
  if (parts.length >= 3 && parts[parts.length - 2] === assignmentId) return parts[parts.length - 3];
  return name.replace(/[^A-Za-z0-9_.@-]/g, '_') || 'unnamed';
}

/** Expands files and folders into submission files (folders: every .ipynb below them). */
export function collectSubmissions(paths: string[], assignmentId: string): { student: string; path: string }[] {
  const files: string[] = [];
  const walk = (p: string) => {
    const st = fs.statSync(p);
    if (st.isDirectory()) {
      for (const e of fs.readdirSync(p).sort()) if (e !== '.ipynb_checkpoints') {
        const q = path.join(p, e);
        if (fs.statSync(q).isDirectory() || e.endsWith('.ipynb')) walk(q);
      }
    } else files.push(p);
  };
  for (const p of paths) {
    if (!fs.existsSync(p)) throw new Error(`${p}: no such file or folder`);
    walk(p);
  }
  const seen = new Map<string, number>();
  return files.map((f) => {
    let s = studentId(f, assignmentId);
    const n = (seen.get(s) ?? 0) + 1;
    seen.set(s, n);
    if (n > 1) s = `${s}-${n}`;
    return { student: s, path: f };
  });
}

export interface BatchOptions extends GradeOptions {
  jobs?: number;
  /** Gradebook folder (default out/grading/<assignment>). */
  out?: string;
  /** Grade again even when a result for the same submission exists. */
  force?: boolean;
}

export function gradebookDir(a: Assignment, out?: string): string {
  return path.resolve(out ?? path.join(projectRoot(), 'out', 'grading', a.config.id));
}

function writeAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  const fd = fs.openSync(tmp, 'w');
  fs.writeSync(fd, text);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
}

/** Grades many submissions with `jobs` kernels at a time; resumable (see the header). Entries of submissions the grader itself failed on are missing from the result (see the log). */
export async function gradeBatch(assignment: string | Assignment, submissions: { student: string; path: string }[], options: BatchOptions = {}): Promise<GradeResult[]> {
  const a = typeof assignment === 'string' ? loadAssignment(assignment) : assignment;
  if (!a.manifest || a.manifest.sourceHash !== sourceHash(a)) throw new Error(`the manifest of '${a.config.id}' is missing or older than the source: run \`cvkit assign ${a.config.id}\``);
  const out = gradebookDir(a, options.out);
  const log = options.log ?? ((line: string) => console.log(line));
  const jobs = Math.max(1, Math.floor(options.jobs ?? 1));
  const hide = [out, ...submissions.map((s) => path.dirname(path.resolve(s.path))), ...(options.hide ?? [])];
  const results: GradeResult[] = new Array(submissions.length);
  const failed: string[] = [];
  const started = Date.now();
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < submissions.length) {
      const i = next++;
      const s = submissions[i];
      const resultFile = path.join(out, 'results', `${s.student}.json`);
      const sha = fs.existsSync(s.path) ? sha256(fs.readFileSync(s.path)) : '';
      if (!options.force && fs.existsSync(resultFile)) {
        try {
          const old = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as GradeResult;
          if (old.submission_sha256 === sha && old.source_hash === a.manifest!.sourceHash) {
            results[i] = old;
            log(`  [${++done}/${submissions.length}] ${s.student}: ${old.score}/${old.max_score} (already graded)`);
            continue;
          }
        } catch { /* a damaged result is graded again */ }
      }
      let r: GradeResult & { notebook?: Notebook };
      try {
        r = await grade(a, s.path, { ...options, student: s.student, hide });
      } catch (err) {
        // A fault of the grader itself (not of the submission): say so, keep going, and write no
        // result so that the next run grades this submission again.
        failed.push(s.student);
        log(`  [${++done}/${submissions.length}] ${s.student}: NOT GRADED, grader error: ${(err as Error).message.split('\n')[0]} (run again to retry)`);
        continue;
      }
      const { notebook, ...result } = r;
      if (notebook) writeAtomic(path.join(out, 'graded', `${s.student}.ipynb`), serializeNotebook(notebook));
      writeAtomic(path.join(out, 'feedback', `${s.student}.html`), feedbackHtml(result, notebook ?? null, a));
      writeAtomic(resultFile, JSON.stringify(result, null, 1) + '\n');
      results[i] = result;
      const problems = result.tests.filter((t) => t.status === 'failed').length;
      log(`  [${++done}/${submissions.length}] ${s.student}: ${result.score}/${result.max_score}${result.status === 'rejected' ? ` (rejected: ${result.output.replace(/^Not graded: /, '')})` : problems ? ` (${problems} test(s) failed)` : ''} in ${result.execution_time.toFixed(1)} s`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, submissions.length) }, worker));
  if (failed.length) log(`WARNING: ${failed.length} submission(s) were not graded because of grader errors: ${failed.join(', ')}`);
  log(`graded ${submissions.length - failed.length} submission(s) in ${((Date.now() - started) / 1000).toFixed(1)} s with ${jobs} job(s); gradebook: ${out}`);
  return results.filter((r) => r != null);
}

export type { Phase };
export { writeAtomic, sha256 };
