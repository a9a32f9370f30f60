/**
 * Rebuilds the notebook to grade from a student's submission and the assignment source, by grade_id.
 *
 * Graded and locked cells come back in the source's order: test, locked and task cells from the
 * source (whatever the student did to them), answer cells from the student (the released stub if the
 * student deleted one). Cells the student added stay after the graded cell they followed. Every
 * repair is reported, so the student learns what happened: edited or emptied locked cells, deleted,
 * duplicated, reordered or retyped cells, lost metadata.
 */
import { Cell, CodeCell, Notebook, sourceText } from '../notebook/nbformat';
import { nbgraderOf, roleOf, isRestored } from './metadata';

export interface MergeResult {
  notebook: Notebook;
  notes: string[];
}

function clean(cell: Cell): Cell {
  const copy = JSON.parse(JSON.stringify(cell)) as Cell;
  if (copy.cell_type === 'code') { copy.outputs = []; copy.execution_count = null; }
  return copy;
}

function asCode(cell: Cell): CodeCell {
  return { cell_type: 'code', id: cell.id, metadata: cell.metadata ?? {}, source: cell.source, outputs: [], execution_count: null };
}

/** `release` gives the stubs for deleted answers; `source` gives locked and test cells. */
export function mergeSubmission(source: Notebook, release: Notebook, submission: Notebook): MergeResult {
  const notes: string[] = [];
  const sourceIds = new Map<string, number>();
  source.cells.forEach((c, i) => { const m = nbgraderOf(c); if (m) sourceIds.set(m.grade_id, i); });
  const releaseById = new Map<string, Cell>();
  for (const c of release.cells) { const m = nbgraderOf(c); if (m) releaseById.set(m.grade_id, c); }

  // Walk the submission: the first cell with each known grade_id is that cell; other cells attach to the
  // graded cell before them (or to the start).
  const studentById = new Map<string, Cell>();
  const attached = new Map<string, Cell[]>();
  const leading: Cell[] = [];
  let anchor: string | null = null;
  const order: string[] = [];
  for (const cell of submission.cells) {
    const m = nbgraderOf(cell);
    if (m && sourceIds.has(m.grade_id) && !studentById.has(m.grade_id)) {
      studentById.set(m.grade_id, cell);
      order.push(m.grade_id);
      anchor = m.grade_id;
      continue;
    }
    const extra = clean(cell);
    if (m) {
      notes.push(sourceIds.has(m.grade_id)
        ? `a second cell with grade_id '${m.grade_id}' was found; the first one is graded and this copy runs as an ordinary cell`
        : `a cell has grade_id '${m.grade_id}', which this assignment does not have; it runs as an ordinary cell`);
      delete extra.metadata.nbgrader;
    }
    if (anchor == null) leading.push(extra);
    else attached.set(anchor, [...(attached.get(anchor) ?? []), extra]);
  }
  // A notebook with no grader metadata at all (cells copied into a new notebook lose it) is told that,
  // once, instead of "deleted" for every cell.
  const noMetadata = !submission.cells.some((c) => nbgraderOf(c));
  if (noMetadata) notes.push('the notebook has no nbgrader metadata at all (it is lost when cells are copied into a new notebook), so no answer could be matched to its question and the empty stubs were graded; submit the notebook you were given, with your answers in its answer cells');
  const deleted = (message: string) => { if (!noMetadata) notes.push(message); };
  const expectedOrder = [...sourceIds.keys()].filter((id) => studentById.has(id));
  if (order.join('\n') !== expectedOrder.join('\n')) notes.push('graded cells were moved; they are graded in the order of the assignment');

  const cells: Cell[] = [...leading];
  for (const [id, index] of sourceIds) {
    const original = source.cells[index];
    const mine = studentById.get(id);
    if (isRestored(original)) {
      if (!mine) deleted(`the ${roleOf(original) === 'tests' ? 'test' : 'locked'} cell '${id}' was deleted; it was put back`);
      else if (sourceText(mine) !== sourceText(original) || mine.cell_type !== original.cell_type) notes.push(`the ${roleOf(original) === 'tests' ? 'test' : 'locked'} cell '${id}' was changed; the original was used`);
      cells.push(clean(original));
    } else if (!mine) {
      deleted(`the answer cell '${id}' was deleted; the empty stub was graded`);
      cells.push(clean(releaseById.get(id) ?? original));
    } else {
      let answer = clean(mine);
      answer.metadata = { ...answer.metadata, nbgrader: { ...(original.metadata.nbgrader as object) } };
      if (answer.cell_type !== original.cell_type) {
        notes.push(`the answer cell '${id}' was changed from ${original.cell_type} to ${answer.cell_type}; it was graded as ${original.cell_type}`);
        answer = original.cell_type === 'code' ? asCode(answer) : { cell_type: original.cell_type, id: answer.id, metadata: answer.metadata, source: answer.source } as Cell;
      }
      cells.push(answer);
    }
    cells.push(...(attached.get(id) ?? []));
  }
  return { notebook: { ...source, metadata: { ...source.metadata }, cells }, notes };
}
