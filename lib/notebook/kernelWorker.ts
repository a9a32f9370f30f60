/**
 * The process that runs one notebook's cells for the headless runner (lib/notebook/runner.ts) and
 * the grader (lib/grader/grade.ts).
 *
 * It does what tslab's Jupyter kernel does per execute request, over a framed channel on fd 3
 * (lib/notebook/channel.ts) instead of ZMQ: cells are compiled and run by tslab's own converter and
 * executor (TypeScript 5.0, CommonJS, the same options as in Jupyter); process.stdout/stderr writes
 * become stream outputs; `tslab.display` reaches `lastWriteDisplayData`, which this process sets, so
 * pictures and HTML arrive as display_data exactly as in the notebook UI. `cv-course-kit` resolves
 * to the kit from any folder (lib/notebook/kitModule.ts). Started with the notebook's folder as cwd.
 *
 * A driver may name a plugin module (CVKIT_KERNEL_PLUGIN, an absolute path): the grader's
 * (lib/grader/kernelPlugin.ts) makes the test helpers report values and answers `inputs` and `rpc`
 * messages. Nothing here decides a score: student code shares this process and can change anything in
 * it, so the grader treats every message from it as a claim about values only.
 */
import * as util from 'util';
import { Socket } from 'net';
import { FrameReader, encodeFrame } from './channel';
import { installKitModule } from './kitModule';

type Message =
  | { type: 'execute'; index: number; source: string }
  | { type: 'inputs'; question: string; inputs: Record<string, unknown> }
  | { type: 'rpc'; id: number; request: unknown };

const pluginPath = process.env.CVKIT_KERNEL_PLUGIN;

/** A driver's additions to this kernel (lib/grader/kernelPlugin.ts is one). */
interface Plugin {
  onInputs(question: string, inputs: Record<string, unknown>): void;
  rpc(request: unknown): Promise<{ ok: boolean; value?: unknown; error?: string }>;
}
const channel = new Socket({ fd: 3, readable: true, writable: true });
const write = channel.write.bind(channel);

function send(message: object): void {
  write(encodeFrame(message));
}

let current = -1;

function capture(name: 'stdout' | 'stderr') {
  return (chunk: string | Uint8Array, encoding?: unknown, callback?: unknown): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    send({ type: 'stream', index: current, name, text });
    const cb = typeof encoding === 'function' ? encoding : callback;
    if (typeof cb === 'function') (cb as () => void)();
    return true;
  };
}

async function main(): Promise<void> {
  installKitModule();
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { createConverter } = require('tslab/dist/converter');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { createExecutor } = require('tslab/dist/executor');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const jupyter = require('tslab/dist/jupyter');

  // Every error a cell prints, in order: tslab reports each type error separately, and the first one
  // is usually the cause (a missing import) of the later ones.
  let errors: string[] = [];
  const node = createConverter({ isJS: false, isBrowser: false });
  const convs = { node, browser: node, close: () => node.close() };
  const executor = createExecutor(process.cwd(), convs, {
    log: (...args: unknown[]) => process.stdout.write(util.format(...args) + '\n'),
    error: (...args: unknown[]) => {
      const text = util.format(...args);
      errors.push(text);
      process.stderr.write(text + '\n');
    },
  });

  process.stdout.write = capture('stdout') as typeof process.stdout.write;
  process.stderr.write = capture('stderr') as typeof process.stderr.write;
  jupyter.lastWriteDisplayData = (data: { data: Record<string, unknown>; metadata: object; transient?: { display_id?: string } }, update: boolean) => {
    send({ type: 'display', index: current, data: data.data, metadata: data.metadata ?? {}, displayId: data.transient?.display_id, update });
  };
  process.on('SIGINT', () => executor.interrupt());
  process.on('uncaughtException', (err) => console.error('UncaughtException:', err));
  process.on('unhandledRejection', (reason) => console.error('UnhandledPromiseRejection:', reason));

  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const plugin: Plugin | null = pluginPath ? require(pluginPath).install({ locals: executor.locals, send }) : null;

  let queue = Promise.resolve();
  const onMessage = (raw: unknown) => {
    const message = raw as Message;
    if (message.type === 'inputs') { plugin?.onInputs(message.question, message.inputs); return; }
    if (message.type !== 'execute' && message.type !== 'rpc') return;
    queue = queue.then(async () => {
      if (message.type === 'rpc') {
        let reply: { ok: boolean; value?: unknown; error?: string };
        try {
          reply = plugin ? await plugin.rpc(message.request) : { ok: false, error: 'this kernel answers no rpc (no plugin)' };
        } catch (err) {
          reply = { ok: false, error: util.format(err) };
        }
        send({ type: 'rpc', id: message.id, ...reply });
        return;
      }
      current = message.index;
      errors = [];
      let ok = false;
      try {
        ok = await executor.execute(message.source);
      } catch (err) {
        errors.push(util.format(err));
      }
      send({ type: 'done', index: message.index, ok, error: ok ? undefined : errors.join('\n') || 'the cell failed' });
    });
  };
  // The channel carries only the driver's frames; whoever writes anything else ends this process.
  const reader = new FrameReader(1024 * 1048576, onMessage, () => process.exit(1));
  channel.on('data', (chunk: Buffer) => reader.push(chunk));
  // The runner or grader went away (even by kill -9): do not linger.
  channel.on('end', () => process.exit(1));
  channel.on('error', () => process.exit(1));
  send({ type: 'ready' });
}

main().catch((err) => {
  send({ type: 'fatal', error: util.format(err) });
  setTimeout(() => process.exit(1), 100);
});
