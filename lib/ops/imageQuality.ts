/**
 * Image-quality numbers the generative lessons share (lessons 05 and 06): how close an output is to the
 * truth (PSNR), how sharp it is compared with the truth (high-frequency energy ratio), and how far a set
 * of outputs is from a set of real images in a network's feature space (Fréchet distance).
 *
 * Images are NHWC float32 in [0, 1]. The Fréchet distance here is computed on whatever features the
 * caller passes (the kit uses its own classifiers' penultimate layers): it is Inception FID's formula,
 * NOT Inception FID — the numbers are comparable only with the same feature network.
 */
import * as tf from '@tensorflow/tfjs';

/** Peak signal-to-noise ratio in dB per image, averaged: 10 log10(1 / MSE) for images in [0, 1]. */
export function psnr(output: tf.Tensor4D, truth: tf.Tensor4D): number {
  const perImage = tf.tidy(() => tf.squaredDifference(output, truth).mean([1, 2, 3]));
  const mse = perImage.dataSync();
  perImage.dispose();
  let sum = 0;
  for (const m of mse) sum += 10 * Math.log10(1 / Math.max(m, 1e-10));
  return sum / mse.length;
}

/** Per-image energy of the 3x3 Laplacian response, summed over channels: [N]. */
export function laplacianEnergy(images: tf.Tensor4D): Float32Array {
  const e = tf.tidy(() => {
    const c = images.shape[3];
    const k = tf.tensor2d([[0, 1, 0], [1, -4, 1], [0, 1, 0]]).reshape([3, 3, 1, 1]).tile([1, 1, c, 1]) as tf.Tensor4D;
    return tf.depthwiseConv2d(images, k, 1, 'valid').square().mean([1, 2, 3]);
  });
  const out = e.dataSync() as Float32Array;
  e.dispose();
  return Float32Array.from(out);
}

/**
 * Sharpness relative to the truth: mean over images of Laplacian energy(output) / energy(truth).
 * 1 = as much fine detail as the truth; a blurred output (the mean of plausible answers) is well below 1;
 * noise or artefacts can push it above 1.
 */
export function highFrequencyRatio(output: tf.Tensor4D, truth: tf.Tensor4D): number {
  const a = laplacianEnergy(output);
  const b = laplacianEnergy(truth);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] / Math.max(b[i], 1e-12);
  return sum / a.length;
}

/** Eigenvalues and eigenvectors (columns) of a symmetric matrix, by cyclic Jacobi rotations (float64). */
export function symmetricEigen(matrix: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) {
      const apq = a[p * n + q];
      if (Math.abs(apq) < 1e-300) continue;
      const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1), s = t * c;
      for (let k = 0; k < n; k++) {
        const akp = a[k * n + p], akq = a[k * n + q];
        a[k * n + p] = c * akp - s * akq;
        a[k * n + q] = s * akp + c * akq;
      }
      for (let k = 0; k < n; k++) {
        const apk = a[p * n + k], aqk = a[q * n + k];
        a[p * n + k] = c * apk - s * aqk;
        a[q * n + k] = s * apk + c * aqk;
      }
      for (let k = 0; k < n; k++) {
        const vkp = v[k * n + p], vkq = v[k * n + q];
        v[k * n + p] = c * vkp - s * vkq;
        v[k * n + q] = s * vkp + c * vkq;
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i];
  return { values, vectors: v };
}

/** Mean [d] and covariance [d, d] (unbiased) of feature rows [n, d]. */
export function featureStatistics(features: ArrayLike<number>, n: number, d: number): { mean: Float64Array; cov: Float64Array } {
  if (n < 2) throw new Error(`featureStatistics needs at least 2 rows, got ${n}`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += features[i * d + j] / n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) {
    const xj = features[i * d + j] - mean[j];
    for (let k = j; k < d; k++) cov[j * d + k] += (xj * (features[i * d + k] - mean[k])) / (n - 1);
  }
  for (let j = 0; j < d; j++) for (let k = 0; k < j; k++) cov[j * d + k] = cov[k * d + j];
  return { mean, cov };
}

