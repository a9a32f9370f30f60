/**
 * An assignment on disk:
 *
 *   assignments/<id>/assignment.json         { "id", "title", "cellTimeoutSeconds", "submissionTimeoutSeconds", "memoryMB" }
 *   assignments/<id>/source/<id>.ipynb       the instructor's notebook: solutions, nbgrader metadata, public tests
 *   assignments/<id>/source/hidden/<q>.ts    hidden tests of question <q>: run in the grader's process right after its
 *                                            test cell, calling into the kernel (lib/grader/remote.ts); never released
 *   assignments/<id>/source/manifest.json    every test of every question: weight, how it is judged and the
 *                                            reference solution's value, written by `assign`; never released
 *   assignments/<id>/release/<id>.ipynb      the student notebook, written by `assign`
 *
 * Solution regions are marked `// BEGIN SOLUTION` ... `// END SOLUTION` (own lines) or with a
 * trailing `// SOLUTION` on one line (a declaration's or an object property's value becomes
 * `undefined as any`, a return becomes a throw); `assign` replaces them by stubs that keep the code around them
 * (signatures, types) so the released cells type-check — tslab does not run a cell with a type error.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as crypto from 'crypto';
import { Cell, Notebook, readNotebook, sourceText, toLines, serializeNotebook } from '../notebook/nbformat';
import { GRADE_ID_PATTERN, computeChecksum, nbgraderOf, roleOf } from './metadata';
import { projectPath } from '../runtime/paths';
import type { CompareOptions } from './compare';
import type { Encoded } from './values';
import type { InputSpec } from './inputs';
import type { JudgeSpec } from './judges';
import { HiddenCases, loadHiddenTests } from './remote';
import { testCellProblems } from './strip';

export interface AssignmentConfig {
  id: string;
  title: string;
  /** Per-cell time limit when grading (default 60 s). */
  cellTimeoutSeconds: number;
  /** Whole-submission time limit (default 900 s). */
  submissionTimeoutSeconds: number;
  /** Memory cap of a submission's kernel process tree (default 3072 MB). */
  memoryMB: number;
}

/** One test as the grader scores it. */
export interface ManifestTest {
  name: string;
  points: number;
  /** A hidden test (source/hidden/<q>.ts) or a case of the public test cell. */
  hidden: boolean;
  compare: CompareOptions;
  /** The reference solution's value (encoded: lib/grader/values.ts). */
  expected?: Encoded;
  /** Public cases scored on grader-chosen inputs by a judge, instead of an expected value. */
  input?: InputSpec;
  judge?: JudgeSpec;
  /** Hidden tests that measure a number in the grader: the bar it must reach. */
  atLeast?: number;
  atMost?: number;
}
export interface Manifest {
  /** Per test-cell grade_id: its points and its tests (public and hidden), with weights. */
  questions: Record<string, { points: number; tests: ManifestTest[] }>;
  /** sha256 of the source notebook and hidden files it was made from. */
  sourceHash: string;
}

export interface Assignment {
  config: AssignmentConfig;
  dir: string;
  sourcePath: string;
  releasePath: string;
  manifestPath: string;
  source: Notebook;
  /** grade_id -> hidden test code (TypeScript, run in the grader: lib/grader/remote.ts). */
  hidden: Map<string, string>;
  manifest: Manifest | null;
  /** Made once, on first use. */
  cache?: { release?: Notebook; hidden: Map<string, HiddenCases> };
}

/** The student notebook of an assignment (made once per loaded assignment). */
export function releaseOf(a: Assignment): Notebook {
  a.cache = a.cache ?? { hidden: new Map() };
  a.cache.release = a.cache.release ?? makeRelease(a.source);
  return a.cache.release;
}

/** The hidden test cases of one question (compiled once per loaded assignment). */
export function hiddenCasesOf(a: Assignment, question: string): HiddenCases {
  a.cache = a.cache ?? { hidden: new Map() };
  let cases = a.cache.hidden.get(question);
  if (!cases) {
    const text = a.hidden.get(question);
    if (text === undefined) return {};
    cases = loadHiddenTests(path.join(a.dir, 'source', 'hidden', `${question}.ts`), text);
    a.cache.hidden.set(question, cases);
  }
  return cases;
}

