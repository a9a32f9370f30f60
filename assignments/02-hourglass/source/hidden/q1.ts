// Hidden tests of q1: run in the grader's process; they reach the notebook only through `k`
// (lib/grader/remote.ts). Each value is compared with the reference solution's.
import { grader } from "cv-course-kit";

export default grader.hiddenTests({
  "non-square maps, stride 1, sigma 2, landmarks on the border": { points: 2, atol: 1e-6, value: (k) =>
    k.call("gaussianHeatmaps", [[0, 0], [11, 6.5]], 7, 12, 1, 2) },
});
