/**
 * The wasm engine: the kernels the kit registers on tfjs-backend-wasm (one table, kernels/index.ts),
 * the kit's SIMD module (simd.ts, simd/kernels.c, simd/gemm.c) and its GEMM (gemm.ts), heap access
 * (heap.ts), the one-op batch norm of training (batchNormTraining.ts), and tfjs's threaded build under
 * Node (threads.ts).
 */
export { registerWasmTrainingKernels, WASM_TRAINING_KERNELS, WASM_KERNELS, WasmKernel, wasmKernelTableMarkdown } from './kernels';
export { registerFastBatchNorm } from './batchNormTraining';
export { kitMatMul, useKitGemm, gemmThreads, gemmDescription, GemmOptions } from './gemm';
export { simdFlavour, SimdFlavour, SimdFlavourChoice } from './simd';
