// Hidden tests of q3 (see q1.ts): the student's hourglass with its convolutions zeroed is pure
// pooling, upsampling and skips, so its output is known in closed form; compared with the reference's.
import { grader, runtime } from "cv-course-kit";
import type { Remote } from "cv-course-kit/dist/lib/grader/remote";

async function zeroedHourglass(k: Remote, depth: number, name: string, seed: number) {
  const tf = k.kit("tf");
  const input = tf.invoke("input", { shape: [8, 8, 4] });
  const model = tf.invoke("model", { inputs: input, outputs: k.global("hourglass").call(input, depth, 4, name) });
  await k.zeroWeights(model, "Conv2D");
  const rng = new runtime.Random(seed);
  return model.invoke("predict", k.tensor(Array.from({ length: 8 * 8 * 4 }, () => rng.normal()), [1, 8, 8, 4])).value();
}

export default grader.hiddenTests({
  "depth 1 with identity residuals computes x + up(pool(x))": { atol: 1e-5, value: (k) => zeroedHourglass(k, 1, "h3a", 2) },
  "depth 2 recurses: x + up(p + up(pool(p))) with p = pool(x)": { points: 2, atol: 1e-5, value: (k) => zeroedHourglass(k, 2, "h3b", 3) },
});
