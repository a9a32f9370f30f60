/**
 * What comes out of grading besides results/<student>.json: a feedback page per student and a CSV
 * for the LMS. The page shows the student's scores, the failure messages, the repairs the grader
 * made and the student's own notebook with its outputs (pictures included). It never contains
 * hidden test code — hidden tests' outputs are not even kept (lib/grader/grade.ts) — and student
 * HTML is shown as text, so a submission cannot run script in a TA's browser.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Notebook, sourceText, Output } from '../notebook/nbformat';
import type { GradeResult } from './grade';
import type { Assignment } from './assignment';
import { nbgraderOf, roleOf } from './metadata';

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const text = (v: unknown) => (Array.isArray(v) ? v.join('') : typeof v === 'string' ? v : '');

function outputHtml(o: Output): string {
  switch (o.output_type) {
    case 'stream': return `<pre class="${o.name}">${escape(text(o.text))}</pre>`;
    case 'error': return `<pre class="error">${escape(`${o.ename}: ${o.evalue}`)}</pre>`;
    case 'display_data':
    case 'execute_result': {
      const png = text(o.data['image/png']).replace(/\s/g, '');
      if (png && /^[A-Za-z0-9+/=]+$/.test(png)) return `<img src="data:image/png;base64,${png}" alt="output">`;
      const plain = text(o.data['text/plain']);
      if (plain) return `<pre>${escape(plain)}</pre>`;
      return o.data['text/html'] ? '<p class="note">(an HTML output, not shown here)</p>' : '';
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

export function feedbackHtml(result: Omit<GradeResult, never>, notebook: Notebook | null, a: Assignment): string {
  const rows = result.tests.map((t) => `<tr class="${t.status}"><td>${escape(t.name)}${t.visibility === 'visible' ? '' : ' <small>(hidden test)</small>'}</td><td>${t.status === 'pending' ? '—' : t.score} / ${t.max_score}</td><td>${t.status}</td><td>${escape(t.output)}</td></tr>`).join('\n');
  const questions = questionTotals(result).map((t) => {
    const state = t.pending ? 'pending' : t.score >= t.max ? 'passed' : 'failed';
    return `<tr class="${state}"><td>${escape(t.question)}</td><td>${t.pending ? '—' : t.score} / ${t.max}</td><td>${t.pending ? 'graded by hand' : `${t.passed} of ${t.tests} tests passed`}</td></tr>`;
  }).join('\n');
  const cells = (notebook?.cells ?? []).map((cell) => {
    const m = nbgraderOf(cell);
    const label = m ? `<div class="label">${escape(m.grade_id)} · ${roleOf(cell)}</div>` : '';
    if (cell.cell_type !== 'code') return `<div class="cell md">${label}<pre>${escape(sourceText(cell))}</pre></div>`;
    return `<div class="cell code">${label}<pre class="src">${escape(sourceText(cell))}</pre>${cell.outputs.map(outputHtml).join('\n')}</div>`;
  }).join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escape(a.config.title)} — ${escape(result.student)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:4px;vertical-align:top}
tr.passed td:nth-child(3){color:#080}tr.failed td:nth-child(3){color:#b00}tr.pending td:nth-child(3){color:#a60}.cell{border-left:3px solid #ddd;margin:1em 0;padding-left:8px}
pre{white-space:pre-wrap;margin:4px 0}.src{background:#f6f6f6}.stderr,.error{color:#b00}.label{font-size:80%;color:#666}img{max-width:100%}</style></head><body>
<h1>${escape(a.config.title)}</h1>
<p><b>${escape(result.student)}</b>: <b>${result.score}</b> of ${result.autograded_max_score} autograded points${result.max_score > result.autograded_max_score ? `; ${(result.max_score - result.autograded_max_score)} more points are graded by hand` : ''}. Graded ${escape(result.graded_at)} (${result.status}).</p>
${result.output ? `<h2>Notes</h2><pre>${escape(result.output)}</pre>` : ''}
<h2>Questions</h2><table><tr><th>question</th><th>points</th><th></th></tr>${questions}</table>
<h2>Tests</h2><table><tr><th>test</th><th>points</th><th>status</th><th>message</th></tr>${rows}</table>
<h2>Your notebook, as graded</h2>${cells}
</body></html>
`;
}

/** One row per student: total, each question, status. */
export function exportCsv(gradebook: string): string {
  const dir = path.join(gradebook, 'results');
  if (!fs.existsSync(dir)) throw new Error(`no results in ${gradebook} (grade first)`);
  const results = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as GradeResult);
  const questions = [...new Set(results.flatMap((r) => r.tests.map((t) => t.question)))];
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [['student', 'assignment', 'score', 'max_score', ...questions, 'status', 'graded_at'].join(',')];
  for (const r of results) {
    const totals = questionTotals(r);
    const per = questions.map((id) => {
      const t = totals.find((x) => x.question === id);
      return !t ? '' : t.pending ? 'manual' : String(t.score);
    });
    lines.push([q(r.student), q(r.assignment), String(r.score), String(r.max_score), ...per, r.status, r.graded_at].join(','));
  }
  return lines.join('\n') + '\n';
}
