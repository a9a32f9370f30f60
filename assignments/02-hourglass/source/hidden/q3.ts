import { tf as T, grading as G } from "../../../dist/lib";
function zeroConvs(m: T.LayersModel) { for (const layer of m.layers) if (layer.getClassName() === "Conv2D") layer.setWeights(layer.getWeights().map((w) => T.zerosLike(w))); }
const up = (t: T.Tensor) => T.image.resizeNearestNeighbor(t as T.Tensor4D, [t.shape[1]! * 2, t.shape[2]! * 2]);
const pool = (t: T.Tensor) => T.maxPool(t as T.Tensor4D, 2, 2, "valid");
await G.tests("q3", {
  "depth 1 with identity residuals computes x + up(pool(x))": () => {
    const inp = T.input({ shape: [8, 8, 4] });
    const m = T.model({ inputs: inp, outputs: hourglass(inp, 1, 4, "h3a") });
    zeroConvs(m);
    const x = T.randomNormal([1, 8, 8, 4], 0, 1, "float32", 2);
    G.assertClose(m.predict(x) as T.Tensor, T.add(x, up(pool(x))), { atol: 1e-5 });
  },
  "depth 2 recurses: x + up(p + up(pool(p))) with p = pool(x)": { points: 2, run: () => {
    const inp = T.input({ shape: [8, 8, 4] });
    const m = T.model({ inputs: inp, outputs: hourglass(inp, 2, 4, "h3b") });
    zeroConvs(m);
    const x = T.randomNormal([1, 8, 8, 4], 0, 1, "float32", 3);
    const p = pool(x);
    G.assertClose(m.predict(x) as T.Tensor, T.add(x, up(T.add(p, up(pool(p))))), { atol: 1e-5 });
  } },
}, { hidden: true });
