// Hidden tests of q6 (see q1.ts): the losses on other scores, and the pool's exact answers for a seed.
import { grader, runtime } from "cv-course-kit";

const map = (seed: number, n: number) => { const r = new runtime.Random(seed); return Array.from({ length: n }, () => r.normal()); };

export default grader.hiddenTests({
  "LSGAN losses on other scores": { atol: 1e-6, value: (k) => Promise.all([
    k.call("lsganDiscriminatorLoss", k.tensor(map(51, 12), [3, 2, 2, 1]), k.tensor(map(52, 12), [3, 2, 2, 1])),
    k.call("lsganGeneratorLoss", k.tensor(map(53, 8), [2, 4])),
  ]) },
  "cycle and identity losses with lambda 7": { atol: 1e-6, value: (k) => Promise.all([
    k.call("cycleLoss", k.tensor(map(54, 24), [2, 2, 2, 3]), k.tensor(map(55, 24), [2, 2, 2, 3]), 7),
    k.call("identityLoss", k.tensor(map(56, 24), [2, 2, 2, 3]), k.tensor(map(57, 24), [2, 2, 2, 3]), 7),
  ]) },
  "the pool's answers, batch by batch, for size 2 and seed 9": { points: 2, mode: "equal", value: async (k) => {
    const pool = k.global("ImagePool").construct(2, 9);
    const out = [];
    for (let b = 0; b < 6; b++) {
      const batch = k.tensor(Array.from({ length: 3 * 4 }, (_, i) => 10 * b + Math.floor(i / 4)), [3, 2, 2, 1]);
      out.push(await pool.invoke("query", batch).value());
      out.push(await pool.get("count").value());
    }
    return out;
  } },
});
