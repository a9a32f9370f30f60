/**
 * The autograder's throughput: copies of assignment 01's source (full marks) and release (blank),
 * graded with --jobs 1 and 2; seconds per submission (wall clock). Then each assignment's source graded
 * alone (one full-marks submission, --jobs 1), against the 60 s per submission bar. No PyTorch side.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BenchWorkload } from '../harness';

export const workload: BenchWorkload = {
  id: 'grading',
  order: 90,
  async run(ctx) {
    const g = await import('../../grader');
    const a = g.loadAssignment('01-cnn-visualization');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cvkit-bench-grading-'));
    try {
      /** A submission: a copy of `from` as `folder/student.ipynb`. */
      const submission = (folder: string, student: string, from: string) => {
        const file = path.join(tmp, folder, `${student}.ipynb`);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.copyFileSync(from, file);
        return { student, path: file, relative: `${student}.ipynb` };
      };
      const n = ctx.quick ? 4 : 8;
      const subs = Array.from({ length: n }, (_, i) => submission('subs', `student${i}`, i % 2 ? a.releasePath : a.sourcePath));
      const out: { jobs: number; seconds: number }[] = [];
      for (const jobs of [1, 2]) {
        ctx.log(`measuring grading: ${n} submissions of ${a.config.id}, --jobs ${jobs}`);
        const t0 = Date.now();
        await g.gradeBatch(a, subs, { jobs, out: path.join(tmp, `gb${jobs}`), force: true, log: () => {} });
        out.push({ jobs, seconds: (Date.now() - t0) / 1000 / n });
      }
      const oneSubmission: { assignment: string; seconds: number; score: number; max: number }[] = [];
      for (const id of g.listAssignments()) {
        const one = g.loadAssignment(id);
        const alone = submission(`one-${id}`, 'alone', one.sourcePath);
        ctx.log(`measuring grading: one submission of ${id} alone`);
        const t0 = Date.now();
        const [r] = await g.gradeBatch(one, [alone], { jobs: 1, out: path.join(tmp, `gb-one-${id}`), force: true, log: () => {} });
        oneSubmission.push({ assignment: id, seconds: (Date.now() - t0) / 1000, score: r.score, max: r.autograded_max_score });
      }
      return { measurements: [], grading: { assignment: a.config.id, submissions: n, sandbox: g.bwrapAvailable() ? 'bwrap + Node permissions' : 'Node permissions only', secondsPerSubmission: out, oneSubmission } };
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  },
};
