/**
 * Interactive charts with plotly.js: its cartesian bundle (plotly.js-cartesian-dist-min: scatter, bar,
 * heatmap and the other 2-D traces), loaded from node_modules, never a CDN, so charts work offline.
 * Each chart is a MIME bundle of three copies:
 *   application/vnd.plotly.v1+json — the figure, which JupyterLab (with plotly's renderer) and VS Code draw themselves;
 *   text/html — a div and a script that draws it with window.Plotly (the classic Notebook, nbconvert's HTML);
 *   image/png — the chart drawn with canvas, for readers that run no JavaScript (headless runs, tests,
 *               untrusted notebooks).
 *
 * The library goes into the notebook once per kernel process, as an output of its own before the first
 * chart (ensurePlotlyLoaded): gzip-compressed and base64-encoded, 0.66 MB, which the browser inflates with
 * DecompressionStream; charts wait for it. docs/design.md ("Charts offline") says why this way.
 */
import * as fs from 'fs';
import * as zlib from 'zlib';
import { createCanvas } from '@napi-rs/canvas';
import { display, newDisplay, DisplayHandle, MimeBundle } from './kernel';
import { colormap } from './colormap';
import { font, registerKitFonts, FONT_STACK } from './fonts';

/** The axis settings the PNG fallback also honours (plotly takes many more). */
export interface Axis { title?: string; type?: 'linear' | 'log'; tickvals?: number[]; ticktext?: string[]; range?: [number, number]; [key: string]: unknown }

export interface Trace {
  type?: 'scatter' | 'heatmap' | 'bar';
  mode?: 'lines' | 'markers' | 'lines+markers';
  name?: string;
  x?: number[];
  y?: number[];
  z?: number[][];
  text?: string[];
  /** Extra plotly trace fields (marker, colorscale, ...), passed through. */
  [key: string]: unknown;
}

export interface Figure {
  data: Trace[];
  layout?: { title?: string; xaxis?: Axis; yaxis?: Axis; width?: number; height?: number; [key: string]: unknown };
}

/** The plotly.js bundle the kit ships (node_modules). */
export const PLOTLY_PACKAGE = 'plotly.js-cartesian-dist-min';

let libraryShown = false;
let libraryHtmlCache: string | null = null;
let plotCounter = 0;

/**
 * A script that defines window.Plotly from the installed bundle, once per page: the bundle travels
 * gzip-compressed in base64 and is inflated in the browser (DecompressionStream), then run as a script
 * with require.js's `define` hidden (the classic Notebook's AMD loader would otherwise capture plotly's
 * UMD wrapper and leave window.Plotly unset). `window.cvkitPlotly` is the promise charts wait for.
 */
export function plotlyLibraryHtml(): string {
  if (libraryHtmlCache == null) {
    const gzipped = zlib.gzipSync(fs.readFileSync(require.resolve(PLOTLY_PACKAGE)), { level: 9 }).toString('base64');
    libraryHtmlCache = `<script>(function(){if(window.Plotly||window.cvkitPlotly)return;` +
      `var b=atob("${gzipped}"),a=new Uint8Array(b.length);for(var i=0;i<b.length;i++)a[i]=b.charCodeAt(i);` +
      `window.cvkitPlotly=new Response(new Blob([a]).stream().pipeThrough(new DecompressionStream("gzip"))).text().then(function(source){` +
      `if(!window.Plotly){var d=window.define;window.define=undefined;try{var s=document.createElement("script");s.text=source;document.head.appendChild(s);}finally{window.define=d;}}` +
      `return window.Plotly;});})();</script>`;
  }
  return libraryHtmlCache;
}

/** The layout plotly gets: the kit's margins, the title as plotly's { text }. */
function plotlyLayout(figure: Figure): Record<string, unknown> {
  return { margin: { l: 50, r: 20, t: figure.layout?.title ? 40 : 20, b: 40 }, font: { family: PLOTLY_FONT }, ...figure.layout, title: figure.layout?.title ? { text: figure.layout.title } : undefined };
}

