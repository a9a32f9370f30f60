// Hidden tests of q4 (see q1.ts).
import { grader } from "cv-course-kit";

function heatmap(height: number, width: number, cells: [number, number, number][]): Float32Array {
  const h = new Float32Array(height * width);
  for (const [v, u, value] of cells) h[v * width + u] = value;
  return h;
}

export default grader.hiddenTests({
  "a peak on the left border does not move in x": { value: (k) => k.call("decodeQuarter", heatmap(5, 5, [[2, 0, 1], [2, 1, 0.5], [3, 0, 0.7]]), 5, 5) },
  "equal neighbours: no shift; non-square maps index rows by the width": { value: (k) =>
    k.call("decodeQuarter", heatmap(3, 7, [[1, 4, 1], [1, 3, 0.2], [1, 5, 0.2], [0, 4, 0.1]]), 3, 7) },
});
