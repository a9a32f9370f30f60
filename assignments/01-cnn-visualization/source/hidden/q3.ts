// Hidden tests of q3 (see q1.ts): the gradient of the student's guided ReLU, computed in the kernel.
import { grader } from "cv-course-kit";

export default grader.hiddenTests({
  "2-D input, zero and negative gradients blocked": { points: 2, value: (k) =>
    k.vjp("guidedRelu", [k.tensor([-1, 0, 2, 3, -4, 5], [2, 3])], 0, k.tensor([1, 1, -1, 2, 2, 0.5], [2, 3])).value() },
  "differs from the plain ReLU where the gradient is negative": { value: (k) =>
    k.vjp("guidedRelu", [k.tensor([1, 2], [2])], 0, k.tensor([-1, 1], [2])).value() },
});
