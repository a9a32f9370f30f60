/** Conditional GANs: adversarial losses and pix2pix's training step (architectures: lib/nn). */
export * from './adversarialLoss';
export * from './pix2pix';
