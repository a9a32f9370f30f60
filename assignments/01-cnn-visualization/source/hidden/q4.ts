// Hidden tests of q4 (see q1.ts).
import { grader } from "cv-course-kit";

export default grader.hiddenTests({
  "another layer and other classes": { points: 2, atol: 1e-4, rtol: 1e-3, value: (k) => {
    const x = k.kit("datasets.imagesTensor").call(k.kit("datasets.generateShapes").call({ count: 8, seed: 25 }));
    const capture = k.kit("explain.captureLayer").call(k.fixture("shapes-classifier"), x, "block3_relu1", [0, 1, 2, 3, 4, 0, 1, 2]);
    return k.global("gradCamFromCapture").call(capture.get("activations"), capture.get("gradients")).value();
  } },
  // alpha = (1, -4): the first position's evidence 1 - 4 * 2 is negative (cut to 0), the second's 9 - 4 * 1 is not.
  "ReLU removes negative evidence": { value: (k) =>
    k.call("gradCamFromCapture", k.tensor([1, 2, 9, 1], [1, 2, 1, 2]), k.tensor([1, -4, 1, -4], [1, 2, 1, 2])) },
  "a constant map normalises to zeros, beside one that does not": { atol: 1e-6, value: (k) =>
    k.call("normalizeCam", k.tensor([3, 3, 3, 3, -1, 0, 1, 3], [2, 2, 2])) },
});
