/**
 * The composed wasm training kernels agree with the cpu backend's reference kernels, and the
 * gradients they produce agree with central finite differences (a gradient check).
 */
import * as tf from '@tensorflow/tfjs';
import { onBackend, relativeError, useBackend, expectNoLeak } from './helpers';
import { Random } from '../lib/runtime/random';
import { conv2dBackpropFilter } from '../lib/runtime/wasm/kernels/convolution';
import { useKitGemm } from '../lib/runtime/wasm/gemm';

function randomTensor(shape: number[], seed: number): tf.Tensor {
  const rng = new Random(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => rng.uniform(-1, 1)), shape);
}

interface ConvCase { batch: number; size: [number, number]; kernel: [number, number]; inC: number; outC: number; stride: number; pad: 'same' | 'valid'; dilation: number }

const cases: ConvCase[] = [];
for (const stride of [1, 2]) {
  for (const pad of ['same', 'valid'] as const) {
    for (const kernel of [[3, 3], [2, 3], [1, 5]] as [number, number][]) {
      for (const batch of [1, 3]) {
        cases.push({ batch, size: [7, 8], kernel, inC: 3, outC: 4, stride, pad, dilation: 1 });
      }
    }
  }
}
// The shapes the kit's networks use: pix2pix's 4x4 stride-2 (de)convolutions, a stride larger than
// the kernel (empty stride phases), stride 3, and odd sizes that leave a partial last phase.
cases.push(
  { batch: 2, size: [8, 8], kernel: [4, 4], inC: 3, outC: 5, stride: 2, pad: 'same', dilation: 1 },
  { batch: 1, size: [9, 7], kernel: [4, 4], inC: 2, outC: 3, stride: 2, pad: 'valid', dilation: 1 },
  { batch: 2, size: [7, 9], kernel: [1, 1], inC: 3, outC: 2, stride: 2, pad: 'valid', dilation: 1 },
  { batch: 1, size: [10, 11], kernel: [3, 5], inC: 2, outC: 3, stride: 3, pad: 'same', dilation: 1 },
  { batch: 2, size: [11, 10], kernel: [5, 2], inC: 3, outC: 2, stride: 3, pad: 'valid', dilation: 1 },
  // Fewer output positions than input channels: the input gradient goes through patches x filter rows.
  { batch: 2, size: [4, 4], kernel: [4, 4], inC: 12, outC: 6, stride: 2, pad: 'same', dilation: 1 },
  { batch: 1, size: [3, 5], kernel: [3, 3], inC: 20, outC: 4, stride: 1, pad: 'same', dilation: 1 },
  { batch: 1, size: [5, 5], kernel: [2, 3], inC: 30, outC: 5, stride: 3, pad: 'valid', dilation: 1 },
);
const dilated: ConvCase[] = [
  { batch: 2, size: [9, 8], kernel: [3, 3], inC: 2, outC: 4, stride: 1, pad: 'same', dilation: 2 },
  { batch: 1, size: [9, 10], kernel: [2, 3], inC: 3, outC: 6, stride: 1, pad: 'valid', dilation: 2 },
];
const name = (c: ConvCase) => `batch ${c.batch}, ${c.size.join('x')} input, ${c.kernel.join('x')} kernel, stride ${c.stride}, ${c.pad}, dilation ${c.dilation}`;

/**
 * The cpu backend's depthwise backprop kernels ignore dilation (tfjs's gradient refuses dilation > 1),
 * so for dilated cases the reference is the equivalent undilated convolution with a zero-inserted
 * ("atrous") filter: its input gradient is the same, and its filter gradient sampled at the taps is.
 */
function atrous(w: tf.Tensor4D, d: number): tf.Tensor4D {
  const [kh, kw, c, m] = w.shape;
  const spread = w.reshape([kh, 1, kw, 1, c, m]).pad([[0, 0], [0, d - 1], [0, 0], [0, d - 1], [0, 0], [0, 0]]);
  return spread.reshape([kh * d, kw * d, c, m]).slice([0, 0, 0, 0], [(kh - 1) * d + 1, (kw - 1) * d + 1, c, m]);
}