/** The kit's assignments: the folders under assignments/ with an assignment.json, sorted. */
export function listAssignments(): string[] {
  const root = projectPath('assignments');
  return fs.existsSync(root) ? fs.readdirSync(root).filter((d) => fs.existsSync(path.join(root, d, 'assignment.json'))).sort() : [];
}

/** Resolves `name` as a folder, or as a name under assignments/. */
export function assignmentDir(name: string): string {
  if (fs.existsSync(path.join(name, 'assignment.json'))) return path.resolve(name);
  const dir = projectPath('assignments', name);
  if (fs.existsSync(path.join(dir, 'assignment.json'))) return dir;
  throw new Error(`no assignment '${name}' (known: ${listAssignments().join(', ') || 'none'})`);
}

export function loadAssignment(name: string): Assignment {
  const dir = assignmentDir(name);
  const raw = JSON.parse(fs.readFileSync(path.join(dir, 'assignment.json'), 'utf8'));
  const config: AssignmentConfig = {
    id: raw.id ?? path.basename(dir), title: raw.title ?? raw.id,
    cellTimeoutSeconds: raw.cellTimeoutSeconds ?? 60, submissionTimeoutSeconds: raw.submissionTimeoutSeconds ?? 900, memoryMB: raw.memoryMB ?? 3072,
  };
  const sourcePath = path.join(dir, 'source', `${config.id}.ipynb`);
  const hiddenDir = path.join(dir, 'source', 'hidden');
  const hidden = new Map<string, string>();
  if (fs.existsSync(hiddenDir)) for (const f of fs.readdirSync(hiddenDir).sort()) if (f.endsWith('.ts')) hidden.set(f.slice(0, -3), fs.readFileSync(path.join(hiddenDir, f), 'utf8'));
  const manifestPath = path.join(dir, 'source', 'manifest.json');
  return {
    config, dir, sourcePath, releasePath: path.join(dir, 'release', `${config.id}.ipynb`), manifestPath,
    source: readNotebook(sourcePath), hidden,
    manifest: fs.existsSync(manifestPath) ? JSON.parse(fs.readFileSync(manifestPath, 'utf8')) : null,
  };
}

export function sourceHash(a: Pick<Assignment, 'source' | 'hidden'>): string {
  const h = crypto.createHash('sha256');
  for (const cell of a.source.cells) h.update(cell.cell_type + '\0' + sourceText(cell) + '\0' + JSON.stringify(cell.metadata?.nbgrader ?? null) + '\0');
  for (const [k, v] of a.hidden) h.update(k + '\0' + v + '\0');
  return h.digest('hex');
}

// ---- stubs ------------------------------------------------------------------------------------

const STUB_THROW = 'throw new Error("not implemented");';

/** Replaces solution regions of one code cell's source by stubs (see the header). */
export function stubCode(source: string): string {
  const lines = source.split('\n');
  const out: string[] = [];
  let inRegion: string | null = null;
  for (const line of lines) {
    if (inRegion != null) {
      if (/^\s*\/\/\s*END SOLUTION\b/.test(line)) {
        out.push(`${inRegion}// YOUR CODE HERE`, `${inRegion}${STUB_THROW}`);
        inRegion = null;
      }
      continue;
    }
    const begin = /^(\s*)\/\/\s*BEGIN SOLUTION\b/.exec(line);
    if (begin) { inRegion = begin[1]; continue; }
    const one = /^(\s*)(.*?)\s*\/\/\s*SOLUTION\s*$/.exec(line);
    if (one) {
      const [, indent, code] = one;
      const decl = /^((?:export\s+)?(?:const|let|var)\s+[A-Za-z_$][\w$]*\s*(?::[^=]+)?=)/.exec(code);
      const property = /^([A-Za-z_$][\w$]*\s*:)\s*[^,]+,?$/.exec(code);
      if (decl) out.push(`${indent}${decl[1].trimEnd()} undefined as any; // YOUR CODE HERE`);
      else if (property) out.push(`${indent}${property[1]} undefined as any, // YOUR CODE HERE`);
      else if (/^return\b/.test(code)) out.push(`${indent}${STUB_THROW} // YOUR CODE HERE`);
      else out.push(`${indent}// YOUR CODE HERE`);
      continue;
    }
    out.push(line);
  }
  if (inRegion != null) throw new Error('BEGIN SOLUTION without END SOLUTION');
  return out.join('\n');
}

