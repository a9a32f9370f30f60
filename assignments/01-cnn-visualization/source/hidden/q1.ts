// Hidden tests of q1: run in the grader's process; they reach the notebook only through `k`
// (lib/grader/remote.ts). Each value is compared with the reference solution's.
import { grader } from "cv-course-kit";

export default grader.hiddenTests({
  "1x1 and non-square kernels": { mode: "equal", value: async (k) => [await k.call("convParams", 1, 1, 64, 32), await k.call("convParams", 3, 5, 2, 4)] },
  "dense without bias": { mode: "equal", value: (k) => k.call("denseParams", 7, 3, false) },
  "a model with batch norm, depthwise and dense layers": { points: 2, mode: "equal", value: (k) => {
    const tf = k.kit("tf");
    const layers = tf.get("layers");
    const input = tf.invoke("input", { shape: [12, 12, 2] });
    let h = layers.invoke("conv2d", { filters: 6, kernelSize: [3, 2], useBias: false }).invoke("apply", input);
    h = layers.invoke("batchNormalization", {}).invoke("apply", h);
    h = layers.invoke("depthwiseConv2d", { kernelSize: 3, depthMultiplier: 2 }).invoke("apply", h);
    h = layers.invoke("flatten", {}).invoke("apply", h);
    const output = layers.invoke("dense", { units: 4 }).invoke("apply", h);
    const model = tf.invoke("model", { inputs: input, outputs: output });
    return k.global("countParameters").call(model).value();
  } },
});
