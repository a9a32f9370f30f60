// Hidden tests of q1: run in the grader's process; they reach the notebook only through `k`
// (lib/grader/remote.ts). Each value is compared with the reference solution's.
import { grader, runtime } from "cv-course-kit";

const map = (seed: number, shape: number[]) => { const r = new runtime.Random(seed); return Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.normal()); };

export default grader.hiddenTests({
  "three images, boxes across and outside the map, stride 4": { points: 2, mode: "equal", value: (k) => {
    const f = k.tensor(map(11, [3, 9, 7, 2]), [3, 9, 7, 2]);
    const boxes = [[-6, -3, 10, 14], [4.2, 4.9, 27.5, 35.8], [20, 30, 60, 70], [2.5, 2.5, 2.5, 2.5], [-10, -10, -2, -2]];
    return k.call("roiPool", f, boxes, [0, 1, 2, 1, 0], [3, 2], 0.25);
  } },
  "rounding is half away from zero (negative halves), bins of 7 rows over 3": { value: (k) =>
    k.call("roiPool", k.tensor(map(12, [1, 10, 10, 1]), [1, 10, 10, 1]), [[-2.5, -1.5, 6, 6], [0, 0, 6, 6]], [0, 0], [3, 3], 1) },
});