/** Problems an author must fix before releasing (empty when none). */
export function lintAssignment(a: Pick<Assignment, 'source' | 'hidden'>): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  const testIds = new Set<string>();
  a.source.cells.forEach((cell, i) => {
    const m = nbgraderOf(cell);
    const raw = cell.metadata?.nbgrader as Record<string, unknown> | undefined;
    if (raw && !m) problems.push(`cell ${i}: nbgrader metadata without a grade_id`);
    if (!m) {
      if (/BEGIN SOLUTION|\/\/\s*SOLUTION\s*$/m.test(sourceText(cell))) problems.push(`cell ${i}: solution markers in a cell that is not a solution cell`);
      return;
    }
    if (!GRADE_ID_PATTERN.test(m.grade_id)) problems.push(`cell ${i}: grade_id '${m.grade_id}' must match ${GRADE_ID_PATTERN}`);
    if (seen.has(m.grade_id)) problems.push(`cell ${i}: grade_id '${m.grade_id}' is also used by cell ${seen.get(m.grade_id)}`);
    seen.set(m.grade_id, i);
    const role = roleOf(cell);
    if ((role === 'tests' || role === 'manual' || role === 'task') && !(Number(m.points) > 0)) problems.push(`cell ${i} (${m.grade_id}): a graded cell needs points > 0`);
    if (role === 'tests') testIds.add(m.grade_id);
    if (role === 'tests' && cell.cell_type !== 'code') problems.push(`cell ${i} (${m.grade_id}): a test cell must be a code cell`);
    if (role === 'tests' && cell.cell_type === 'code') for (const p of testCellProblems(sourceText(cell))) problems.push(`cell ${i} (${m.grade_id}): ${p}`);
    if (/BEGIN HIDDEN TESTS/.test(sourceText(cell))) problems.push(`cell ${i} (${m.grade_id}): inline hidden tests are not supported; put them in source/hidden/${m.grade_id}.ts`);
    if (role === 'answer' && cell.cell_type === 'code') {
      try {
        if (stubCode(sourceText(cell)) === sourceText(cell)) problems.push(`cell ${i} (${m.grade_id}): a solution cell without // BEGIN SOLUTION or // SOLUTION`);
      } catch (err) {
        problems.push(`cell ${i} (${m.grade_id}): ${(err as Error).message}`);
      }
    }
  });
  for (const id of a.hidden.keys()) if (!testIds.has(id)) problems.push(`hidden/${id}.ts: no test cell has grade_id '${id}'`);
  return problems;
}

/** The student notebook: stubs, no outputs, locked cells read-only, checksums. */
export function makeRelease(source: Notebook): Notebook {
  const cells: Cell[] = source.cells.map((cell) => {
    const copy = JSON.parse(JSON.stringify(cell)) as Cell;
    const m = nbgraderOf(copy);
    if (copy.cell_type === 'code') { copy.outputs = []; copy.execution_count = null; }
    if (!m) return copy;
    const role = roleOf(copy);
    if (role === 'answer' || role === 'manual') {
      if (copy.cell_type === 'code') copy.source = toLines(stubCode(sourceText(copy)));
      else copy.source = toLines(stubMarkdown(sourceText(copy)));
    }
    if (role === 'tests' || role === 'locked' || role === 'task') {
      m.locked = true;
      copy.metadata.editable = false;
      copy.metadata.deletable = false;
    }
    m.checksum = computeChecksum(copy);
    return copy;
  });
  return { ...source, cells };
}

function stubMarkdown(text: string): string {
  const region = /=== BEGIN MARK SCHEME ===[\s\S]*?=== END MARK SCHEME ===\n?/g;
  const cleaned = text.replace(region, '');
  if (/BEGIN SOLUTION/.test(cleaned)) return cleaned.replace(/<!--\s*BEGIN SOLUTION\s*-->[\s\S]*?<!--\s*END SOLUTION\s*-->/g, 'YOUR ANSWER HERE');
  return 'YOUR ANSWER HERE';
}

export function releaseText(a: Assignment): string {
  return serializeNotebook(makeRelease(a.source));
}
