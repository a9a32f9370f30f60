/**
 * `npm start`: a Jupyter Notebook server on loopback with the project's own tslab TypeScript kernel.
 *
 * The kernel spec is written inside the project (`.jupyter-data/kernels/tslab/kernel.json`, found
 * through JUPYTER_PATH), so nothing is registered globally, and it starts the tslab of this project's
 * node_modules with the Node that runs this command. Jupyter itself comes from the system
 * (Debian's `jupyter-notebook`; scripts/setup-jupyter.sh installs it, or pip: see the README).
 */
import { spawn, spawnSync, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import * as crypto from 'crypto';
import { projectPath, projectRoot } from '../runtime/paths';

/** The command that runs the classic Notebook server, or null with the reason. */
export function findJupyter(): { command: string; args: string[] } | { missing: string } {
  for (const [command, args] of [['jupyter-notebook', []], ['jupyter', ['notebook']]] as [string, string[]][]) {
    const probe = spawnSync(command, [...args, '--version'], { encoding: 'utf8' });
    if (probe.status === 0) return { command, args };
  }
  return { missing: 'no Jupyter Notebook server on PATH (jupyter-notebook or `jupyter notebook`)' };
}

/** How to get Jupyter on this machine, as the exact command to type. */
export function installAdvice(): string {
  const apt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (apt) return root ? 'bash scripts/setup-jupyter.sh   (runs: apt-get install -y jupyter-notebook)' : 'sudo bash scripts/setup-jupyter.sh   (runs: apt-get install -y jupyter-notebook)';
  return 'python3 -m pip install --user "notebook<7"   (the classic Notebook server)';
}

/** Writes the project-local tslab kernel spec and returns the folder to put on JUPYTER_PATH. */
export function writeKernelSpec(): string {
  const data = projectPath('.jupyter-data');
  const dir = path.join(data, 'kernels', 'tslab');
  fs.mkdirSync(dir, { recursive: true });
  const spec = {
    // The preload teaches the kernel the kit's module name (`import ... from "cv-course-kit"` from any folder).
    argv: [process.execPath, '--require', projectPath('dist', 'lib', 'notebook', 'kitPreload.js'), projectPath('node_modules', 'tslab', 'bin', 'tslab'), 'kernel', '--config-path', '{connection_file}'],
    display_name: 'TypeScript',
    language: 'typescript',
  };
  fs.writeFileSync(path.join(dir, 'kernel.json'), JSON.stringify(spec, null, 2));
  return data;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('error', () => resolve(0));
    req.setTimeout(2000, () => { req.destroy(); resolve(0); });
  });
}

export interface JupyterServer {
  url: string;
  /** URL of the lessons folder, with the token. */
  lessonsUrl: string;
  port: number;
  token: string;
  process: ChildProcess;
  /** Seconds from spawning to the server answering. */
  startupSeconds: number;
  stop(): Promise<void>;
}

/** The URL path that opens `target` (a notebook or a folder, relative to the served folder). */
function openPath(target = 'notebooks'): string {
  const parts = target.split(path.sep).filter(Boolean).map(encodeURIComponent).join('/');
  return target.endsWith('.ipynb') ? `notebooks/${parts}` : `tree/${parts}`;
}

/**
 * What `cvkit start <target>` opens: an assignment id gives the student's own copy work/<id>.ipynb
 * (made from the release the first time, never overwritten; work/ is ignored by git), a notebook or a
 * folder path is opened where it is (served from its folder when it is outside the project).
 */
export function resolveStartTarget(target: string | undefined): { notebookDir: string; open: string; created?: string } {
  const root = projectRoot();
  if (!target) return { notebookDir: root, open: 'notebooks' };
  const release = path.join(root, 'assignments', target, 'release', `${target}.ipynb`);
  if (!target.includes('/') && fs.existsSync(release)) {
    const mine = path.join(root, 'work', `${target}.ipynb`);
    let created: string | undefined;
    if (!fs.existsSync(mine)) {
      fs.mkdirSync(path.dirname(mine), { recursive: true });
      fs.copyFileSync(release, mine);
      created = mine;
    }
    return { notebookDir: root, open: path.relative(root, mine), created };
  }
  const abs = path.resolve(target);
  if (!fs.existsSync(abs)) throw new Error(`${target}: no such notebook, folder or assignment (assignments: ${fs.readdirSync(path.join(root, 'assignments')).join(', ')})`);
  const inside = !path.relative(root, abs).startsWith('..');
  if (inside) return { notebookDir: root, open: path.relative(root, abs) };
  const folder = fs.statSync(abs).isDirectory() ? abs : path.dirname(abs);
  return { notebookDir: folder, open: fs.statSync(abs).isDirectory() ? '' : path.basename(abs) };
}

/** Starts the server and resolves when it answers HTTP. */
export async function startJupyter(options: {
  port?: number; token?: string; env?: Record<string, string>; quiet?: boolean; timeoutSeconds?: number;
  /** The folder Jupyter serves (default the project); the kit's kernel imports "cv-course-kit" from any folder. */
  notebookDir?: string;
  /** What to open, relative to notebookDir: a notebook or a folder (default notebooks/). */
  open?: string;
} = {}): Promise<JupyterServer> {
  const jupyter = findJupyter();
  if ('missing' in jupyter) throw new Error(`${jupyter.missing}. Install it with:\n  ${installAdvice()}`);
  const jupyterPath = writeKernelSpec();
  const port = options.port ?? 8888;
  const token = options.token ?? crypto.randomBytes(16).toString('hex');
  const start = Date.now();
  const child = spawn(jupyter.command, [
    ...jupyter.args,
    '--no-browser', '--ip=127.0.0.1', `--port=${port}`, '--port-retries=0',
    `--notebook-dir=${options.notebookDir ?? projectRoot()}`, `--NotebookApp.default_url=/${openPath(options.open)}`,
    `--NotebookApp.token=${token}`,
    // Containers and CI run as root; Jupyter refuses that without this flag.
    ...(typeof process.getuid === 'function' && process.getuid() === 0 ? ['--allow-root'] : []),
  ], {
    cwd: projectRoot(),
    env: { ...process.env, JUPYTER_PATH: [jupyterPath, process.env.JUPYTER_PATH].filter(Boolean).join(path.delimiter), ...options.env },
    stdio: ['ignore', options.quiet ? 'ignore' : 'inherit', options.quiet ? 'pipe' : 'inherit'],
  });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-4000); });
  const url = `http://127.0.0.1:${port}`;
  const deadline = start + (options.timeoutSeconds ?? 60) * 1000;
  while (Date.now() < deadline) {
    if (child.exitCode != null) throw new Error(`Jupyter exited (code ${child.exitCode}) before it answered:\n${log}`);
    if ((await httpStatus(`${url}/api?token=${token}`)) === 200) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  if (Date.now() >= deadline) { child.kill('SIGKILL'); throw new Error(`Jupyter did not answer on ${url} in time:\n${log}`); }
  const startupSeconds = (Date.now() - start) / 1000;
  return {
    url, port, token, process: child, startupSeconds,
    lessonsUrl: `${url}/${openPath(options.open)}?token=${token}`,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode != null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }),
  };
}
