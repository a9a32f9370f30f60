/**
 * t-SNE (lib/explain/tsne.ts) and the two numbers lesson 01 compares maps with: each row's affinities
 * have the asked perplexity; well-separated clusters stay separated in the map and keep their
 * neighbourhoods far better than a random map; the same seed gives the same map; classNeighbours
 * finds which clusters sit together.
 */
import { Random } from '../lib/runtime/random';
import { tsne, conditionalAffinities, squaredDistances, rowPerplexities } from '../lib/explain/tsne';
import { neighbourPreservation, classNeighbours } from '../lib/explain/embedding';

/** `perCluster` points around each of `centres` (in 10-D), noise std 1. */
function clusters(centres: number[][], perCluster: number, seed = 1): { rows: number[][]; labels: number[] } {
  const rng = new Random(seed);
  const rows: number[][] = [], labels: number[] = [];
  centres.forEach((c, k) => { for (let i = 0; i < perCluster; i++) { rows.push(c.map((v) => v + rng.normal())); labels.push(k); } });
  return { rows, labels };
}
const axis = (k: number, scale: number) => Array.from({ length: 10 }, (_, d) => (d === k ? scale : 0));

test('the conditional affinities of each row have the asked perplexity and sum to 1', () => {
  const { rows } = clusters([axis(0, 8), axis(1, 8)], 30);
  const p = conditionalAffinities(squaredDistances(rows), rows.length, 12);
  for (const perplexity of rowPerplexities(p, rows.length)) expect(perplexity).toBeCloseTo(12, 2);
  for (let i = 0; i < rows.length; i++) expect(p.slice(i * rows.length, (i + 1) * rows.length).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
});

test('three separated clusters stay separated in the map, keep their neighbourhoods, and repeat by seed', () => {
  const { rows, labels } = clusters([axis(0, 10), axis(1, 10), axis(2, 10)], 40);
  const a = tsne(rows, { perplexity: 15, iterations: 300, seed: 3 });
  const b = tsne(rows, { perplexity: 15, iterations: 300, seed: 3 });
  expect(a.points).toEqual(b.points);
  // Every point's nearest map neighbour is in its own cluster.
  const nearestSame = a.points.filter((p, i) => {
    let best = -1, bestD = Infinity;
    a.points.forEach((q, j) => { const d = (p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2; if (j !== i && d < bestD) { bestD = d; best = j; } });
    return labels[best] === labels[i];
  }).length / rows.length;
  expect(nearestSame).toBe(1);
  // Within a cluster the points are noise, so only part of each 10-neighbourhood can be kept, but far more than by chance (10/119).
  const rng = new Random(0);
  const random = rows.map(() => [rng.normal(), rng.normal()]);
  const kept = neighbourPreservation(rows, a.points, 10);
  expect(kept).toBeGreaterThan(3 * neighbourPreservation(rows, random, 10));
  expect(a.kl).toBeGreaterThan(0);
});

test('classNeighbours: the cluster placed between two others is nearest to both', () => {
  // centres on a line: 0 at -10, 1 at 0, 2 at +10 (and 3 far away)
  const { rows, labels } = clusters([axis(0, -10), axis(0, 0), axis(0, 10), axis(5, 60)], 20);
  const { nearest, distance } = classNeighbours(rows, labels, 4);
  expect(nearest[0][0]).toBe(1);
  expect(nearest[2][0]).toBe(1);
  expect(nearest[3][2]).not.toBe(3);
  expect(distance[0][0]).toBeLessThan(distance[0][1]);
});