describe('Conv2DBackpropFilter and Conv2DBackpropInput on wasm equal the cpu kernels', () => {
  // The cpu kernels ignore dilation; for dilated cases the reference is the undilated convolution
  // with the zero-inserted ("atrous") filter, as for the depthwise kernels below.
  test.each([...cases, ...dilated])('%#: $pad stride $stride kernel $kernel batch $batch dilation $dilation', async (c) => {
    const d = c.dilation;
    const setup = () => {
      const x = randomTensor([c.batch, ...c.size, c.inC], 1) as tf.Tensor4D;
      const dy = tf.conv2d(x, randomTensor([...c.kernel, c.inC, c.outC], 2) as tf.Tensor4D, c.stride, c.pad, 'NHWC', d);
      return { x, g: randomTensor(dy.shape, 3), w: randomTensor([...c.kernel, c.inC, c.outC], 15) as tf.Tensor4D };
    };
    const backprops = (x: tf.Tensor, g: tf.Tensor, w: tf.Tensor, dilation: number) => {
      const attrs = { strides: [c.stride, c.stride], pad: c.pad, dataFormat: 'NHWC', filterShape: w.shape, inputShape: x.shape, dilations: [dilation, dilation] };
      return [
        tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: g }, attrs) as tf.Tensor,
        tf.engine().runKernel('Conv2DBackpropInput', { dy: g, filter: w }, attrs) as tf.Tensor,
      ];
    };
    const [cpuFilter, cpuInput] = await onBackend('cpu', () => {
      const { x, g, w } = setup();
      const [gw, gx] = backprops(x, g, atrous(w, d), 1);
      return [tf.stridedSlice(gw, [0, 0, 0, 0], gw.shape, [d, d, 1, 1]), gx];
    });
    const [wasmFilter, wasmInput] = await onBackend('wasm', () => {
      const { x, g, w } = setup();
      return backprops(x, g, w, d);
    });
    expect(relativeError(wasmFilter, cpuFilter)).toBeLessThan(1e-5);
    expect(relativeError(wasmInput, cpuInput)).toBeLessThan(1e-5);
  });
});

describe('Conv2D with fewer output positions than channels (patches x filter rows) equals the cpu kernel', () => {
  test.each([
    { x: [2, 4, 4, 8], w: [4, 4, 8, 40], stride: 2, pad: 'same' as const, dilation: 1 },
    { x: [1, 3, 5, 6], w: [3, 3, 6, 32], stride: 1, pad: 'same' as const, dilation: 1 },
    { x: [1, 6, 7, 5], w: [2, 3, 5, 64], stride: 3, pad: 'valid' as const, dilation: 1 },
    { x: [1, 6, 6, 4], w: [3, 3, 4, 48], stride: 1, pad: 'same' as const, dilation: 2 },
    { x: [3, 1, 1, 16], w: [1, 1, 16, 24], stride: 1, pad: 'valid' as const, dilation: 1 },
  ])('x $x filter $w stride $stride $pad dilation $dilation', async (c) => {
    const run = () => [tf.conv2d(randomTensor(c.x, 29) as tf.Tensor4D, randomTensor(c.w, 30) as tf.Tensor4D, c.stride, c.pad, 'NHWC', c.dilation)];
    const [cpu] = await onBackend('cpu', run);
    const [wasm] = await onBackend('wasm', run);
    expect(relativeError(wasm, cpu)).toBeLessThan(1e-5);
  });

  test('leaves no tensors behind', async () => {
    await useBackend('wasm');
    const x = randomTensor([2, 4, 4, 8], 31) as tf.Tensor4D;
    const w = randomTensor([4, 4, 8, 40], 32) as tf.Tensor4D;
    await expectNoLeak(() => { tf.conv2d(x, w, 2, 'same').dispose(); });
    tf.dispose([x, w]);
  });
});

test('the filter gradient summed over batch chunks equals the one-shot product', async () => {
  await useBackend('wasm');
  const x = randomTensor([5, 6, 7, 3], 21) as tf.Tensor4D;
  const dy = randomTensor([5, 3, 4, 4], 22) as tf.Tensor4D;
  const info = tf.backend_util.computeConv2DInfo(x.shape, [3, 3, 3, 4], 2, 1, 'same');
  const whole = conv2dBackpropFilter(x, dy, info);
  const perImage = 3 * 3 * 3 * 3 * 4;
  const chunked = conv2dBackpropFilter(x, dy, info, 2 * perImage); // 3 chunks: 2, 2, 1 images
  expect(relativeError(chunked, whole)).toBeLessThan(1e-6);
  tf.dispose([x, dy, whole, chunked]);
});

