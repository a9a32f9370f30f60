/**
 * Grading one notebook: run it in a sandboxed kernel, collect the values its tests compute, and
 * score them here, in the grader's process (the batch, the gradebook and its files:
 * lib/grader/gradebook.ts).
 *
 * Trust model (docs/grading.md): student code owns the kernel process, so nothing there decides a
 * score. Test cells run with their `expect`s removed (lib/grader/strip.ts) and report the values
 * their cases computed; inputs the grader chooses come from a seed the kernel never sees
 * (lib/grader/inputs.ts); hidden tests run HERE and only call into the kernel for values
 * (lib/grader/remote.ts). Every value is compared with the reference solution's (recorded in the
 * manifest by `cvkit assign`) or judged against truth the grader holds. A kernel that lies can only
 * lie about values it computed — which is the same as computing them.
 *
 * Cells run in the assignment's order (lib/grader/merge.ts); hidden tests run right after their
 * question's test cell, against the notebook's state at that point. A cell that hangs or kills the
 * kernel costs that cell only: the kernel is restarted and the cells before it replayed.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CodeCell, Notebook, NotebookFormatError, notebookFromValue, sourceText, toLines } from '../notebook/nbformat';
import { Kernel, ValuesReport } from '../notebook/kernel';
import { Assignment, Manifest, ManifestTest, hiddenCasesOf, releaseOf, sourceHash } from './assignment';
import { mergeSubmission } from './merge';
import { nbgraderOf, roleOf } from './metadata';
import { sandboxPlan, SandboxPlan } from './sandbox';
import { stripExpectations } from './strip';
import { Remote, RemoteError, hiddenCaseList } from './remote';
import { compareValues, Verdict } from './compare';
import { Value, decodeValue, encodeValue, describeValue } from './values';
import { generateInput, Truth } from './inputs';
import { projectPath } from '../runtime/paths';
import { judge } from './judges';
import type { CaseMeta } from './testkit';

export interface GradeOptions {
  /** Overrides of the assignment's limits. */
  cellTimeoutSeconds?: number;
  submissionTimeoutSeconds?: number;
  memoryMB?: number;
  /** Kernel restarts allowed after a cell hangs or kills it (default 8; the submission time limit bounds them too). */
  maxRestarts?: number;
  /** Run without bubblewrap when it is missing (the caller accepts what that gives up: lib/grader/sandbox.ts). */
  allowUnsandboxed?: boolean;
  /** Secret that, with the submission, seeds the inputs the grader chooses (the gradebook keeps one). */
  inputSecret?: string;
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

/** Results in Gradescope's results.json shape, plus what the gradebook needs. */
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
  /** Where the submission was, relative to the folder it was collected from. */
  submission_path: string;
  submission_sha256: string;
  source_hash: string;
  sandbox: string;
  graded_at: string;
}

/** What one case of a question computed (decoded), or the error it raised. */
export interface CaseOutcome { value?: Value; error?: string; truth?: Truth; meta?: CaseMeta }

/** One test cell (public) or one question's hidden tests, as run. */
export interface Phase { question: string; hidden: boolean; ok: boolean; error?: string; cases: Map<string, CaseOutcome> }

type Limits = Required<Pick<GradeOptions, 'cellTimeoutSeconds' | 'submissionTimeoutSeconds' | 'memoryMB' | 'maxRestarts'>>;

export const sha256 = (data: Buffer | string) => crypto.createHash('sha256').update(data).digest('hex');
const round = (x: number) => Math.round(x * 1000) / 1000;
const firstLine = (s: string | undefined, max = 300) => { const l = (s ?? '').split('\n')[0]; return l.length > max ? l.slice(0, max) + '…' : l; };

/** Deepest nesting of a JSON value (iterative: a hostile file must not overflow the stack). */
export function jsonDepth(value: unknown, limit = 1000): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (d > max) max = d;
    if (max > limit) return max;
    if (v && typeof v === 'object') for (const x of Object.values(v as object)) if (x && typeof x === 'object') stack.push([x, d + 1]);
  }
  return max;
}

