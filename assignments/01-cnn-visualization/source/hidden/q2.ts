import { tf as T, grading as G, explain as E } from "../../../dist/lib";
await G.tests("q2", {
  "each image uses its own class (not the predicted one)": { points: 2, run: () => {
    const cls = [4, 3, 2, 1, 0, 4, 3, 2];
    const mine = mySaliency(model, x as T.Tensor4D, cls);
    const ref = E.saliency(model, x, { target: cls });
    G.assertClose(mine, ref, { atol: 1e-4, rtol: 1e-3 });
    T.dispose([mine, ref]);
  } },
  "is non-negative": () => { const s = mySaliency(model, x.slice(2, 3) as T.Tensor4D, [1]); G.assert(s.min().dataSync()[0] >= 0, "negative saliency"); s.dispose(); },
}, { hidden: true });
