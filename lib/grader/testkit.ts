/**
 * Test helpers for assignment notebooks. A locked test cell registers and runs the tests of one
 * question:
 *
 *   await grading.tests("q1", {
 *     "counts a 3x3 conv": () => grading.assertEqual(convParams(3, 3, 3, 8), 224),
 *     "matches model.countParams()": { points: 2, run: () => ... },
 *   });
 *
 * In Jupyter it prints which tests passed and why the others failed; `grading.check("q1")` runs the
 * question's public tests again (after you change your answer). Under the grader each call is also
 * reported, through a channel installed before any student code runs, and scored with partial
 * credit by the points of each test. The helpers keep their own copies of the built-ins they use,
 * so a cell that replaces Math.abs or Array.prototype.every cannot make a wrong answer pass.
 */
import * as tf from '@tensorflow/tfjs';

// Built-ins captured at load time.
const { abs } = Math;
const isFiniteNumber = Number.isFinite;
const isNaNNumber = Number.isNaN;
const isArray = Array.isArray;
const stringify = JSON.stringify;
const TensorClass = tf.Tensor;

export type TestCase = (() => unknown) | { points?: number; run: () => unknown };

export interface TestResult { name: string; points: number; passed: boolean; message: string }
export interface QuestionReport { question: string; hidden: boolean; results: TestResult[] }

const registry = new Map<string, Record<string, TestCase>>();
let reporter: ((report: QuestionReport) => void) | null = null;

/** Installed once by the grading kernel before any notebook code runs. */
export function installReporter(fn: (report: QuestionReport) => void): void {
  if (reporter) throw new Error('the reporter is already installed');
  reporter = fn;
}

/** An assertion failure; its message is what the student sees. */
export class AssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AssertionError';
  }
}

function firstLine(err: unknown): string {
  if (err instanceof AssertionError) return err.message;
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.length > 500 ? text.slice(0, 500) + '…' : text;
}

async function runCases(question: string, cases: Record<string, TestCase>, hidden: boolean, print: boolean): Promise<QuestionReport> {
  const results: TestResult[] = [];
  for (const name of Object.keys(cases)) {
    const c = cases[name];
    const run = typeof c === 'function' ? c : c.run;
    const points = typeof c === 'function' ? 1 : c.points ?? 1;
    let passed = false;
    let message = '';
    try {
      await run();
      passed = true;
    } catch (err) {
      message = firstLine(err);
    }
    results.push({ name, points, passed, message: passed ? '' : message });
  }
  const report: QuestionReport = { question, hidden, results };
  if (print) printReport(report);
  if (reporter) reporter(report);
  return report;
}

function printReport(report: QuestionReport): void {
  const total = report.results.reduce((s, r) => s + r.points, 0);
  const got = report.results.reduce((s, r) => s + (r.passed ? r.points : 0), 0);
  const passed = report.results.filter((r) => r.passed).length;
  const lines = [`${report.question}: ${passed}/${report.results.length} tests passed (${got}/${total} test points)${passed === report.results.length ? ' ✓' : ''}`];
  for (const r of report.results) lines.push(r.passed ? `  ✓ ${r.name}` : `  ✗ ${r.name}: ${r.message}`);
  console.log(lines.join('\n'));
}

/** Registers and runs the tests of one question (used by the locked test cells and hidden tests). */
export async function tests(question: string, cases: Record<string, TestCase>, options: { hidden?: boolean } = {}): Promise<void> {
  const hidden = !!options.hidden;
  if (!hidden) registry.set(question, cases);
  await runCases(question, cases, hidden, !hidden);
}

/** Runs the public tests of one question again and prints what failed. */
export async function check(question: string): Promise<void> {
  const cases = registry.get(question);
  if (!cases) {
    console.log(`${question}: no tests registered yet — run the test cell of ${question} first (known: ${[...registry.keys()].join(', ') || 'none'})`);
    return;
  }
  await runCases(question, cases, false, true);
}

// ---- assertions -------------------------------------------------------------------------------

export function assert(condition: unknown, message = 'assertion failed'): void {
  if (!condition) throw new AssertionError(message);
}

