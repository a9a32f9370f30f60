/**
 * The gradebook: which files are submissions and whose, the batch with its worker pool, and the
 * folder of results it leaves behind. Grading one notebook is lib/grader/grade.ts; rendering the
 * feedback pages and the CSV is lib/grader/report.ts.
 *
 *   <out>/results/<id>.json     Gradescope's results.json shape, plus submission_path and hashes
 *   <out>/graded/<id>.ipynb     the notebook as graded, with the grader's verdict in each test cell
 *   <out>/feedback/<id>.html    the page to hand back
 *   <out>/grades.csv            one row per submission (spreadsheet formulas neutralised)
 *   <out>/.input-secret         seeds the inputs the grader chooses (stable across re-runs, never in a kernel)
 *
 * The submissions folder is untrusted input: links and anything that is not a regular file are
 * refused with a reason (never followed), each file is read once with O_NOFOLLOW, ids are unique,
 * stable across re-runs and keep names in any script, and one bad entry never stops the batch.
 * Each result is written atomically after its notebook and feedback page, so a kill -9 loses at most
 * the submissions in flight and a re-run grades exactly those (a result is kept while the
 * submission's bytes and the assignment are unchanged).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Notebook, serializeNotebook } from '../notebook/nbformat';
import { Assignment, loadAssignment, sourceHash } from './assignment';
import { GradeOptions, GradeResult, gradeBytes, rejectedResult, sha256 } from './grade';
import { exportCsv, feedbackHtml } from './report';
import { projectRoot } from '../runtime/paths';

/** One submission found in the folders given to `grade`. `problem`: why it cannot be graded. */
export interface Submission { student: string; path: string; relative: string; problem?: string }

const MAX_ID_BYTES = 120;

/** A file-name-safe id from a name in any script: letters and digits of every language kept, the rest '_'. */
export function sanitizeId(name: string): string {
  let id = name.normalize('NFC').replace(/[^\p{L}\p{M}\p{N}_.@-]+/gu, '_').replace(/^[.-]+/, '_');
  if (id === '' || id === '_') id = 'unnamed';
  if (Buffer.byteLength(id, 'utf8') > MAX_ID_BYTES) {
    const hash = sha256(name).slice(0, 8);
    const chars = [...id];
    while (Buffer.byteLength(chars.join(''), 'utf8') > MAX_ID_BYTES - 9) chars.pop();
    id = `${chars.join('')}~${hash}`;
  }
  return id;
}

/**
 * The student of a submission at `relative` (to the folder the TA named): nbgrader's
 * `<student>/<assignment>/<file>.ipynb` exactly at that depth, `<name>.ipynb` at the top, otherwise the
 * whole relative path — a folder inside one student's upload never names another student.
 */
export function studentOf(relative: string, assignmentId: string): string {
  const parts = relative.split(/[\\/]/).filter(Boolean);
  const base = (parts[parts.length - 1] ?? '').replace(/\.ipynb$/i, '');
  if (parts.length === 3 && parts[1] === assignmentId) return sanitizeId(parts[0]);
  if (parts.length === 1) return sanitizeId(base);
  return sanitizeId([...parts.slice(0, -1), base].join('__'));
}

/**
 * Every submission under `paths` (files or folders): `.ipynb` files, plus every link, non-regular
 * file or unreadable folder met on the way (refused, with the reason). Ids that would collide get a
 * suffix from a hash of the path (`~1a2b3c4d`: a character no sanitised name contains).
 */
