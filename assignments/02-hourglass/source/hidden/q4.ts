import { grading as G } from "../../../dist/lib";
await G.tests("q4", {
  "a peak on the left border does not move in x": () => {
    const h = new Float32Array(5 * 5); h[2 * 5 + 0] = 1; h[2 * 5 + 1] = 0.5; h[3 * 5 + 0] = 0.7;
    G.assertClose(decodeQuarter(h, 5, 5), [0, 2.25]);
  },
  "equal neighbours: no shift; non-square maps index rows by the width": () => {
    const h = new Float32Array(3 * 7); h[1 * 7 + 4] = 1; h[1 * 7 + 3] = 0.2; h[1 * 7 + 5] = 0.2; h[0 * 7 + 4] = 0.1;
    G.assertClose(decodeQuarter(h, 3, 7), [4, 0.75]);
  },
}, { hidden: true });
