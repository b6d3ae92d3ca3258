/** The runtime-only entry on its own (this file imports nothing of the compiler). */
import { describe, expect, it } from "vitest";
import { Executable, KernelLoadError, loadExecutable, registeredKernelFormats } from "../../src/runtime_entry.js";

describe("runtime-only loading", () => {
  it("registers the loaders of the formats that need no compiler", () => {
    expect(registeredKernelFormats().sort()).toEqual(["js-source", "wasm-module"]);
  });

  it("a tir-script executable (c target) says it needs the full package", async () => {
    const exec = new Executable(
      [{ name: "k", kind: "kernel" }],
      [],
      [{ target: "c", format: "tir-script", data: "# kernels", functions: ["k"] }],
    );
    const load = loadExecutable(exec.serialize());
    await expect(load).rejects.toBeInstanceOf(KernelLoadError);
    await expect(loadExecutable(exec.serialize())).rejects.toThrow(
      /no loader for format "tir-script" \(registered: .*\); this format rebuilds the kernels with the compiler: load it with loadExecutable of the full package/,
    );
  });

  it("a file that is not an executable", async () => {
    await expect(loadExecutable(new TextEncoder().encode("hello, this is not a weft file"))).rejects.toThrow(/not a weft executable/);
  });
});
