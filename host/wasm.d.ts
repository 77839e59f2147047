/**
 * The few WebAssembly JS API types the host uses. Node provides the API; @types/node does not
 * declare it, and the DOM lib would bring browser globals the host must not use.
 */
declare namespace WebAssembly {
  class Module {
    private constructor();
  }
  class Instance {
    private constructor();
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    private constructor();
    readonly buffer: ArrayBuffer;
  }
  function compile(bytes: ArrayBufferView | ArrayBuffer): Promise<Module>;
  function instantiate(module: Module, imports: object): Promise<Instance>;
}
