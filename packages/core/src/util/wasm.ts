// The lib settings (ES2023, no DOM) carry no WebAssembly types; these are the few used here.

/** A WebAssembly.Memory; a shared one can be posted to another thread. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer
  grow (pages: number): number
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object, imports: object) => { exports: object }
  Memory: new (descriptor: { initial: number, maximum?: number, shared?: boolean }) => WasmMemory
}

/** The engine's WebAssembly API. */
export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly

/** Bytes of a WebAssembly page. */
export const PAGE = 65536

/** The exports of `module` instantiated over `memory` (its one import, env.memory), as `K`. */
export function instantiate<K> (module: object, memory: WasmMemory): K {
  return new wasm.Instance(module, { env: { memory } }).exports as K
}
