/**
 * Code and its output in panels side by side: lesson 02 puts each PyTorch idiom (code and the output
 * recorded by scripts/pytorch_idioms.py) beside its TF.js equivalent (code and live output). HTML for
 * notebooks, with a plain-text copy for readers without HTML (headless runs, tests).
 */
import { display, MimeBundle } from './kernel';

/** One panel: a title, optional code, and what it printed. */
export interface Panel { title: string; code?: string; output: string }

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The MIME bundle of `panels` side by side (text/html columns, text/plain one after the other). */
export function sideBySide(panels: Panel[]): MimeBundle {
  const pre = 'margin:4px 0;padding:6px;font-size:12px;white-space:pre-wrap;word-break:break-word;';
  const cells = panels.map((p) => `<td style="vertical-align:top;width:${(100 / panels.length).toFixed(0)}%;padding:4px"><b>${escapeHtml(p.title)}</b>` +
    (p.code ? `<pre style="${pre}background:#f7f7fa;border-left:3px solid #99c">${escapeHtml(p.code.trimEnd())}</pre>` : '') +
    `<pre style="${pre}background:#eef7ee;border-left:3px solid #6a6">${escapeHtml(p.output.trimEnd())}</pre></td>`).join('');
  const text = panels.map((p) => `── ${p.title} ──\n${p.code ? p.code.trimEnd() + '\n── output:\n' : ''}${p.output.trimEnd()}`).join('\n\n');
  return { 'text/html': `<table style="width:100%;table-layout:fixed;border-collapse:collapse"><tr>${cells}</tr></table>`, 'text/plain': text };
}

/** Shows `panels` side by side in the notebook (or writes them outside one; see display/kernel.ts). */
export function showSideBySide(panels: Panel[]): void {
  display(sideBySide(panels));
}
