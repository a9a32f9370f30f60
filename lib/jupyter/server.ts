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

/** Starts the server and resolves when it answers HTTP. */
export async function startJupyter(options: { port?: number; token?: string; env?: Record<string, string>; quiet?: boolean; timeoutSeconds?: number } = {}): Promise<JupyterServer> {
  const jupyter = findJupyter();
  if ('missing' in jupyter) throw new Error(`${jupyter.missing}. Install it with:\n  ${installAdvice()}`);
  const jupyterPath = writeKernelSpec();
  const port = options.port ?? 8888;
  const token = options.token ?? crypto.randomBytes(16).toString('hex');
  const start = Date.now();
  const child = spawn(jupyter.command, [
    ...jupyter.args,
    '--no-browser', '--ip=127.0.0.1', `--port=${port}`, '--port-retries=0',
    `--notebook-dir=${projectRoot()}`, '--NotebookApp.default_url=/tree/notebooks',
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
    lessonsUrl: `${url}/tree/notebooks?token=${token}`,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode != null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }),
  };
}
