// Hidden test of q5: the student's trained model predicts landmarks on faces drawn here, with a seed
// the kernel never sees; the PCK is computed here, against truth that never leaves the grader.
import { grader, datasets, landmarks } from "cv-course-kit";

export default grader.hiddenTests({
  "PCK@0.2 >= 40% on 64 other faces": { points: 2, atLeast: 0.4, value: async (k) => {
    const faces = datasets.generateFaces({ count: 64, seed: k.secretSeed("faces") });
    const loss = await k.global("settings").get("loss").value();
    const images = k.tensor(faces.images, [faces.count, faces.height, faces.width, 3]);
    const predicted = await k.kit("landmarks.predictHeatmapLandmarks").call(k.global("trainedModel"), images, {
      stride: 4, decoder: "dark", activation: loss === "stackedSpatialCE" ? "softmax" : "none",
    }).value<landmarks.Point[][]>();
    return landmarks.pck(predicted, faces.landmarks, faces.faceSize, 0.2);
  } },
});
