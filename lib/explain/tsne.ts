/**
 * t-SNE (van der Maaten & Hinton 2008), exact (O(N^2) per iteration: fine for the lesson's ~1000
 * points), the method the lecture uses to look at MNIST features (seed 002: 3, 5 and 8 cluster
 * together). Written here rather than taken from npm: the packages there are unmaintained, and the
 * method is short enough to read (umap-js gives the other embedding, lib/explain/embedding.ts).
 *
 *   p_{j|i} = exp(-beta_i d_ij^2) / sum_k exp(-beta_i d_ik^2), beta_i set by binary search so that the
 *             row's perplexity exp(H(P_i)) equals `perplexity`;  p_ij = (p_{j|i} + p_{i|j}) / 2N
 *   q_ij    = (1 + |y_i - y_j|^2)^-1 / sum_{k != l} (1 + |y_k - y_l|^2)^-1
 *   dC/dy_i = 4 sum_j (p_ij - q_ij)(y_i - y_j)(1 + |y_i - y_j|^2)^-1
 * with the paper's optimiser: early exaggeration (P x 12 for the first 250 iterations), momentum 0.5
 * then 0.8, learning rate 200, per-coordinate gains (+0.2 / x0.8), initial y ~ N(0, 1e-4 I).
 */
import { Random } from '../runtime/random';

export interface TsneOptions {
  /** The effective number of neighbours (default 30; at most (N - 1) / 3 is used). */
  perplexity?: number;
  /** Gradient steps (default 500). */
  iterations?: number;
  learningRate?: number;
  /** Factor on P during the first `exaggerationIterations` (default 12 for 250). */
  exaggeration?: number;
  exaggerationIterations?: number;
  seed?: number;
}

/** Squared Euclidean distances between the rows of `data`, as an N x N Float64Array (row-major). */
export function squaredDistances(data: ArrayLike<number>[]): Float64Array {
  const n = data.length;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const a = data[i];
    for (let j = i + 1; j < n; j++) {
      const b = data[j];
      let s = 0;
      for (let d = 0; d < a.length; d++) { const t = a[d] - b[d]; s += t * t; }
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
  }
  return out;
}

/**
 * The conditional affinities p_{j|i} (row i sums to 1, p_{i|i} = 0) from squared distances (N x N),
 * each row's Gaussian precision found by binary search so that exp(entropy) = `perplexity`
 * (within 1e-5 in entropy, 100 halvings at most).
 */
export function conditionalAffinities(distances: Float64Array, n: number, perplexity: number): Float64Array {
  const p = new Float64Array(n * n);
  const target = Math.log(perplexity);
  for (let i = 0; i < n; i++) {
    let beta = 1, lo = -Infinity, hi = Infinity;
    // Scale by the row's smallest distance so exp() does not underflow on far-apart data.
    let minD = Infinity;
    for (let j = 0; j < n; j++) if (j !== i) minD = Math.min(minD, distances[i * n + j]);
    for (let t = 0; t < 100; t++) {
      let sum = 0, weighted = 0;
      for (let j = 0; j < n; j++) {
        if (j === i) { p[i * n + j] = 0; continue; }
        const d = distances[i * n + j] - minD;
        const v = Math.exp(-beta * d);
        p[i * n + j] = v;
        sum += v;
        weighted += d * v;
      }
      // H = log(sum) + beta * E[d] (natural log)
      const entropy = Math.log(sum) + (beta * weighted) / sum;
      for (let j = 0; j < n; j++) p[i * n + j] /= sum;
      const diff = entropy - target;
      if (Math.abs(diff) < 1e-5) break;
      if (diff > 0) { lo = beta; beta = hi === Infinity ? beta * 2 : (beta + hi) / 2; } else { hi = beta; beta = lo === -Infinity ? beta / 2 : (beta + lo) / 2; }
    }
  }
  return p;
}

/** The perplexity exp(H) of each row of a row-stochastic N x N matrix (natural log). */
export function rowPerplexities(p: Float64Array, n: number): number[] {
  return Array.from({ length: n }, (_, i) => {
    let h = 0;
    for (let j = 0; j < n; j++) { const v = p[i * n + j]; if (v > 0) h -= v * Math.log(v); }
    return Math.exp(h);
  });
}

/**
 * A 2-D t-SNE embedding of the rows of `data` ([N][D] numbers), deterministic by seed. Returns the
 * points and the final KL(P || Q) (what the optimiser minimises; lower = the map keeps more of the
 * neighbourhoods).
 */
export function tsne(data: ArrayLike<number>[], options: TsneOptions = {}): { points: [number, number][]; kl: number } {
  const n = data.length;
  if (n < 4) throw new Error(`tsne: needs at least 4 points, got ${n}`);
  const perplexity = Math.min(options.perplexity ?? 30, (n - 1) / 3);
  const iterations = options.iterations ?? 500;
  const rate = options.learningRate ?? 200;
  const exaggeration = options.exaggeration ?? 12;
  const exaggerationIterations = options.exaggerationIterations ?? Math.min(250, Math.floor(iterations / 2));
  const cond = conditionalAffinities(squaredDistances(data), n, perplexity);
  const P = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) P[i * n + j] = Math.max((cond[i * n + j] + cond[j * n + i]) / (2 * n), 1e-12);
  const rng = new Random(options.seed ?? 0);
  const Y = new Float64Array(n * 2);
  for (let k = 0; k < Y.length; k++) Y[k] = rng.normal() * 1e-2;
  const velocity = new Float64Array(n * 2);
  const gains = new Float64Array(n * 2).fill(1);
  const num = new Float64Array(n * n);
  const grad = new Float64Array(n * 2);
  let kl = 0;
  for (let it = 0; it < iterations; it++) {
    const exag = it < exaggerationIterations ? exaggeration : 1;
    const momentum = it < 250 ? 0.5 : 0.8;
    let sumQ = 0;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const dx = Y[2 * i] - Y[2 * j], dy = Y[2 * i + 1] - Y[2 * j + 1];
        const v = 1 / (1 + dx * dx + dy * dy);
        num[i * n + j] = v; num[j * n + i] = v;
        sumQ += 2 * v;
      }
    }
    grad.fill(0);
    for (let i = 0; i < n; i++) {
      let gx = 0, gy = 0;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const v = num[i * n + j];
        const m = (exag * P[i * n + j] - v / sumQ) * v;
        gx += m * (Y[2 * i] - Y[2 * j]);
        gy += m * (Y[2 * i + 1] - Y[2 * j + 1]);
      }
      grad[2 * i] = 4 * gx; grad[2 * i + 1] = 4 * gy;
    }
    for (let k = 0; k < n * 2; k++) {
      gains[k] = Math.sign(grad[k]) !== Math.sign(velocity[k]) ? gains[k] + 0.2 : Math.max(0.01, gains[k] * 0.8);
      velocity[k] = momentum * velocity[k] - rate * gains[k] * grad[k];
      Y[k] += velocity[k];
    }
    // Keep the map centred (the cost does not depend on a translation).
    let mx = 0, my = 0;
    for (let i = 0; i < n; i++) { mx += Y[2 * i]; my += Y[2 * i + 1]; }
    for (let i = 0; i < n; i++) { Y[2 * i] -= mx / n; Y[2 * i + 1] -= my / n; }
    if (it === iterations - 1) {
      kl = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) kl += P[i * n + j] * Math.log(P[i * n + j] / Math.max(num[i * n + j] / sumQ, 1e-12));
    }
  }
  return { points: Array.from({ length: n }, (_, i) => [Y[2 * i], Y[2 * i + 1]] as [number, number]), kl };
}
