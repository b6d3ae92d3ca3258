/**
 * The runtime-only entry must run in a browser as plain ES modules: its static import graph may
 * hold only relative imports (no package, no `node:` module), and none of the compiler's parts.
 * Dynamic `import("node:...")` calls are allowed: they run only where a Node check passed.
 */
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

interface Graph {
  files: Set<string>;
  /** "file: specifier" of every static import that is not relative. */
  bare: string[];
  /** Specifiers of dynamic imports. */
  dynamic: string[];
}

/** Static imports (type-only ones are erased and do not count) and dynamic imports of a TS file. */
function importsOf(text: string): { statics: string[]; dynamics: string[] } {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const statics: string[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?([^;]*?)\s*from\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']/gm;
  for (let m; (m = re.exec(code)); ) {
    if (m[5]) statics.push(m[5]);
    else if (!m[2]) statics.push(m[4]!);
  }
  const dynamics = [...code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!);
  return { statics, dynamics };
}

function walk(entry: string): Graph {
  const g: Graph = { files: new Set(), bare: [], dynamic: [] };
  const visit = (file: string): void => {
    if (g.files.has(file)) return;
    g.files.add(file);
    const { statics, dynamics } = importsOf(readFileSync(file, "utf8"));
    g.dynamic.push(...dynamics);
    for (const s of statics) {
      if (!s.startsWith(".")) {
        g.bare.push(`${relative(root, file)}: ${s}`);
        continue;
      }
      visit(resolve(dirname(file), s.replace(/\.js$/, ".ts")));
    }
  };
  visit(entry);
  return g;
}

describe("the runtime-only entry (src/runtime_entry.ts)", () => {
  const g = walk(join(root, "src/runtime_entry.ts"));
  const files = [...g.files].map((f) => relative(root, f));

  it("imports no package and no node: module", () => {
    expect(g.bare).toEqual([]);
  });

  it("reaches the wasm and js loaders but none of the compiler", () => {
    expect(files).toContain("src/target/wasm/load_wasm.ts");
    expect(files).toContain("src/target/js/load_js.ts");
    const compiler = files.filter((f) =>
      /^src\/(tir\/(script|transform|schedule)|te|schedule|relax|frontend|cli|arith)\/|^src\/target\/(c\/|build\.ts|signature\.ts)|codegen_|wasm_(types|helpers|parallel|cache)\.ts$/.test(f));
    expect(compiler).toEqual([]);
  });

  it("imports node: modules only dynamically", () => {
    expect(g.dynamic.every((s) => s.startsWith("node:"))).toBe(true);
  });

  it("the walker sees what it should (a file that imports binaryen is reported)", () => {
    const full = walk(join(root, "src/target/wasm/module_wasm.ts"));
    expect(full.bare.some((b) => b.endsWith(": binaryen"))).toBe(true);
  });
});
