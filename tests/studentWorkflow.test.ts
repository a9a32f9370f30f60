/**
 * An assignment as a student works it: a copy of the release in a folder of their own runs there
 * (the kit is imported by name), `cvkit run --check` runs every cell past unfinished answers and lists
 * every question's public tests, exiting 1 while one fails and 0 on the solution; compile errors are
 * shown first first.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { loadAssignment } from '../lib/grader/assignment';
import { executeNotebookObject } from '../lib/notebook/runner';
import { codeCell, newNotebook } from '../lib/notebook/nbformat';
import { projectRoot } from '../lib/runtime/paths';

const cli = path.join(projectRoot(), 'bin', 'cvkit.js');

test('a copy of the release in an unrelated folder runs; --check lists every question and exits 1, the solution exits 0', () => {
  const a = loadAssignment('01-cnn-visualization');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'student-'));
  try {
    for (const [name, from] of [['mine.ipynb', a.releasePath], ['solution.ipynb', a.sourcePath]]) fs.copyFileSync(from, path.join(dir, name));
    const blank = spawnSync(process.execPath, [cli, 'run', path.join(dir, 'mine.ipynb'), '--check', '--out', path.join(dir, 'out')], { encoding: 'utf8', cwd: dir });
    expect(blank.status).toBe(1);
    for (const q of ['q1', 'q2', 'q3', 'q4', 'q5']) expect(blank.stdout).toMatch(new RegExp(`✗ ${q} \\(cell \\d+\\): 0/\\d+ public tests passed`));
    expect(blank.stdout).toMatch(/✗ a 3x3 conv from 3 to 8 channels has 224 parameters: Error: not implemented/);
    expect(blank.stdout + blank.stderr).not.toMatch(/Cannot find module/);
    const good = spawnSync(process.execPath, [cli, 'run', path.join(dir, 'solution.ipynb'), '--check', '--out', path.join(dir, 'out')], { encoding: 'utf8', cwd: dir });
    expect(good.stdout).toMatch(/✓ q5 \(cell \d+\): 2\/2 public tests passed/);
    expect(good.status).toBe(0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 240000);

test('a cell with several type errors reports all of them, the first (the cause) first', async () => {
  const nb = newNotebook([codeCell('import { nothing } from "no-such-module";\nconst n: number = "text";\nnothing(n);')]);
  const r = await executeNotebookObject(nb, os.tmpdir(), { cellTimeoutSeconds: 60 });
  const lines = r.failure!.message.split('\n');
  expect(lines[0]).toMatch(/Cannot find module 'no-such-module'/);
  expect(lines.slice(1).join('\n')).toMatch(/not assignable to type 'number'/);
}, 120000);
