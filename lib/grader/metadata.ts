/**
 * nbgrader's cell metadata (schema 3), so that nbgrader's "Create Assignment" toolbar reads and
 * writes our assignments: { schema_version, grade, solution, locked, task, grade_id, points,
 * checksum, cell_type }. Locked cells also carry Jupyter's editable/deletable = false.
 */
import * as crypto from 'crypto';
import { Cell, sourceText } from '../notebook/nbformat';

export interface NbgraderMetadata {
  schema_version: number;
  grade: boolean;
  solution: boolean;
  locked: boolean;
  task?: boolean;
  grade_id: string;
  points?: number;
  checksum?: string;
  cell_type?: string;
}

export const GRADE_ID_PATTERN = /^[a-zA-Z0-9_-]+$/;

export function nbgraderOf(cell: Cell): NbgraderMetadata | undefined {
  const m = cell.metadata?.nbgrader as NbgraderMetadata | undefined;
  return m && typeof m === 'object' && typeof m.grade_id === 'string' ? m : undefined;
}

/** What a cell is for the grader. */
export type CellRole = 'answer' | 'tests' | 'manual' | 'task' | 'locked' | 'plain';

export function roleOf(cell: Cell): CellRole {
  const m = nbgraderOf(cell);
  if (!m) return 'plain';
  if (m.task) return 'task';
  if (m.grade && m.solution) return 'manual';
  if (m.grade) return 'tests';
  if (m.solution) return 'answer';
  if (m.locked) return 'locked';
  return 'plain';
}

/** True for the cells the student may not change (restored from the source when grading). */
export function isRestored(cell: Cell): boolean {
  const role = roleOf(cell);
  return role === 'tests' || role === 'locked' || role === 'task';
}

const pyBool = (b: unknown) => (b ? 'True' : 'False');
const pyFloat = (x: number) => (Number.isInteger(x) ? `${x}.0` : String(x));

/** nbgrader's checksum: md5 over source, cell type, the grade/solution/locked flags, grade_id and points. */
export function computeChecksum(cell: Cell): string {
  const m = nbgraderOf(cell)!;
  const h = crypto.createHash('md5');
  h.update(sourceText(cell));
  h.update(cell.cell_type);
  h.update(pyBool(m.grade));
  h.update(pyBool(m.solution));
  h.update(pyBool(m.locked));
  h.update(m.grade_id);
  if (m.grade) h.update(pyFloat(Number(m.points ?? 0)));
  return h.digest('hex');
}