describe("Conv2DBackpropFilter's products through the kit's GEMM equal the cpu kernel and the XNNPACK path", () => {
  // K = batch x output positions >= 32: the kit's GEMM (useKitGemm); CVKIT_KIT_GEMM=0 forces XNNPACK.
  test.each([
    { label: '1x1 stride 1 (x^T dy, tiled transpose)', x: [2, 9, 9, 5], f: [1, 1, 5, 7], stride: 1, chunk: 0 },
    { label: '3x3 same (im2col)', x: [2, 8, 8, 6], f: [3, 3, 6, 9], stride: 1, chunk: 0 },
    { label: '4x4 stride 2, 3 batch chunks accumulating into dW', x: [5, 8, 8, 3], f: [4, 4, 3, 10], stride: 2, chunk: 2 },
  ])('$label', async (c) => {
    const info = tf.backend_util.computeConv2DInfo(c.x as [number, number, number, number], c.f as [number, number, number, number], c.stride, 1, 'same');
    expect(useKitGemm(c.f[0] * c.f[1] * c.f[2], c.x[0] * info.outHeight * info.outWidth, c.f[3])).toBe(true);
    const dyShape = [c.x[0], info.outHeight, info.outWidth, c.f[3]];
    const attrs = { strides: [c.stride, c.stride], pad: 'same', dataFormat: 'NHWC', filterShape: c.f, dilations: [1, 1] };
    const [cpu] = await onBackend('cpu', () => tf.engine().runKernel('Conv2DBackpropFilter', { x: randomTensor(c.x, 31), dy: randomTensor(dyShape, 32) }, attrs) as tf.Tensor);
    const perImage = c.f[0] * c.f[1] * c.f[2] * info.outHeight * info.outWidth;
    const wasmRun = () => conv2dBackpropFilter(randomTensor(c.x, 31) as tf.Tensor4D, randomTensor(dyShape, 32) as tf.Tensor4D, info, c.chunk ? c.chunk * perImage : undefined);
    const [kit] = await onBackend('wasm', wasmRun);
    process.env.CVKIT_KIT_GEMM = '0';
    try {
      const [xnnpack] = await onBackend('wasm', wasmRun);
      expect(relativeError(xnnpack, cpu)).toBeLessThan(1e-5);
    } finally {
      delete process.env.CVKIT_KIT_GEMM;
    }
    expect(relativeError(kit, cpu)).toBeLessThan(1e-5);
    await useBackend('wasm');
    const x = randomTensor(c.x, 33) as tf.Tensor4D;
    const dy = randomTensor(dyShape, 34) as tf.Tensor4D;
    await expectNoLeak(() => { conv2dBackpropFilter(x, dy, info, c.chunk ? c.chunk * perImage : undefined).dispose(); });
    tf.dispose([x, dy]);
  });
});

describe('Sum and Mean over non-innermost axes on wasm equal the cpu kernels', () => {
  test.each([
    { shape: [4, 5, 6, 7], axis: [0, 1, 2], keepDims: false },
    { shape: [4, 5, 6, 7], axis: [0, 1, 2], keepDims: true },
    { shape: [4, 5, 6, 8], axis: [0, 1, 2], keepDims: false }, // channels a multiple of 4: the unrolled loop
    { shape: [3, 8, 5], axis: [1], keepDims: false },
    { shape: [3, 8, 5], axis: [0], keepDims: true },
    { shape: [2, 3, 4, 5], axis: [1, 2], keepDims: false },
    { shape: [2, 3, 4, 5], axis: [0, 2], keepDims: false }, // not contiguous: the stock kernel
    { shape: [2, 3, 4, 5], axis: [3], keepDims: false }, // innermost: the stock kernel
    { shape: [6, 4], axis: [0, 1], keepDims: false },
  ])('$shape over $axis (keepDims $keepDims)', async (c) => {
    const run = () => {
      const x = randomTensor(c.shape, 27);
      return [tf.sum(x, c.axis, c.keepDims), tf.mean(x, c.axis, c.keepDims)];
    };
    const [cpuSum, cpuMean] = await onBackend('cpu', run);
    const [wasmSum, wasmMean] = await onBackend('wasm', run);
    expect(wasmSum.length).toBe(cpuSum.length);
    expect(relativeError(wasmSum, cpuSum)).toBeLessThan(1e-5);
    expect(relativeError(wasmMean, cpuMean)).toBeLessThan(1e-5);
  });

  test('keep the shape tfjs expects and leave no tensors behind', async () => {
    await useBackend('wasm');
    const x = randomTensor([4, 5, 6, 7], 28);
    expect(tf.sum(x, [0, 1, 2]).shape).toEqual([7]);
    expect(tf.mean(x, [1, 2], true).shape).toEqual([4, 1, 1, 7]);
    await expectNoLeak(() => { tf.sum(x, [0, 1, 2]).dispose(); tf.mean(x, [0, 1], true).dispose(); });
    x.dispose();
  });
});

