/**
 * Notebooks: nbformat validation, and headless execution through tslab in a child process
 * (outputs, compile errors, runtime errors, time limits, a dying kernel).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { parseNotebook, validateNotebook, newNotebook, codeCell, markdownCell, serializeNotebook, NotebookFormatError } from '../lib/notebook/nbformat';
import { executeNotebookObject } from '../lib/notebook/runner';

const root = path.join(__dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cvkit-nb-'));

test('validateNotebook names what is wrong with a broken notebook', () => {
  expect(validateNotebook([])).toEqual(['top level is not a JSON object']);
  expect(validateNotebook({ nbformat: 3, nbformat_minor: 0, metadata: {}, cells: [] })).toEqual(['nbformat is 3, expected 4']);
  expect(validateNotebook({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: 'code', source: 7 }] }))
    .toEqual(['cell 0: source is not a string or list of strings']);
  expect(() => parseNotebook('{oops')).toThrow(NotebookFormatError);
  expect(() => parseNotebook('{"nbformat": 4}')).toThrow(/cells is missing/);
});

test('a notebook survives serialise -> parse unchanged', () => {
  const nb = newNotebook([markdownCell('# title\ntext'), codeCell('const a = 1;\nconsole.log(a);')]);
  expect(parseNotebook(serializeNotebook(nb))).toEqual(nb);
});

test('headless run: streams, PNG display data and the last expression land in the right cells', async () => {
  const nb = newNotebook([
    codeCell(`import { display, tf, runtime } from "${path.join(root, 'dist', 'lib')}";\nawait runtime.initRuntime({ quiet: true });\nconsole.log("hello");`),
    markdownCell('between'),
    codeCell('display.showImage(tf.ones([4, 4]));\nconst answer = 6 * 7;\nanswer'),
  ]);
  const result = await executeNotebookObject(nb, tmp);
  expect(result.ok).toBe(true);
  const [first, , second] = result.notebook.cells as any[];
  expect(first.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: ['hello\n'] }]);
  expect(first.execution_count).toBe(1);
  expect(second.execution_count).toBe(2);
  expect(second.outputs[0].output_type).toBe('display_data');
  expect(Buffer.from(second.outputs[0].data['image/png'], 'base64').subarray(1, 4).toString()).toBe('PNG');
  expect(second.outputs[1]).toEqual({ output_type: 'stream', name: 'stdout', text: ['42\n'] });
});

test('a type error stops the run at its cell, like tslab in Jupyter, and later cells do not run', async () => {
  const nb = newNotebook([codeCell('const ok = 1;'), codeCell('const bad: number = "text";'), codeCell('console.log("never")')]);
  const result = await executeNotebookObject(nb, tmp);
  expect(result.ok).toBe(false);
  expect(result.failure).toMatchObject({ index: 1, executionCount: 2, timedOut: false });
  expect(result.failure!.message).toMatch(/Type 'string' is not assignable to type 'number'/);
  const cells = result.notebook.cells as any[];
  expect(cells[1].outputs.find((o: any) => o.output_type === 'error').ename).toBe('CompileError');
  expect(cells[2].outputs).toEqual([]);
});

test('a thrown error is reported with its message; an endless loop hits the cell time limit; process.exit kills the kernel', async () => {
  const thrown = await executeNotebookObject(newNotebook([codeCell('throw new RangeError("out of range!")')]), tmp);
  expect(thrown.failure!.message).toMatch(/RangeError: out of range!/);
  const loop = await executeNotebookObject(newNotebook([codeCell('console.log("before");\nwhile (true) {}')]), tmp, { cellTimeoutSeconds: 3 });
  expect(loop.failure).toMatchObject({ index: 0, timedOut: true });
  expect((loop.notebook.cells[0] as any).outputs[0].text).toEqual(['before\n']);
  const exit = await executeNotebookObject(newNotebook([codeCell('process.exit(3)'), codeCell('1')]), tmp);
  expect(exit.failure!.message).toMatch(/KernelDied: kernel process exited \(code 3\)/);
});

test('the CLI exits 1 naming the failing cell, 2 on bad usage, and reports a file that is not a notebook', () => {
  const bad = path.join(tmp, 'bad.ipynb');
  fs.writeFileSync(bad, serializeNotebook(newNotebook([codeCell('1'), codeCell('throw new Error("boom")')])));
  const cli = path.join(root, 'bin', 'cvkit.js');
  const run = spawnSync('node', [cli, 'run', bad, '--out', path.join(tmp, 'out')], { encoding: 'utf8' });
  expect(run.status).toBe(1);
  expect(run.stderr).toMatch(/cell 1 \(In \[2\]\) failed/);
  expect(run.stderr).toMatch(/Error: boom/);
  const written = JSON.parse(fs.readFileSync(path.join(tmp, 'out', 'bad.ipynb'), 'utf8'));
  expect(written.cells[1].outputs.some((o: any) => o.output_type === 'error')).toBe(true);
  const garbage = path.join(tmp, 'garbage.ipynb');
  fs.writeFileSync(garbage, Buffer.from([0, 159, 146, 150]));
  const g = spawnSync('node', [cli, 'run', garbage], { encoding: 'utf8' });
  expect(g.status).toBe(1);
  expect(g.stderr).toMatch(/is not JSON/);
  const usage = spawnSync('node', [cli, 'run', '--cell-timeout', 'soon', bad], { encoding: 'utf8' });
  expect(usage.status).toBe(2);
  expect(usage.stderr).toMatch(/--cell-timeout must be a positive number/);
});
