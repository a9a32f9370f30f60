// Hidden tests of q3 (see q1.ts).
import { grader } from "cv-course-kit";

export default grader.hiddenTests({
  "other boxes and strides, negative coordinates, a box narrower than a cell": { atol: 1e-9, value: async (k) => {
    const cases: [number[], number][] = [[[-7.5, 3, 20, 41], 4], [[33.3, 12.7, 90.1, 64.4], 16], [[5, 5, 9, 30], 8], [[100, 4, 101, 6], 32]];
    const out = [];
    for (const [box, s] of cases) out.push(await k.call("misalignment", box, s));
    return out;
  } },
});
