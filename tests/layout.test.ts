/**
 * The layout rule (README.md, "Layout") as checks on the import graph of lib/ and datasets/: no
 * import cycle between folders or between files, architectures (lib/nn) and shared geometry
 * (lib/ops) depend on no topic, and no topic depends on another topic or on the training loops.
 * Relative imports only (`import`/`export ... from`, `require(...)`, `import(...)`), type-only ones included.
 */
import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '..');

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) return sources(rel);
    return /\.ts$/.test(e.name) && !/\.d\.ts$/.test(e.name) ? [rel] : [];
  });
}

/** file -> the files it imports (relative imports resolved to .ts files or folder index.ts). */
function importGraph(files: string[]): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  const pattern = /(?:from\s+|require\(\s*|import\(\s*)['"](\.{1,2}\/[^'"]*)['"]/g;
  for (const file of files) {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    const targets = new Set<string>();
    for (const m of text.matchAll(pattern)) {
      const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1]));
      const hit = [`${base}.ts`, `${base}/index.ts`, base].find((c) => known.has(c));
      if (hit) targets.add(hit);
    }
    graph.set(file, [...targets]);
  }
  return graph;
}

/** Strongly connected components with more than one member (Tarjan): the cycles. */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter); low.set(v, counter); counter++; stack.push(v); on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do { w = stack.pop()!; on.delete(w); comp.push(w); } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

/** The room a file lives in: lib/<folder>, datasets; lib's top-level files (index.ts, cli.ts) are entry points. */
// A topic's recipes.ts (lib/<topic>/recipes.ts) is where the topic meets the training loops: like an
// entry point it stands outside the rooms (it may import lib/train; lib/train/registry.ts lists it).
const room = (file: string) => (file.startsWith('datasets/') ? 'datasets' : /^lib\/[^/]+\/recipes\.ts$/.test(file) && !file.startsWith('lib/train/') ? null : file.split('/').length > 2 ? file.split('/').slice(0, 2).join('/') : null);

const files = [...sources('lib'), ...sources('datasets')];
const graph = importGraph(files);
const folderGraph = new Map<string, string[]>();
for (const [file, targets] of graph) {
  const from = room(file);
  if (from == null) continue;
  const to = targets.map(room).filter((r): r is string => r != null && r !== from);
  folderGraph.set(from, [...new Set([...(folderGraph.get(from) ?? []), ...to])]);
}
const dependsOn = (from: string) => folderGraph.get(from) ?? [];

const TOPICS = ['lib/explain', 'lib/landmarks', 'lib/segmentation', 'lib/gan', 'lib/perceptual'];

test('the import graph is read: lib/train/losses.ts imports the landmark losses', () => {
  expect(files.length).toBeGreaterThan(50);
  expect(graph.get('lib/train/losses.ts')).toEqual(expect.arrayContaining(['lib/landmarks/centernet.ts', 'lib/landmarks/heatmapLoss.ts']));
});

// None left: the grading kernel's additions come in as a plugin the grader names
// (lib/grader/kernelPlugin.ts), and report.ts only reads grade.ts's types.
const KNOWN_FOLDER_CYCLES: string[][] = [];
const KNOWN_FILE_CYCLES: string[][] = [];
const unknown = (found: string[][], known: string[][]) => found.filter((c) => !known.some((k) => k.join(' ') === c.join(' ')));

test('no import cycle between the folders of lib/ and datasets/', () => {
  expect(unknown(cycles(folderGraph), KNOWN_FOLDER_CYCLES)).toEqual([]);
});

test('no import cycle between files (lib/runtime/wasm/simd.ts and heap.ts no longer import each other)', () => {
  expect(unknown(cycles(graph), KNOWN_FILE_CYCLES)).toEqual([]);
});

test('lib/nn (architectures) and lib/ops (shared geometry) depend on no topic, no training loop, no display', () => {
  for (const base of ['lib/nn', 'lib/ops']) {
    const bad = dependsOn(base).filter((r) => TOPICS.includes(r) || ['lib/train', 'lib/display', 'lib/grader', 'lib/notebook'].includes(r));
    expect({ folder: base, imports: bad }).toEqual({ folder: base, imports: [] });
  }
  expect(dependsOn('lib/ops')).toEqual([]);
});

test('a topic folder imports no other topic and no training loop (lib/train imports topics, for its loss table)', () => {
  for (const topic of TOPICS) {
    const bad = dependsOn(topic).filter((r) => r !== topic && (TOPICS.includes(r) || r === 'lib/train'));
    expect({ topic, imports: bad }).toEqual({ topic, imports: [] });
  }
});