describe('Tile (broadcastTo) on wasm equals the cpu kernel', () => {
  test.each([
    { shape: [3], reps: [4] },
    { shape: [2, 3], reps: [1, 1] },
    { shape: [2, 3], reps: [3, 2] },
    { shape: [1, 1, 1, 5], reps: [4, 3, 2, 1] }, // a per-channel vector broadcast over N, H, W
    { shape: [2, 1, 3], reps: [1, 4, 1] },
    { shape: [2, 3, 1, 2], reps: [2, 1, 3, 2] },
    { shape: [5, 1], reps: [1, 7] },
    { shape: [2, 2], reps: [0, 3] },
  ])('$shape tiled $reps, float32, int32 and bool', async (c) => {
    const size = c.shape.reduce((a, b) => a * b, 1);
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      const run = () => tf.tile(tf.tensor(Array.from({ length: size }, (_, i) => (dtype === 'bool' ? i % 2 : i + 1)), c.shape, dtype), c.reps);
      const [cpu] = await onBackend('cpu', run);
      const [wasm] = await onBackend('wasm', run);
      expect(wasm).toEqual(cpu);
    }
  });
});

describe('FusedBatchNorm with per-channel statistics on wasm equals the cpu kernel', () => {
  test.each([
    { shape: [4, 5, 6, 8], stats: [8], offset: true, scale: true },
    { shape: [3, 7, 5], stats: [5], offset: false, scale: true },
    { shape: [2, 3, 3, 6], stats: [1, 1, 1, 6], offset: true, scale: false },
    { shape: [9, 3], stats: [3], offset: false, scale: false },
    { shape: [2, 4, 4, 3], stats: [4, 1], offset: true, scale: true }, // not per-channel: the stock kernel
  ])('x $shape, statistics $stats, offset $offset, scale $scale', async (c) => {
    const run = () => {
      const x = randomTensor(c.shape, 41).mul(3).add(2);
      const mean = randomTensor(c.stats, 42);
      const variance = randomTensor(c.stats, 43).abs().add(0.1);
      const offset = c.offset ? randomTensor(c.stats, 44) : undefined;
      const scale = c.scale ? randomTensor(c.stats, 45) : undefined;
      return tf.batchNorm(x, mean, variance, offset, scale, 1e-3);
    };
    const [cpu] = await onBackend('cpu', run);
    const [wasm] = await onBackend('wasm', run);
    expect(relativeError(wasm, cpu)).toBeLessThan(1e-5);
  });
});

describe('Identity, same-dtype Cast and whole-tensor Slice on wasm share memory instead of copying', () => {
  test('the clone keeps its values after the original is disposed, and nothing leaks', async () => {
    await useBackend('wasm');
    const before = tf.memory().numBytes;
    await expectNoLeak(() => {
      const x = tf.tensor([1, 2, 3, 4], [2, 2]);
      const y = tf.clone(x);
      const z = tf.cast(x, 'float32');
      const w = tf.cast(x, 'int32'); // a real conversion still converts
      const whole = tf.slice(x, [0, 0], [-1, -1]);
      const part = tf.slice(x, [1, 0], [1, 2]); // a real slice still slices
      x.dispose();
      expect(Array.from(whole.dataSync())).toEqual([1, 2, 3, 4]);
      expect(whole.shape).toEqual([2, 2]);
      expect(Array.from(part.dataSync())).toEqual([3, 4]);
      tf.dispose([whole, part]);
      expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4]);
      expect(Array.from(z.dataSync())).toEqual([1, 2, 3, 4]);
      expect(w.dtype).toBe('int32');
      expect(Array.from(w.dataSync())).toEqual([1, 2, 3, 4]);
      tf.dispose([y, z, w]);
    });
    expect(tf.memory().numBytes).toBe(before);
  });
});

