/**
 * The kit by name, from any folder: `import { tf, display } from "cv-course-kit"` in a notebook
 * cell resolves to this kit, whether the notebook sits in notebooks/, in an assignment folder, in a
 * student's own folder or in the grader's sandbox — no symlink, no node_modules next to it.
 *
 * Two resolvers are taught the name, in the kernel process only:
 *  - Node's (`Module._resolveFilename`): `cv-course-kit` and `cv-course-kit/<path>` map into the kit;
 *  - TypeScript's, inside tslab's compiler: tslab already answers `<cwd>/node_modules/tslab/...`
 *    from its own folder; the same is done here for `<any>/node_modules/cv-course-kit/...`, through
 *    the `ts.sys` that tslab's compiler host delegates to, so types come from the kit's dist/*.d.ts.
 * Installed by the headless kernel (lib/notebook/kernelWorker.ts) and, as a `--require` preload, by
 * the Jupyter kernel that `npm start` registers (lib/jupyter/server.ts).
 */
import * as path from 'path';
import { projectRoot } from '../runtime/paths';

export const KIT_MODULE_NAME = 'cv-course-kit';

let installed = false;

/** Teaches Node and tslab's TypeScript the kit's module name; safe to call more than once. */
export function installKitModule(): void {
  if (installed) return;
  installed = true;
  const root = projectRoot();
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const Module = require('module') as { _resolveFilename: (request: string, parent: unknown, ...rest: unknown[]) => string };
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request: string, parent: unknown, ...rest: unknown[]): string {
    if (request === KIT_MODULE_NAME) return resolve.call(this, root, parent, ...rest);
    if (request.startsWith(KIT_MODULE_NAME + '/')) return resolve.call(this, path.join(root, request.slice(KIT_MODULE_NAME.length + 1)), parent, ...rest);
    return resolve.call(this, request, parent, ...rest);
  };
  patchTypeScript(root);
}

/** `<any>/node_modules/cv-course-kit[/rest]` -> `<root>[/rest]`, else null. */
export function kitPathFor(file: string, root: string): string | null {
  const marker = `${path.sep}node_modules${path.sep}${KIT_MODULE_NAME}`;
  const normalized = file.split('/').join(path.sep);
  const at = normalized.lastIndexOf(marker);
  if (at < 0) return null;
  const rest = normalized.slice(at + marker.length);
  if (rest !== '' && !rest.startsWith(path.sep)) return null;
  return path.join(root, rest);
}

function patchTypeScript(root: string): void {
  let ts: { sys: Record<string, unknown> };
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    ts = require('@tslab/typescript-for-tslab');
  } catch {
    return; // no tslab here: nothing compiles notebook cells in this process
  }
  const sys = ts.sys as Record<string, (...args: unknown[]) => unknown>;
  for (const name of ['fileExists', 'readFile', 'directoryExists', 'realpath', 'getDirectories', 'readDirectory']) {
    const original = sys[name];
    if (typeof original !== 'function') continue;
    sys[name] = function (this: unknown, file: unknown, ...rest: unknown[]) {
      const mapped = typeof file === 'string' ? kitPathFor(file, root) : null;
      // The kit's root itself is not readable in the grader's sandbox (only its dist/, node_modules/,
      // datasets/ and package.json are): answer for it without looking.
      if (mapped === root) {
        if (name === 'directoryExists') return true;
        if (name === 'realpath') return root;
        if (name === 'fileExists') return false;
      }
      return original.call(this, mapped ?? file, ...rest);
    };
  }
}
