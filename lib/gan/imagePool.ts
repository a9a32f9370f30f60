/**
 * CycleGAN's image pool (Shrivastava et al. 2017; junyanz/pytorch-CycleGAN-and-pix2pix
 * `util/image_pool.py`): the discriminator is shown generated images from a history of the last
 * `capacity` (50) generated images, not only the newest, so it does not chase the generator's latest
 * move. Per image of a query: while the pool is not full, store it and return it; once full, with
 * probability 1/2 return a random stored image and store the new one in its place, otherwise return
 * the new one. Seeded. Images are NHWC; the pool holds its own copies (dispose() frees them).
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../runtime/random';

export class ImagePool {
  private readonly images: tf.Tensor4D[] = [];
  private retired: tf.Tensor[] = [];
  private readonly rng: Random;
  /** Images returned from the history (not the query) over the pool's life. */
  historyReturned = 0;
  /** Images returned over the pool's life. */
  returned = 0;

  /** `capacity` 0 returns every query unchanged. */
  constructor(readonly capacity = 50, seed = 0) {
    this.rng = new Random(seed);
  }

  /** Images stored now (never more than `capacity`). */
  get size(): number {
    return this.images.length;
  }

  /**
   * The batch the discriminator sees for the generated `batch` [N, H, W, C]: a new tensor of the same
   * shape, each image either the query's or one from the history (see the top of this file).
   */
  query(batch: tf.Tensor4D): tf.Tensor4D {
    // Images taken out of the pool by the previous query may still be in use by its step: freed now.
    tf.dispose(this.retired);
    this.retired = [];
    if (this.capacity === 0) return batch.clone();
    const n = batch.shape[0];
    const parts: tf.Tensor4D[] = [];
    return tf.tidy(() => {
      for (let i = 0; i < n; i++) {
        const image = batch.slice([i, 0, 0, 0], [1, -1, -1, -1]);
        this.returned++;
        if (this.images.length < this.capacity) {
          this.images.push(tf.keep(image.clone()));
          parts.push(image);
        } else if (this.rng.next() > 0.5) {
          const k = Math.min(this.capacity - 1, Math.floor(this.rng.next() * this.capacity));
          const old = this.images[k];
          this.images[k] = tf.keep(image.clone());
          parts.push(old);
          this.retired.push(old);
          this.historyReturned++;
        } else {
          parts.push(image);
        }
      }
      return tf.concat(parts, 0);
    });
  }

  /** Frees the stored images. */
  dispose(): void {
    tf.dispose([...this.images, ...this.retired]);
    this.images.length = 0;
    this.retired = [];
  }
}
