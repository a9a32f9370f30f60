/**
 * Pictures can carry Hangul: the kit registers Nanum Gothic (shipped from npm) with @napi-rs/canvas,
 * and captions drawn with the kit's font stack show real glyphs — distinct syllables give distinct
 * pixels — where a font without Hangul draws the same empty box ("tofu") for every syllable.
 */
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { registerKitFonts, font, HANGUL_FONT_FAMILY } from '../lib/display/fonts';
import { imageGrid } from '../lib/display/image';

/** The dark pixels (as a 0/1 string) of `text` drawn black on white at 24 px in `cssFont`. */
function glyphBits(text: string, cssFont: string): string {
  const canvas = createCanvas(64, 32);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, 64, 32);
  ctx.fillStyle = '#000';
  ctx.font = cssFont;
  ctx.fillText(text, 4, 26);
  const data = ctx.getImageData(0, 0, 64, 32).data;
  let bits = '';
  for (let i = 0; i < data.length; i += 4) bits += data[i] < 128 ? '1' : '0';
  return bits;
}
const count = (bits: string) => bits.split('').filter((b) => b === '1').length;

test('the shipped Hangul font registers (regular and bold, Korean and Latin subsets) under the kit family', () => {
  const files = registerKitFonts();
  expect(files.length).toBe(4);
  expect(files.every((f) => f.endsWith('.woff2'))).toBe(true);
  expect(GlobalFonts.has(HANGUL_FONT_FAMILY)).toBe(true);
});

test('Hangul drawn in the kit font stack gives distinct glyphs, not the same empty box', () => {
  registerKitFonts();
  const syllables = ['가', '나', '요', '약'].map((s) => glyphBits(s, font(24)));
  for (const bits of syllables) expect(count(bits)).toBeGreaterThan(20);
  expect(new Set(syllables).size).toBe(syllables.length);
  // An unassigned code point is what a missing glyph looks like in this stack: no syllable looks like it.
  const missing = glyphBits('\u0378', font(24));
  for (const bits of syllables) expect(bits).not.toBe(missing);
});

test('the control: a font without Hangul draws every syllable as the same box (the check above can fail)', () => {
  if (!GlobalFonts.has('DejaVu Sans')) return; // the machine's font; the check needs a font known to lack Hangul
  const only = '24px "DejaVu Sans"';
  expect(glyphBits('가', only)).toBe(glyphBits('나', only));
  expect(glyphBits('가', font(24))).not.toBe(glyphBits('가', only));
});

test('a grid caption in Korean draws the syllables (two captions differing in one syllable give different pictures)', () => {
  const image = { height: 8, width: 8, channels: 1, data: new Float32Array(64) };
  const a = imageGrid([image], { captions: ['원본 가'], scale: 8 });
  const b = imageGrid([image], { captions: ['원본 나'], scale: 8 });
  expect(a.equals(b)).toBe(false);
});
