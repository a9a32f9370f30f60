// Hidden tests of q2 (see q1.ts): values and gradients of RoIAlign on other maps and boxes.
import { grader, runtime } from "cv-course-kit";
import type { Remote } from "cv-course-kit/dist/lib/grader/remote";

const map = (seed: number, shape: number[]) => { const r = new runtime.Random(seed); return Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.normal()); };
const BOXES = [[-3.5, -2, 6.2, 9.1], [1.3, 0.7, 14.6, 11.9], [10.2, 8.8, 18.5, 16.1], [5, 5, 5.4, 5.3]];
const INDEX = [0, 1, 1, 0];
const options = (samplingRatio: number, aligned: boolean, spatialScale = 0.5) => ({ outputSize: [3, 2], spatialScale, samplingRatio, aligned });

function both(k: Remote, seed: number, samplingRatio: number, aligned: boolean) {
  const f = k.tensor(map(seed, [2, 8, 9, 3]), [2, 8, 9, 3]);
  return Promise.all([
    k.call("roiAlign", f, BOXES, INDEX, options(samplingRatio, aligned)),
    k.vjp(k.global("roiAlign"), [f, BOXES, INDEX, options(samplingRatio, aligned)], 0, k.tensor(map(seed + 1, [4, 3, 2, 3]), [4, 3, 2, 3])).value(),
  ]);
}

export default grader.hiddenTests({
  "sampling ratio 1, aligned: values and gradients (boxes partly outside, a tiny box)": { points: 2, atol: 1e-5, rtol: 1e-4, value: (k) => both(k, 21, 1, true) },
  "sampling ratio 2, not aligned: values and gradients": { points: 2, atol: 1e-5, rtol: 1e-4, value: (k) => both(k, 23, 2, false) },
  "adaptive sampling (-1), aligned, stride 1: values and gradients": { points: 2, atol: 1e-5, rtol: 1e-4, value: (k) => {
    const f = k.tensor(map(25, [2, 8, 9, 3]), [2, 8, 9, 3]);
    const opts = options(-1, true, 1);
    return Promise.all([
      k.call("roiAlign", f, BOXES, INDEX, opts),
      k.vjp(k.global("roiAlign"), [f, BOXES, INDEX, opts], 0).value(),
    ]);
  } },
});
