import { tf as T, grading as G, explain as E } from "../../../dist/lib";
await G.tests("q4", {
  "another layer and other classes": { points: 2, run: () => {
    const cls = [0, 1, 2, 3, 4, 0, 1, 2];
    const c = E.captureLayer(model, x, "block3_relu1", cls);
    const mine = gradCamFromCapture(c.activations as T.Tensor4D, c.gradients as T.Tensor4D);
    const ref = E.gradCam(model, x, { target: cls, layers: "block3_relu1", normalize: false, upsample: false });
    G.assertClose(mine, ref, { atol: 1e-4, rtol: 1e-3 });
    T.dispose([c.activations, c.gradients, c.logits, mine, ref]);
  } },
  "ReLU removes negative evidence": () => {
    const a = T.tensor4d([[[[1, 2]], [[3, 1]]]]);          // [1, 2, 1, 2]
    const g = T.tensor4d([[[[1, -4]], [[1, -4]]]]);
    G.assertClose(gradCamFromCapture(a, g), [0, 0]);       // 1*1 - 4*2 < 0 and 3 - 4 < 0
  },
  "a constant map normalises to zeros": () => G.assertClose(normalizeCam(T.fill([1, 2, 2], 3) as T.Tensor3D), [0, 0, 0, 0]),
}, { hidden: true });
