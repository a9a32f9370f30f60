import { grading as G, datasets as D, landmarks as L } from "../../../dist/lib";
await G.tests("q5", {
  "PCK@0.2 >= 40% on 64 other faces": { points: 2, run: () => {
    G.assert(trainedModel != null, "no trained model");
    const other = D.generateFaces({ count: 64, seed: 77 });
    const x = D.imagesTensor(other);
    const pred = L.predictHeatmapLandmarks(trainedModel!, x, { stride: 4, decoder: "dark", activation: settings.loss === "stackedSpatialCE" ? "softmax" : "none" });
    x.dispose();
    const p = L.pck(pred, other.landmarks, other.faceSize, 0.2);
    G.assert(p >= 0.4, `PCK@0.2 is ${(100 * p).toFixed(1)}%`);
  } },
}, { hidden: true });
