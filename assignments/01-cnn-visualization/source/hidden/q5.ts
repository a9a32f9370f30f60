// Hidden tests of q5 (see q1.ts).
import { grader } from "cv-course-kit";

export default grader.hiddenTests({
  "the L2 term pulls the image towards zero": { points: 2, atol: 1e-4, rtol: 1e-3, value: async (k) => {
    const image = k.kit("tf.randomUniform").call([1, 32, 32, 3], 0, 1, "float32", 9);
    const model = k.fixture("shapes-classifier");
    const step = k.global("ascentStep");
    return [await step.call(model, image, 2, 0.1, 0).value(), await step.call(model, image, 2, 0.1, 0.5).value()];
  } },
  "lr = 0 leaves the image unchanged": { value: (k) =>
    k.global("ascentStep").call(k.fixture("shapes-classifier"), k.kit("tf.fill").call([1, 32, 32, 3], 0.3), 1, 0, 0.1).value() },
});
