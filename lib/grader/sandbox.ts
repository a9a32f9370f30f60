/**
 * Where a submission runs. Two layers:
 *  - bubblewrap (`bwrap`, Debian package bubblewrap) when it works here: no network (only a down
 *    loopback), own pid namespace, the whole file system read-only, a private /tmp and $HOME, the
 *    submission's work folder the only writable place, and the assignments (hidden tests), the
 *    gradebook and the submissions folders replaced by empty ones;
 *  - Node's permission model (--experimental-permission): file reads only under the kit's dist/,
 *    node_modules/, datasets/ and the work folder, writes only in the work folder, no child processes
 *    or worker threads. This one is always on; it is the only one where bwrap is missing, and then
 *    the grader warns loudly that the network is open.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { projectRoot } from '../runtime/paths';

export interface SandboxPlan {
  kind: 'bwrap' | 'node-permission';
  wrapper?: string[];
  nodeArgs: string[];
  warning?: string;
}

let bwrapWorks: boolean | undefined;

/** True when bwrap exists and can create its namespaces here (checked once). */
export function bwrapAvailable(): boolean {
  if (process.env.CVKIT_NO_BWRAP === '1') return false;
  if (bwrapWorks === undefined) {
    const r = spawnSync('bwrap', ['--unshare-net', '--unshare-pid', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', 'true'], { stdio: 'ignore', timeout: 10000 });
    bwrapWorks = r.status === 0;
  }
  return bwrapWorks;
}

const realpath = (p: string) => { try { return fs.realpathSync(p); } catch { return path.resolve(p); } };
const isInside = (child: string, parent: string) => { const r = path.relative(parent, child); return r === '' || (!r.startsWith('..') && !path.isAbsolute(r)); };

/**
 * `workRoot`: the submission's private folder (writable). `hide`: folders the submission must not see
 * (assignment sources with hidden tests, gradebook, submissions).
 */
export function sandboxPlan(workRoot: string, hide: string[], memoryMB: number): SandboxPlan {
  const root = projectRoot();
  const work = realpath(workRoot);
  const readable = [path.join(root, 'dist'), path.join(root, 'node_modules'), path.join(root, 'datasets'), path.join(root, 'package.json'), work];
  const nodeArgs = [
    `--max-old-space-size=${Math.max(256, Math.floor(memoryMB * 0.75))}`,
    '--experimental-permission', '--allow-addons', '--no-warnings',
    // One flag per path: Node 20.20 no longer accepts a comma-separated list.
    ...readable.map((p) => `--allow-fs-read=${fs.existsSync(p) && fs.statSync(p).isDirectory() ? path.join(realpath(p), '*') : realpath(p)}`),
    `--allow-fs-write=${path.join(work, '*')}`,
  ];
  if (!bwrapAvailable()) {
    return {
      kind: 'node-permission', nodeArgs,
      warning: 'WARNING: bubblewrap (bwrap) is not available, so submissions run without network isolation and with the same user as the grader; ' +
        'file access is limited by Node\'s permission model only. Install it with `apt-get install bubblewrap` (scripts/setup-grader.sh).',
    };
  }
  const wrapper = ['bwrap', '--unshare-net', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--die-with-parent', '--new-session',
    '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp'];
  const home = os.homedir();
  if (home && home !== '/' && !isInside(root, home)) wrapper.push('--tmpfs', realpath(home));
  // A kit that lives under /tmp (a CI checkout, say) was just covered by the private /tmp: put it back, read-only.
  if (isInside(root, '/tmp')) wrapper.push('--ro-bind', root, root);
  for (const h of hide) {
    const p = realpath(h);
    if (!fs.existsSync(p) || !fs.statSync(p).isDirectory()) continue;
    if (isInside(work, p) || isInside(root, p)) continue; // never hide the work folder or the kit itself
    wrapper.push('--tmpfs', p);
  }
  wrapper.push('--bind', work, work);
  return { kind: 'bwrap', wrapper, nodeArgs };
}
