/**
 * The kernels the kit registers on @tensorflow/tfjs-backend-wasm 4.22, as ONE table: each row is a
 * tfjs kernel, its family (the file in this folder that holds it), why the kit registers it, how it
 * computes, and its registration. `registerWasmTrainingKernels` registers the rows,
 * `WASM_TRAINING_KERNELS` lists them, and the table in docs/design.md ("Training on the wasm
 * backend") is `wasmKernelTableMarkdown()` (tests/wasmKernelTable.test.ts fails when it differs):
 * add a kernel by adding a row.
 *
 * Without the missing ones the wasm backend can run models but not train them: `tf.grad` of a
 * convolution throws "Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'". Each kernel
 * is checked against the pure-JS cpu backend in tests/wasmKernels.test.ts. Layout is NHWC throughout.
 */
import { registerConv2DBackpropFilter, registerConv2DBackpropInput, registerSmallOutputConv2D } from './convolution';
import { registerDepthwiseBackpropFilter, registerDepthwiseBackpropInput } from './depthwise';
import { registerAvgPoolGrad, registerMaxPoolGrad } from './pooling';
import { registerUnsortedSegmentSum } from './segment';
import { registerTransposedBatchMatMul } from './matMul';
import { registerContiguousReduction } from './reduction';
import { registerBlockTile, registerSharingCast, registerSharingIdentity, registerSharingSlice } from './memory';
import { registerChannelBatchNorm } from './normalization';
import { registerFastBatchNorm } from '../batchNormTraining';

export interface WasmKernel {
  /** The tfjs kernel name. */
  kernel: string;
  /** The file of lib/runtime/wasm/kernels/ that holds it. */
  family: 'convolution' | 'depthwise' | 'pooling' | 'segment' | 'matMul' | 'reduction' | 'memory' | 'normalization';
  /** 'missing': wasm has no such kernel; 'replaces': the kit's takes over from the stock one (an override hands the cases it does not improve back to it). */
  kind: 'missing' | 'replaces';
  /** Why the kit registers it (the reason; the numbers are in docs/design.md). */
  why: string;
  /** How it computes. */
  how: string;
  register(backendName: string): void;
}