/** A submission's bytes as a notebook, without trusting them; throws NotebookFormatError with a clear message. */
export function parseSubmission(bytes: Buffer, maxMB = 20): Notebook {
  if (bytes.length > maxMB * 1048576) throw new NotebookFormatError(`the file is ${(bytes.length / 1048576).toFixed(1)} MB, over the ${maxMB} MB limit for a submission (clear the outputs and submit again)`, ['too large']);
  const text = bytes.toString('utf8');
  if (text.includes('\u0000') || text.includes('\uFFFD')) throw new NotebookFormatError('the file is not a notebook (binary data, not UTF-8 JSON)', ['binary']);
  let value: unknown;
  try { value = JSON.parse(text); } catch (err) { throw new NotebookFormatError(`the file is not JSON: ${(err as Error).message}`, ['not JSON']); }
  const depth = jsonDepth(value, 100);
  if (depth > 100) throw new NotebookFormatError(`the file's JSON is nested more than 100 levels deep (a notebook needs about 10); it was not graded`, ['too deep']);
  const v = value as { nbformat?: unknown };
  if (v && typeof v === 'object' && typeof v.nbformat === 'number' && v.nbformat !== 4) {
    throw new NotebookFormatError(`the notebook is nbformat ${v.nbformat}; save it as nbformat 4 (any current Jupyter does)`, ['nbformat']);
  }
  return notebookFromValue(value, 'the submission');
}

/** The seed of the inputs of one case: secret, stable for the same submission. */
function inputSeed(secret: string, submission: string, question: string, name: string): number {
  return crypto.createHmac('sha256', secret).update(`${submission}\0${question}\0${name}`).digest().readUInt32BE(0);
}

/** Merges a values report list into outcomes by case name (the last report of a name wins). */
function outcomesOf(question: string, reports: ValuesReport[]): Map<string, CaseOutcome> {
  const cases = new Map<string, CaseOutcome>();
  for (const report of reports) {
    if (report.question !== question) continue;
    for (const r of report.results) {
      let outcome: CaseOutcome;
      if (r.error !== undefined || r.value === undefined) outcome = { error: r.error ?? 'no value' };
      else {
        try { outcome = { value: decodeValue(r.value) }; } catch (err) { outcome = { error: `the value could not be read: ${(err as Error).message}` }; }
      }
      outcome.meta = r.meta as CaseMeta;
      cases.set(r.name, outcome);
    }
  }
  return cases;
}

interface RunContext {
  a: Assignment;
  manifest: Manifest | null;
  reference: boolean;
  plan: SandboxPlan;
  workDir: string;
  limits: Limits;
  secret: string;
  submissionId: string;
  notes: string[];
}

/** Runs the merged notebook and the hidden tests; returns the phases and the indexes of the test cells. */
async function runGraded(nb: Notebook, ctx: RunContext): Promise<{ phases: Phase[]; testCells: Map<number, string> }> {
  const { a, limits: o, notes } = ctx;
  const phases: Phase[] = [];
  const testCells = new Map<number, string>();
  const deadline = Date.now() + o.submissionTimeoutSeconds * 1000;
  const env = { HOME: ctx.workDir, TMPDIR: ctx.plan.kind === 'bwrap' ? '/tmp' : ctx.workDir, CVKIT_QUICK: '1', CVKIT_THREADS: '1', CVKIT_PROGRESS: '0', LANG: 'C.UTF-8' };
  const start = () => Kernel.start({
    cwd: ctx.workDir, env, inheritEnv: false, nodeArgs: ctx.plan.nodeArgs, wrapper: ctx.plan.wrapper, uid: ctx.plan.uid, gid: ctx.plan.gid,
    memoryLimitMB: o.memoryMB, plugin: projectPath('dist', 'lib', 'grader', 'kernelPlugin.js'), maxOutputBytes: 256 * 1024, maxDisplayBytes: 4 * 1048576,
  });
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

  const hiddenPhase = async (question: string): Promise<Phase> => {
    const phase: Phase = { question, hidden: true, ok: true, cases: new Map() };
    for (const { name, spec } of hiddenCaseList(hiddenCasesOf(a, question))) {
      if (!stopped && Date.now() > deadline) stopped = `the submission ran past its ${o.submissionTimeoutSeconds} s limit; the remaining tests were not run`;
      if (stopped || !(await ensureKernel())) { phase.cases.set(name, { error: `NotRun: ${stopped}` }); continue; }
      const k = kernel!;
      const remote = new Remote((request) => k.rpc(request, remaining()), (label) => inputSeed(ctx.secret, ctx.submissionId, question, `${name}\0${label}`));
      try {
        const value = await spec.value(remote);
        phase.cases.set(name, { value: decodeValue(encodeValue(value)) });
      } catch (err) {
        phase.cases.set(name, { error: err instanceof RemoteError ? err.message : `GraderError: the hidden test itself failed (tell your teacher): ${(err as Error).message}` });
      }
      if (k.alive) await remote.release().catch(() => undefined);
      else notes.push(`hidden test '${question}: ${name}': ${firstLine(phase.cases.get(name)?.error)}; the kernel was restarted`);
    }
    return phase;
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
        if (role === 'tests' && id) {
          testCells.set(index, id);
          phases.push({ question: id, hidden: false, ok: false, error: `NotRun: ${stopped}`, cases: new Map() });
          if (a.hidden.has(id)) phases.push(await hiddenPhase(id));
        }
        continue;
      }
      let source = sourceText(code);
      const truths = new Map<string, Truth>();
      if (role === 'tests' && id) {
        testCells.set(index, id);
        if (!ctx.reference) {
          source = stripExpectations(source);
          const inputs: Record<string, unknown> = {};
          for (const t of ctx.manifest?.questions[id]?.tests ?? []) {
            if (t.hidden || !t.input) continue;
            const g = generateInput(t.input, inputSeed(ctx.secret, ctx.submissionId, id, t.name));
            inputs[t.name] = encodeValue(g.input);
            truths.set(t.name, g.truth);
          }
          if (Object.keys(inputs).length) kernel!.sendInputs(id, inputs);
        }
      }
      const res = await kernel!.execute(index, source, remaining());
      code.outputs = res.outputs;
      code.execution_count = count;
      if (res.timedOut || res.exited) notes.push(`cell ${index}${id ? ` ('${id}')` : ''}: ${res.error}; the kernel was restarted and the cells before it run again`);
      else replay.push({ index, source });
      if (role === 'tests' && id) {
        const cases = outcomesOf(id, res.values);
        for (const [name, truth] of truths) { const c = cases.get(name); if (c) c.truth = truth; }
        phases.push({ question: id, hidden: false, ok: res.ok, error: res.ok ? undefined : res.error, cases });
        if (a.hidden.has(id)) phases.push(await hiddenPhase(id));
      }
    }
  } finally {
    (kernel as Kernel | null)?.kill();
  }
  if (stopped) notes.push(stopped);
  return { phases, testCells };
}