describe('BatchMatMul with transposed operands on wasm equals the cpu kernel', () => {
  test.each([
    { a: [5, 7], b: [7, 3], tA: false, tB: false },
    { a: [7, 5], b: [7, 3], tA: true, tB: false },
    { a: [5, 7], b: [3, 7], tA: false, tB: true },
    { a: [7, 5], b: [3, 7], tA: true, tB: true },
    { a: [2, 40, 33], b: [2, 40, 9], tA: true, tB: false },
    { a: [3, 6, 70], b: [3, 5, 70], tA: false, tB: true },
    { a: [2, 9, 4], b: [1, 5, 9], tA: true, tB: true },
    // The kit's GEMM (K >= 32, one matrix pair): a Gram matrix F^T F, a dense layer's x^T dy, batch 1.
    { a: [300, 24], b: [300, 24], tA: true, tB: false },
    { a: [64, 40], b: [64, 10], tA: true, tB: false },
    { a: [1, 21, 50], b: [1, 50, 13], tA: false, tB: false },
    { a: [1, 50, 21], b: [13, 50], tA: true, tB: true },
    // Batches through the kit's GEMM (>= 4096 multiply-adds a product): same batch, one side broadcast, rank 4.
    { a: [4, 64, 16], b: [4, 64, 16], tA: true, tB: false },
    { a: [4, 50, 16], b: [16, 20], tA: false, tB: false },
    { a: [1, 30, 40], b: [3, 12, 40], tA: false, tB: true },
    { a: [2, 3, 40, 33], b: [2, 3, 40, 9], tA: true, tB: false },
  ])('a $a (transposed: $tA), b $b (transposed: $tB)', async (c) => {
    const run = () => [tf.matMul(randomTensor(c.a, 23), randomTensor(c.b, 24), c.tA, c.tB)];
    const [cpu] = await onBackend('cpu', run);
    const [wasm] = await onBackend('wasm', run);
    expect(relativeError(wasm, cpu)).toBeLessThan(1e-5);
    // the output's shape is the stock kernel's (the broadcast batch shape, then M x N)
    const shapeOf = () => tf.tidy(() => tf.matMul(randomTensor(c.a, 23), randomTensor(c.b, 24), c.tA, c.tB).shape);
    await useBackend('cpu');
    const cpuShape = shapeOf();
    await useBackend('wasm');
    expect(shapeOf()).toEqual(cpuShape);
  });

  test('batches of products of 4096 multiply-adds or more go to the kit\'s GEMM (tfjs\'s batched kernel took 5-11 ms for each of lesson 06\'s batch-4 Gram products)', () => {
    expect(useKitGemm(16, 4096, 16, 4)).toBe(true);
    expect(useKitGemm(4096, 16, 16, 4)).toBe(true);
    expect(useKitGemm(4, 9, 5, 2)).toBe(false);
    expect(useKitGemm(4096, 16, 16, 1)).toBe(false); // one pair with K < 32 stays with XNNPACK
  });

  test('leaves no tensors or heap allocations behind', async () => {
    await useBackend('wasm');
    const a = randomTensor([64, 48], 25);
    await expectNoLeak(() => { tf.matMul(a, a, true, false).dispose(); tf.matMul(a, a, false, true).dispose(); });
    const before = (tf.backend() as unknown as { dataIdMap: { numDataIds(): number } }).dataIdMap.numDataIds();
    const b = randomTensor([32, 64], 26);
    for (let i = 0; i < 5; i++) tf.matMul(a, b, true, true).dispose();
    b.dispose();
    expect((tf.backend() as unknown as { dataIdMap: { numDataIds(): number } }).dataIdMap.numDataIds()).toBe(before);
    a.dispose();
  });
});

