/**
 * What comes out of grading besides results/<id>.json: a feedback page per submission and a CSV for
 * the LMS (the gradebook's files: lib/grader/gradebook.ts). The page shows the scores, the failure
 * messages, the repairs the grader made and the notebook as graded, pictures included. Everything
 * that came from a submission is data, never markup: every field is escaped (student HTML shows as
 * text; a stream's name becomes one of two fixed classes), images are only base64 PNG, and the page's
 * Content-Security-Policy allows no script. In the CSV, a cell a spreadsheet would read as a formula
 * (starting with = + - @, a tab or a carriage return) is prefixed with ' (OWASP's CSV injection rule).
 * No hidden test's code or expected value reaches either: hidden tests run in the grader
 * (lib/grader/remote.ts) and their failure messages never quote the reference.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Notebook, sourceText, Output } from '../notebook/nbformat';
import type { GradeResult } from './grade';
import type { Assignment } from './assignment';
import { nbgraderOf, roleOf } from './metadata';
import { markdownToSafeHtml, escapeHtml } from './markdown';
export { escapeHtml };

/** HTML-escapes any value (numbers and the grader's own words included). */
const text = (v: unknown) => (Array.isArray(v) ? v.filter((x) => typeof x === 'string').join('') : typeof v === 'string' ? v : '');

function outputHtml(o: Output): string {
  switch (o.output_type) {
    case 'stream': return `<pre class="${o.name === 'stderr' ? 'stderr' : 'stdout'}">${escapeHtml(text(o.text))}</pre>`;
    case 'error': return `<pre class="error">${escapeHtml(`${text(o.ename)}: ${text(o.evalue)}`)}</pre>`;
    case 'display_data':
    case 'execute_result': {
      const data = o.data && typeof o.data === 'object' ? o.data : {};
      const png = text(data['image/png']).replace(/\s/g, '');
      if (png && /^[A-Za-z0-9+/=]+$/.test(png)) return `<img src="data:image/png;base64,${png}" alt="output">`;
      const plain = text(data['text/plain']);
      if (plain) return `<pre>${escapeHtml(plain)}</pre>`;
      return data['text/html'] ? '<p class="note">(an HTML output, not shown here)</p>' : '';
    }
  }
  return '';
}

/** Per question: points (rounded to 0.01), maximum, tests passed, and whether a TA still grades it. */
export function questionTotals(result: Pick<GradeResult, 'tests'>): { question: string; score: number; max: number; passed: number; tests: number; pending: boolean }[] {
  const round = (x: number) => Math.round(x * 100) / 100;
  return [...new Set(result.tests.map((t) => t.question))].map((question) => {
    const ts = result.tests.filter((t) => t.question === question);
    return {
      question, score: round(ts.reduce((s, t) => s + t.score, 0)), max: round(ts.reduce((s, t) => s + t.max_score, 0)),
      passed: ts.filter((t) => t.status === 'passed').length, tests: ts.length, pending: ts.some((t) => t.status === 'pending'),
    };
  });
}

const statusClass = (s: string) => (s === 'passed' || s === 'failed' || s === 'pending' ? s : 'failed');

