/**
 * Values that cross between a grading kernel and the grader: what a student's function returned
 * (numbers, strings, arrays, plain objects, typed arrays, tensors), the inputs the grader sends, and
 * the expected values the manifest stores.
 *
 * The encoding is JSON with tagged objects, so that nothing a value carries is lost (NaN, -0,
 * undefined, dtypes, shapes) and nothing in it is ambiguous:
 *   {"$o": {...}}             a plain object (its keys are data, never prototypes)
 *   {"$t": [dtype, shape, b64]} a tensor (little-endian float32 or int32 data)
 *   {"$a": [kind, b64]}        a typed array (f32, f64, i32, u8, ...)
 *   {"$n": "NaN" | "Infinity" | "-Infinity" | "-0"}   a number JSON cannot write
 *   {"$u": 1}                  undefined
 *   {"$r": id}                 a reference to an object kept in the kernel (lib/grader/remote.ts)
 * Decoding is strict (an unknown tag, a bad shape, a nesting deeper than 64 or more than
 * MAX_DECODED_NUMBERS numbers is an error), because the grader decodes what a hostile kernel sent.
 */
import * as tf from '@tensorflow/tfjs';

export type Encoded = null | boolean | number | string | Encoded[] | { [tag: string]: unknown };

/** A tensor on the grader's side: plain data, no tfjs engine involved. */
export interface TensorValue { kind: 'tensor'; dtype: string; shape: number[]; data: Float32Array | Int32Array }

/** What a decoded value can be. */
export type Value = null | undefined | boolean | number | string | Value[] | TensorValue | TypedArray | { [key: string]: Value } | RefValue;
export interface RefValue { kind: 'ref'; id: number }
export type TypedArray = Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint32Array | Uint16Array | Uint8Array | Uint8ClampedArray;

export const MAX_DEPTH = 64;
export const MAX_DECODED_NUMBERS = 16 * 1024 * 1024;

export class ValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValueError';
  }
}

const ARRAY_KINDS: Record<string, { new (b: ArrayBuffer): TypedArray; BYTES_PER_ELEMENT: number }> = {
  f32: Float32Array, f64: Float64Array, i32: Int32Array, i16: Int16Array, i8: Int8Array,
  u32: Uint32Array, u16: Uint16Array, u8: Uint8Array, u8c: Uint8ClampedArray,
};
const kindOf = (a: TypedArray): string => {
  for (const [k, C] of Object.entries(ARRAY_KINDS)) if (a instanceof (C as unknown as typeof Float32Array)) return k;
  throw new ValueError('an unsupported typed array');
};

const toBase64 = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
function fromBase64<T extends TypedArray>(b64: unknown, C: { new (b: ArrayBuffer): T; BYTES_PER_ELEMENT: number }, what: string): T {
  if (typeof b64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new ValueError(`${what}: the data is not base64`);
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length % C.BYTES_PER_ELEMENT !== 0) throw new ValueError(`${what}: ${bytes.length} bytes is not a whole number of elements`);
  const copy = new ArrayBuffer(bytes.length);
  new Uint8Array(copy).set(bytes);
  return new C(copy);
}

function encodeNumber(x: number): Encoded {
  if (Number.isNaN(x)) return { $n: 'NaN' };
  if (x === Infinity) return { $n: 'Infinity' };
  if (x === -Infinity) return { $n: '-Infinity' };
  if (Object.is(x, -0)) return { $n: '-0' };
  return x;
}

/**
 * Encodes a live value (in a kernel, or in the grader for inputs). Tensors are read synchronously.
 * `refFor` turns an object that is not data (a model, a function, a symbolic tensor) into a
 * reference; without it such an object is an error.
 */
