/**
 * Where rich output goes. Inside the tslab kernel (Jupyter) and inside the kit's headless runner,
 * `tslab.display` works: both set `require('tslab/dist/jupyter').lastWriteDisplayData`. Elsewhere
 * (a script, a test, the grader's plain Node) outputs go to files under CVKIT_DISPLAY_DIR if set,
 * or are summarised on stdout.
 */
import * as fs from 'fs';
import * as path from 'path';

/** MIME type -> text, bytes (sent base64, e.g. image/png) or, for JSON types (`...+json`), an object. */
export type MimeBundle = Record<string, string | Uint8Array | object>;

interface TslabDisplay {
  raw(contentType: string, b: string | Uint8Array): void;
}
interface TslabModule {
  display: TslabDisplay;
  newDisplay(): TslabDisplay;
}

function jupyterModule(): { lastWriteDisplayData: unknown } | null {
  try {
    return require('tslab/dist/jupyter') as { lastWriteDisplayData: unknown };
  } catch {
    return null;
  }
}

/** True inside a tslab kernel or the headless runner. */
export function inKernel(): boolean {
  return jupyterModule()?.lastWriteDisplayData != null;
}

type WriteDisplayData = (data: { data: Record<string, unknown>; metadata: object; transient: { display_id?: string } }, update: boolean) => void;

let fileCounter = 0;

function encode(bundle: MimeBundle): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [mime, value] of Object.entries(bundle)) {
    data[mime] = typeof value === 'string' || !(value instanceof Uint8Array) ? value : Buffer.from(value).toString('base64');
  }
  return data;
}

/** A display that can be replaced in place (progress bars, live plots). */
export class DisplayHandle {
  private shown = false;
  constructor(private readonly id: string) {}

  /** Shows `bundle` the first time, replaces it afterwards. */
  update(bundle: MimeBundle): void {
    const jupyter = jupyterModule();
    const write = jupyter?.lastWriteDisplayData as WriteDisplayData | null | undefined;
    if (write) {
      write({ data: encode(bundle), metadata: {}, transient: { display_id: this.id } }, this.shown);
      this.shown = true;
      return;
    }
    writeOutsideKernel(bundle, this.id);
  }
}

function writeOutsideKernel(bundle: MimeBundle, id?: string): void {
  const dir = process.env.CVKIT_DISPLAY_DIR;
  const mimes = Object.keys(bundle);
  if (dir) {
    fs.mkdirSync(dir, { recursive: true });
    const stem = id ?? `output-${String(++fileCounter).padStart(3, '0')}`;
    const ext: Record<string, string> = { 'image/png': 'png', 'text/html': 'html', 'text/plain': 'txt', 'image/svg+xml': 'svg' };
    const mime = mimes.find((m) => ext[m] && m !== 'text/plain') ?? mimes[0];
    const value = bundle[mime];
    fs.writeFileSync(path.join(dir, `${stem}.${ext[mime] ?? 'out'}`), typeof value === 'string' ? value : value instanceof Uint8Array ? Buffer.from(value) : JSON.stringify(value));
  } else if (bundle['text/plain'] != null && mimes.length === 1) {
    console.log(String(bundle['text/plain']));
  }
}

let handleCounter = 0;

/** A new in-place display. */
export function newDisplay(): DisplayHandle {
  return new DisplayHandle(`cvkit-${process.pid}-${++handleCounter}-${Date.now().toString(36)}`);
}

/** Shows a MIME bundle once: in the notebook, or as a file / text outside it. */
export function display(bundle: MimeBundle): void {
  const jupyter = jupyterModule();
  const write = jupyter?.lastWriteDisplayData as WriteDisplayData | null | undefined;
  if (write) {
    write({ data: encode(bundle), metadata: {}, transient: {} }, false);
    return;
  }
  writeOutsideKernel(bundle);
}
