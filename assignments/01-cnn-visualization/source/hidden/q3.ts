import { tf as T, grading as G } from "../../../dist/lib";
await G.tests("q3", {
  "2-D input, zero and negative gradients blocked": { points: 2, run: () => {
    const t = T.tensor2d([[-1, 0, 2], [3, -4, 5]]);
    const w = T.tensor2d([[1, 1, -1], [2, 2, 0.5]]);
    const g = T.grad((v: T.Tensor) => T.sum(T.mul(guidedRelu(v), w)))(t);
    G.assertClose(g, [0, 0, 0, 2, 0, 0.5]);
  } },
  "differs from the plain ReLU where the gradient is negative": () => {
    const t = T.tensor1d([1, 2]);
    const w = T.tensor1d([-1, 1]);
    const g = T.grad((v: T.Tensor) => T.sum(T.mul(guidedRelu(v), w)))(t);
    G.assertClose(g, [0, 1]);
  },
}, { hidden: true });
