/**
 * Markdown to HTML for the feedback page, safe by construction: the text is HTML-escaped FIRST, and only
 * then are a few markdown forms turned into tags the renderer writes itself (headings, paragraphs, lists,
 * code blocks and spans, bold, italic). No raw HTML, no script, no attribute from the student survives;
 * links and images become their text and address, as text.
 */
/** Text as HTML: the five characters that can open markup or end an attribute, escaped. */
export const escapeHtml = (v: unknown) => String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

function inline(text: string): string {
  // text is already escaped; code spans first, so their content is not formatted further
  const parts = text.split(/(`[^`]+`)/g);
  return parts.map((p) => {
    if (/^`[^`]+`$/.test(p)) return `<code>${p.slice(1, -1)}</code>`;
    return p
      .replace(/!\[([^\]]*)\]\(([^)\s]*)\)/g, '[image: $1 ($2)]')
      .replace(/\[([^\]]+)\]\(([^)\s]*)\)/g, '$1 ($2)')
      .replace(/\*\*([^*]+)\*\*/g, '<b>$1</b>')
      .replace(/__([^_]+)__/g, '<b>$1</b>')
      .replace(/(^|[^*\w])\*([^*\s][^*]*)\*(?=[^*\w]|$)/g, '$1<i>$2</i>')
      .replace(/(^|[^_\w])_([^_\s][^_]*)_(?=[^_\w]|$)/g, '$1<i>$2</i>');
  }).join('');
}

/** The HTML of a markdown text (see the header). */
export function markdownToSafeHtml(markdown: string): string {
  const lines = escapeHtml(markdown.replace(/\r\n?/g, '\n')).split('\n');
  const out: string[] = [];
  let paragraph: string[] = [];
  let list: 'ul' | 'ol' | null = null;
  let code: string[] | null = null;
  const flush = () => {
    if (paragraph.length) out.push(`<p>${inline(paragraph.join(' '))}</p>`);
    paragraph = [];
  };
  const closeList = () => { if (list) { out.push(`</${list}>`); list = null; } };
  for (const line of lines) {
    if (code) {
      if (/^\s*```/.test(line)) { out.push(`<pre class="md-code">${code.join('\n')}</pre>`); code = null; } else code.push(line);
      continue;
    }
    if (/^\s*```/.test(line)) { flush(); closeList(); code = []; continue; }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const bullet = /^\s*[-*+]\s+(.*)$/.exec(line);
    const numbered = /^\s*\d+[.)]\s+(.*)$/.exec(line);
    if (heading) { flush(); closeList(); const n = Math.min(6, heading[1].length + 2); out.push(`<h${n}>${inline(heading[2])}</h${n}>`); }
    else if (bullet || numbered) {
      flush();
      const kind = bullet ? 'ul' : 'ol';
      if (list !== kind) { closeList(); out.push(`<${kind}>`); list = kind; }
      out.push(`<li>${inline((bullet ?? numbered)![1])}</li>`);
    } else if (line.trim() === '') { flush(); closeList(); }
    else { closeList(); paragraph.push(line.trim()); }
  }
  if (code) out.push(`<pre class="md-code">${code.join('\n')}</pre>`);
  flush();
  closeList();
  return out.join('\n');
}
