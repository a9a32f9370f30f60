/**
 * CycleGAN (Zhu et al. 2017; junyanz/pytorch-CycleGAN-and-pix2pix `cycle_gan_model.py`) in the kit's one
 * step shape (lib/gan/ganModel.ts), with the lecture's names: generators G: X -> Y and F: Y -> X,
 * discriminators D_Y (judges Y images: real y or G(x)) and D_X (real x or F(y)). Unpaired: a batch is
 * some x and some unrelated y.
 *
 *   L_G = LSGAN(D_Y(G(x)), 1) + LSGAN(D_X(F(y)), 1)
 *       + lambda * (||F(G(x)) - x||_1 + ||G(F(y)) - y||_1)                    cycle consistency
 *       + lambda * lambdaIdentity * (||G(y) - y||_1 + ||F(x) - x||_1)         identity
 *   L_D = 0.5 * [LSGAN(D_Y(y), 1) + LSGAN(D_Y(pool(G(x))), 0)] + the same for D_X
 *
 * lambda = 10 each way, lambdaIdentity = 0.5 (identity weight 5), pools of 50 (lib/gan/imagePool.ts),
 * Adam 2e-4 / 0.5: the reference's defaults. lambda = 0 removes both the cycle and the identity terms:
 * two independent GANs, which nothing forces to keep the input's content (the lecture's mode collapse).
 * Networks: lib/nn/resnetGenerator.ts (instance norm), lib/nn/patchGan.ts (norm 'instance').
 *
 * Batch: `x` [N, H, W, Cx] and `y` [N, H, W, Cy] in [-1, 1].
 */
import * as tf from '@tensorflow/tfjs';
import { adversarialLoss, AdversarialKind, discriminatorLoss, meanAbsoluteError } from './adversarialLoss';
import { GanModel, ganAdam, LossTerms } from './ganModel';
import { ImagePool } from './imagePool';

export interface CycleGanNetworks {
  /** X -> Y */
  G: tf.LayersModel;
  /** Y -> X */
  F: tf.LayersModel;
  /** Judges X images. */
  DX: tf.LayersModel;
  /** Judges Y images. */
  DY: tf.LayersModel;
}

export interface CycleGanOptions {
  /** Cycle-consistency weight, each direction (default 10). */
  lambdaCycle?: number;
  /** Identity weight as a fraction of lambdaCycle (default 0.5). */
  lambdaIdentity?: number;
  /** Image pool capacity per discriminator (default 50). */
  poolSize?: number;
  /** 'lsgan' (default, CycleGAN) or 'bce'. */
  gan?: AdversarialKind;
  learningRate?: number;
  beta1?: number;
  seed?: number;
}

/**
 * The cycle-consistency and identity terms, weighted: cycleX = lambda ||F(G(x)) - x||_1,
 * cycleY = lambda ||G(F(y)) - y||_1, identityY = lambda lambdaIdentity ||G(y) - y||_1 (G should leave a
 * Y image alone), identityX = lambda lambdaIdentity ||F(x) - x||_1. `fakeY` = G(x) and `fakeX` = F(y)
 * when already computed. Terms with weight 0 are not computed (absent). Identity generators give 0.
 */
export function cycleTerms(G: (t: tf.Tensor) => tf.Tensor, F: (t: tf.Tensor) => tf.Tensor, x: tf.Tensor, y: tf.Tensor,
  options: { lambdaCycle?: number; lambdaIdentity?: number; fakeY?: tf.Tensor; fakeX?: tf.Tensor } = {}): LossTerms {
  const lambda = options.lambdaCycle ?? 10;
  const identity = options.lambdaIdentity ?? 0.5;
  const terms: LossTerms = {};
  if (lambda > 0) {
    terms.cycleX = tf.mul(lambda, meanAbsoluteError(F(options.fakeY ?? G(x)), x)) as tf.Scalar;
    terms.cycleY = tf.mul(lambda, meanAbsoluteError(G(options.fakeX ?? F(y)), y)) as tf.Scalar;
    if (identity > 0) {
      terms.identityY = tf.mul(lambda * identity, meanAbsoluteError(G(y), y)) as tf.Scalar;
      terms.identityX = tf.mul(lambda * identity, meanAbsoluteError(F(x), x)) as tf.Scalar;
    }
  }
  return terms;
}

/** A CycleGAN model (its image pools are freed by disposeGanModel). */
export function createCycleGan(nets: CycleGanNetworks, options: CycleGanOptions = {}): GanModel & { pools: { x: ImagePool; y: ImagePool }; lambdaCycle: number } {
  const kind = options.gan ?? 'lsgan';
  const lambdaCycle = options.lambdaCycle ?? 10;
  const seed = options.seed ?? 0;
  const pools = { x: new ImagePool(options.poolSize ?? 50, seed * 2 + 1), y: new ImagePool(options.poolSize ?? 50, seed * 2 + 2) };
  const run = (net: tf.LayersModel) => (t: tf.Tensor) => net.apply(t, { training: true }) as tf.Tensor;
  const { G, F, DX, DY } = nets;
  return {
    name: `CycleGAN (cycle weight ${lambdaCycle})`,
    lambdaCycle,
    pools,
    generators: { G, F },
    discriminators: { DX, DY },
    gOptimizer: ganAdam(options.learningRate, options.beta1),
    dOptimizer: ganAdam(options.learningRate, options.beta1),
    disposeState() { pools.x.dispose(); pools.y.dispose(); },
    generatorLoss(b) {
      const fakeY = run(G)(b.x);
      const fakeX = run(F)(b.y);
      const advG = adversarialLoss(kind, run(DY)(fakeY), 1);
      const advF = adversarialLoss(kind, run(DX)(fakeX), 1);
      const terms: LossTerms = { advG, advF, ...cycleTerms(run(G), run(F), b.x, b.y, { lambdaCycle, lambdaIdentity: options.lambdaIdentity, fakeY, fakeX }) };
      return { total: tf.addN(Object.values(terms)) as tf.Scalar, terms, fakes: { fakeX, fakeY } };
    },
    discriminatorLoss(b, fakes) {
      const dY = discriminatorLoss(kind, run(DY)(b.y), run(DY)(pools.y.query(fakes.fakeY as tf.Tensor4D)));
      const dX = discriminatorLoss(kind, run(DX)(b.x), run(DX)(pools.x.query(fakes.fakeX as tf.Tensor4D)));
      return { total: tf.add(dX, dY) as tf.Scalar, terms: { dX, dY } };
    },
  };
}
