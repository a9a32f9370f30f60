/**
 * The autograder on a batch of 36 good and hostile submissions of assignment 1 (tests/fixtures/submissions.ts,
 * docs/grading.md): each gets its expected score, id and message; no secret reaches a student; the
 * kit, the host and the network are untouched. (Its own file so jest can run it beside the rest.)
 */
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { loadAssignment } from '../lib/grader/assignment';
import { gradeBatch, grade, collectSubmissions } from '../lib/grader/gradebook';
import { exportCsv } from '../lib/grader/report';
import { projectRoot } from '../lib/runtime/paths';
import { writeFixtures } from './fixtures/submissions';

const A1 = '01-cnn-visualization';

// Every assignment's validation (source full marks, release zero) runs in CI as `cvkit validate` (.ci/run);
// here the batches below grade each assignment's source and release among the hostile entries.

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