export function feedbackHtml(result: GradeResult, notebook: Notebook | null, a: Assignment): string {
  const pts = (x: number) => escapeHtml(Math.round(x * 100) / 100);
  const rows = result.tests.map((t) => `<tr class="${statusClass(t.status)}"><td>${escapeHtml(t.name)}${t.visibility === 'visible' ? '' : ' <small>(hidden test)</small>'}</td><td>${t.status === 'pending' ? '—' : pts(t.score)} / ${pts(t.max_score)}</td><td>${escapeHtml(t.status)}</td><td>${escapeHtml(t.output)}</td></tr>`).join('\n');
  const questions = questionTotals(result).map((t) => {
    const state = t.pending ? 'pending' : t.score >= t.max ? 'passed' : 'failed';
    return `<tr class="${state}"><td>${escapeHtml(t.question)}</td><td>${t.pending ? '—' : escapeHtml(t.score)} / ${escapeHtml(t.max)}</td><td>${t.pending ? 'graded by hand' : `${t.passed} of ${t.tests} tests passed`}</td></tr>`;
  }).join('\n');
  const cells = (notebook?.cells ?? []).map((cell) => {
    const m = nbgraderOf(cell);
    const label = m ? `<div class="label">${escapeHtml(m.grade_id)} · ${escapeHtml(roleOf(cell))}</div>` : '';
    if (cell.cell_type === 'markdown') return `<div class="cell md">${label}${markdownToSafeHtml(sourceText(cell))}</div>`;
    if (cell.cell_type !== 'code') return `<div class="cell md">${label}<pre>${escapeHtml(sourceText(cell))}</pre></div>`;
    return `<div class="cell code">${label}<pre class="src">${escapeHtml(sourceText(cell))}</pre>${(Array.isArray(cell.outputs) ? cell.outputs : []).map(outputHtml).join('\n')}</div>`;
  }).join('\n');
  const manual = result.max_score - result.autograded_max_score;
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(a.config.title)} — ${escapeHtml(result.student)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:4px;vertical-align:top}
tr.passed td:nth-child(3){color:#080}tr.failed td:nth-child(3){color:#b00}tr.pending td:nth-child(3){color:#a60}.cell{border-left:3px solid #ddd;margin:1em 0;padding-left:8px}
pre{white-space:pre-wrap;margin:4px 0}.src{background:#f6f6f6}.stderr,.error{color:#b00}.label{font-size:80%;color:#666}.md-code{background:#f6f6f6}code{background:#f3f3f3;padding:0 2px}img{max-width:100%;min-width:256px;image-rendering:pixelated}</style></head><body>
<h1>${escapeHtml(a.config.title)}</h1>
<p><b>${escapeHtml(result.student)}</b>: <b>${escapeHtml(result.score)}</b> of ${escapeHtml(result.autograded_max_score)} autograded points${manual > 0 ? `; ${escapeHtml(Math.round(manual * 1000) / 1000)} more points are graded by hand` : ''}. Graded ${escapeHtml(result.graded_at)} (${escapeHtml(result.status)}).</p>
${result.output ? `<h2>Notes</h2><pre>${escapeHtml(result.output)}</pre>` : ''}
<h2>Questions</h2><table><tr><th>question</th><th>points</th><th></th></tr>${questions}</table>
<h2>Tests</h2><p class="label">A question's points are shared by its tests in proportion to their weights; hidden tests ran on inputs your notebook did not see.</p><table><tr><th>test</th><th>points</th><th>status</th><th>message</th></tr>${rows}</table>
<h2>Your notebook, as graded</h2>${cells}
</body></html>
`;
}

/** A CSV field: quoted when needed, formulas neutralised. */
export function csvField(value: unknown): string {
  let s = String(value ?? '');
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per submission: id, path, total, each question, status. */
export function exportCsv(gradebook: string): string {
  const dir = path.join(gradebook, 'results');
  if (!fs.existsSync(dir)) throw new Error(`no results in ${gradebook} (grade first)`);
  const results = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as GradeResult);
  const questions = [...new Set(results.flatMap((r) => r.tests.map((t) => t.question)))];
  const lines = [['student', 'submission', 'assignment', 'score', 'max_score', ...questions, 'status', 'graded_at'].map(csvField).join(',')];
  for (const r of results) {
    const totals = questionTotals(r);
    const per = questions.map((id) => {
      const t = totals.find((x) => x.question === id);
      return !t ? '' : t.pending ? 'manual' : t.score;
    });
    lines.push([r.student, r.submission_path ?? '', r.assignment, r.score, r.max_score, ...per, r.status, r.graded_at].map(csvField).join(','));
  }
  return lines.join('\n') + '\n';
}
