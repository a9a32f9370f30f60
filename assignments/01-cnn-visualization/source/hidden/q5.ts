import { tf as T, grading as G } from "../../../dist/lib";
await G.tests("q5", {
  "the L2 term pulls the image towards zero": { points: 2, run: () => {
    const img = T.randomUniform([1, 32, 32, 3], 0, 1, "float32", 9) as T.Tensor4D;
    const a = ascentStep(model, img, 2, 0.1, 0);
    const b = ascentStep(model, img, 2, 0.1, 0.5);
    // b - a = lr * (-2 * l2 * img) = -0.1 * img
    G.assertClose(T.sub(b, a), T.mul(img, -0.1), { atol: 1e-4, rtol: 1e-3 });
  } },
  "lr = 0 leaves the image unchanged": () => { const img = T.fill([1, 32, 32, 3], 0.3) as T.Tensor4D; G.assertClose(ascentStep(model, img, 1, 0, 0.1), img); },
}, { hidden: true });