describe('depthwise backprop kernels on wasm equal the cpu kernels', () => {
  const depthCases = [...cases.filter((c) => c.batch === 3), ...dilated].map((c) => ({ ...c, mult: c.outC / c.inC === 2 ? 2 : 1, label: name(c) }));
  test.each(depthCases)('$label', async (c) => {
    const filterShape = [...c.kernel, c.inC, c.mult];
    const d = c.dilation;
    const setup = () => {
      const x = randomTensor([c.batch, ...c.size, c.inC], 4) as tf.Tensor4D;
      const w = randomTensor(filterShape, 5) as tf.Tensor4D;
      const y = tf.depthwiseConv2d(x, w, c.stride, c.pad, 'NHWC', d);
      return { x, w, dy: randomTensor(y.shape, 6) };
    };
    const backprops = (x: tf.Tensor4D, w: tf.Tensor4D, dy: tf.Tensor, dilation: number) => {
      const attrs = { strides: [c.stride, c.stride], pad: c.pad, dilations: [dilation, dilation], filterShape: w.shape };
      return [
        tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, attrs) as tf.Tensor4D,
        tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: w }, { ...attrs, inputShape: x.shape }) as tf.Tensor4D,
      ];
    };
    const [cpuFilter, cpuInput] = await onBackend('cpu', () => {
      const { x, w, dy } = setup();
      const [gw, gx] = backprops(x, atrous(w, d), dy, 1);
      return [tf.stridedSlice(gw, [0, 0, 0, 0], gw.shape, [d, d, 1, 1]), gx];
    });
    const [wasmFilter, wasmInput] = await onBackend('wasm', () => {
      const { x, w, dy } = setup();
      return backprops(x, w, dy, d);
    });
    expect(relativeError(wasmFilter, cpuFilter)).toBeLessThan(1e-5);
    expect(relativeError(wasmInput, cpuInput)).toBeLessThan(1e-5);
  });
});

describe('MaxPoolGrad on wasm equals the cpu kernel', () => {
  test.each([
    { size: 2, stride: 2, pad: 'valid' as const, shape: [2, 8, 8, 3], ties: false },
    { size: 3, stride: 2, pad: 'same' as const, shape: [1, 7, 9, 2] },
    { size: 3, stride: 1, pad: 'same' as const, shape: [3, 5, 6, 4] },
    { size: 2, stride: 2, pad: 'same' as const, shape: [2, 7, 5, 2] },
    { size: 2, stride: 2, pad: 'valid' as const, shape: [2, 6, 8, 5], ties: true }, // ReLU-like zeros: the first maximum wins
    { size: 2, stride: 2, pad: 'valid' as const, shape: [2, 7, 9, 12], ties: true }, // SIMD lanes, ties, odd sizes (uncovered last row/column)
    { size: 2, stride: 2, pad: 'valid' as const, shape: [1, 4, 4, 8], ties: false },
  ])('pool $size stride $stride $pad input $shape', async (c) => {
    const run = () => {
      const x = (c.ties ? tf.relu(randomTensor(c.shape, 16)).round() : randomTensor(c.shape, 16)) as tf.Tensor4D;
      return tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, c.size, c.stride, c.pad).mul(randomTensor(tf.maxPool(x, c.size, c.stride, c.pad).shape, 17)).sum())(x);
    };
    const [cpu] = await onBackend('cpu', run);
    const [wasm] = await onBackend('wasm', run);
    expect(relativeError(wasm, cpu)).toBeLessThan(1e-6);
  });
});

describe('AvgPoolGrad on wasm equals the cpu kernel (tiling windows on the heap, the stock kernel otherwise)', () => {
  test.each([
    { size: 2, stride: 2, pad: 'valid' as const, shape: [2, 8, 8, 3] }, // tiles: the kit's loop
    { size: [2, 3] as [number, number], stride: [2, 3] as [number, number], pad: 'valid' as const, shape: [1, 4, 9, 5] }, // tiles, not square
    { size: 2, stride: 2, pad: 'same' as const, shape: [2, 6, 4, 2] }, // 'same' on multiples: no padding, tiles
    { size: 2, stride: 2, pad: 'valid' as const, shape: [1, 7, 5, 2] }, // odd sizes: stock
    { size: 3, stride: 2, pad: 'same' as const, shape: [1, 7, 9, 2] }, // overlapping: stock
  ])('pool $size stride $stride $pad input $shape', async (c) => {
    const run = () => {
      const x = randomTensor(c.shape, 18) as tf.Tensor4D;
      return tf.grad((t: tf.Tensor) => tf.avgPool(t as tf.Tensor4D, c.size, c.stride, c.pad).mul(randomTensor(tf.avgPool(x, c.size, c.stride, c.pad).shape, 19)).sum())(x);
    };
    const [cpu] = await onBackend('cpu', run);
    const [wasm] = await onBackend('wasm', run);
    expect(relativeError(wasm, cpu)).toBeLessThan(1e-6);
    await useBackend('wasm');
    const x = randomTensor(c.shape, 20) as tf.Tensor4D;
    await expectNoLeak(() => { tf.grad((t: tf.Tensor) => tf.avgPool(t as tf.Tensor4D, c.size, c.stride, c.pad).sum())(x).dispose(); });
    x.dispose();
  });
});

