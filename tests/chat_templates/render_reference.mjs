// Renders every conversation in a cases file with every package's real chat
// template, using @huggingface/jinja (Hugging Face's own JavaScript Jinja
// renderer for chat templates), and writes what each render produced or the
// error it threw. Pagoda's C++ renderer is compared with this output.
//
// usage: node render_reference.mjs <node_modules dir> <cases.json> <out.json>
//
// The packages are resolved from the given node_modules (the test installs
// them under its build directory), not from next to this script.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

const [modulesDir, casesPath, outPath] = process.argv.slice(2);
if (!outPath) {
  console.error("usage: node render_reference.mjs <node_modules dir> <cases.json> <out.json>");
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(modulesDir), "resolver.cjs"));
const { Template } = require("@huggingface/jinja");
const jinjaVersion = JSON.parse(
  fs.readFileSync(path.join(path.resolve(modulesDir), "@huggingface/jinja/package.json"), "utf8"),
).version;

// Special tokens are strings or AddedToken objects ({"content": ...}).
const tokenText = (t) => (t == null ? "" : typeof t === "string" ? t : (t.content ?? ""));

const spec = JSON.parse(fs.readFileSync(casesPath, "utf8"));
const out = { renderer: `@huggingface/jinja@${jinjaVersion}`, templates: [] };

for (const pkg of spec.packages) {
  const configPath = require.resolve(`${pkg}/models/tokenizer_config.json`);
  const config = JSON.parse(fs.readFileSync(configPath, "utf8"));
  const entry = { package: pkg, bos_token: tokenText(config.bos_token), eos_token: tokenText(config.eos_token) };
  let source = config.chat_template;
  if (Array.isArray(source)) {
    // Named templates: Hugging Face renders "default" unless asked otherwise.
    source = (source.find((t) => t.name === "default") ?? source[0])?.template;
  }
  if (typeof source !== "string") {
    entry.skipped = "its tokenizer_config.json has no chat_template";
    out.templates.push(entry);
    continue;
  }
  entry.template = source;
  entry.results = [];
  let template = null;
  let parseError = null;
  try {
    template = new Template(source);
  } catch (e) {
    parseError = String(e?.message ?? e);
  }
  for (const c of spec.cases) {
    const result = { case: c.name };
    if (c.only && !c.only.includes(pkg)) continue;
    if (c.skip && c.skip[pkg]) {
      result.skipped = c.skip[pkg];
      entry.results.push(result);
      continue;
    }
    if (parseError !== null) {
      result.error = parseError;
      entry.results.push(result);
      continue;
    }
    // The variables transformers' apply_chat_template passes.
    const vars = {
      messages: c.messages,
      tools: c.tools ?? null,
      documents: null,
      add_generation_prompt: c.add_generation_prompt ?? true,
      bos_token: entry.bos_token,
      eos_token: entry.eos_token,
      ...(c.extra ?? {}),
    };
    try {
      result.output = template.render(structuredClone(vars));
    } catch (e) {
      result.error = String(e?.message ?? e);
    }
    entry.results.push(result);
  }
  out.templates.push(entry);
}

fs.writeFileSync(outPath, JSON.stringify(out, null, 1));
