// Hidden tests of q2 (see q1.ts): the module built from the student's function, in the kernel.
import { grader, runtime } from "cv-course-kit";
import type { Remote } from "cv-course-kit/dist/lib/grader/remote";

/** tf.model around residualModule(input, out, name), built in the kernel. */
function residualModel(k: Remote, shape: number[], out: number, name: string) {
  const tf = k.kit("tf");
  const input = tf.invoke("input", { shape });
  return tf.invoke("model", { inputs: input, outputs: k.global("residualModule").call(input, out, name) });
}

export default grader.hiddenTests({
  "the skip is added: with every convolution zeroed, the module is the identity": { points: 2, atol: 1e-5, value: async (k) => {
    const model = residualModel(k, [4, 4, 8], 8, "h2a");
    await k.zeroWeights(model, "Conv2D");
    const rng = new runtime.Random(1);
    const x = k.tensor(Array.from({ length: 2 * 4 * 4 * 8 }, () => rng.normal()), [2, 4, 4, 8]);
    return model.invoke("predict", x).value();
  } },
  "channel change 8 -> 16 on another size": { mode: "equal", value: (k) =>
    k.global("residualModule").call(k.kit("tf").invoke("input", { shape: [6, 10, 8] }), 16, "h2b").get("shape").value() },
});
