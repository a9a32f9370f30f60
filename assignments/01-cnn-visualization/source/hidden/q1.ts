import { tf as T, grading as G } from "../../../dist/lib";
await G.tests("q1", {
  "1x1 and non-square kernels": () => { G.assertEqual(convParams(1, 1, 64, 32), 2080); G.assertEqual(convParams(3, 5, 2, 4), 124); },
  "dense without bias": () => G.assertEqual(denseParams(7, 3, false), 21),
  "a model with batch norm, depthwise and dense layers": { points: 2, run: () => {
    const inp = T.input({ shape: [12, 12, 2] });
    let h = T.layers.conv2d({ filters: 6, kernelSize: [3, 2], useBias: false }).apply(inp) as T.SymbolicTensor;
    h = T.layers.batchNormalization().apply(h) as T.SymbolicTensor;
    h = T.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2 }).apply(h) as T.SymbolicTensor;
    h = T.layers.flatten().apply(h) as T.SymbolicTensor;
    const out = T.layers.dense({ units: 4 }).apply(h) as T.SymbolicTensor;
    const m = T.model({ inputs: inp, outputs: out });
    G.assertEqual(countParameters(m), m.countParams());
    m.dispose();
  } },
}, { hidden: true });
