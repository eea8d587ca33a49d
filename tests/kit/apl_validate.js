// Validates APL documents with Amazon's apl-suggester (the static validator of the APL authoring tools).
// stdin: a JSON object {name: document, ...}; stdout: a JSON object {name: [{path, errorMessage, level}, ...]}.
// Called by tests/test_apl.py; the package is installed into .cache/npm by scripts/setup.sh.
"use strict";
const path = require("path");
const where = process.env.APL_SUGGESTER_DIR
  || path.join(__dirname, "..", ".cache", "npm", "node_modules", "apl-suggester");
const { StaticAplTemplateValidator } = require(where);

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const documents = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const results = {};
  for (const [name, document] of Object.entries(documents)) {
    // One validator per document: it keeps state (caches, custom component lists) between calls.
    const findings = await new StaticAplTemplateValidator().validate(document);
    results[name] = findings.map(({ path, errorMessage, level }) => ({ path, errorMessage, level: level || null }));
  }
  process.stdout.write(JSON.stringify(results));
}

main().catch((error) => {
  process.stderr.write(String((error && error.stack) || error) + "\n");
  process.exit(1);
});