/** Chart text in the browser: the kit's stack, then the Korean fonts that Windows, macOS and Linux desktops ship. */
const PLOTLY_FONT = `${FONT_STACK.replace(', sans-serif', '')}, "Nanum Gothic", "Malgun Gothic", "Apple SD Gothic Neo", "Noto Sans CJK KR", sans-serif`;

const PLOTLY_CONFIG = { responsive: true, displaylogo: false };

/** HTML that draws `figure` into a new div once window.Plotly is there (the library's output comes first). */
export function figureHtml(figure: Figure, options: { includeLibrary?: boolean } = {}): string {
  const id = `cvkit-plot-${process.pid}-${++plotCounter}-${Date.now().toString(36)}`;
  const height = figure.layout?.height ?? 360;
  const library = options.includeLibrary ? plotlyLibraryHtml() : '';
  const json = JSON.stringify({ data: figure.data, layout: plotlyLayout(figure), config: PLOTLY_CONFIG }).replace(/</g, '\\u003c');
  return `${library}<div id="${id}" class="cvkit-plot" style="width:100%;max-width:${figure.layout?.width ?? 720}px;height:${height}px"></div>` +
    `<script>(function(){var f=${json},n=0;function draw(P){if(P)P.newPlot("${id}",f.data,f.layout,f.config);else fail();}` +
    `function fail(){var e=document.getElementById("${id}");if(e)e.textContent="(plotly.js is not on this page: run the cell again; the notebook file keeps a PNG copy)";}` +
    `(function wait(){if(window.Plotly)draw(window.Plotly);else if(window.cvkitPlotly)window.cvkitPlotly.then(draw,fail);else if(++n<200)setTimeout(wait,50);else fail();})();})();</script>`;
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const step0 = (hi - lo) / count;
  const mag = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** A static PNG of the figure (line/marker traces or one heatmap), for non-JavaScript readers. */
export function figurePng(figure: Figure): Buffer {
  const width = figure.layout?.width ?? 640;
  const height = figure.layout?.height ?? 360;
  registerKitFonts();
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  const m = { l: 60, r: 160, t: figure.layout?.title ? 30 : 12, b: 40 };
  const pw = width - m.l - m.r;
  const ph = height - m.t - m.b;
  ctx.fillStyle = '#000';
  ctx.font = font(13, 'bold');
  if (figure.layout?.title) ctx.fillText(String(figure.layout.title), m.l, 18);
  ctx.font = font(11);
  const heat = figure.data.find((t) => t.type === 'heatmap' && t.z);
  if (heat && heat.z) {
    const z = heat.z;
    const rows = z.length;
    const cols = z[0]?.length ?? 0;
    const flat = z.flat();
    const lo = flat.reduce((a, b) => Math.min(a, b), Infinity);
    const hi = flat.reduce((a, b) => Math.max(a, b), -Infinity);
    const cw = pw / Math.max(cols, 1);
    const chh = ph / Math.max(rows, 1);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const [R, G, B] = colormap('viridis', hi > lo ? (z[r][c] - lo) / (hi - lo) : 0.5);
        ctx.fillStyle = `rgb(${Math.round(R * 255)},${Math.round(G * 255)},${Math.round(B * 255)})`;
        ctx.fillRect(m.l + c * cw, m.t + r * chh, Math.ceil(cw), Math.ceil(chh));
        if (rows * cols <= 144) {
          ctx.fillStyle = (R + G + B) / 3 > 0.5 ? '#000' : '#fff';
          ctx.fillText(String(Number(z[r][c].toPrecision(3))), m.l + c * cw + 3, m.t + r * chh + chh / 2 + 4);
        }
      }
    }
    ctx.fillStyle = '#000';
    const xl = (heat.x as unknown[] | undefined) ?? Array.from({ length: cols }, (_, i) => i);
    const yl = (heat.y as unknown[] | undefined) ?? Array.from({ length: rows }, (_, i) => i);
    xl.forEach((label, c) => ctx.fillText(String(label).slice(0, 8), m.l + c * cw + 2, m.t + ph + 14));
    yl.forEach((label, r) => ctx.fillText(String(label).slice(0, 8), 4, m.t + r * chh + chh / 2 + 4));
  } else {
    const logY = figure.layout?.yaxis?.type === 'log';
    const traces = figure.data.filter((t) => t.y && t.y.length > 0).map((t) => (logY ? { ...t, y: t.y!.map((v) => Math.log10(v)) } : t));
    const xs = traces.flatMap((t) => t.x ?? t.y!.map((_, i) => i));
    const ys = traces.flatMap((t) => t.y!).filter((v) => Number.isFinite(v));
    const range = (v: number[]) => v.reduce(([lo, hi], x) => [Math.min(lo, x), Math.max(hi, x)], [Infinity, -Infinity]);
    const [x0, x1] = range(xs);
    let [y0, y1] = figure.layout?.yaxis?.range && !logY ? figure.layout.yaxis.range : range(ys);
    if (logY || traces.some((t) => t.type === 'bar')) y0 = Math.min(y0, logY ? Math.floor(y0) : 0);
    if (y0 === y1) { y0 -= 1; y1 += 1; }
    const X = (v: number) => m.l + (x1 > x0 ? ((v - x0) / (x1 - x0)) * pw : pw / 2);
    const Y = (v: number) => m.t + ph - ((v - y0) / (y1 - y0)) * ph;
    ctx.strokeStyle = '#ccc';
    ctx.lineWidth = 1;
    for (const t of niceTicks(y0, y1)) {
      ctx.beginPath(); ctx.moveTo(m.l, Y(t)); ctx.lineTo(m.l + pw, Y(t)); ctx.stroke();
      ctx.fillText(logY ? String(Number(Math.pow(10, t).toPrecision(2))) : String(t), 4, Y(t) + 4);
    }
    const xaxis = figure.layout?.xaxis;
    if (xaxis?.tickvals && xaxis.ticktext) xaxis.tickvals.forEach((v, i) => ctx.fillText(String(xaxis.ticktext![i] ?? v).slice(0, 14), X(v) - 20, m.t + ph + 14));
    else for (const t of niceTicks(x0, x1)) ctx.fillText(String(t), X(t) - 8, m.t + ph + 14);
    traces.forEach((t, k) => {
      const color = (t.marker as { color?: unknown } | undefined)?.color;
      const base = PALETTE[k % PALETTE.length];
      const px = t.x ?? t.y!.map((_, i) => i);
      const mode = t.mode ?? 'lines';
      if (t.type === 'bar') {
        const width = Math.max(1, (pw / Math.max(1, px.length)) * 0.8);
        ctx.fillStyle = base;
        px.forEach((x, i) => { const top = Y(Math.max(0, t.y![i])); const bottom = Y(Math.min(0, t.y![i])); ctx.fillRect(X(x) - width / 2, top, width, Math.max(1, bottom - top)); });
        return;
      }
      ctx.strokeStyle = base;
      ctx.lineWidth = 2;
      if (mode.includes('lines')) {
        ctx.beginPath();
        px.forEach((x, i) => (i === 0 ? ctx.moveTo(X(x), Y(t.y![i])) : ctx.lineTo(X(x), Y(t.y![i]))));
        ctx.stroke();
      }
      if (mode.includes('markers')) {
        px.forEach((x, i) => {
          ctx.fillStyle = Array.isArray(color) ? PALETTE[Number(color[i]) % PALETTE.length] : typeof color === 'string' ? color : base;
          ctx.beginPath(); ctx.arc(X(x), Y(t.y![i]), 2.5, 0, 2 * Math.PI); ctx.fill();
        });
      }
      ctx.fillStyle = base;
      ctx.fillRect(width - m.r + 10, m.t + 8 + k * 16, 12, 3);
      ctx.fillStyle = '#000';
      if (t.name) ctx.fillText(String(t.name).slice(0, 22), width - m.r + 26, m.t + 12 + k * 16);
    });
  }
  ctx.fillStyle = '#000';
  if (figure.layout?.xaxis?.title) ctx.fillText(String(figure.layout.xaxis.title), m.l + pw / 2 - 20, height - 6);
  if (figure.layout?.yaxis?.title) {
    ctx.save(); ctx.translate(12, m.t + ph / 2 + 20); ctx.rotate(-Math.PI / 2); ctx.fillText(String(figure.layout.yaxis.title), 0, 0); ctx.restore();
  }
  return canvas.toBuffer('image/png');
}

