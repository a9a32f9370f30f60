/** Where the kit's files are, wherever it is imported from (sources, dist/, notebooks). */
import * as fs from 'fs';
import * as path from 'path';

let root: string | null = null;

/** The project root: the nearest folder above this file whose package.json is the kit's. */
export function projectRoot(): string {
  if (root) return root;
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'cv-course-kit') {
      root = dir;
      return dir;
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the cv-course-kit package.json above ${__dirname}`);
    dir = up;
  }
}

/** A path inside the project. */
export function projectPath(...parts: string[]): string {
  return path.join(projectRoot(), ...parts);
}

/** True when lessons should run small (tests, CI): CVKIT_QUICK=1. */
export function quickMode(): boolean {
  const v = process.env.CVKIT_QUICK;
  return v != null && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}