describe('UnsortedSegmentSum on wasm', () => {
  test('equals the cpu kernel, and the gradient of gather matches cpu', async () => {
    const run = () => {
      const x = randomTensor([6, 2, 3], 7);
      const ids = tf.tensor1d([2, 0, 2, 4, 1, 0], 'int32');
      const table = randomTensor([5, 3], 8);
      const gatherGrad = tf.grad((t: tf.Tensor) => tf.gather(t, tf.tensor1d([1, 1, 3, 0], 'int32')).square().sum())(table);
      return [tf.unsortedSegmentSum(x, ids, 5), gatherGrad];
    };
    const [cpuSum, cpuGrad] = await onBackend('cpu', run);
    const [wasmSum, wasmGrad] = await onBackend('wasm', run);
    expect(relativeError(wasmSum, cpuSum)).toBeLessThan(1e-6);
    expect(relativeError(wasmGrad, cpuGrad)).toBeLessThan(1e-6);
    expect(wasmGrad.some((v) => v !== 0)).toBe(true);
  });
});

describe('gradient check: training gradients on wasm match finite differences', () => {
  test.each([
    { stride: 1, pad: 'same' as const, kernel: [3, 3] },
    { stride: 2, pad: 'valid' as const, kernel: [2, 3] },
    { stride: 2, pad: 'same' as const, kernel: [3, 1] },
  ])('conv2d + depthwise stride $stride $pad kernel $kernel', async (c) => {
    await useBackend('wasm');
    const x = randomTensor([2, 6, 7, 2], 9) as tf.Tensor4D;
    const w = randomTensor([...c.kernel, 2, 3], 10) as tf.Tensor4D;
    const dw = randomTensor([...c.kernel, 3, 2], 11) as tf.Tensor4D;
    const loss = (xx: tf.Tensor4D, ww: tf.Tensor4D, dd: tf.Tensor4D) =>
      tf.depthwiseConv2d(tf.tanh(tf.conv2d(xx, ww, c.stride, c.pad)), dd, 1, c.pad).square().sum().asScalar();
    const grads = tf.grads((a, b, d) => loss(a as tf.Tensor4D, b as tf.Tensor4D, d as tf.Tensor4D))([x, w, dw]);
    const params = [x, w, dw];
    const eps = 1e-2;
    const rng = new Random(12);
    for (let p = 0; p < 3; p++) {
      const base = params[p].dataSync();
      const analytic = grads[p].dataSync();
      for (let k = 0; k < 6; k++) {
        const idx = rng.int(0, base.length - 1);
        const evalAt = (delta: number) => tf.tidy(() => {
          const v = Float32Array.from(base);
          v[idx] += delta;
          const args = params.map((t, i) => (i === p ? tf.tensor(v, t.shape) : t)) as tf.Tensor4D[];
          return loss(args[0], args[1], args[2]).dataSync()[0];
        });
        const numeric = (evalAt(eps) - evalAt(-eps)) / (2 * eps);
        expect(Math.abs(numeric - analytic[idx])).toBeLessThan(2e-2 * Math.max(1, Math.abs(numeric)));
      }
    }
    tf.dispose([...params, ...grads]);
  });
});

test('composed kernels leave no tensors behind', async () => {
  await useBackend('wasm');
  const x = randomTensor([2, 8, 8, 3], 13) as tf.Tensor4D;
  const w = randomTensor([3, 3, 3, 4], 14) as tf.Tensor4D;
  await expectNoLeak(() => {
    const g = tf.grads((a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same').square().sum())([x, w]);
    tf.dispose(g);
  });
  tf.dispose([x, w]);
});
