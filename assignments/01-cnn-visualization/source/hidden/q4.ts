// Hidden tests of q4 (see q1.ts).
import { grader } from "cv-course-kit";
import type { Remote } from "cv-course-kit/dist/lib/grader/remote";

const images = (k: Remote, seed: number) => k.kit("datasets.imagesTensor").call(k.kit("datasets.generateShapes").call({ count: 8, seed }));

export default grader.hiddenTests({
  "the hook on another layer, other images and classes": { points: 2, atol: 1e-4, rtol: 1e-3, value: (k) =>
    k.global("captureLayerGradients").call(k.fixture("shapes-classifier"), images(k, 26), "block2_relu1", [4, 4, 0, 1, 2, 3, 0, 1]).value() },
  "Grad-CAM from your own capture of another layer": { points: 2, atol: 1e-4, rtol: 1e-3, value: (k) => {
    const capture = k.global("captureLayerGradients").call(k.fixture("shapes-classifier"), images(k, 25), "block3_relu1", [0, 1, 2, 3, 4, 0, 1, 2]);
    return k.global("gradCamFromCapture").call(capture.get("activations"), capture.get("gradients")).value();
  } },
  // alpha = (1, -4): the first position's evidence 1 - 4 * 2 is negative (cut to 0), the second's 9 - 4 * 1 is not.
  "ReLU removes negative evidence": { value: (k) =>
    k.call("gradCamFromCapture", k.tensor([1, 2, 9, 1], [1, 2, 1, 2]), k.tensor([1, -4, 1, -4], [1, 2, 1, 2])) },
  "a constant map normalises to zeros, beside one that does not": { atol: 1e-6, value: (k) =>
    k.call("normalizeCam", k.tensor([3, 3, 3, 3, -1, 0, 1, 3], [2, 2, 2])) },
});
