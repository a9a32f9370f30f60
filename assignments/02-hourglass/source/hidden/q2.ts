import { tf as T, grading as G } from "../../../dist/lib";
await G.tests("q2", {
  "the skip is added: with every convolution zeroed, the module is the identity": { points: 2, run: () => {
    const inp = T.input({ shape: [4, 4, 8] });
    const m = T.model({ inputs: inp, outputs: residualModule(inp, 8, "h2a") });
    for (const layer of m.layers) if (layer.getClassName() === "Conv2D") layer.setWeights(layer.getWeights().map((w) => T.zerosLike(w)));
    const x = T.randomNormal([2, 4, 4, 8], 0, 1, "float32", 1);
    G.assertClose(m.predict(x) as T.Tensor, x, { atol: 1e-5 });
  } },
  "channel change 8 -> 16 on another size": () => {
    const inp = T.input({ shape: [6, 10, 8] });
    G.assertEqual(residualModule(inp, 16, "h2b").shape, [null, 6, 10, 16]);
  },
}, { hidden: true });