/** Why a case failed, in words a student can act on (hidden: never the reference's values). */
function failureOf(outcome: CaseOutcome | undefined, phase: Phase | undefined, hidden: boolean): string | null {
  if (!phase) return 'not run';
  if (outcome?.error !== undefined) {
    const e = outcome.error;
    if (/^(NotRun|KernelDied|TimeoutError|GraderError)/.test(e)) return firstLine(e);
    return `your code raised ${firstLine(e)}`;
  }
  if (!outcome) {
    if (!phase.ok) return hidden ? 'the hidden tests could not run' : `the test cell could not run: ${firstLine(phase.error)}`;
    return hidden ? 'not run' : 'the test cell did not report this test';
  }
  return null;
}

function verdictOf(t: ManifestTest, outcome: CaseOutcome | undefined, phase: Phase | undefined): Verdict {
  const failure = failureOf(outcome, phase, t.hidden);
  if (failure) return { passed: false, message: failure };
  const value = outcome!.value as Value;
  if (t.judge) {
    if (!outcome!.truth) return { passed: false, message: 'no input was sent for this test' };
    return judge(t.judge, value, outcome!.truth);
  }
  if (t.atLeast !== undefined || t.atMost !== undefined) {
    if (typeof value !== 'number' || Number.isNaN(value)) return { passed: false, message: `the test measured ${describeValue(value)}, not a number` };
    const ok = (t.atLeast === undefined || value >= t.atLeast) && (t.atMost === undefined || value <= t.atMost);
    const bar = t.atLeast !== undefined ? `at least ${t.atLeast}` : `at most ${t.atMost}`;
    return { passed: ok, message: ok ? '' : `measured ${round(value)}, needs ${bar}` };
  }
  if (t.expected === undefined) return { passed: false, message: 'the manifest has no reference value for this test: run `cvkit assign` again' };
  return compareValues(value, decodeValue(t.expected), t.compare, t.hidden);
}

/** Scores every test of the manifest (and the manual questions) from the phases of a run. */
export function score(a: Assignment, manifest: Manifest, phases: Phase[]): TestEntry[] {
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
    const weight = q.tests.reduce((s, t) => s + t.points, 0);
    for (const t of q.tests) {
      const phase = phases.find((p) => p.question === m.grade_id && p.hidden === t.hidden);
      const v = verdictOf(t, phase?.cases.get(t.name), phase);
      const max = (q.points * t.points) / weight;
      tests.push({
        name: `${m.grade_id}: ${t.name}`, question: m.grade_id, score: v.passed ? max : 0, max_score: max,
        status: v.passed ? 'passed' : 'failed', visibility: t.hidden ? 'after_published' : 'visible', output: v.passed ? (t.judge ? v.message : '') : v.message,
      });
    }
  }
  return tests;
}

