/**
 * Test helpers for assignment notebooks (the notebooks' `grading`). A locked test cell runs the
 * public tests of one question:
 *
 *   await grading.tests("q1", {
 *     "a 3x3 conv from 3 to 8 channels has 224 parameters": { value: () => convParams(3, 3, 3, 8), expect: 224 },
 *     "matches the reference saliency": { points: 2, value: () => mySaliency(model, x, labels), expect: () => explain.saliency(model, x, { target: labels }), atol: 1e-4, rtol: 1e-3 },
 *   });
 *
 * A case computes a `value` from the student's code; `expect` (a value, or a function that computes
 * it) is what it should be, compared by lib/grader/compare.ts (`mode` 'close' with `atol`/`rtol`, or
 * 'equal'). A case with an `input` gets data from a kit generator and is scored by a `judge` on the
 * truth of that data (lib/grader/inputs.ts, judges.ts) instead of an `expect`.
 *
 * In Jupyter the cell prints which tests pass and why the others fail; `grading.check("q1")` runs them
 * again. Under the grader none of this decides anything: the grader runs the cell with its `expect`s
 * removed and its `input`s replaced by data from a secret seed, this module only reports the values
 * the cases computed, and the grader's own process compares them with the values of the reference
 * solution (docs/grading.md, "Trust model"). Assertion-style cases (`() => grading.assert(...)`)
 * still work for feedback in a notebook, but cannot be graded.
 */
import * as tf from '@tensorflow/tfjs';
import { compareValues, CompareOptions, Verdict } from './compare';
import { decodeValue, encodeValue, Encoded, Value, materialize } from './values';
import { InputSpec, PUBLIC_INPUT_SEED, generateInput, checkInputSpec } from './inputs';
import { JudgeSpec, judge, checkJudgeSpec } from './judges';

/** A test that computes a value the grader can score. */
export interface ValueCase extends CompareOptions {
  points?: number;
  /** The student's computation (receives the generated input when the case has one). */
  value: (input?: any) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** What `value` should be; a function is called (in the notebook only: the grader removes it). */
  expect?: unknown;
  /** Data for `value` from a kit generator (lib/grader/inputs.ts). */
  input?: InputSpec;
  /** Scores the value against the input's truth (lib/grader/judges.ts). */
  judge?: JudgeSpec;
}
/** An assertion: feedback in the notebook, not gradable. */
export type AssertCase = (() => unknown) | { points?: number; run: () => unknown };
export type TestCase = ValueCase | AssertCase;

export interface TestResult { name: string; points: number; passed: boolean; message: string }
export interface QuestionReport { question: string; hidden: boolean; results: TestResult[] }

/** What the grader records about a case from the reference run (lib/grader/grade.ts). */
export interface CaseMeta {
  points: number;
  style: 'value' | 'assert';
  compare: CompareOptions;
  input?: InputSpec;
  judge?: JudgeSpec;
  /** Reference run only: the case's own expect against its value. */
  selfCheck?: Verdict;
}

const registry = new Map<string, Record<string, TestCase>>();
let reporter: ((report: { question: string; results: { name: string; value?: Encoded; error?: string; meta: CaseMeta }[] }) => void) | null = null;
const gradingInputs = new Map<string, Record<string, unknown>>();
let feedbackListener: ((report: QuestionReport) => void) | null = null;

/** `cvkit run --check` (lib/grader/checkPlugin.ts): told each question's results as they are printed. */
export function onFeedback(fn: (report: QuestionReport) => void): void {
  feedbackListener = fn;
}

/** Installed by the grading kernel (lib/notebook/kernelWorker.ts): from then on `tests` reports values instead of printing. */
export function installReporter(fn: typeof reporter): void {
  if (reporter) throw new Error('the reporter is already installed');
  reporter = fn;
}

/** Grading kernel: the inputs the grader chose for one question's cases (encoded, by case name). */
export function setGradingInputs(question: string, inputs: Record<string, unknown>): void {
  gradingInputs.set(question, inputs);
}

/** An assertion failure; its message is what the student sees. */
export class AssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AssertionError';
  }
}

function errorText(err: unknown): string {
  if (err instanceof AssertionError) return err.message;
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.length > 500 ? text.slice(0, 500) + '…' : text;
}

const isValueCase = (c: TestCase): c is ValueCase => typeof c === 'object' && c !== null && typeof (c as ValueCase).value === 'function';
const pointsOf = (c: TestCase) => (typeof c === 'function' ? 1 : c.points ?? 1);

function metaOf(c: TestCase): CaseMeta {
  if (!isValueCase(c)) return { points: pointsOf(c), style: 'assert', compare: {} };
  const compare: CompareOptions = {};
  if (c.mode !== undefined) compare.mode = c.mode;
  if (c.atol !== undefined) compare.atol = c.atol;
  if (c.rtol !== undefined) compare.rtol = c.rtol;
  return { points: pointsOf(c), style: 'value', compare, input: c.input, judge: c.judge };
}

/** A live value as the grader will see it (encoded, then decoded). */
const asGraded = (v: unknown): Value => decodeValue(encodeValue(v));

/** Runs one value case in a notebook: its verdict against `expect` or its judge. */
async function feedbackOf(c: ValueCase): Promise<Verdict> {
  if (c.input !== undefined) {
    if (c.judge === undefined) return { passed: false, message: 'a case with an input needs a judge' };
    const { input, truth } = generateInput(checkInputSpec(c.input), PUBLIC_INPUT_SEED);
    const live = materialize(input as unknown as Value, () => undefined) as tf.TensorContainerObject;
    try {
      return judge(checkJudgeSpec(c.judge), asGraded(await c.value(live)), truth);
    } finally {
      tf.dispose(live);
    }
  }
  const actual = asGraded(await c.value());
  if (!('expect' in c)) return { passed: false, message: 'this case has no expect (add one, or an input and a judge)' };
  const expected = typeof c.expect === 'function' ? await (c.expect as () => unknown)() : c.expect;
  return compareValues(actual, asGraded(expected), c);
}