/**
 * Puts plotly.js on the page once per kernel process, as an output of its own (an invisible
 * script), so that charts shown later — and charts redrawn in place — find `window.Plotly`, and a
 * saved notebook (or its nbconvert HTML) loads the library before its charts when it is opened again.
 */
export function ensurePlotlyLoaded(): void {
  if (libraryShown) return;
  libraryShown = true;
  display({ 'text/html': plotlyLibraryHtml(), 'text/plain': '' });
}

function bundle(figure: Figure): MimeBundle {
  ensurePlotlyLoaded();
  return {
    'application/vnd.plotly.v1+json': { data: figure.data, layout: plotlyLayout(figure), config: PLOTLY_CONFIG },
    'text/html': figureHtml(figure),
    'image/png': figurePng(figure),
    'text/plain': `<plotly figure: ${figure.layout?.title ?? `${figure.data.length} trace(s)`}>`,
  };
}

/** Shows a plotly figure (plotly JSON, HTML and a PNG copy). */
export function showPlot(figure: Figure): void {
  display(bundle(figure));
}

/** A chart that can be redrawn in place, e.g. a training curve updated every epoch. */
export class LivePlot {
  private readonly handle: DisplayHandle = newDisplay();
  /** Draws (first call) or replaces (later calls) the chart. */
  update(figure: Figure): void {
    this.handle.update(bundle(figure));
  }
}

