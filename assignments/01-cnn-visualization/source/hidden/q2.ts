// Hidden tests of q2 (see q1.ts): a fresh copy of the classifier and images the notebook never had.
import { grader } from "cv-course-kit";
import type { Remote } from "cv-course-kit/dist/lib/grader/remote";

const images = (k: Remote, seed: number) => k.kit("datasets.imagesTensor").call(k.kit("datasets.generateShapes").call({ count: 8, seed }));

export default grader.hiddenTests({
  "each image uses its own class (not the predicted one)": { points: 2, atol: 1e-4, rtol: 1e-3, value: (k) =>
    k.global("mySaliency").call(k.fixture("shapes-classifier"), images(k, 23), [4, 3, 2, 1, 0, 4, 3, 2]).value() },
  "a batch of one image": { atol: 1e-4, rtol: 1e-3, value: (k) =>
    k.global("mySaliency").call(k.fixture("shapes-classifier"), k.kit("datasets.imagesTensor").call(k.kit("datasets.generateShapes").call({ count: 1, seed: 24 })), [1]).value() },
});