/**
 * Fréchet distance between two Gaussians fitted to feature rows a [n1, d] and b [n2, d]:
 * ||mu_a - mu_b||^2 + Tr(C_a + C_b - 2 (C_a^1/2 C_b C_a^1/2)^1/2) (Heusel et al. 2017's formula).
 * 0 for identical statistics; grows as the sets differ. Features come from the caller's network.
 */
export function frechetDistance(a: tf.Tensor2D, b: tf.Tensor2D): number {
  const [n1, d] = a.shape;
  const [n2, d2] = b.shape;
  if (d !== d2) throw new Error(`frechetDistance: feature sizes differ (${d} vs ${d2})`);
  const A = featureStatistics(a.dataSync(), n1, d);
  const B = featureStatistics(b.dataSync(), n2, d);
  // S = C_a^1/2 from C_a's eigendecomposition (negative rounding clipped to 0).
  const ea = symmetricEigen(A.cov, d);
  const sqrtA = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += ea.vectors[i * d + k] * Math.sqrt(Math.max(ea.values[k], 0)) * ea.vectors[j * d + k];
    sqrtA[i * d + j] = s;
  }
  // M = S C_b S is symmetric PSD; Tr(M^1/2) = sum of sqrt of its eigenvalues.
  const tmp = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) { let s = 0; for (let k = 0; k < d; k++) s += sqrtA[i * d + k] * B.cov[k * d + j]; tmp[i * d + j] = s; }
  const m = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) { let s = 0; for (let k = 0; k < d; k++) s += tmp[i * d + k] * sqrtA[k * d + j]; m[i * d + j] = s; }
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) { const avg = (m[i * d + j] + m[j * d + i]) / 2; m[i * d + j] = m[j * d + i] = avg; }
  const em = symmetricEigen(m, d);
  let traceSqrt = 0;
  for (const v of em.values) traceSqrt += Math.sqrt(Math.max(v, 0));
  let meanTerm = 0, trace = 0;
  for (let j = 0; j < d; j++) { meanTerm += (A.mean[j] - B.mean[j]) ** 2; trace += A.cov[j * d + j] + B.cov[j * d + j]; }
  return Math.max(0, meanTerm + trace - 2 * traceSqrt);
}

/**
 * The colour histogram of a batch of RGB images: every pixel of every image in one of bins^3 cells
 * (each channel cut into `bins` equal intervals of [0, 1]), as fractions summing to 1.
 */
export function colourHistogram(images: tf.Tensor4D, bins = 4): Float64Array {
  if (images.shape[3] !== 3) throw new Error(`colourHistogram: RGB images expected, got ${images.shape[3]} channels`);
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`colourHistogram: bins must be a whole number >= 1, got ${bins}`);
  const v = images.dataSync();
  const hist = new Float64Array(bins * bins * bins);
  const cell = (x: number) => Math.min(bins - 1, Math.max(0, Math.floor(x * bins)));
  for (let i = 0; i < v.length; i += 3) hist[(cell(v[i]) * bins + cell(v[i + 1])) * bins + cell(v[i + 2])] += 1;
  const pixels = v.length / 3;
  for (let k = 0; k < hist.length; k++) hist[k] /= pixels;
  return hist;
}

/**
 * How much of their colours two sets of images share: the intersection of their colour histograms,
 * sum over cells of min(a, b) — 1 for the same colour distribution, 0 when no cell has pixels of both.
 * Lesson 06 reads it as "does the stylised image have the style's colours" (a number the style loss
 * did not optimise).
 */
export function colourHistogramIntersection(a: tf.Tensor4D, b: tf.Tensor4D, bins = 4): number {
  const ha = colourHistogram(a, bins), hb = colourHistogram(b, bins);
  let s = 0;
  for (let k = 0; k < ha.length; k++) s += Math.min(ha[k], hb[k]);
  return s;
}
