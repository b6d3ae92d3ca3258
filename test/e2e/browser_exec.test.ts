/**
 * An executable compiled in Node (examples/mlp.onnx, for wasm and for js) loads and runs in
 * headless Chromium through the runtime-only entry, and gives the outputs of the Node run.
 *
 * The entry's module graph is compiled with tsc into a temporary folder and served, with the
 * executables, by a small HTTP server; the page imports it as plain ES modules (no bundler), so
 * a Node-only or package import in that graph fails here too. The page is not cross-origin
 * isolated, so the wasm kernels run on a plain (not shared) memory, on one thread.
 *
 * Needs Chromium (found on PATH as chromium / chromium-browser / google-chrome, or named by
 * WEFT_CHROMIUM); skipped, with the reason in the test name, when there is none.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importOnnx } from "../../src/frontend/index.js";
import { build } from "../../src/relax/pipeline.js";
import { NDArray } from "../../src/runtime/ndarray.js";
import { values } from "../runtime/vm/modules.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function findChromium(): string | undefined {
  const named = process.env["WEFT_CHROMIUM"];
  if (named) return existsSync(named) ? named : undefined;
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    for (const name of ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]) {
      const p = join(dir, name);
      if (dir && existsSync(p)) return p;
    }
  }
  return undefined;
}

const chromium = findChromium();
const title = chromium
  ? "a wasm / js executable in headless Chromium"
  : "a wasm / js executable in headless Chromium (SKIPPED: no Chromium found; install it, e.g. apt-get install chromium, or set WEFT_CHROMIUM)";

/** Compiles src/runtime_entry.ts and what it imports to JavaScript under `out`. */
function compileRuntime(out: string): void {
  const config = join(out, "tsconfig.json");
  writeFileSync(config, JSON.stringify({
    extends: join(root, "tsconfig.json"),
    compilerOptions: { rootDir: join(root, "src"), outDir: join(out, "dist"), noEmit: false, declaration: false, sourceMap: false },
    files: [join(root, "src/runtime_entry.ts")],
    include: [],
  }));
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", config], { stdio: "pipe" });
}

/** The page's module: loads each executable with the runtime-only entry and runs main on x. */
const PAGE_SCRIPT = `
import { loadExecutable, NDArray } from "/dist/runtime_entry.js";
window.runWeft = async (x) => {
  const out = { crossOriginIsolated: self.crossOriginIsolated };
  for (const target of ["wasm", "js"]) {
    const bytes = new Uint8Array(await (await fetch("/mlp-" + target + ".weft")).arrayBuffer());
    const { vm, modules } = await loadExecutable(bytes);
    const y = vm.invoke("main", NDArray.fromArray(x.data, x.shape));
    out[target] = { shape: [...y.shape], data: y.toArray(), format: vm.exec.kernels[0].format, shared: modules[0].artifact?.shared };
  }
  return out;
};
`;

function serve(dir: string): Promise<Server> {
  const types: Record<string, string> = { ".js": "text/javascript", ".html": "text/html", ".weft": "application/octet-stream" };
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)).replace(/^\/+/, "");
    const file = join(dir, path || "index.html");
    if (!file.startsWith(dir) || !existsSync(file)) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.setHeader("content-type", types[/\.[a-z]+$/.exec(file)?.[0] ?? ""] ?? "application/octet-stream");
    res.end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(server)));
}

describe(title, () => {
  let dir = "";
  let server: Server | undefined;
  const expected = new Map<string, { shape: number[]; data: number[] }>();
  const x = { shape: [3, 64], data: values(3 * 64, 11) };

  beforeAll(async () => {
    if (!chromium) return;
    dir = mkdtempSync(join(tmpdir(), "weft-browser-"));
    compileRuntime(dir);
    writeFileSync(join(dir, "index.html"), '<!doctype html><title>weft</title><script type="module" src="/run.js"></script>');
    writeFileSync(join(dir, "run.js"), PAGE_SCRIPT);
    const mod = importOnnx(new Uint8Array(readFileSync(join(root, "examples/mlp.onnx"))));
    for (const target of ["wasm", "js"]) {
      const built = await build(mod, target);
      writeFileSync(join(dir, `mlp-${target}.weft`), built.exec.serialize());
      const y = built.vm.invoke("main", NDArray.fromArray(x.data, x.shape)) as NDArray;
      expected.set(target, { shape: [...y.shape], data: y.toArray() });
    }
    server = await serve(dir);
  }, 240_000);

  afterAll(() => {
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(!chromium)("loads with the runtime-only entry and gives the Node outputs", async () => {
    const { chromium: pw } = await import("playwright-core");
    const browser = await pw.launch({ executablePath: chromium!, headless: true });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      const port = (server!.address() as { port: number }).port;
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction("typeof window.runWeft === 'function'");
      const got = (await page.evaluate(`window.runWeft(${JSON.stringify(x)})`)) as Record<string, unknown>;
      expect(errors).toEqual([]);
      expect(got["crossOriginIsolated"]).toBe(false);
      for (const target of ["wasm", "js"]) {
        const r = got[target] as { shape: number[]; data: number[]; format: string; shared?: boolean };
        expect(r.format).toBe(target === "wasm" ? "wasm-module" : "js-source");
        expect(r.shape).toEqual(expected.get(target)!.shape);
        expect(r.data).toEqual(expected.get(target)!.data);
      }
      expect((got["wasm"] as { shared: boolean }).shared).toBe(false);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
