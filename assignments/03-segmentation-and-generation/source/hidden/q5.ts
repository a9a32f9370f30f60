// Hidden tests of q5 (see q1.ts).
import { grader, runtime } from "cv-course-kit";

const map = (seed: number, n: number, scale = 1) => { const r = new runtime.Random(seed); return Array.from({ length: n }, () => scale * r.normal()); };

export default grader.hiddenTests({
  "another shape, and 3x the features give 9x the Gram matrix": { atol: 1e-5, rtol: 1e-4, value: (k) => Promise.all([
    k.call("gram", k.tensor(map(41, 3 * 5 * 7 * 4), [3, 5, 7, 4])),
    k.call("gram", k.tensor(map(41, 3 * 5 * 7 * 4, 3), [3, 5, 7, 4])),
  ]) },
  "the style loss with three layers and other weights": { atol: 1e-6, rtol: 1e-4, value: (k) => {
    const t = (seed: number, shape: number[]) => k.tensor(map(seed, shape.reduce((a, b) => a * b, 1)), shape);
    return k.call("styleLoss", [t(42, [2, 6, 6, 3]), t(43, [2, 3, 3, 5]), t(44, [2, 2, 2, 8])], [t(45, [2, 6, 6, 3]), t(46, [2, 3, 3, 5]), t(47, [2, 2, 2, 8])], [0.3, 2, 0.05]);
  } },
});
