/**
 * Lesson 02 shows PyTorch idioms with their outputs recorded by scripts/pytorch_idioms.py in
 * docs/pytorch-idioms.json (students have no PyTorch). The record has every idiom the lesson shows,
 * and where PyTorch is installed (/usr/bin/python3 with torch), running the script again gives the
 * same file: the recorded outputs are current.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';

const root = path.join(__dirname, '..');
const recordPath = path.join(root, 'docs', 'pytorch-idioms.json');
const PYTHON = '/usr/bin/python3';
const hasTorch = fs.existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

test('the record holds each idiom lesson 02 shows, with its code, output and values', () => {
  const doc = JSON.parse(fs.readFileSync(recordPath, 'utf8'));
  expect(doc.torch).toMatch(/^\d+\.\d+/);
  const keys = doc.idioms.map((i: { key: string }) => i.key);
  expect(keys).toEqual(['forwardHook', 'backwardHook', 'tensorHook', 'hookOrder', 'backwardTwice', 'parameters', 'setattr']);
  for (const i of doc.idioms) {
    expect(i.code.length).toBeGreaterThan(20);
    expect(i.output.length).toBeGreaterThan(10);
    expect(Object.keys(i.values).length).toBeGreaterThan(0);
  }
  // The point of "backward() twice": PyTorch refuses the same graph, and retain_graph=True accumulates.
  const twice = doc.idioms.find((i: { key: string }) => i.key === 'backwardTwice');
  expect(twice.output).toMatch(/RuntimeError: Trying to backward through the graph a second time/);
  expect(twice.values.twice).toEqual(twice.values.first.map((v: number) => 2 * v));
  // The lesson's notebook reads this file.
  const nb = fs.readFileSync(path.join(root, 'notebooks', '02-autograd-and-hooks.ipynb'), 'utf8');
  expect(nb).toContain('pytorch-idioms.json');
});

(hasTorch ? test : test.skip)('re-running scripts/pytorch_idioms.py with the installed PyTorch reproduces the record', () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cvkit-idioms-')), 'idioms.json');
  const r = spawnSync(PYTHON, [path.join(root, 'scripts', 'pytorch_idioms.py'), out], { encoding: 'utf8', timeout: 120000 });
  expect(r.status).toBe(0);
  expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toEqual(JSON.parse(fs.readFileSync(recordPath, 'utf8')));
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
}, 150000);