function show(value: unknown): string {
  const text = value instanceof TensorClass ? `Tensor${stringify(value.shape)}` : typeof value === 'number' ? String(value) : stringify(value);
  return text === undefined ? String(value) : text.length > 200 ? text.slice(0, 200) + '…' : text;
}

/** Deep equality of numbers, strings, booleans, arrays and plain objects. */
export function assertEqual(actual: unknown, expected: unknown, message?: string): void {
  if (stringify(actual) !== stringify(expected) || typeof actual !== typeof expected) {
    throw new AssertionError(`${message ? message + ': ' : ''}expected ${show(expected)}, got ${show(actual)}`);
  }
}

function flatten(value: unknown, what: string): { values: number[]; shape: number[] } {
  if (value instanceof TensorClass) {
    if ((value as tf.Tensor).isDisposed) throw new AssertionError(`${what} is a disposed tensor`);
    return { values: [...(value as tf.Tensor).dataSync()], shape: (value as tf.Tensor).shape };
  }
  if (typeof value === 'number') return { values: [value], shape: [] };
  if (isArray(value) || ArrayBuffer.isView(value)) {
    const out: number[] = [];
    const walk = (v: unknown) => {
      if (isArray(v) || ArrayBuffer.isView(v)) for (let i = 0; i < (v as ArrayLike<unknown>).length; i++) walk((v as ArrayLike<unknown>)[i]);
      else if (typeof v === 'number') out.push(v);
      else throw new AssertionError(`${what} contains ${show(v)}, not a number`);
    };
    walk(value);
    return { values: out, shape: [out.length] };
  }
  throw new AssertionError(`${what} is ${value === undefined ? 'undefined' : show(value)}, not a number, array or tensor`);
}

/** |actual - expected| <= atol + rtol * |expected| elementwise (numbers, arrays or tensors). */
export function assertClose(actual: unknown, expected: unknown, options: { atol?: number; rtol?: number; message?: string } = {}): void {
  const atol = options.atol ?? 1e-5;
  const rtol = options.rtol ?? 1e-4;
  const prefix = options.message ? options.message + ': ' : '';
  const a = flatten(actual, 'the result');
  const e = flatten(expected, 'the expected value');
  if (a.values.length !== e.values.length) throw new AssertionError(`${prefix}expected ${e.values.length} values (shape ${stringify(e.shape)}), got ${a.values.length} (shape ${stringify(a.shape)})`);
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < a.values.length; i++) {
    const x = a.values[i];
    const y = e.values[i];
    if (isNaNNumber(x) && !isNaNNumber(y)) throw new AssertionError(`${prefix}element ${i} is NaN, expected ${y}`);
    if (!isFiniteNumber(x) && isFiniteNumber(y)) throw new AssertionError(`${prefix}element ${i} is ${x}, expected ${y}`);
    const err = abs(x - y) - (atol + rtol * abs(y));
    if (err > 0 && (worst < 0 || err > worstErr)) { worst = i; worstErr = err; }
  }
  if (worst >= 0) {
    let bad = 0;
    for (let i = 0; i < a.values.length; i++) if (abs(a.values[i] - e.values[i]) > atol + rtol * abs(e.values[i])) bad++;
    throw new AssertionError(`${prefix}${bad} of ${a.values.length} values differ; worst at element ${worst}: got ${a.values[worst]}, expected ${e.values[worst]} (tolerance ${atol} + ${rtol}·|expected|)`);
  }
}

/** The value is a tensor of this shape. */
export function assertShape(value: unknown, shape: number[], message?: string): void {
  if (!(value instanceof TensorClass)) throw new AssertionError(`${message ? message + ': ' : ''}expected a tensor of shape ${stringify(shape)}, got ${show(value)}`);
  const s = (value as tf.Tensor).shape;
  if (s.length !== shape.length || s.some((d, i) => d !== shape[i])) throw new AssertionError(`${message ? message + ': ' : ''}expected shape ${stringify(shape)}, got ${stringify(s)}`);
}

/** `fn` throws. */
export function assertThrows(fn: () => unknown, message = 'expected an error'): void {
  let threw = false;
  try { fn(); } catch { threw = true; }
  if (!threw) throw new AssertionError(message);
}