/** Every kernel the kit registers on wasm. */
export const WASM_KERNELS: readonly WasmKernel[] = [
  {
    kernel: 'Conv2DBackpropFilter', family: 'convolution', kind: 'missing', register: registerConv2DBackpropFilter,
    why: 'missing',
    how: "transposed im2col built by the SIMD module (`im2col_t`: channel-major padded copy in 4x4 transposes, then a run of outW floats per filter tap, channel and output row), one matrix product per batch chunk (<= 128 MB of patches): the kit's GEMM (`gemm`, 4x8 register tiles, relaxed-SIMD FMA where the engine has it, 2 threads with tfjs's threaded build; chunks accumulate into dW), or an untransposed XNNPACK MatMul where that is faster (reductions shorter than 32, one output channel); 1x1 stride-1 convolutions skip im2col (dW = x^T dy, tiled transpose then the same product)",
  },
  {
    kernel: 'Conv2DBackpropInput', family: 'convolution', kind: 'replaces', register: registerConv2DBackpropInput,
    why: 'the stock kernel is a scalar loop',
    how: "stride phases: for each of the s x s phases of dx, an XNNPACK Conv2D of dy (its shift and zero padding given to the convolution as explicit padding, no padded copy) with that phase's taps of the filter (flipped, in/out swapped in one pass over the heap); the phases interleave into dx (`interleave_phases`). No zero-insertion, so no wasted multiply-adds. Dilation keeps the zero-insert path",
  },
  {
    kernel: 'DepthwiseConv2dNativeBackpropFilter', family: 'depthwise', kind: 'missing', register: registerDepthwiseBackpropFilter,
    why: 'missing',
    how: 'per-tap products of the input window and dy, summed over batch and positions; dilation supported',
  },
  {
    kernel: 'DepthwiseConv2dNativeBackpropInput', family: 'depthwise', kind: 'missing', register: registerDepthwiseBackpropInput,
    why: 'missing',
    how: 'depthwise correlation of the spread dy with the flipped filter; dilation supported',
  },
  {
    kernel: 'MaxPoolGrad', family: 'pooling', kind: 'replaces', register: registerMaxPoolGrad,
    why: "the stock kernel's gradients differ from the cpu backend's, and it is slower",
    how: 'SIMD (`max_pool_grad`): 2x2 stride-2 windows branch-free over channels (compare masks; first maximum wins, as the cpu kernel), a general loop otherwise',
  },
  {
    kernel: 'AvgPoolGrad', family: 'pooling', kind: 'replaces', register: registerAvgPoolGrad,
    why: 'the stock kernel is a slow general loop (7.4 ms of a 66 ms Gatys iteration, lesson 06)',
    how: 'windows that tile the input (filter = stride, no padding): each input position gets its window\'s dy / (fh fw), row by row on the heap; the stock kernel otherwise',
  },
  {
    kernel: 'UnsortedSegmentSum', family: 'segment', kind: 'missing', register: registerUnsortedSegmentSum,
    why: 'missing (the gradient of gather)',
    how: 'scatter-add on the heap, one pass over the rows (out[ids[i]] += x[i]; a one-hot matrix product grew as rows x segments)',
  },
  {
    kernel: 'BatchMatMul', family: 'matMul', kind: 'replaces', register: registerTransposedBatchMatMul,
    why: "with a transposed operand: the stock kernel's transposed paths miss XNNPACK's fast GEMM; one float32 matrix pair (Gram matrices, dense layers' weight gradients): the kit's GEMM is faster",
    how: "SIMD transpose into the heap (`transpose_last_two`), then the kit's GEMM for one [M, K] x [K, N] pair with K >= 32 and N >= 2, else the stock untransposed kernel",
  },
  {
    kernel: 'Sum', family: 'reduction', kind: 'replaces', register: (b) => registerContiguousReduction('Sum', b),
    why: 'over non-innermost axes (batch-norm gradients): the stock kernel transposes first, with a slow generic Transpose',
    how: 'one SIMD pass (`reduce_middle`: float32 over blocks of 64 rows, float64 across blocks)',
  },
  {
    kernel: 'Mean', family: 'reduction', kind: 'replaces', register: (b) => registerContiguousReduction('Mean', b),
    why: 'as Sum',
    how: 'as Sum, scaled',
  },
  {
    kernel: 'Conv2D', family: 'convolution', kind: 'replaces', register: registerSmallOutputConv2D,
    why: 'with fewer output positions than output channels: XNNPACK packs every new filter',
    how: "filter^T x im2col^T (the few patches are packed, not the filter), transposed back; the same route for the input gradient's stride phases",
  },
  {
    kernel: 'Identity', family: 'memory', kind: 'replaces', register: registerSharingIdentity,
    why: 'the stock kernel copies, and the engine clones every tensor it saves for the backward pass',
    how: 'a second reference to the same memory, as the cpu backend does (tfjs never writes into a tensor after creating it)',
  },
  {
    kernel: 'Cast', family: 'memory', kind: 'replaces', register: registerSharingCast,
    why: 'to the same dtype: as Identity',
    how: 'as Identity; other casts go to the stock kernel',
  },
  {
    kernel: 'Slice', family: 'memory', kind: 'replaces', register: registerSharingSlice,
    why: 'of the whole tensor (model.predict slices its one batch): as Identity',
    how: 'as Identity; other slices go to the stock kernel',
  },
  {
    kernel: 'Tile', family: 'memory', kind: 'replaces', register: registerBlockTile,
    why: "the stock kernel computes every element's source index (tf.broadcastTo, the Sum and Mean gradients)",
    how: 'block copies doubled with copyWithin',
  },
  {
    kernel: 'FusedBatchNorm', family: 'normalization', kind: 'replaces', register: registerChannelBatchNorm,
    why: 'with per-channel statistics (every batch-norm layer): the stock kernel is slow',
    how: 'SIMD `batch_norm_apply`: (x - mean) * (scale / sqrt(var + eps)) + offset, the C factors computed once',
  },
];

/** The kernels `registerWasmTrainingKernels` registers, by tfjs kernel name. */
export const WASM_TRAINING_KERNELS: readonly string[] = WASM_KERNELS.map((k) => k.kernel);

/**
 * Registers every kernel of the table on `backendName` (default 'wasm'; an override only where the
 * backend has the stock kernel), and the one-op batch norm of training
 * (lib/runtime/wasm/batchNormTraining.ts). Idempotent.
 */
export function registerWasmTrainingKernels(backendName = 'wasm'): void {
  for (const k of WASM_KERNELS) k.register(backendName);
  registerFastBatchNorm();
}

/** docs/design.md's table of the wasm kernels: kernel | family | why | how, one row per kernel. */
export function wasmKernelTableMarkdown(): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return [
    '| kernel | family (lib/runtime/wasm/kernels/) | why | how |',
    '|---|---|---|---|',
    ...WASM_KERNELS.map((k) => `| ${k.kernel} | ${k.family}.ts | ${cell(k.why)} | ${cell(k.how)} |`),
  ].join('\n');
}
