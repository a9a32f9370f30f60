/** Models. */
export * from './vgg';
export * from './hourglass';
export * from './pix2pix';
export * from './style';
