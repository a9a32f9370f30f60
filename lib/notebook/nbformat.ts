/**
 * Jupyter notebooks (nbformat 4): types, reading with validation, writing.
 * Reading never trusts its input: every problem is reported with where it is, so that a bad
 * notebook (hand-edited, truncated, not JSON) gives a clear message instead of a crash.
 */
import * as fs from 'fs';

export type MultilineString = string | string[];

export interface StreamOutput { output_type: 'stream'; name: 'stdout' | 'stderr'; text: MultilineString }
export interface DisplayDataOutput { output_type: 'display_data'; data: Record<string, unknown>; metadata: Record<string, unknown>; transient?: { display_id?: string } }
export interface ExecuteResultOutput { output_type: 'execute_result'; execution_count: number | null; data: Record<string, unknown>; metadata: Record<string, unknown> }
export interface ErrorOutput { output_type: 'error'; ename: string; evalue: string; traceback: string[] }
export type Output = StreamOutput | DisplayDataOutput | ExecuteResultOutput | ErrorOutput;

export interface CodeCell {
  cell_type: 'code';
  id?: string;
  metadata: Record<string, unknown>;
  source: MultilineString;
  outputs: Output[];
  execution_count: number | null;
}
export interface MarkdownCell { cell_type: 'markdown'; id?: string; metadata: Record<string, unknown>; source: MultilineString; attachments?: Record<string, unknown> }
export interface RawCell { cell_type: 'raw'; id?: string; metadata: Record<string, unknown>; source: MultilineString }
export type Cell = CodeCell | MarkdownCell | RawCell;

export interface Notebook {
  nbformat: 4;
  nbformat_minor: number;
  metadata: Record<string, unknown>;
  cells: Cell[];
}

export class NotebookFormatError extends Error {
  constructor(message: string, readonly problems: string[]) {
    super(message);
    this.name = 'NotebookFormatError';
  }
}

/** The tslab kernel spec and language info the kit's notebooks carry. */
export const TSLAB_METADATA = {
  kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' },
  language_info: { codemirror_mode: { mode: 'typescript', name: 'javascript', typescript: true }, file_extension: '.ts', mimetype: 'text/typescript', name: 'typescript', version: '5.0.4' },
};

/** A cell's source as one string. */
export function sourceText(cell: { source: MultilineString }): string {
  return Array.isArray(cell.source) ? cell.source.join('') : cell.source;
}

/** Splits text into nbformat's list of lines (each but the last keeps its newline). */
export function toLines(text: string): string[] {
  const parts = text.split('\n');
  return parts.map((line, i) => (i < parts.length - 1 ? line + '\n' : line)).filter((line, i, all) => line !== '' || i < all.length - 1);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isMultiline = (v: unknown) => typeof v === 'string' || (Array.isArray(v) && v.every((s) => typeof s === 'string'));

/** Lists what keeps `value` from being an nbformat 4 notebook (empty when it is one). */
export function validateNotebook(value: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(value)) return ['top level is not a JSON object'];
  if (value.nbformat !== 4) problems.push(`nbformat is ${JSON.stringify(value.nbformat)}, expected 4`);
  if (typeof value.nbformat_minor !== 'number') problems.push('nbformat_minor is missing or not a number');
  if (!isObject(value.metadata)) problems.push('metadata is missing or not an object');
  if (!Array.isArray(value.cells)) {
    problems.push('cells is missing or not a list');
    return problems;
  }
  value.cells.forEach((cell, i) => {
    const where = `cell ${i}`;
    if (!isObject(cell)) { problems.push(`${where} is not an object`); return; }
    if (!['code', 'markdown', 'raw'].includes(cell.cell_type as string)) problems.push(`${where}: cell_type ${JSON.stringify(cell.cell_type)} is not code, markdown or raw`);
    if (!isMultiline(cell.source)) problems.push(`${where}: source is not a string or list of strings`);
    if (cell.metadata != null && !isObject(cell.metadata)) problems.push(`${where}: metadata is not an object`);
    if (cell.cell_type === 'code') {
      if (cell.outputs != null && !Array.isArray(cell.outputs)) problems.push(`${where}: outputs is not a list`);
      if (cell.execution_count != null && typeof cell.execution_count !== 'number') problems.push(`${where}: execution_count is not a number or null`);
    }
  });
  return problems;
}

/** Parses notebook JSON text; throws NotebookFormatError listing every problem. Fills optional fields. */
export function parseNotebook(text: string, origin = 'notebook'): Notebook {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new NotebookFormatError(`${origin} is not JSON: ${(err as Error).message}`, ['not JSON']);
  }
  return notebookFromValue(value, origin);
}

/** An already parsed JSON value as a notebook; throws NotebookFormatError listing every problem. Fills optional fields. */
export function notebookFromValue(value: unknown, origin = 'notebook'): Notebook {
  const problems = validateNotebook(value);
  if (problems.length > 0) throw new NotebookFormatError(`${origin} is not a valid nbformat 4 notebook: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (+${problems.length - 5} more)` : ''}`, problems);
  const nb = value as Notebook;
  for (const cell of nb.cells) {
    cell.metadata = cell.metadata ?? {};
    if (cell.cell_type === 'code') {
      cell.outputs = cell.outputs ?? [];
      cell.execution_count = cell.execution_count ?? null;
    }
  }
  return nb;
}

/** Reads and validates a notebook file. */
export function readNotebook(path: string, maxBytes = 64 * 1024 * 1024): Notebook {
  const size = fs.statSync(path).size;
  if (size > maxBytes) throw new NotebookFormatError(`${path} is ${(size / 1048576).toFixed(1)} MB, over the ${(maxBytes / 1048576).toFixed(0)} MB limit`, ['too large']);
  return parseNotebook(fs.readFileSync(path, 'utf8'), path);
}

/** Serialises like Jupyter does (1-space indent, trailing newline). */
export function serializeNotebook(nb: Notebook): string {
  return JSON.stringify(nb, null, 1) + '\n';
}

/** Writes a notebook atomically (temporary file, then rename). */
export function writeNotebook(path: string, nb: Notebook): void {
  const tmp = `${path}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, serializeNotebook(nb));
  fs.renameSync(tmp, path);
}

export function markdownCell(text: string, metadata: Record<string, unknown> = {}): MarkdownCell {
  return { cell_type: 'markdown', metadata, source: toLines(text) };
}

export function codeCell(text: string, metadata: Record<string, unknown> = {}): CodeCell {
  return { cell_type: 'code', metadata, source: toLines(text), outputs: [], execution_count: null };
}

/** A new notebook for the tslab kernel. */
export function newNotebook(cells: Cell[]): Notebook {
  return { nbformat: 4, nbformat_minor: 5, metadata: { ...TSLAB_METADATA }, cells: cells.map((c, i) => ({ ...c, id: c.id ?? `cell-${i}` })) };
}