export function collectSubmissions(paths: string[], assignmentId: string, maxDepth = 8): Submission[] {
  const found: Submission[] = [];
  const add = (abs: string, relative: string, problem?: string) => found.push({ student: studentOf(relative, assignmentId), path: abs, relative, problem });
  for (const given of paths) {
    let st: fs.Stats;
    try { st = fs.lstatSync(given); } catch (err) { throw new Error(`${given}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (err as Error).message}`); }
    const root = path.resolve(given);
    if (!st.isDirectory()) {
      const rel = path.basename(root);
      add(root, rel, st.isSymbolicLink() ? 'it is a symbolic link (links are not followed)' : st.isFile() ? undefined : 'it is not a regular file');
      continue;
    }
    const walk = (dir: string, depth: number) => {
      let entries: string[];
      try { entries = fs.readdirSync(dir).sort(); } catch (err) {
        add(dir, path.relative(root, dir) || path.basename(dir), `the folder cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
        return;
      }
      for (const name of entries) {
        if (name === '.ipynb_checkpoints') continue;
        const abs = path.join(dir, name);
        const rel = path.relative(root, abs);
        let s: fs.Stats;
        try { s = fs.lstatSync(abs); } catch (err) { add(abs, rel, `it cannot be read (${(err as NodeJS.ErrnoException).code})`); continue; }
        if (s.isSymbolicLink()) add(abs, rel, 'it is a symbolic link (links are not followed)');
        else if (s.isDirectory()) {
          if (depth >= maxDepth) add(abs, rel, `folders deeper than ${maxDepth} levels are not searched`);
          else walk(abs, depth + 1);
        } else if (/\.ipynb$/i.test(name)) add(abs, rel, s.isFile() ? undefined : 'it is not a regular file');
      }
    };
    walk(root, 0);
  }
  const byId = new Map<string, Submission[]>();
  for (const s of found) byId.set(s.student, [...(byId.get(s.student) ?? []), s]);
  for (const group of byId.values()) if (group.length > 1) for (const s of group) s.student = `${s.student}~${sha256(s.path).slice(0, 8)}`;
  return found;
}

/** Reads a submission once: no link followed, nothing but a regular file, at most `maxBytes`. */
export function readSubmission(file: string, maxBytes: number): { bytes?: Buffer; problem?: string } {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { problem: code === 'ELOOP' ? 'it is a symbolic link (links are not followed)' : `it cannot be opened (${code ?? (err as Error).message})` };
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return { problem: 'it is not a regular file' };
    if (st.size > maxBytes) return { problem: `the file is ${(st.size / 1048576).toFixed(1)} MB, over the ${(maxBytes / 1048576).toFixed(0)} MB limit for a submission (clear the outputs and submit again)` };
    const bytes = Buffer.alloc(st.size);
    let off = 0;
    while (off < st.size) {
      const n = fs.readSync(fd, bytes, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
    return { bytes: bytes.subarray(0, off) };
  } finally {
    fs.closeSync(fd);
  }
}

export function gradebookDir(a: Assignment, out?: string): string {
  return path.resolve(out ?? path.join(projectRoot(), 'out', 'grading', a.config.id));
}

/** Writes through a temporary file and a rename, so a reader never sees half a file. */
export function writeAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.tmp-${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** The gradebook's secret for input seeds (made on first use, readable by its owner only). */
function inputSecret(out: string): string {
  const file = path.join(out, '.input-secret');
  try { return fs.readFileSync(file, 'utf8').trim(); } catch { /* first use */ }
  fs.mkdirSync(out, { recursive: true });
  const secret = crypto.randomBytes(32).toString('hex');
  fs.writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  return secret;
}

export interface BatchOptions extends GradeOptions {
  jobs?: number;
  /** Gradebook folder (default out/grading/<assignment>). */
  out?: string;
  /** Grade again even when a result for the same submission exists. */
  force?: boolean;
  /** Largest submission accepted, in MB (default 20). */
  maxSubmissionMB?: number;
  /** Called with a line of progress. */
  log?: (line: string) => void;
}

/** One submission file, the one-call API: grade(assignment, file) -> result (writes nothing). */
export async function grade(assignment: string | Assignment, file: string, options: GradeOptions & { student?: string; maxSubmissionMB?: number } = {}): Promise<GradeResult & { notebook?: Notebook }> {
  const a = typeof assignment === 'string' ? loadAssignment(assignment) : assignment;
  const who = { student: options.student ?? studentOf(path.basename(file), a.config.id), path: file };
  const read = readSubmission(file, (options.maxSubmissionMB ?? 20) * 1048576);
  if (!read.bytes) return rejectedResult(a, who.student, file, '', read.problem!);
  return gradeBytes(a, read.bytes, who, options);
}

/**
 * Grades many submissions with `jobs` kernels at a time and writes the gradebook (see the header).
 * Returns every submission's result; a submission the grader itself failed on (not the
 * submission's fault) has none, is named in the log, and is graded again by the next run.
 */
export async function gradeBatch(assignment: string | Assignment, submissions: Submission[], options: BatchOptions = {}): Promise<GradeResult[]> {
  const a = typeof assignment === 'string' ? loadAssignment(assignment) : assignment;
  if (!a.manifest || a.manifest.sourceHash !== sourceHash(a)) throw new Error(`the manifest of '${a.config.id}' is missing or older than the source: run \`cvkit assign ${a.config.id}\``);
  const out = gradebookDir(a, options.out);
  const log = options.log ?? ((line: string) => console.log(line));
  const jobs = Math.max(1, Math.floor(options.jobs ?? 1));
  const secret = inputSecret(out);
  const maxBytes = (options.maxSubmissionMB ?? 20) * 1048576;
  const results: (GradeResult | undefined)[] = new Array(submissions.length);
  const failed: string[] = [];
  const started = Date.now();
  let next = 0;
  let done = 0;
  const files = (id: string) => ({ result: path.join(out, 'results', `${id}.json`), graded: path.join(out, 'graded', `${id}.ipynb`), feedback: path.join(out, 'feedback', `${id}.html`) });

  const one = async (s: Submission): Promise<{ result: GradeResult; notebook?: Notebook; kept?: boolean }> => {
    if (s.problem) return { result: rejectedResult(a, s.student, s.relative, '', s.problem) };
    const read = readSubmission(s.path, maxBytes);
    if (!read.bytes) return { result: rejectedResult(a, s.student, s.relative, '', read.problem!) };
    const sha = sha256(read.bytes);
    if (!options.force) {
      try {
        const old = JSON.parse(fs.readFileSync(files(s.student).result, 'utf8')) as GradeResult;
        if (old.submission_sha256 === sha && old.source_hash === a.manifest!.sourceHash && old.submission_path === s.relative) return { result: old, kept: true };
      } catch { /* not graded yet, or a damaged result: grade it */ }
    }
    const { notebook, ...result } = await gradeBytes(a, read.bytes, { student: s.student, path: s.relative }, { ...options, inputSecret: secret });
    return { result, notebook };
  };

  const worker = async () => {
    while (next < submissions.length) {
      const i = next++;
      const s = submissions[i];
      try {
        const { result, notebook, kept } = await one(s);
        if (kept) {
          results[i] = result;
          log(`  [${++done}/${submissions.length}] ${s.student}: ${result.score}/${result.autograded_max_score} (already graded)`);
          continue;
        }
        const f = files(s.student);
        if (notebook) writeAtomic(f.graded, serializeNotebook(notebook));
        writeAtomic(f.feedback, feedbackHtml(result, notebook ?? null, a));
        writeAtomic(f.result, JSON.stringify(result, null, 1) + '\n');
        results[i] = result;
        const problems = result.tests.filter((t) => t.status === 'failed').length;
        log(`  [${++done}/${submissions.length}] ${s.student}: ${result.score}/${result.autograded_max_score}${result.status === 'rejected' ? ` (rejected: ${result.output.replace(/^Not graded: /, '')})` : problems ? ` (${problems} test(s) failed)` : ''} in ${result.execution_time.toFixed(1)} s`);
      } catch (err) {
        // A fault of the grader itself (not of the submission): say so, keep going, and write no
        // result so that the next run grades this submission again.
        failed.push(s.student);
        log(`  [${++done}/${submissions.length}] ${s.student}: NOT GRADED, grader error: ${(err as Error).message.split('\n')[0]} (run again to retry)`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, submissions.length) }, worker));
  try {
    writeAtomic(path.join(out, 'grades.csv'), exportCsv(out));
  } catch (err) {
    log(`WARNING: grades.csv was not written: ${(err as Error).message}`);
  }
  if (failed.length) log(`WARNING: ${failed.length} submission(s) were not graded because of grader errors: ${failed.join(', ')}`);
  log(`graded ${submissions.length - failed.length} submission(s) in ${((Date.now() - started) / 1000).toFixed(1)} s with ${jobs} job(s); gradebook: ${out}`);
  return results.filter((r): r is GradeResult => r != null);
}

/** Rewrites the feedback pages from the results and graded notebooks of a gradebook. */
export function rewriteFeedback(a: Assignment, out: string, readGraded: (file: string) => Notebook | null): number {
  const dir = path.join(out, 'results');
  let n = 0;
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.json'))) {
    const result = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as GradeResult;
    const nb = readGraded(path.join(out, 'graded', f.replace(/\.json$/, '.ipynb')));
    writeAtomic(path.join(out, 'feedback', f.replace(/\.json$/, '.html')), feedbackHtml(result, nb, a));
    n++;
  }
  return n;
}
