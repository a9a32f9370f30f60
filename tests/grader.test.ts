/**
 * The autograder: authoring helpers (stubs, lint, checksums), a batch of good and hostile submissions of
 * assignment 1 graded together with each case's score and message, assignment 3's hostile mask head, and a
 * grading run killed with SIGKILL resumes without losing or duplicating a result.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { spawn, spawnSync } from 'child_process';
import { stubCode, lintAssignment, makeRelease, loadAssignment } from '../lib/grader/assignment';
import { computeChecksum } from '../lib/grader/metadata';
import { gradeBatch, grade, collectSubmissions } from '../lib/grader/gradebook';
import { exportCsv } from '../lib/grader/report';
import { codeCell, markdownCell, newNotebook, readNotebook } from '../lib/notebook/nbformat';
import { projectRoot } from '../lib/runtime/paths';
import { writeFixtures } from './fixtures/submissions';

const A1 = '01-cnn-visualization';
const meta = (grade_id: string, o: object) => ({ nbgrader: { schema_version: 3, grade: false, solution: false, locked: false, grade_id, ...o } });

describe('authoring', () => {
  test('stubs keep signatures and replace solution regions, block and one-line forms', () => {
    const src = [
      'function f(a: number): number {',
      '  // BEGIN SOLUTION',
      '  const b = a * 2;',
      '  return b;',
      '  // END SOLUTION',
      '}',
      'const lr: number = 0.01; // SOLUTION',
      '  return a + 1; // SOLUTION',
      'doSomething(); // SOLUTION',
      '  rate: 2e-3 as number, // SOLUTION',
    ].join('\n');
    expect(stubCode(src)).toBe([
      'function f(a: number): number {',
      '  // YOUR CODE HERE',
      '  throw new Error("not implemented");',
      '}',
      'const lr: number = undefined as any; // YOUR CODE HERE',
      '  throw new Error("not implemented"); // YOUR CODE HERE',
      '// YOUR CODE HERE',
      '  rate: undefined as any, // YOUR CODE HERE',
    ].join('\n'));
    expect(() => stubCode('// BEGIN SOLUTION\nx = 1;')).toThrow(/without END SOLUTION/);
  });

  test('lint finds duplicate grade_ids, missing points, unmarked answers and orphan hidden tests', () => {
    const source = newNotebook([
      codeCell('function f() {\n  return 1; // SOLUTION\n}', meta('a', { solution: true })),
      codeCell('await grading.tests("t", {});', meta('t', { grade: true, locked: true })),
      codeCell('let x = 1;', meta('a', { solution: true })),
      markdownCell('text', meta('bad id!', { locked: true })),
    ]);
    const problems = lintAssignment({ source, hidden: new Map([['nope', '']]) });
    expect(problems.join('\n')).toMatch(/grade_id 'a' is also used by cell 0/);
    expect(problems.join('\n')).toMatch(/\(t\): a graded cell needs points > 0/);
    expect(problems.join('\n')).toMatch(/solution cell without/);
    expect(problems.join('\n')).toMatch(/'bad id!' must match/);
    expect(problems.join('\n')).toMatch(/hidden\/nope.ts: no test cell/);
    expect(lintAssignment(loadAssignment(A1))).toEqual([]);
  });

  test('the release locks test cells, strips outputs and records checksums that follow content and points', () => {
    const source = newNotebook([
      codeCell('const k = 3; // SOLUTION', meta('a', { solution: true })),
      codeCell('await grading.tests("t", {});', meta('t', { grade: true, points: 2 })),
    ]);
    const release = makeRelease(source);
    const t = release.cells[1];
    expect(t.metadata.editable).toBe(false);
    expect(t.metadata.deletable).toBe(false);
    expect((t.metadata.nbgrader as { locked: boolean }).locked).toBe(true);
    const sum = (t.metadata.nbgrader as { checksum: string }).checksum;
    expect(sum).toMatch(/^[0-9a-f]{32}$/);
    const morePoints = JSON.parse(JSON.stringify(t));
    morePoints.metadata.nbgrader.points = 3;
    expect(computeChecksum(morePoints)).not.toBe(sum);
    expect(release.cells[0].source.join('')).toBe('const k = undefined as any; // YOUR CODE HERE');
  });
});

// Every assignment's validation (source full marks, release zero) runs in CI as `cvkit validate` (.ci/run);
// here assignment 1's batch grades its source and release among the hostile entries.

describe('a batch of good and hostile submissions', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cvkit-batch-'));
  const subs = path.join(tmp, 'submitted');
  const out = path.join(tmp, 'gradebook');
  const pathMarker = '/cvkit-grader-only-path-7d1e';
  let requests = 0;
  const server = http.createServer((_req, res) => { requests++; res.end('ok'); });
  const testkit = path.join(projectRoot(), 'dist', 'lib', 'grader', 'testkit.js');
  const testkitBefore = fs.readFileSync(testkit, 'utf8');
  afterAll(() => { server.close(); fs.rmSync(tmp, { recursive: true, force: true }); for (const p of [path.join(projectRoot(), 'PWNED-by-student'), '/tmp/PWNED-by-student']) fs.rmSync(p, { force: true }); });

  test('each case gets its score, id and message; no secret reaches a student; good submissions score as they do alone', async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const a = loadAssignment(A1);
    const fixtures = writeFixtures(subs, { projectRoot: projectRoot(), sourcePath: a.sourcePath, releasePath: a.releasePath, networkPort: port, pathMarker });
    const list = collectSubmissions([subs], A1);
    expect(list.map((s) => s.student).sort()).toEqual(fixtures.map((f) => f.id).sort());
    expect(new Set(list.map((s) => s.student)).size).toBe(list.length);
    const savedPath = process.env.PATH;
    process.env.PATH = `${pathMarker}:${savedPath}`;
    const lines: string[] = [];
    let results: Awaited<ReturnType<typeof gradeBatch>>;
    try {
      results = await gradeBatch(a, list, { jobs: 2, out, cellTimeoutSeconds: 10, memoryMB: 1200, log: (l) => lines.push(l) });
    } finally {
      process.env.PATH = savedPath;
    }
    expect(results.length).toBe(fixtures.length);
    const byId = new Map(results.map((r) => [r.student, r]));
    const failures: string[] = [];
    for (const f of fixtures) {
      const r = byId.get(f.id);
      if (!r) { failures.push(`${f.file}: no result under '${f.id}'`); continue; }
      const messages = [r.output, ...r.tests.map((t) => t.output)].join('\n');
      if (r.score !== f.score) failures.push(`${f.file}: score ${r.score}, expected ${f.score} (${messages.slice(0, 300)})`);
      if (r.status !== (f.status ?? 'graded')) failures.push(`${f.file}: status ${r.status} (${messages.slice(0, 200)})`);
      if (r.submission_path !== f.file) failures.push(`${f.file}: recorded as ${r.submission_path}`);
      if (r.status === 'rejected' && r.autograded_max_score !== 11) failures.push(`${f.file}: a rejected result reports ${r.autograded_max_score} autograded points`);
      if (f.message && !f.message.test(messages)) failures.push(`${f.file}: messages do not match ${f.message}: ${messages.slice(0, 300)}`);
      const files = [['results', 'json'], ['graded', 'ipynb'], ['feedback', 'html']].map(([d, e]) => path.join(out, d, `${f.id}.${e}`)).filter((p) => fs.existsSync(p));
      if (!files.some((p) => p.endsWith('.html'))) failures.push(`${f.file}: no feedback page`);
      for (const text of f.mustNotContain ?? []) for (const file of files) if (fs.readFileSync(file, 'utf8').includes(text)) failures.push(`${f.file}: ${path.basename(path.dirname(file))} contains '${text}'`);
    }
    expect(failures).toEqual([]);

    // No hidden test's code and no script reach any page; escaped fields only.
    const hiddenText = fs.readFileSync(path.join(a.dir, 'source', 'hidden', 'q1.ts'), 'utf8');
    for (const file of fs.readdirSync(path.join(out, 'feedback'))) {
      const html = fs.readFileSync(path.join(out, 'feedback', file), 'utf8');
      expect(html).not.toContain('depthwiseConv2d');
      expect(html).not.toContain(hiddenText.split('\n')[5]);
      expect(html).not.toMatch(/<script|<meta http-equiv="refresh"/i);
    }
    // Nothing written outside the work folders; the kit unchanged; no connection reached the host.
    expect(fs.existsSync(path.join(projectRoot(), 'PWNED-by-student'))).toBe(false);
    expect(fs.existsSync('/tmp/PWNED-by-student')).toBe(false);
    expect(fs.readFileSync(testkit, 'utf8')).toBe(testkitBefore);
    expect(requests).toBe(0);
    // Output was truncated, not kept whole.
    expect(fs.readFileSync(path.join(out, 'graded', 'sandbox-probe.ipynb'), 'utf8')).toMatch(/output truncated at/);
    expect(fs.statSync(path.join(out, 'graded', 'sandbox-probe.ipynb')).size).toBeLessThan(3 * 1048576);

    // The good submission graded alone scores the same.
    const alone = await grade(a, path.join(subs, 'good.ipynb'));
    expect(alone.score).toBe(byId.get('good')!.score);
    expect(alone.tests.map((t) => t.status)).toEqual(byId.get('good')!.tests.map((t) => t.status));

    // The CSV: one row per submission, no field a spreadsheet would read as a formula.
    const csv = exportCsv(out).trim().split('\n');
    expect(csv.length).toBe(fixtures.length + 1);
    for (const row of csv) for (const field of row.match(/("([^"]|"")*"|[^,]*)/g)!.filter(Boolean)) expect(field.replace(/^"/, '')).not.toMatch(/^[=+\-@]/);
    const slowest = lines.filter((l) => / in [\d.]+ s$/.test(l)).sort((x, y) => Number(/ in ([\d.]+) s$/.exec(y)![1]) - Number(/ in ([\d.]+) s$/.exec(x)![1])).slice(0, 12);
    console.log(`batch of ${fixtures.length}: ${lines[lines.length - 1]}\nslowest:\n${slowest.join('\n')}`);
  }, 900000);
});

test('assignment 3: a forger and a box-filling mask head earn 0 of 16', async () => {
  const a = loadAssignment('03-segmentation-and-generation');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cvkit-a3-'));
  try {
    const subs = path.join(tmp, 'submitted');
    fs.mkdirSync(subs);
    const release = readNotebook(a.releasePath);
    const id = (nb: typeof release, gid: string) => nb.cells.findIndex((c) => c.metadata?.nbgrader?.grade_id === gid);
    const write = (name: string, nb: typeof release) => fs.writeFileSync(path.join(subs, `${name}.ipynb`), JSON.stringify(nb));
    // The solution's 16 and the release's 0 are `cvkit validate`'s checks in CI (.ci/run); assignment 1's batch
    // shows good and hostile entries graded side by side.
    // Hostile: every answer blank but Q7's, whose head ignores its input and fills the whole box (no training),
    // plus the value forgers that broke the old grader (toJSON rewriting messages, forged channel frames).
    const hostile = JSON.parse(JSON.stringify(release));
    hostile.cells[id(hostile, 'q7_answer')].source = 'const maskSettings = { filters: 1, layers: 0, learningRate: 0, steps: 0 };\nfunction buildMaskHead(settings: { filters: number; layers: number }): tf.LayersModel {\n  const input = tf.input({ shape: [16, 16, 3] });\n  const out = tf.layers.conv2d({ filters: 1, kernelSize: 1, kernelInitializer: "zeros", biasInitializer: tf.initializers.constant({ value: 10 }) }).apply(input) as tf.SymbolicTensor;\n  return tf.model({ inputs: input, outputs: out });\n}';
    hostile.cells.splice(id(hostile, 'setup') + 1, 0,
      codeCell('Object.defineProperty(Object.prototype, "toJSON", { configurable: true, writable: true, value: function (this: any) { if (this && typeof this === "object" && "passed" in this) this.passed = true; return this; } });'),
      codeCell('const forge = (m: object) => { const body = Buffer.from(JSON.stringify(m)); const head = Buffer.alloc(4); head.writeUInt32BE(body.length, 0); try { require("fs").writeSync(3, Buffer.concat([head, body])); } catch {} };\nfor (const q of ["q1", "q2", "q7"]) forge({ type: "values", report: { question: q, results: [{ name: "x", value: 1 }] } });'));
    write('hostile', hostile);
    const lines: string[] = [];
    const results = await gradeBatch(a, collectSubmissions([subs], a.config.id), { jobs: 1, out: path.join(tmp, 'gradebook'), log: (l) => lines.push(l) });
    const byId = new Map(results.map((r) => [r.student, r]));
    const h = byId.get('hostile')!;
    expect(h.score).toBe(0);
    expect(h.autograded_max_score).toBe(16);
    // Q7 was judged on the box-filling masks (a value, not an error): around 60%, under the 66% bar.
    const q7 = h.tests.filter((t) => /mask IoU/.test(t.name));
    expect(q7.length).toBe(2);
    expect(q7.map((t) => t.output).join(' ')).toMatch(/mean mask IoU[^\n]*\b(5\d|6[0-5])\.\d%/);
    // Each submission's grading time (the 60 s bar is measured by the bench, not asserted here).
    console.log(lines.filter((l) => / in [\d.]+ s$/.test(l)).join('\n'));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}, 600000);

test('without bubblewrap grading is refused unless asked for; even then a submission cannot change the kit', async () => {
  const a = loadAssignment(A1);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cvkit-unsafe-'));
  const testkit = path.join(projectRoot(), 'dist', 'lib', 'grader', 'testkit.js');
  const before = fs.readFileSync(testkit, 'utf8');
  const saved = process.env.CVKIT_NO_BWRAP;
  process.env.CVKIT_NO_BWRAP = '1';
  try {
    const nb = readNotebook(a.releasePath);
    const setup = nb.cells.findIndex((c) => (c.metadata.nbgrader as { grade_id?: string } | undefined)?.grade_id === 'setup');
    nb.cells.splice(setup + 1, 0, codeCell(`for (const p of [${JSON.stringify(testkit)}, ${JSON.stringify(path.join(projectRoot(), 'dist', 'lib', 'index.js'))}]) {\n  try { require("fs").writeFileSync(p, "module.exports = {};"); console.log("REWROTE", p); } catch (e) { console.log("cannot write", p, (e as any).code); }\n}`));
    const file = path.join(tmp, 'rewrite-kit.ipynb');
    fs.writeFileSync(file, JSON.stringify(nb));
    await expect(grade(a, file)).rejects.toThrow(/bubblewrap.*--unsafe-no-sandbox/s);
    const r = await grade(a, file, { allowUnsandboxed: true, cellTimeoutSeconds: 20 });
    expect(r.sandbox).toBe('unsandboxed');
    expect(r.output).toMatch(/without the bubblewrap sandbox/);
    expect(r.score).toBe(0);
    const printed = r.notebook!.cells.flatMap((c) => (c.cell_type === 'code' ? c.outputs : [])).map((o) => JSON.stringify(o)).join('\n');
    expect(printed).toMatch(/cannot write/);
    expect(printed).not.toMatch(/REWROTE/);
    expect(fs.readFileSync(testkit, 'utf8')).toBe(before);
    // The CLI says the same and exits 1.
    const cli = spawnSync(process.execPath, [path.join(projectRoot(), 'bin', 'cvkit.js'), 'grade', A1, file, '--out', path.join(tmp, 'gb')], { encoding: 'utf8', env: { ...process.env, CVKIT_NO_BWRAP: '1' } });
    expect(cli.status).toBe(1);
    expect(cli.stderr).toMatch(/--unsafe-no-sandbox/);
  } finally {
    if (saved === undefined) delete process.env.CVKIT_NO_BWRAP; else process.env.CVKIT_NO_BWRAP = saved;
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}, 180000);

test('a grading run killed with SIGKILL resumes: nothing lost, nothing graded twice', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cvkit-kill-'));
  const a = loadAssignment(A1);
  const subs = path.join(tmp, 'subs');
  fs.mkdirSync(subs);
  // s1 and s2 run kernels (the run is killed while s2 is in flight); s3 and s4 are refused at once.
  fs.copyFileSync(a.sourcePath, path.join(subs, 's1.ipynb'));
  fs.copyFileSync(a.releasePath, path.join(subs, 's2.ipynb'));
  for (const name of ['s3', 's4']) fs.writeFileSync(path.join(subs, `${name}.ipynb`), 'not a notebook');
  const out = path.join(tmp, 'gb');
  const cli = path.join(projectRoot(), 'bin', 'cvkit.js');
  const results = path.join(out, 'results');
  const run = () => spawn(process.execPath, [cli, 'grade', A1, subs, '--out', out, '--jobs', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });

  const first = run();
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (fs.existsSync(results) && fs.readdirSync(results).filter((f) => f.endsWith('.json')).length >= 1) { clearInterval(timer); first.kill('SIGKILL'); resolve(); }
    }, 100);
    first.on('exit', () => { clearInterval(timer); reject(new Error('the first run ended before it was killed')); });
  });
  await new Promise((r) => first.once('exit', r));
  const kept = fs.readdirSync(results).filter((f) => f.endsWith('.json'));
  expect(kept.length).toBeGreaterThanOrEqual(1);
  expect(kept.length).toBeLessThan(4);
  const before = new Map(kept.map((f) => [f, JSON.parse(fs.readFileSync(path.join(results, f), 'utf8')).graded_at]));

  const second = run();
  let log = '';
  second.stdout!.on('data', (d) => { log += d; });
  const code = await new Promise((r) => second.once('exit', r));
  expect(code).toBe(0);
  const all = fs.readdirSync(results).filter((f) => f.endsWith('.json')).sort();
  expect(all).toEqual(['s1.json', 's2.json', 's3.json', 's4.json']);
  for (const [f, gradedAt] of before) expect(JSON.parse(fs.readFileSync(path.join(results, f), 'utf8')).graded_at).toBe(gradedAt);
  expect((log.match(/already graded/g) ?? []).length).toBe(kept.length);
  const scores = all.map((f) => JSON.parse(fs.readFileSync(path.join(results, f), 'utf8')).score);
  expect(scores).toEqual([11, 0, 0, 0]);
  expect(all.map((f) => JSON.parse(fs.readFileSync(path.join(results, f), 'utf8')).status)).toEqual(['graded', 'graded', 'rejected', 'rejected']);
  const csv = fs.readFileSync(path.join(out, 'grades.csv'), 'utf8').trim().split('\n');
  expect(csv.length).toBe(5);
  fs.rmSync(tmp, { recursive: true, force: true });
}, 300000);
