/**
 * Every lesson notebook runs headless to the end in quick mode (CVKIT_QUICK=1), through the same
 * tslab compiler and display path as Jupyter, and shows pictures. The notebooks assert their own
 * outcomes (e.g. 00 fails if the classifier does not beat chance by a wide margin).
 */
import * as fs from 'fs';
import * as path from 'path';
import { readNotebook, serializeNotebook } from '../../lib/notebook/nbformat';
import { executeNotebookObject } from '../../lib/notebook/runner';

const dir = path.join(__dirname, '..', '..', 'notebooks');
const notebooks = fs.readdirSync(dir).filter((f) => f.endsWith('.ipynb')).sort();

test('there are lesson notebooks, each for the tslab kernel', () => {
  expect(notebooks).toContain('00-getting-started.ipynb');
  for (const file of notebooks) expect((readNotebook(path.join(dir, file)).metadata.kernelspec as { name: string }).name).toBe('tslab');
});

test.each(notebooks)('%s runs to the end in quick mode and shows pictures', async (file) => {
  const nb = readNotebook(path.join(dir, file));
  const result = await executeNotebookObject(nb, dir, { env: { CVKIT_QUICK: '1', CVKIT_PROGRESS: '1' }, cellTimeoutSeconds: 300 });
  if (!result.ok) throw new Error(`${file}: cell ${result.failure!.index} failed:\n${result.failure!.message}`);
  const outputs = result.notebook.cells.flatMap((c) => (c.cell_type === 'code' ? c.outputs : []));
  expect(outputs.some((o) => o.output_type === 'display_data' && 'image/png' in o.data)).toBe(true);
  expect(outputs.some((o) => o.output_type === 'error')).toBe(false);
  // Notebooks that report leftover tensors must report none.
  const text = outputs.map((o) => (o.output_type === 'stream' ? ([] as string[]).concat(o.text).join('') : '')).join('');
  const leftover = /tensors still allocated: (\d+)/.exec(text);
  if (leftover) expect(Number(leftover[1])).toBe(0);
  // Charts: plotly.js is on the page (once, offline) before the first chart that needs it.
  const html = outputs.map((o) => (o.output_type === 'display_data' ? String(o.data['text/html'] ?? '') : ''));
  const firstChart = html.findIndex((h) => h.includes('Plotly.newPlot'));
  if (firstChart >= 0) {
    const library = html.findIndex((h) => h.includes('window.define=undefined'));
    expect(library).toBeGreaterThanOrEqual(0);
    expect(library).toBeLessThan(firstChart);
    expect(html.filter((h) => h.includes('window.define=undefined'))).toHaveLength(1);
  }
  // Saved, the executed lesson is at most 1.5 MB besides its pictures (plotly.js-dist inlined made it 10.8 MB).
  const pictures = outputs.reduce((sum, o) => sum + (o.output_type === 'display_data' ? String(o.data['image/png'] ?? '').length : 0), 0);
  expect(serializeNotebook(result.notebook).length - pictures).toBeLessThanOrEqual(1_500_000);
}, 600000);