/** Line chart: one trace per series. */
export function lineChart(series: { name: string; x?: number[]; y: number[] }[], layout: Figure['layout'] = {}): Figure {
  return { data: series.map((s) => ({ type: 'scatter', mode: 'lines+markers', name: s.name, x: s.x ?? s.y.map((_, i) => i + 1), y: s.y })), layout };
}

/** Bar chart of one series (x: categories as numbers, e.g. channel indices). */
export function barChart(name: string, y: number[], layout: Figure['layout'] = {}, x?: number[]): Figure {
  return { data: [{ type: 'bar', name, x: x ?? y.map((_, i) => i), y }], layout };
}

/** Scatter plot of 2-D points coloured by group (e.g. an embedding coloured by class). */
export function scatterChart(points: [number, number][], groups: number[], groupNames: string[], layout: Figure['layout'] = {}, hoverText?: string[]): Figure {
  const data: Trace[] = groupNames.map((name, g) => {
    const idx = groups.map((v, i) => (v === g ? i : -1)).filter((i) => i >= 0);
    return { type: 'scatter', mode: 'markers', name, x: idx.map((i) => points[i][0]), y: idx.map((i) => points[i][1]), text: hoverText ? idx.map((i) => hoverText[i]) : undefined, marker: { size: 5, color: PALETTE[g % PALETTE.length] } };
  });
  return { data, layout };
}

/** Heatmap chart of a matrix (e.g. a confusion matrix), rows top to bottom. */
export function heatmapChart(z: number[][], xLabels: string[], yLabels: string[], layout: Figure['layout'] = {}): Figure {
  return {
    data: [{ type: 'heatmap', z, x: xLabels as unknown as number[], y: yLabels as unknown as number[], colorscale: 'Viridis', texttemplate: '%{z}', hoverongaps: false }],
    layout: { ...layout, yaxis: { ...(layout?.yaxis ?? {}), autorange: 'reversed' } as { title?: string } },
  };
}
