import { grading as G, landmarks as L } from "../../../dist/lib";
await G.tests("q1", {
  "non-square maps, stride 1, sigma 2, landmarks on the border": { points: 2, run: () => {
    const pts: [number, number][] = [[0, 0], [11, 6.5]];
    G.assertClose(gaussianHeatmaps(pts, 7, 12, 1, 2), L.encodeHeatmaps(pts, { size: [7, 12], stride: 1, sigma: 2 }), { atol: 1e-6 });
  } },
}, { hidden: true });
