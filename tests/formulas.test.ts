/**
 * Every formula in the markdown of the lessons (notebooks/) and of the assignments (source and
 * release) is valid TeX for KaTeX, and lost none of its backslashes. A backslash goes missing in two
 * ways: dropped (`w^c_k cdot mathrm{mean}(A^k)`, which still parses: as the letters c, d, o, t) or
 * eaten by JSON when the notebook was written by hand (`\rVert` became a carriage return and
 * `Vert`). So besides parsing, a formula may contain no control character and no run of letters that
 * is the name of a TeX command (write `x_{\max}` or `g_{\text{in}}`, not `x_{max}` or `g_{in}`).
 */
import * as fs from 'fs';
import * as path from 'path';
import katex from 'katex';
import { readNotebook, sourceText } from '../lib/notebook/nbformat';

const root = path.join(__dirname, '..');

function notebookFiles(): string[] {
  const lessons = fs.readdirSync(path.join(root, 'notebooks')).filter((f) => f.endsWith('.ipynb')).map((f) => path.join('notebooks', f));
  const assignments = fs.readdirSync(path.join(root, 'assignments'), { withFileTypes: true }).filter((d) => d.isDirectory()).flatMap((d) =>
    ['source', 'release'].flatMap((part) => {
      const dir = path.join('assignments', d.name, part);
      return fs.existsSync(path.join(root, dir)) ? fs.readdirSync(path.join(root, dir)).filter((f) => f.endsWith('.ipynb')).map((f) => path.join(dir, f)) : [];
    }));
  return [...lessons, ...assignments].sort();
}

interface Formula { tex: string; display: boolean }

/** The $...$ and $$...$$ formulas of a markdown text, outside code spans and code blocks. */
function formulasOf(markdown: string): Formula[] {
  const prose = markdown.replace(/^(```|~~~)[\s\S]*?^\1/gm, '').replace(/(`+)[\s\S]*?\1/g, '').replace(/\\\$/g, '');
  const out: Formula[] = [];
  const pattern = /\$\$([\s\S]+?)\$\$|\$((?:[^$\n]|\n(?!\s*\n))+?)\$/g;
  for (let m = pattern.exec(prose); m; m = pattern.exec(prose)) out.push(m[1] != null ? { tex: m[1], display: true } : { tex: m[2], display: false });
  return out;
}

const commandCache = new Map<string, boolean>();

/** True when KaTeX knows `\name` (a command, symbol or macro). */
function isCommand(name: string): boolean {
  let known = commandCache.get(name);
  if (known == null) {
    try {
      katex.renderToString(`\\${name}`, { throwOnError: true });
      known = true;
    } catch (err) {
      known = !/Undefined control sequence/.test((err as Error).message); // e.g. "\frac" without its arguments
    }
    commandCache.set(name, known);
  }
  return known;
}

/** What is wrong with one formula (empty when nothing is). */
function formulaProblems(formula: Formula): string[] {
  const problems: string[] = [];
  try {
    katex.renderToString(formula.tex, { displayMode: formula.display, throwOnError: true, strict: (code: string) => (code === 'unicodeTextInMathMode' ? 'ignore' : 'error') });
  } catch (err) {
    problems.push((err as Error).message);
  }
  const control = /[\u0000-\u0009\u000b-\u001f\u007f]/.exec(formula.tex);
  if (control) problems.push(`control character U+${control[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${control.index}: a backslash escape eaten by JSON (\\r, \\t, \\f, \\b)?`);
  // Letters outside commands and outside the text arguments of \text{..}, \mathrm{..}, \operatorname{..}.
  const letters = formula.tex.replace(/\\(?:text\w*|math\w+|operatorname\*?)\s*\{[^{}]*\}/g, ' ').replace(/\\[A-Za-z]+|\\./g, ' ');
  for (const m of letters.matchAll(/(\n?)([A-Za-z]{2,})/g)) {
    const [, newline, word] = m;
    if (isCommand(word)) problems.push(`"${word}" is the TeX command \\${word} without its backslash`);
    else if (newline && isCommand(`n${word}`)) problems.push(`a line break then "${word}": \\n${word} with its \\n read as a newline`);
  }
  return problems;
}

test('the checker finds lost backslashes that still parse, and escapes eaten by JSON; it passes good formulas', () => {
  expect(formulaProblems({ tex: 'w^c_k cdot mathrm{mean}(A^k)', display: false }).join('\n')).toMatch(/\\cdot[\s\S]*\\mathrm/);
  expect(formulaProblems({ tex: JSON.parse('"\\\\lVert I \\rVert^2"'), display: false }).join('\n')).toMatch(/control character U\+000d/);
  expect(formulaProblems({ tex: 'x_{max}', display: false })).toHaveLength(1);
  expect(formulaProblems({ tex: 'a +\nabla f', display: true })[0]).toMatch(/\\nabla/);
  expect(formulaProblems({ tex: '\\frac{1}{2', display: true })[0]).toMatch(/KaTeX parse error/);
  expect(formulaProblems({ tex: 'y_c = \\sum_k w^c_k \\, \\frac{1}{HW} \\sum_{x,y} f_k(x, y) + b_c', display: true })).toEqual([]);
  expect(formulaProblems({ tex: 'L^c_{\\text{Grad-CAM}} = \\mathrm{ReLU}(\\sum_k \\alpha^c_k A^k),\\ x_{\\max}', display: false })).toEqual([]);
  expect(formulasOf('see `$x$` and $a$, then\n$$b\n+ c$$ and $c\nd$ but not $e\n\nf$')).toEqual([
    { tex: 'a', display: false }, { tex: 'b\n+ c', display: true }, { tex: 'c\nd', display: false },
  ]);
});

const files = notebookFiles();

test('the lessons and both parts of every assignment are checked', () => {
  expect(files.filter((f) => f.startsWith('notebooks')).length).toBeGreaterThanOrEqual(4);
  expect(files.some((f) => /assignments\/[^/]+\/source\//.test(f))).toBe(true);
  expect(files.some((f) => /assignments\/[^/]+\/release\//.test(f))).toBe(true);
});

test.each(files)('every markdown formula of %s is valid TeX with no backslash lost', (file) => {
  const nb = readNotebook(path.join(root, file));
  const problems = nb.cells.flatMap((cell, index) => (cell.cell_type !== 'markdown' ? [] :
    formulasOf(sourceText(cell)).flatMap((formula) => formulaProblems(formula).map((p) => { const d = formula.display ? '$$' : '$'; return `cell ${index}: ${d}${formula.tex}${d}: ${p}`; }))));
  expect(problems).toEqual([]);
});
