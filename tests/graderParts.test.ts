/**
 * The grader's parts that decide what a hostile kernel or a hostile submissions folder can do: the
 * value encoding (strict), the one comparison rule, expect-stripping of test cells, the framed
 * channel's limits, ids from paths, the JSON depth check, and the kit's module name from any folder.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { encodeValue, decodeValue, ValueError, Value } from '../lib/grader/values';
import { compareValues, indexIn } from '../lib/grader/compare';
import { stripExpectations, testCellProblems } from '../lib/grader/strip';
import { FrameReader, encodeFrame } from '../lib/notebook/channel';
import { sanitizeId, studentOf, collectSubmissions, readSubmission } from '../lib/grader/gradebook';
import { jsonDepth, parseSubmission } from '../lib/grader/grade';
import { csvField } from '../lib/grader/report';
import { executeNotebookObject } from '../lib/notebook/runner';
import { codeCell, newNotebook } from '../lib/notebook/nbformat';
import { kitPathFor } from '../lib/notebook/kitModule';
import { judge } from '../lib/grader/judges';
import { generateInput } from '../lib/grader/inputs';

describe('values', () => {
  test('round trip keeps NaN, -0, undefined, dtypes, shapes and keys that look like prototypes', () => {
    const t = tf.tensor([[1, 2], [3, 4]], [2, 2], 'int32');
    const value = { a: [NaN, -0, Infinity, undefined, 'x', true, null], t, f: new Float64Array([0.5]), ['__proto__']: 1 } as Record<string, unknown>;
    Object.defineProperty(value, '__proto__', { value: 1, enumerable: true });
    const back = decodeValue(JSON.parse(JSON.stringify(encodeValue(value)))) as Record<string, Value>;
    const a = back.a as Value[];
    expect(Number.isNaN(a[0] as number)).toBe(true);
    expect(Object.is(a[1], -0)).toBe(true);
    expect(a.slice(2)).toEqual([Infinity, undefined, 'x', true, null]);
    expect(back.t).toMatchObject({ kind: 'tensor', dtype: 'int32', shape: [2, 2] });
    expect(Array.from((back.t as { data: Int32Array }).data)).toEqual([1, 2, 3, 4]);
    expect(back.f).toBeInstanceOf(Float64Array);
    expect(Object.getPrototypeOf(back)).toBe(null);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    t.dispose();
  });

  test('decoding refuses what a hostile kernel could send: unknown tags, bad shapes, deep nesting, too many numbers', () => {
    expect(() => decodeValue({ $evil: 1 })).toThrow(ValueError);
    expect(() => decodeValue({ $t: ['float32', [3], Buffer.from(new Float32Array(2).buffer).toString('base64')] })).toThrow(/shape \[3\] with 2 values/);
    expect(() => decodeValue({ $t: ['float32', [-1], ''] })).toThrow(/malformed shape/);
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(() => decodeValue(deep)).toThrow(/deeper than 64/);
    expect(() => decodeValue({ $a: ['f32', Buffer.alloc(4 * (16 * 1024 * 1024 + 1)).toString('base64')] })).toThrow(/more than/);
    expect(() => encodeValue(() => 1)).toThrow(/function, not a value/);
  });
});

describe('compare', () => {
  test('close within atol + rtol|expected|, shapes must agree, NaN only matches NaN', () => {
    expect(compareValues([1, 2, 3], [1, 2, 3.0001], { atol: 1e-3 }).passed).toBe(true);
    expect(compareValues([1, 2, 3], [1, 2, 3.1], { atol: 1e-3 }).passed).toBe(false);
    const a = decodeValue(encodeValue(tf.zeros([2, 3])));
    const b = decodeValue(encodeValue(tf.zeros([3, 2])));
    expect(compareValues(a, b).message).toMatch(/expected shape \[3, 2\], got \[2, 3\]/);
    expect(compareValues([NaN], [NaN]).passed).toBe(true);
    expect(compareValues([NaN], [0]).passed).toBe(false);
    expect(compareValues({ leaked: 0, map: [1] }, { leaked: 1, map: [1] }).message).toMatch(/^leaked: /);
    expect(compareValues('a', 'a').passed).toBe(true);
    expect(compareValues(224, 224.0001, { mode: 'equal' }).passed).toBe(false);
  });

  test('a failure names the worst element as [i, j, k]; a hidden test\'s message never quotes the expected value', () => {
    const e = decodeValue(encodeValue(tf.tensor3d([[[0, 0], [0, 0]], [[0, 0], [0, 7.25]]])));
    const got = decodeValue(encodeValue(tf.zeros([2, 2, 2])));
    expect(compareValues(got, e).message).toMatch(/worst at \[1, 1, 1\] \(element 7\): got 0, expected 7.25/);
    const hidden = compareValues(got, e, {}, true).message;
    expect(hidden).toMatch(/1 of 8 values differ/);
    expect(hidden).not.toContain('7.25');
    expect(compareValues('secret-answer', 'other', {}, true).message).not.toContain('other');
    expect(indexIn([2, 3, 4], 23)).toEqual([1, 2, 3]);
  });
});

describe('the maskIoU judge', () => {
  test('the true masks score 100%, masks shifted off the objects less, an empty mask 0%; wrong sizes and faces truth get a reason', () => {
    const { truth } = generateInput({ shapes: { count: 4 } }, 5);
    if (truth.kind !== 'shapes') throw new Error('expected shapes truth');
    const tensor = (data: Float32Array): Value => ({ kind: 'tensor', dtype: 'float32', shape: [4, 32, 32], data });
    const exact = judge({ maskIoU: { atLeast: 0.99 } }, tensor(Float32Array.from(truth.masks, (m) => m * 0.9)), truth);
    expect(exact).toMatchObject({ passed: true });
    expect(exact.message).toMatch(/100\.0%/);
    const shifted = new Float32Array(truth.masks.length);
    for (let p = 0; p + 3 < truth.masks.length; p++) shifted[p + 3] = truth.masks[p];
    const moved = judge({ maskIoU: { atLeast: 0.99 } }, tensor(shifted), truth);
    expect(moved.passed).toBe(false);
    expect(Number(/([\d.]+)%/.exec(moved.message)![1])).toBeLessThan(99);
    expect(judge({ maskIoU: { atLeast: 0.01 } }, tensor(new Float32Array(truth.masks.length)), truth)).toMatchObject({ passed: false, message: expect.stringMatching(/0\.0%/) });
    expect(judge({ maskIoU: { atLeast: 0.5 } }, tensor(new Float32Array(10)), truth).message).toMatch(/expected 4 masks of 32x32/);
    expect(judge({ maskIoU: { atLeast: 0.5 } }, tensor(Float32Array.from(truth.masks)), { kind: 'faces', landmarks: [], faceSize: [] }).message).toMatch(/needs a shapes input/);
  });
});

describe('test cells under the grader', () => {
  const cell = [
    'await grading.tests("q1", {',
    '  "a": { value: () => f(1), expect: 224, mode: "equal" },',
    '  "b": { points: 2, value: () => g(), expect: () => reference(),',
    '    atol: 1e-4 },',
    '  "c": { value: () => h(), expect: { leaked: 0 } },',
    '});',
  ].join('\n');

  test('stripping removes every expect and keeps the rest of the cell', () => {
    const stripped = stripExpectations(cell);
    expect(stripped).not.toMatch(/expect|224|reference|leaked/);
    expect(stripped).toContain('value: () => f(1)');
    expect(stripped).toContain('mode: "equal"');
    expect(stripped).toContain('atol: 1e-4');
    expect(testCellProblems(cell)).toEqual([]);
  });

  test('lint: a case that is an assertion, or cases that are not an object literal, cannot be graded', () => {
    expect(testCellProblems('await grading.tests("q1", { "a": () => grading.assert(f() === 1) });').join()).toMatch(/'a' must be an object literal/);
    expect(testCellProblems('await grading.tests("q1", cases);').join()).toMatch(/object literal of cases/);
    expect(testCellProblems('console.log(1);').join()).toMatch(/does not call grading.tests/);
  });
});

describe('the kernel channel', () => {
  test('frames round-trip across arbitrary chunking', () => {
    const got: unknown[] = [];
    const reader = new FrameReader(1024, (m) => got.push(m), (r) => { throw new Error(r); });
    const bytes = Buffer.concat([encodeFrame({ type: 'a', n: 1 }), encodeFrame({ type: 'b', text: 'é'.repeat(50) })]);
    for (let i = 0; i < bytes.length; i += 3) reader.push(bytes.subarray(i, i + 3));
    expect(got).toEqual([{ type: 'a', n: 1 }, { type: 'b', text: 'é'.repeat(50) }]);
  });

  test('a frame over the limit or not JSON ends the channel without buffering it', () => {
    const errors: string[] = [];
    const reader = new FrameReader(1024, () => undefined, (r) => errors.push(r));
    const head = Buffer.alloc(4);
    head.writeUInt32BE(1 << 30, 0);
    reader.push(head);
    expect(errors[0]).toMatch(/1024.0 MB, over the 0 MB limit|over the/);
    const errors2: string[] = [];
    const r2 = new FrameReader(1024, () => undefined, (r) => errors2.push(r));
    const junk = Buffer.from('\u0000\u0000\u0000\u0003abc');
    r2.push(junk);
    expect(errors2).toEqual(['a message that is not JSON']);
  });
});

describe('the submissions folder', () => {
  test('ids keep names in any script, stay file-name safe, and come from nbgrader folders only at their own depth', () => {
    expect(sanitizeId('张伟')).toBe('张伟');
    expect(sanitizeId('김민수')).toBe('김민수');
    expect(sanitizeId('../../etc')).toBe('__.._etc');   // no separator, no leading dot
    expect(sanitizeId('=cmd|x')).toBe('_cmd_x');
    expect(Buffer.byteLength(sanitizeId('가'.repeat(200)))).toBeLessThanOrEqual(120);
    expect(sanitizeId('가'.repeat(200))).not.toBe(sanitizeId('가'.repeat(199)));
    expect(studentOf('alice/01-x/anything.ipynb', '01-x')).toBe('alice');
    expect(studentOf('bob.ipynb', '01-x')).toBe('bob');
    expect(studentOf('mallory/up/bob/01-x/f.ipynb', '01-x')).toBe('mallory__up__bob__01-x__f');
  });

  test('links, FIFOs and unreadable entries are listed with a reason, never followed or opened blocking', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cvkit-subs-'));
    fs.writeFileSync(path.join(dir, 'a.ipynb'), '{}');
    fs.symlinkSync('/etc/passwd', path.join(dir, 'b.ipynb'));
    fs.symlinkSync(path.join(dir, 'c.ipynb'), path.join(dir, 'c.ipynb'));
    const list = collectSubmissions([dir], '01-x');
    expect(list.map((s) => [s.student, s.problem ?? null])).toEqual([['a', null], ['b', expect.stringMatching(/symbolic link/)], ['c', expect.stringMatching(/symbolic link/)]]);
    expect(readSubmission(path.join(dir, 'b.ipynb'), 1000).problem).toMatch(/symbolic link/);
    expect(readSubmission(path.join(dir, 'a.ipynb'), 1).problem).toMatch(/over the/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('CSV fields a spreadsheet would run are neutralised', () => {
    expect(csvField('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvField('@SUM(1)')).toBe("'@SUM(1)");
    expect(csvField('-2+3')).toBe("'-2+3");
    expect(csvField('alice')).toBe('alice');
    expect(csvField(7.5)).toBe('7.5');
  });

  test('JSON nested deeper than a notebook needs is refused before anything recurses into it', () => {
    const depth = 50000;
    const text = `{"nbformat": 4, "nbformat_minor": 5, "metadata": {"x": ${'['.repeat(depth)}${']'.repeat(depth)}}, "cells": []}`;
    expect(jsonDepth(JSON.parse(text), 200)).toBeGreaterThan(200);
    expect(() => parseSubmission(Buffer.from(text))).toThrow(/nested more than 100 levels/);
  });
});

describe('the kit by name', () => {
  test('only <..>/node_modules/cv-course-kit[/...] maps into the kit', () => {
    expect(kitPathFor('/home/s/work/node_modules/cv-course-kit/dist/lib/index.d.ts', '/kit')).toBe('/kit/dist/lib/index.d.ts');
    expect(kitPathFor('/a/node_modules/cv-course-kit', '/kit')).toBe('/kit');
    expect(kitPathFor('/a/node_modules/cv-course-kit-evil/x', '/kit')).toBeNull();
    expect(kitPathFor('/a/cv-course-kit/x', '/kit')).toBeNull();
  });

  test('a notebook in an unrelated folder imports "cv-course-kit" (types and code) through the kit\'s kernel', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cvkit-anywhere-'));
    const nb = newNotebook([codeCell('import { tf, datasets } from "cv-course-kit";\nconst s: datasets.ShapesDataset = datasets.generateShapes({ count: 2, seed: 1 });\nconsole.log("shapes", s.count, tf.version_core);')]);
    const r = await executeNotebookObject(nb, dir, { cellTimeoutSeconds: 120 });
    expect(r.failure?.message).toBeUndefined();
    expect(JSON.stringify(r.notebook.cells[0].cell_type === 'code' ? r.notebook.cells[0].outputs : [])).toMatch(/shapes 2 4\.22/);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 120000);
});

describe('the feedback page', () => {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { markdownToSafeHtml } = require('../lib/grader/markdown');
  test('a student\'s markdown answer is rendered, and no markup of theirs survives', () => {
    const html = markdownToSafeHtml('## My answer\n\nThe **star** is *blurry*; see `cams`.\n\n- one\n- two\n\n<script>alert(1)</script> <img src=x onerror=alert(1)> [click](javascript:alert(1))\n```\n<b>code</b>\n```');
    expect(html).toContain('<h4>My answer</h4>');
    expect(html).toContain('<b>star</b>');
    expect(html).toContain('<i>blurry</i>');
    expect(html).toContain('<code>cams</code>');
    expect(html).toMatch(/<ul>\n<li>one<\/li>\n<li>two<\/li>\n<\/ul>/);
    expect(html).not.toMatch(/<script|<img|onerror=alert\(1\)>|href=/i);
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('&lt;b&gt;code&lt;/b&gt;');
    expect(markdownToSafeHtml('한국어 답안: **별**은 흐립니다')).toContain('<b>별</b>');
  });
});
