// Hidden tests of q4 (see q1.ts): the loss on other shapes, and its gradient: zero on every channel
// but each RoI's ground-truth class.
import { grader, runtime } from "cv-course-kit";

const map = (seed: number, n: number) => { const r = new runtime.Random(seed); return Array.from({ length: n }, () => 3 * r.normal()); };
const bits = (seed: number, n: number) => { const r = new runtime.Random(seed); return Array.from({ length: n }, () => (r.next() > 0.5 ? 1 : 0)); };

export default grader.hiddenTests({
  "3 RoIs, 5 classes, 4x4 masks": { atol: 1e-5, value: (k) =>
    k.call("maskLoss", k.tensor(map(31, 3 * 4 * 4 * 5), [3, 4, 4, 5]), k.tensor(bits(32, 48), [3, 4, 4]), [4, 0, 2]) },
  "its gradient reaches only the ground-truth class channels": { points: 2, atol: 1e-6, value: (k) =>
    k.vjp("maskLoss", [k.tensor(map(33, 2 * 3 * 3 * 4), [2, 3, 3, 4]), k.tensor(bits(34, 18), [2, 3, 3]), [3, 1]], 0).value() },
});
