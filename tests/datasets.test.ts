/** Data sets: the shapes generator is deterministic and its annotations agree; MNIST splits cleanly. */
import { generateShapes, SHAPE_CLASSES } from '../datasets/shapes';
import { loadMnist, mnistCount } from '../datasets/mnist';

test('same options and seed give the same shapes; another seed gives other images', () => {
  const a = generateShapes({ count: 20, seed: 5, objects: [1, 3] });
  const b = generateShapes({ count: 20, seed: 5, objects: [1, 3] });
  const c = generateShapes({ count: 20, seed: 6, objects: [1, 3] });
  expect(b.images).toEqual(a.images);
  expect(b.labels).toEqual(a.labels);
  expect(b.instances.map((l) => l.map((o) => o.box))).toEqual(a.instances.map((l) => l.map((o) => o.box)));
  expect(c.images).not.toEqual(a.images);
});

test('images are in [0, 1], every class appears, labels are the first object', () => {
  const d = generateShapes({ count: 300, seed: 1 });
  expect(d.images.length).toBe(300 * 32 * 32 * 3);
  expect(d.images.reduce((m, v) => Math.min(m, v), Infinity)).toBeGreaterThanOrEqual(0);
  expect(d.images.reduce((m, v) => Math.max(m, v), -Infinity)).toBeLessThanOrEqual(1);
  const seen = new Set(Array.from(d.labels));
  expect(seen.size).toBe(SHAPE_CLASSES.length);
  d.instances.forEach((list, i) => expect(d.labels[i]).toBe(list[0].label));
});

test('each box is the tight box of its mask, keypoints and centre lie on the object', () => {
  const d = generateShapes({ count: 50, seed: 2, size: 48, objects: [1, 3] });
  for (const list of d.instances) {
    for (const o of list) {
      const area = o.mask.reduce((s, v) => s + v, 0);
      if (area === 0) continue; // fully hidden by a later object
      // The kit's frame (lib/ops/boxes.ts): pixel i's centre is x = i, so the box runs from the first
      // covered column - 0.5 to the last + 0.5.
      let [x1, y1, x2, y2] = [Infinity, Infinity, -Infinity, -Infinity];
      o.mask.forEach((v, p) => {
        if (!v) return;
        const x = p % 48;
        const y = Math.floor(p / 48);
        x1 = Math.min(x1, x); y1 = Math.min(y1, y); x2 = Math.max(x2, x); y2 = Math.max(y2, y);
      });
      expect(o.box).toEqual([x1 - 0.5, y1 - 0.5, x2 + 0.5, y2 + 0.5]);
      for (const [kx, ky] of o.keypoints) {
        expect(Math.hypot(kx - o.center[0], ky - o.center[1])).toBeLessThanOrEqual(o.radius + 1e-6);
      }
    }
  }
  // With one object, the mask covers the drawn pixels: the object's colour differs from the background there.
  const single = generateShapes({ count: 1, seed: 9, size: 32, noise: 0, background: 'plain' });
  const o = single.instances[0][0];
  const bg = Array.from(single.images.subarray(0, 3));
  let inside = 0;
  o.mask.forEach((v, p) => {
    if (v && Math.abs(single.images[p * 3] - bg[0]) + Math.abs(single.images[p * 3 + 1] - bg[1]) + Math.abs(single.images[p * 3 + 2] - bg[2]) > 0.1) inside++;
  });
  expect(inside / o.mask.reduce((s, v) => s + v, 0)).toBeGreaterThan(0.95);
});

test('MNIST: 10,000 real digits, a stratified seeded split with no overlap', () => {
  expect(mnistCount()).toBe(10000);
  const a = loadMnist({ seed: 1, limit: 1000 });
  const b = loadMnist({ seed: 1, limit: 1000 });
  expect(a.train.labels).toEqual(b.train.labels);
  expect(a.train.count + a.test.count).toBe(1000);
  expect(a.test.count).toBe(200);
  for (let d = 0; d < 10; d++) expect(Array.from(a.test.labels).filter((l) => l === d)).toHaveLength(20);
  const key = (img: Float32Array, i: number) => Array.from(img.subarray(i * 784, i * 784 + 784)).join(',');
  const trainKeys = new Set(Array.from({ length: a.train.count }, (_, i) => key(a.train.images, i)));
  const overlap = Array.from({ length: a.test.count }, (_, i) => key(a.test.images, i)).filter((k) => trainKeys.has(k));
  expect(overlap.length).toBeLessThan(3); // MNIST has a few exact duplicate digits, not more
  const ink = a.train.images.reduce((s, v) => s + v, 0) / a.train.images.length;
  expect(ink).toBeGreaterThan(0.05);
  expect(ink).toBeLessThan(0.3);
});
