/**
 * Fonts for the kit's pictures: captions, titles and chart labels may carry Hangul (the students are a
 * Korean bootcamp's). The system's "DejaVu Sans" (or the machine's sans-serif) draws Latin, Greek and
 * arrows; Hangul falls back, glyph by glyph, to Nanum Gothic, shipped from npm
 * (@fontsource/nanum-gothic, SIL Open Font License 1.1) and registered with @napi-rs/canvas here, so a
 * machine without Korean fonts draws 한글, not empty boxes (tests/fonts.test.ts checks it).
 */
import * as path from 'path';
import { GlobalFonts } from '@napi-rs/canvas';

/** The family name the kit registers the shipped Hangul font under. */
export const HANGUL_FONT_FAMILY = 'cvkit Nanum Gothic';

/** The font stack of every caption and chart label: Latin first, then the shipped Hangul font. */
export const FONT_STACK = `"DejaVu Sans", "${HANGUL_FONT_FAMILY}", sans-serif`;

/** The CSS font for the canvas: `font(11)` = '11px <stack>', `font(13, 'bold')` = 'bold 13px <stack>'. */
export function font(px: number, weight: 'normal' | 'bold' = 'normal'): string {
  return `${weight === 'bold' ? 'bold ' : ''}${px}px ${FONT_STACK}`;
}

let registered: string[] | null = null;

/**
 * Registers the shipped Hangul font (regular and bold; the Korean and Latin subsets) with
 * @napi-rs/canvas, once per process. Returns the files registered; throws, saying what to install,
 * when the package is missing.
 */
export function registerKitFonts(): string[] {
  if (registered) return registered;
  let dir: string;
  try {
    dir = path.join(path.dirname(require.resolve('@fontsource/nanum-gothic/package.json')), 'files');
  } catch {
    throw new Error('the Hangul font package @fontsource/nanum-gothic is not installed: run `npm install` in the kit');
  }
  const files: string[] = [];
  for (const weight of ['400', '700']) {
    for (const subset of ['korean', 'latin']) {
      const file = path.join(dir, `nanum-gothic-${subset}-${weight}-normal.woff2`);
      if (GlobalFonts.registerFromPath(file, HANGUL_FONT_FAMILY)) files.push(file);
    }
  }
  if (files.length === 0) throw new Error(`could not register the Hangul font from ${dir}`);
  registered = files;
  return files;
}