async function runForFeedback(question: string, cases: Record<string, TestCase>, hidden: boolean): Promise<QuestionReport> {
  const results: TestResult[] = [];
  for (const name of Object.keys(cases)) {
    const c = cases[name];
    let verdict: Verdict;
    try {
      if (isValueCase(c)) verdict = await feedbackOf(c);
      else {
        await (typeof c === 'function' ? c() : c.run());
        verdict = { passed: true, message: '' };
      }
    } catch (err) {
      verdict = { passed: false, message: errorText(err) };
    }
    results.push({ name, points: pointsOf(c), passed: verdict.passed, message: verdict.passed ? '' : verdict.message });
  }
  const report: QuestionReport = { question, hidden, results };
  printReport(report);
  feedbackListener?.(report);
  return report;
}

/**
 * Grading kernel: compute each case's value and report it at once (no verdict, no printing), so a
 * case that hangs or kills the kernel costs that case and the ones after it, not those before.
 */
async function runForGrader(question: string, cases: Record<string, TestCase>): Promise<void> {
  const inputs = gradingInputs.get(question) ?? {};
  for (const name of Object.keys(cases)) {
    const c = cases[name];
    const meta = metaOf(c);
    if (!isValueCase(c)) { reporter!({ question, results: [{ name, error: 'an assertion-style case cannot be graded', meta }] }); continue; }
    let live: unknown;
    try {
      if (c.input !== undefined) {
        // The grader sends the input of every case it scores; the reference run of `assign`, which
        // only records what the cases are, runs them on the public input.
        const sent = inputs[name];
        live = materialize(sent === undefined ? generateInput(checkInputSpec(c.input), PUBLIC_INPUT_SEED).input as unknown as Value : decodeValue(sent), () => undefined);
      }
      const value = encodeValue(await c.value(live));
      if ('expect' in c && c.input === undefined) {
        // Only in the reference run (the grader removes expects from the cells it grades).
        try {
          const expected = typeof c.expect === 'function' ? await (c.expect as () => unknown)() : c.expect;
          meta.selfCheck = compareValues(decodeValue(value), asGraded(expected), c);
        } catch (err) {
          meta.selfCheck = { passed: false, message: `expect threw ${errorText(err)}` };
        }
      }
      reporter!({ question, results: [{ name, value, meta }] });
    } catch (err) {
      reporter!({ question, results: [{ name, error: errorText(err), meta }] });
    } finally {
      if (live) tf.dispose(live as tf.TensorContainer);
    }
  }
}

function printReport(report: QuestionReport): void {
  const total = report.results.reduce((s, r) => s + r.points, 0);
  const got = report.results.reduce((s, r) => s + (r.passed ? r.points : 0), 0);
  const passed = report.results.filter((r) => r.passed).length;
  const lines = [`${report.question}: ${passed}/${report.results.length} public tests passed (weight ${got} of ${total}; the grade also counts hidden tests)${passed === report.results.length ? ' ✓' : ''}`];
  for (const r of report.results) lines.push(r.passed ? `  ✓ ${r.name}` : `  ✗ ${r.name}: ${r.message}`);
  console.log(lines.join('\n'));
}

/** Runs the public tests of one question (the locked test cells). */
export async function tests(question: string, cases: Record<string, TestCase>): Promise<void> {
  registry.set(question, cases);
  if (reporter) await runForGrader(question, cases);
  else await runForFeedback(question, cases, false);
}

/** Runs the public tests of one question again and prints what failed. */
export async function check(question: string): Promise<void> {
  const cases = registry.get(question);
  if (!cases) {
    console.log(`${question}: no tests registered yet — run the test cell of ${question} first (known: ${[...registry.keys()].join(', ') || 'none'})`);
    return;
  }
  await runForFeedback(question, cases, false);
}

// ---- assertions (feedback in a notebook; a graded case returns a value instead) -------------------

export function assert(condition: unknown, message = 'assertion failed'): void {
  if (!condition) throw new AssertionError(message);
}

/** Deep equality of numbers, strings, booleans, arrays and plain objects. */
export function assertEqual(actual: unknown, expected: unknown, message?: string): void {
  const v = compareValues(asGraded(actual), asGraded(expected), { mode: 'equal' });
  if (!v.passed) throw new AssertionError(`${message ? message + ': ' : ''}${v.message}`);
}

/** |actual - expected| <= atol + rtol * |expected| elementwise (numbers, arrays or tensors). */
export function assertClose(actual: unknown, expected: unknown, options: CompareOptions & { message?: string } = {}): void {
  const v = compareValues(asGraded(actual), asGraded(expected), options);
  if (!v.passed) throw new AssertionError(`${options.message ? options.message + ': ' : ''}${v.message}`);
}

/** The value is a tensor of this shape. */
export function assertShape(value: unknown, shape: number[], message?: string): void {
  const s: number[] | null = value instanceof tf.Tensor ? value.shape : null;
  if (!s || s.length !== shape.length || s.some((d, i) => d !== shape[i])) {
    throw new AssertionError(`${message ? message + ': ' : ''}expected a tensor of shape [${shape.join(', ')}], got ${s ? `shape [${s.join(', ')}]` : typeof value}`);
  }
}

/** `fn` throws. */
export function assertThrows(fn: () => unknown, message = 'expected an error'): void {
  let threw = false;
  try { fn(); } catch { threw = true; }
  if (!threw) throw new AssertionError(message);
}
