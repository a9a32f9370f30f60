/**
 * Lesson 05, conditional generative models: adversarial losses (BCE, LSGAN), the one step shape of
 * every model (ganModel.ts; how to add one: template.ts) and its training loop, the (conditional)
 * GAN, pix2pix (also super-resolution and regression baselines), CycleGAN with its cycle and identity
 * terms and image pool, the "why regression blurs" toy, metrics, and an adversarial perturbation.
 * Architectures: lib/nn (dcgan, unet, patchGan, resnetGenerator, superResolution, instanceNorm).
 */
export * from './adversarialLoss';
export * from './ganModel';
export * from './training';
export * from './imagePool';
export * from './cgan';
export * from './pix2pix';
export * from './cycleGan';
export * from './metrics';
export * from './regressionBlur';
export * from './adversarialPerturbation';
export * from './template';
export * from './recipes';
export * from './receptiveFieldProbe';
