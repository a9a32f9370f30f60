/**
 * Where a submission runs. A kernel sees only what it needs:
 *  - bubblewrap (`bwrap`, Debian package bubblewrap): a new, empty root file system into which are
 *    mounted, read-only, the system (/usr and its links, the dynamic loader's cache) and the kit's
 *    `dist/`, `node_modules/`, `datasets/` and `package.json` — never the kit's root, `.git`,
 *    `assignments/` (sources, hidden tests, manifests), the gradebook or any submission — plus the
 *    submission's own work folder, the only writable place, and a private /tmp. No network (only a
 *    down loopback), its own pid, ipc and uts namespaces, no capabilities, killed with the grader.
 *    Native code a student loads (process.dlopen) sees the same: nothing secret is mounted.
 *  - Node's permission model inside it (reads only under those kit folders and the work folder,
 *    writes only in the work folder, no child processes or worker threads; links cannot be made).
 * Without bubblewrap grading is refused unless the caller explicitly accepts running without it
 * (`cvkit grade --unsafe-no-sandbox`): then only the permission model stands, the network is open,
 * and a native addon the submission writes and loads runs with the kernel's user — which, when the
 * grader runs as root, is `nobody` (uid 65534), so the kit's files stay unwritable.
 * Authoring commands (assign, validate) run the author's own notebooks and may run unsandboxed.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { projectRoot } from '../runtime/paths';

export interface SandboxPlan {
  kind: 'bwrap' | 'unsandboxed';
  wrapper?: string[];
  nodeArgs: string[];
  /** Run the kernel as this user (unsandboxed grading as root). */
  uid?: number;
  gid?: number;
  warning?: string;
}

/** The kit's parts a kernel reads (relative to the kit's root). */
export const KIT_PARTS = ['dist', 'node_modules', 'datasets', 'package.json'];

let bwrapWorks: boolean | undefined;

/** True when bwrap exists and can create its namespaces here (checked once; CVKIT_NO_BWRAP=1 pretends it does not). */
export function bwrapAvailable(): boolean {
  if (process.env.CVKIT_NO_BWRAP === '1') return false;
  if (bwrapWorks === undefined) {
    const r = spawnSync('bwrap', ['--unshare-net', '--unshare-pid', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', 'true'], { stdio: 'ignore', timeout: 10000 });
    bwrapWorks = r.status === 0;
  }
  return bwrapWorks;
}

export class SandboxUnavailableError extends Error {
  constructor() {
    super('bubblewrap (bwrap) is not available here, and without it a submission would run with the network open and with ' +
      'the grader user\'s access to the disk (limited only by Node\'s permission model, which native code ignores). ' +
      'Install it (sudo bash scripts/setup-grader.sh), or grade without it on a machine you can afford to expose: --unsafe-no-sandbox.');
    this.name = 'SandboxUnavailableError';
  }
}

const realpath = (p: string) => { try { return fs.realpathSync(p); } catch { return path.resolve(p); } };

function permissionArgs(readable: string[], writable: string, memoryMB: number): string[] {
  return [
    `--max-old-space-size=${Math.max(256, Math.floor(memoryMB * 0.75))}`,
    '--experimental-permission', '--allow-addons', '--no-warnings',
    // One flag per path: Node 20.20 no longer accepts a comma-separated list.
    ...readable.map((p) => `--allow-fs-read=${fs.existsSync(p) && fs.statSync(p).isDirectory() ? path.join(p, '*') : p}`),
    `--allow-fs-read=${path.join(writable, '*')}`,
    `--allow-fs-write=${path.join(writable, '*')}`,
  ];
}

/** The system part of the sandbox: /usr and the root links into it, the loader's cache, the node binary. */
function systemMounts(): string[] {
  const args = ['--ro-bind', '/usr', '/usr'];
  for (const top of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    const p = `/${top}`;
    let st: fs.Stats;
    try { st = fs.lstatSync(p); } catch { continue; }
    if (st.isSymbolicLink()) args.push('--symlink', fs.readlinkSync(p), p);
    else if (st.isDirectory()) args.push('--ro-bind', p, p);
  }
  for (const f of ['/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d', '/etc/localtime']) args.push('--ro-bind-try', f, f);
  // A Node installed outside /usr (nvm, /opt): its prefix, read-only.
  const prefix = path.dirname(path.dirname(realpath(process.execPath)));
  if (!prefix.startsWith('/usr/') && prefix !== '/usr' && prefix !== '/') args.push('--ro-bind', prefix, prefix);
  return args;
}

/**
 * How to run a kernel for `workDir` (the submission's private folder, writable). Throws
 * SandboxUnavailableError when bwrap is missing and `allowUnsandboxed` is not set.
 */
export function sandboxPlan(workDir: string, memoryMB: number, options: { allowUnsandboxed?: boolean } = {}): SandboxPlan {
  const root = projectRoot();
  const work = realpath(workDir);
  if (bwrapAvailable()) {
    const kit = KIT_PARTS.map((p) => path.join(root, p)).filter((p) => fs.existsSync(p));
    const wrapper = ['bwrap', '--unshare-all', '--die-with-parent', '--new-session', '--cap-drop', 'ALL',
      ...systemMounts(), '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp',
      // The kit's parts at the paths the kit knows them by (its root itself stays an empty folder).
      ...kit.flatMap((p) => ['--ro-bind', realpath(p), p]),
      '--bind', work, work, '--chdir', work];
    return { kind: 'bwrap', wrapper, nodeArgs: permissionArgs(kit, work, memoryMB) };
  }
  if (!options.allowUnsandboxed) throw new SandboxUnavailableError();
  const kit = KIT_PARTS.map((p) => realpath(path.join(root, p))).filter((p) => fs.existsSync(p));
  const plan: SandboxPlan = {
    kind: 'unsandboxed', nodeArgs: permissionArgs(kit, work, memoryMB),
    warning: 'WARNING: grading WITHOUT the bubblewrap sandbox: the network is open to submissions and only Node\'s permission model limits what they read and write.',
  };
  if (typeof process.getuid === 'function' && process.getuid() === 0) {
    // As root, the kernel runs as nobody: the OS, not only Node, keeps the kit's files unwritable.
    plan.uid = 65534;
    plan.gid = 65534;
    fs.chownSync(work, 65534, 65534);
  }
  return plan;
}
