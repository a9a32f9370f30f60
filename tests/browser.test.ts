/**
 * End to end in a real browser: `npm start`'s server with the project's tslab kernel, Debian's
 * Chromium driven by playwright-core (no browser download). Opens 00-getting-started, runs every
 * cell (quick mode), and checks what a student sees: no errors, pictures, a rendered plotly chart, the
 * TypeScript kernel. Saves a screenshot to out/screenshots/. Skipped, saying why, where Chromium or
 * Jupyter is missing (.ci/run installs both from Debian's packages).
 */
import * as fs from 'fs';
import * as path from 'path';
import { findJupyter, startJupyter, freePort, JupyterServer } from '../lib/jupyter/server';

const CHROMIUM = '/usr/bin/chromium';
const jupyter = findJupyter();
const missing = !fs.existsSync(CHROMIUM) ? `${CHROMIUM} is missing (apt-get install chromium)` : 'missing' in jupyter ? jupyter.missing : null;
if (missing) {
  // eslint-disable-next-line no-console
  console.warn(`browser test skipped: ${missing}; run: bash scripts/setup-jupyter.sh --with-browser`);
}
const maybe = missing ? test.skip : test;

maybe('00-getting-started runs in Jupyter in Chromium: TypeScript kernel, no errors, a PNG, a rendered plotly chart', async () => {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { chromium } = require('playwright-core');
  let server: JupyterServer | null = null;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  try {
    server = await startJupyter({ port: await freePort(), env: { CVKIT_QUICK: '1' }, quiet: true });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${server.url}/notebooks/notebooks/00-getting-started.ipynb?token=${server.token}`);
    await page.waitForFunction(() => {
      const J = (window as any).Jupyter;
      return J && J.notebook && J.notebook.kernel && J.notebook.kernel.is_connected() && J.notebook.kernel.info_reply && J.notebook.kernel.info_reply.implementation === 'tslab';
    }, null, { timeout: 120000 });
    await page.evaluate(() => (window as any).Jupyter.notebook.execute_all_cells());
    await page.waitForFunction(() => {
      const cells = (window as any).Jupyter.notebook.get_cells();
      return cells.every((c: any) => c.cell_type !== 'code' || (c.input_prompt_number != null && c.input_prompt_number !== '*'))
        && (window as any).Jupyter.notebook.kernel_busy !== true;
    }, null, { timeout: 400000, polling: 1000 });
    const report = await page.evaluate(() => {
      const J = (window as any).Jupyter;
      const outputs = J.notebook.get_cells().flatMap((c: any) => (c.output_area ? c.output_area.outputs : []));
      return {
        kernel: J.notebook.kernel.name,
        indicator: (document.querySelector('.kernel_indicator_name') as HTMLElement | null)?.textContent ?? '',
        errors: outputs.filter((o: any) => o.output_type === 'error' || (o.output_type === 'stream' && o.name === 'stderr' && /Error/.test(o.text))).map((o: any) => o.text ?? o.evalue),
        pngs: document.querySelectorAll('.output_png img').length,
        plots: document.querySelectorAll('.js-plotly-plot .main-svg').length,
        text: outputs.filter((o: any) => o.output_type === 'stream').map((o: any) => o.text).join(''),
      };
    });
    const shots = path.join(__dirname, '..', 'out', 'screenshots');
    fs.mkdirSync(shots, { recursive: true });
    // The notebook scrolls inside #site: one screenshot at the first chart, one at the top.
    await page.locator('.js-plotly-plot').first().scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(shots, '00-getting-started-plot.png') });
    await page.evaluate(() => document.querySelector('#site')?.scrollTo(0, 0));
    await page.screenshot({ path: path.join(shots, '00-getting-started.png') });
    expect(report.errors).toEqual([]);
    expect(report.kernel).toBe('tslab');
    expect(report.indicator).toMatch(/TypeScript/);
    expect(report.pngs).toBeGreaterThanOrEqual(1);
    expect(report.plots).toBeGreaterThanOrEqual(1);
    expect(report.text).toMatch(/test accuracy: [\d.]+%/);
  } finally {
    await browser.close();
    if (server) await server.stop();
  }
}, 600000);