/**
 * The manifest a reference run of the source implies (`cvkit assign`): every case, its weight and
 * how it is judged, and the solution's value as the expected one. Throws, naming the case, when a
 * case cannot be graded: an assertion-style case, an `expect` that disagrees with the solution, a
 * hidden test that fails on the solution.
 */
export function manifestFromReference(a: Assignment, phases: Phase[]): Manifest {
  const questions: Manifest['questions'] = {};
  const problems: string[] = [];
  for (const cell of a.source.cells) {
    const m = nbgraderOf(cell);
    if (!m || roleOf(cell) !== 'tests') continue;
    const id = m.grade_id;
    const tests: ManifestTest[] = [];
    const pub = phases.find((p) => p.question === id && !p.hidden);
    if (!pub || pub.cases.size === 0) problems.push(`${id}: the test cell reported no tests${pub?.error ? ` (${firstLine(pub.error)})` : ''}`);
    for (const [name, c] of pub?.cases ?? []) {
      const meta = c.meta;
      if (!meta) { problems.push(`${id}: '${name}' reported no description`); continue; }
      if (meta.style !== 'value') { problems.push(`${id}: '${name}' is an assertion; graded cases compute a value: { value: () => ..., expect: ... }`); continue; }
      if (c.error !== undefined) { problems.push(`${id}: '${name}' raised on the solution: ${firstLine(c.error)}`); continue; }
      const t: ManifestTest = { name, points: meta.points, hidden: false, compare: meta.compare };
      if (meta.input || meta.judge) {
        if (!meta.input || !meta.judge) { problems.push(`${id}: '${name}' needs both an input and a judge`); continue; }
        t.input = meta.input;
        t.judge = meta.judge;
      } else {
        if (!meta.selfCheck) problems.push(`${id}: '${name}' has no expect`);
        else if (!meta.selfCheck.passed) problems.push(`${id}: '${name}': the solution's value does not meet the case's own expect: ${meta.selfCheck.message}`);
        t.expected = encodeValue(c.value);
      }
      tests.push(t);
    }
    if (a.hidden.has(id)) {
      const hidden = phases.find((p) => p.question === id && p.hidden);
      for (const { name, spec } of hiddenCaseList(hiddenCasesOf(a, id))) {
        const c = hidden?.cases.get(name);
        if (!c || c.error !== undefined) { problems.push(`${id}: hidden test '${name}' fails on the solution: ${firstLine(c?.error ?? 'not run')}`); continue; }
        const t: ManifestTest = { name, points: spec.points ?? 1, hidden: true, compare: { mode: spec.mode, atol: spec.atol, rtol: spec.rtol } };
        if (spec.atLeast !== undefined || spec.atMost !== undefined) {
          t.atLeast = spec.atLeast;
          t.atMost = spec.atMost;
          const v = verdictOf(t, c, hidden);
          if (!v.passed) problems.push(`${id}: hidden test '${name}' fails on the solution: ${v.message}`);
        } else t.expected = encodeValue(c.value);
        tests.push(t);
      }
    }
    const names = tests.map((t) => t.name);
    for (const n of new Set(names)) if (names.indexOf(n) !== names.lastIndexOf(n)) problems.push(`${id}: two tests are named '${n}'`);
    questions[id] = { points: Number(m.points), tests };
  }
  if (problems.length) throw new Error(`the reference run of ${a.config.id} cannot make a manifest:\n  ${problems.join('\n  ')}`);
  return { questions, sourceHash: sourceHash(a) };
}

/** What a test cell shows in the graded notebook: the grader's verdicts, then any error of the cell. */
function verdictOutputs(question: string, tests: TestEntry[], previous: CodeCell['outputs']): CodeCell['outputs'] {
  const mine = tests.filter((t) => t.question === question && t.visibility === 'visible');
  const lines = [`${question} (graded): ${mine.filter((t) => t.status === 'passed').length}/${mine.length} public tests passed`];
  for (const t of mine) lines.push(t.status === 'passed' ? `  ✓ ${t.name.slice(question.length + 2)}${t.output ? ` — ${t.output}` : ''}` : `  ✗ ${t.name.slice(question.length + 2)}: ${t.output}`);
  const hidden = tests.filter((t) => t.question === question && t.visibility !== 'visible');
  if (hidden.length) lines.push(`  hidden tests: ${hidden.filter((t) => t.status === 'passed').length}/${hidden.length} passed`);
  return [{ output_type: 'stream', name: 'stdout', text: toLines(lines.join('\n') + '\n') }, ...previous.filter((o) => o.output_type === 'error')];
}

