/** Display: PNG encoding, grids, colormaps, overlays, offline plots, progress text. */
import * as fs from 'fs';
import * as zlib from 'zlib';
import * as tf from '@tensorflow/tfjs';
import { toPng, imageGrid, overlayHeatmap, toRgba, annotate } from '../lib/display/image';
import { colormap } from '../lib/display/colormap';
import { figureHtml, figurePng, lineChart, heatmapChart, showPlot, PLOTLY_PACKAGE } from '../lib/display/plot';
import { Progress } from '../lib/display/progress';
import { useBackend, expectNoLeak } from './helpers';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const pngSize = (png: Buffer) => ({ width: png.readUInt32BE(16), height: png.readUInt32BE(20) });

beforeAll(() => useBackend('wasm'));

test('toPng encodes a tensor as a PNG of the upscaled size, and keeps no tensors', async () => {
  const img = tf.ones([4, 6, 3]);
  await expectNoLeak(() => {
    const png = toPng(img, { scale: 3 });
    expect(Array.from(png.subarray(0, 8))).toEqual(PNG_SIGNATURE);
    expect(pngSize(png)).toEqual({ width: 18, height: 12 });
  });
  img.dispose();
  expect(() => toPng(tf.zeros([2, 4, 4, 3]))).toThrow(/expected one image/);
});

test('toRgba maps the value range to 0..255 and greys to three equal channels', () => {
  const rgba = toRgba({ height: 1, width: 3, channels: 1, data: [0, 0.5, 1] });
  expect(Array.from(rgba)).toEqual([0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255]);
  const auto = toRgba({ height: 1, width: 2, channels: 1, data: [-3, 5] }, 'auto');
  expect([auto[0], auto[4]]).toEqual([0, 255]);
});

test('an image grid has one cell per image, in rows of `columns`', () => {
  const images = Array.from({ length: 5 }, () => ({ height: 8, width: 8, channels: 3, data: new Float32Array(192).fill(0.5) }));
  const png = imageGrid(images, { columns: 2, scale: 2, captions: ['a', 'b', 'c', 'd', 'e'], title: 'grid' });
  const { width, height } = pngSize(png);
  expect(width).toBe(2 * (40 + 4) + 4);
  expect(height).toBe(20 + 3 * (16 + 14 + 4) + 4);
  expect(() => imageGrid([])).toThrow(/no images/);
});

test('colormaps: jet runs dark blue to dark red, viridis purple to yellow', () => {
  expect(colormap('jet', 0)).toEqual([0, 0, 0.5]);
  expect(colormap('jet', 1)).toEqual([0.5, 0, 0]);
  expect(colormap('jet', 0.5).map((v) => Math.round(v * 100) / 100)).toEqual([0.5, 1, 0.5]);
  const v0 = colormap('viridis', 0);
  const v1 = colormap('viridis', 1);
  expect(v0[2]).toBeGreaterThan(v0[1]);
  expect(v1[0]).toBeGreaterThan(0.9);
  expect(colormap('viridis', -5)).toEqual(v0);
});

test('overlayHeatmap blends (1 - alpha) * image + alpha * colormap(heatmap), resizing the heatmap', () => {
  const image = { height: 4, width: 4, channels: 3, data: new Float32Array(48).fill(1) };
  const heat = { height: 2, width: 2, channels: 1, data: [0, 0, 0, 0] };
  const out = overlayHeatmap(image, heat, { alpha: 0.25, colormap: 'gray', range: [0, 1] });
  expect(out.height).toBe(4);
  expect(Array.from(out.data).every((v) => Math.abs(v - 0.75) < 1e-6)).toBe(true);
});

test('annotate draws boxes over the image (pixels change along the box edge only)', () => {
  const image = { height: 16, width: 16, channels: 3, data: new Float32Array(768) };
  const plain = annotate(image, {}, { scale: 4 });
  const boxed = annotate(image, { boxes: [[2, 2, 10, 10]], labels: ['x'] }, { scale: 4 });
  expect(pngSize(boxed)).toEqual({ width: 64, height: 64 });
  expect(boxed.equals(plain)).toBe(false);
});

test('plots are offline: no script is loaded from a URL; the library, inlined once when asked, is the installed cartesian bundle, gzipped in base64', () => {
  const fig = lineChart([{ name: 'loss', y: [3, 2, 1] }], { title: 'curve' });
  const withLib = figureHtml(fig, { includeLibrary: true });
  const without = figureHtml(fig);
  for (const html of [withLib, without]) expect(html).not.toMatch(/<script[^>]+src=/i);
  const base64 = /atob\("([A-Za-z0-9+/=]+)"\)/.exec(withLib)![1];
  expect(zlib.gunzipSync(Buffer.from(base64, 'base64')).equals(fs.readFileSync(require.resolve(PLOTLY_PACKAGE)))).toBe(true);
  expect(withLib.length).toBeLessThan(800_000); // the 1.5 MB bundle, compressed (plotly.js-dist inlined was 10 MB)
  expect(withLib).toContain('window.define=undefined');
  expect(without.length).toBeLessThan(5000);
  expect(without).toContain('newPlot');
  expect(without).toContain('window.cvkitPlotly.then');
  const png = figurePng(heatmapChart([[1, 2], [3, 4]], ['a', 'b'], ['a', 'b']));
  expect(Array.from(png.subarray(0, 8))).toEqual(PNG_SIGNATURE);
});

test('in a kernel, the library is shown once before the first chart; each chart carries plotly JSON (an object), HTML and a PNG', () => {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const jupyter = require('tslab/dist/jupyter') as { lastWriteDisplayData: unknown };
  const shown: Record<string, unknown>[] = [];
  jupyter.lastWriteDisplayData = (message: { data: Record<string, unknown> }) => shown.push(message.data);
  try {
    showPlot(lineChart([{ name: 'loss', y: [3, 2, 1] }], { title: 'curve' }));
    showPlot(heatmapChart([[1, 2], [3, 4]], ['a', 'b'], ['a', 'b']));
  } finally {
    jupyter.lastWriteDisplayData = null;
  }
  expect(shown).toHaveLength(3);
  expect(String(shown[0]['text/html'])).toContain('DecompressionStream');
  for (const chart of shown.slice(1)) {
    expect(Object.keys(chart).sort()).toEqual(['application/vnd.plotly.v1+json', 'image/png', 'text/html', 'text/plain']);
    expect(typeof chart['application/vnd.plotly.v1+json']).toBe('object');
    expect(String(chart['text/html'])).not.toContain('DecompressionStream');
  }
  expect((shown[1]['application/vnd.plotly.v1+json'] as { data: { y: number[] }[]; layout: { title: { text: string } } })).toMatchObject({ data: [{ y: [3, 2, 1] }], layout: { title: { text: 'curve' } } });
});

test('progress text counts steps, percent, elapsed time and metrics', () => {
  const p = new Progress(200, { label: 'epoch 1/2', enabled: false });
  p.tick(50, { loss: 0.5 });
  const text = p.text();
  expect(text).toMatch(/^epoch 1\/2 50\/200 \(25%\) [\d.]+s elapsed, ETA [\d.ms?]+/);
  expect(text).toContain('loss 0.5000');
});