export function encodeValue(value: unknown, refFor?: (object: object) => number, depth = 0): Encoded {
  if (depth > MAX_DEPTH) throw new ValueError(`the value is nested deeper than ${MAX_DEPTH} levels`);
  if (value === null) return null;
  if (value === undefined) return { $u: 1 };
  switch (typeof value) {
    case 'boolean': case 'string': return value;
    case 'number': return encodeNumber(value);
    case 'bigint': return String(value);
  }
  if (value instanceof tf.Tensor) {
    if (value.isDisposed) throw new ValueError('a disposed tensor');
    const dtype = value.dtype === 'int32' || value.dtype === 'bool' ? 'int32' : 'float32';
    const data = value.dtype === 'string' ? null : value.dataSync();
    if (!data) throw new ValueError('a string tensor');
    const typed = dtype === 'int32' ? Int32Array.from(data as ArrayLike<number>) : data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
    return { $t: [dtype, value.shape, toBase64(typed)] };
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return { $a: [kindOf(value as TypedArray), toBase64(value)] };
  if (isTensorValue(value)) return { $t: [value.dtype, value.shape, toBase64(value.data)] };
  if (isRefValue(value)) return { $r: value.id };
  if (Array.isArray(value)) return value.map((v) => encodeValue(v, refFor, depth + 1));
  const proto = Object.getPrototypeOf(value);
  if (isPlainObject(value)) {
    const out: Record<string, Encoded> = {};
    for (const key of Object.keys(value as object)) out[key] = encodeValue((value as Record<string, unknown>)[key], refFor, depth + 1);
    return { $o: out };
  }
  if (refFor && (typeof value === 'object' || typeof value === 'function')) return { $r: refFor(value as object) };
  throw new ValueError(`a ${typeof value === 'function' ? 'function' : (proto?.constructor?.name ?? 'object')}, not a value (return numbers, arrays, plain objects or tensors)`);
}

/** A plain object of any realm (a hidden test's object literals come from the grader's own context). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (!v || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === null || Object.getPrototypeOf(proto) === null && Object.prototype.toString.call(v) === '[object Object]';
}

export function isTensorValue(v: unknown): v is TensorValue {
  return !!v && typeof v === 'object' && (v as TensorValue).kind === 'tensor' && Array.isArray((v as TensorValue).shape) && ArrayBuffer.isView((v as TensorValue).data);
}
export function isRefValue(v: unknown): v is RefValue {
  return !!v && typeof v === 'object' && (v as RefValue).kind === 'ref' && typeof (v as RefValue).id === 'number' && Object.keys(v as object).length === 2;
}

/** Decodes strictly (see the header). References decode to RefValue unless `resolveRef` is given. */
export function decodeValue(encoded: unknown, resolveRef?: (id: number) => unknown): Value {
  let numbers = 0;
  const count = (n: number) => {
    numbers += n;
    if (numbers > MAX_DECODED_NUMBERS) throw new ValueError(`the value has more than ${MAX_DECODED_NUMBERS} numbers`);
  };
  const walk = (e: unknown, depth: number): Value => {
    if (depth > MAX_DEPTH) throw new ValueError(`the value is nested deeper than ${MAX_DEPTH} levels`);
    if (e === null || typeof e === 'boolean' || typeof e === 'string') return e as Value;
    if (typeof e === 'number') { count(1); return e; }
    if (Array.isArray(e)) return e.map((x) => walk(x, depth + 1));
    if (typeof e !== 'object') throw new ValueError(`unexpected ${typeof e}`);
    const keys = Object.keys(e as object);
    if (keys.length !== 1) throw new ValueError('a malformed value (an object must have exactly one tag)');
    const tag = keys[0];
    const body = (e as Record<string, unknown>)[tag];
    switch (tag) {
      case '$n': {
        const m: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 };
        if (typeof body !== 'string' || !(body in m)) throw new ValueError('a malformed special number');
        count(1);
        return m[body];
      }
      case '$u': return undefined;
      case '$r': {
        if (typeof body !== 'number' || !Number.isInteger(body) || body < 0) throw new ValueError('a malformed reference');
        return resolveRef ? resolveRef(body) as Value : { kind: 'ref', id: body };
      }
      case '$o': {
        if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ValueError('a malformed object');
        const out = Object.create(null) as Record<string, Value>;
        for (const k of Object.keys(body as object)) out[k] = walk((body as Record<string, unknown>)[k], depth + 1);
        return out;
      }
      case '$a': {
        if (!Array.isArray(body) || body.length !== 2 || typeof body[0] !== 'string' || !(body[0] in ARRAY_KINDS)) throw new ValueError('a malformed typed array');
        const arr = fromBase64(body[1], ARRAY_KINDS[body[0]], 'a typed array');
        count(arr.length);
        return arr;
      }
      case '$t': {
        if (!Array.isArray(body) || body.length !== 3 || (body[0] !== 'float32' && body[0] !== 'int32')) throw new ValueError('a malformed tensor');
        const shape = body[1];
        if (!Array.isArray(shape) || shape.length > 8 || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new ValueError('a tensor with a malformed shape');
        const data: Float32Array | Int32Array = body[0] === 'int32' ? fromBase64(body[2], Int32Array, 'a tensor') : fromBase64(body[2], Float32Array, 'a tensor');
        const size = (shape as number[]).reduce((a, b) => a * b, 1);
        if (size !== data.length) throw new ValueError(`a tensor of shape [${shape.join(', ')}] with ${data.length} values`);
        count(size);
        return { kind: 'tensor', dtype: body[0], shape: shape as number[], data };
      }
    }
    throw new ValueError(`an unknown tag ${JSON.stringify(tag).slice(0, 20)}`);
  };
  return walk(encoded, 0);
}

/** A decoded value turned back into live objects in a kernel: tensors become tf tensors. */
export function materialize(value: Value, resolveRef: (id: number) => unknown): unknown {
  if (isTensorValue(value)) return tf.tensor(value.data, value.shape, value.dtype as 'float32' | 'int32');
  if (isRefValue(value)) return resolveRef(value.id);
  if (Array.isArray(value)) return value.map((v) => materialize(v, resolveRef));
  if (value && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) Object.defineProperty(out, k, { value: materialize((value as Record<string, Value>)[k], resolveRef), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

/** A short description for messages: `Tensor[2, 3]`, `[5 numbers]`, `"text"`. */
export function describeValue(v: Value): string {
  if (isTensorValue(v)) return `Tensor[${v.shape.join(', ')}]`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as TypedArray).length})`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (v && typeof v === 'object') return `an object {${Object.keys(v).slice(0, 6).join(', ')}}`;
  return String(v);
}