export interface NotebookGrade {
  result: Omit<GradeResult, 'student' | 'submission_path' | 'submission_sha256'>;
  notebook: Notebook;
  phases: Phase[];
  /** A reference run: the manifest it implies. */
  manifest?: Manifest;
}

/**
 * Grades one notebook object. `reference`: run the source as the reference (cells unstripped, for
 * `assign`; scores nothing). Otherwise the manifest must be present.
 */
export async function gradeNotebook(a: Assignment, submission: Notebook, options: GradeOptions & { reference?: boolean; submissionId?: string } = {}): Promise<NotebookGrade> {
  const started = Date.now();
  const reference = !!options.reference;
  if (!reference && (!a.manifest || a.manifest.sourceHash !== sourceHash(a))) throw new Error(`the manifest of '${a.config.id}' is missing or older than the source: run \`cvkit assign ${a.config.id}\``);
  const { notebook, notes } = mergeSubmission(a.source, releaseOf(a), submission);
  const memoryMB = options.memoryMB ?? a.config.memoryMB;
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cvkit-grade-'));
  try {
    const plan = sandboxPlan(workDir, memoryMB, { allowUnsandboxed: options.allowUnsandboxed });
    const { phases, testCells } = await runGraded(notebook, {
      a, manifest: a.manifest, reference, plan, workDir, notes,
      secret: options.inputSecret ?? crypto.randomBytes(32).toString('hex'), submissionId: options.submissionId ?? '',
      limits: {
        cellTimeoutSeconds: options.cellTimeoutSeconds ?? a.config.cellTimeoutSeconds,
        submissionTimeoutSeconds: options.submissionTimeoutSeconds ?? a.config.submissionTimeoutSeconds,
        memoryMB, maxRestarts: options.maxRestarts ?? 8,
      },
    });
    const manifest = reference ? manifestFromReference(a, phases) : a.manifest!;
    const tests = score(a, manifest, phases);
    if (!reference) for (const [index, question] of testCells) { const c = notebook.cells[index] as CodeCell; c.outputs = verdictOutputs(question, tests, c.outputs); }
    const auto = tests.filter((t) => t.status !== 'pending');
    const result = {
      score: reference ? 0 : round(auto.reduce((s, t) => s + t.score, 0)),
      max_score: round(tests.reduce((s, t) => s + t.max_score, 0)),
      autograded_max_score: round(auto.reduce((s, t) => s + t.max_score, 0)),
      output: [plan.warning ? 'Graded without the bubblewrap sandbox.' : '', ...notes].filter(Boolean).join('\n'),
      tests: tests.map((t) => ({ ...t, score: round(t.score), max_score: round(t.max_score) })),
      execution_time: round((Date.now() - started) / 1000),
      assignment: a.config.id, status: 'graded' as const,
      source_hash: sourceHash(a), sandbox: plan.kind, graded_at: new Date().toISOString(),
    };
    return { result, notebook, phases, manifest: reference ? manifest : undefined };
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

/** The result of a submission that could not be graded (not a notebook, a link, too large ...). */
export function rejectedResult(a: Assignment, student: string, submissionPath: string, sha: string, message: string): GradeResult {
  let max = 0;
  let auto = 0;
  for (const c of a.source.cells) {
    const m = nbgraderOf(c);
    const role = roleOf(c);
    if (!m || !['tests', 'manual', 'task'].includes(role)) continue;
    max += Number(m.points);
    if (role === 'tests') auto += Number(m.points);
  }
  return {
    score: 0, max_score: max, autograded_max_score: auto, output: `Not graded: ${message}`, tests: [], execution_time: 0,
    student, assignment: a.config.id, status: 'rejected', submission_path: submissionPath, submission_sha256: sha,
    source_hash: sourceHash(a), sandbox: 'none', graded_at: new Date().toISOString(),
  };
}

/** Grades the bytes of one submission (the gradebook reads each file once and passes them here). */
export async function gradeBytes(a: Assignment, bytes: Buffer, who: { student: string; path: string }, options: GradeOptions & { maxSubmissionMB?: number } = {}): Promise<GradeResult & { notebook?: Notebook }> {
  const sha = sha256(bytes);
  let submission: Notebook;
  try {
    submission = parseSubmission(bytes, options.maxSubmissionMB);
  } catch (err) {
    if (err instanceof NotebookFormatError) return rejectedResult(a, who.student, who.path, sha, err.message);
    throw err;
  }
  const { result, notebook } = await gradeNotebook(a, submission, { ...options, submissionId: sha });
  return { ...result, student: who.student, submission_path: who.path, submission_sha256: sha, notebook };
}
