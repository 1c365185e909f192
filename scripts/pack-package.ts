import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/**
 * `npm pack` of a published workspace package (@tessera/codes, @tessera/identity-client): the
 * workspace runs the TypeScript sources (package.json `exports` point at src/*.ts), but Node strips
 * no types inside node_modules, so the tarball must hold JavaScript with `.d.ts` files next to it.
 *
 * - `prepack`: compiles src/ to dist/ (the package's tsconfig.build.json: declarations, relative
 *   `.ts` imports rewritten to `.js`), rewrites relative `.ts` specifiers in the `.d.ts` files to
 *   `.js` too (so that any consumer's resolution finds them), keeps the workspace's package.json
 *   aside and writes the one the tarball carries: `exports` on dist/ with `types`, `files` = dist.
 * - `postpack`: puts the workspace's package.json back and removes dist/: after a plain
 *   `npm pack` the working tree is as before.
 * Run by the packages' prepack/postpack scripts (the working directory is the package's).
 */
const [step] = process.argv.slice(2);
const packageDir = process.cwd();
const manifestPath = join(packageDir, "package.json");
const keptPath = join(packageDir, ".package.workspace.json");
const distDir = join(packageDir, "dist");
const tsc = resolve(import.meta.dirname, "..", "node_modules", ".bin", "tsc");

if (step === "prepack") prepack();
else if (step === "postpack") postpack();
else throw new Error("usage: pack-package.ts prepack|postpack");

function prepack(): void {
  // A pack that failed half-way left the workspace manifest aside: start from it, not from the
  // packed one.
  if (existsSync(keptPath)) renameSync(keptPath, manifestPath);
  rmSync(distDir, { recursive: true, force: true });
  execFileSync(tsc, ["-p", join(packageDir, "tsconfig.build.json")], { stdio: "inherit" });
  for (const file of declarationFiles(distDir)) {
    const text = readFileSync(file, "utf8");
    writeFileSync(
      file,
      text.replace(/((?:from|import)\s*\(?\s*["'])(\.{1,2}\/[^"']+)\.ts(["'])/g, "$1$2.js$3"),
    );
  }
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Record<string, unknown>;
  renameSync(manifestPath, keptPath);
  const exports = Object.fromEntries(
    Object.entries(manifest.exports as Record<string, string>).map(([entry, source]) => [
      entry,
      { types: toDist(source, ".d.ts"), default: toDist(source, ".js") },
    ]),
  );
  const root = exports["."];
  // A command (tessera-login) ships its small JavaScript launcher, which runs dist/ when present.
  const files = manifest.bin === undefined ? ["dist"] : ["dist", "bin"];
  const packed = { ...manifest, exports, types: root?.types, files };
  writeFileSync(manifestPath, `${JSON.stringify(packed, null, 2)}\n`);
}

function postpack(): void {
  if (existsSync(keptPath)) renameSync(keptPath, manifestPath);
  rmSync(distDir, { recursive: true, force: true });
}

/** `./src/coverage/observed-codes.ts` -> `./dist/coverage/observed-codes.js` (or `.d.ts`). */
function toDist(source: string, extension: string): string {
  if (!/^\.\/src\/.+\.ts$/.test(source)) throw new Error(`export ${source} is not a ./src/*.ts file`);
  return source.replace(/^\.\/src\//, "./dist/").replace(/\.ts$/, extension);
}

function declarationFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".d.ts"))
    .map((file) => join(dir, file));
}
