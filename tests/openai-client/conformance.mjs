// Drives a live `pagoda serve` with the official OpenAI Node SDK and checks
// that what the SDK parses (responses, stream chunks, typed errors) has the
// shape and meaning OpenAI's API documents. Exits non-zero on the first
// failed check, naming it.
//
//   node conformance.mjs --base-url http://127.0.0.1:PORT/v1 --model ID
//        [--node-modules DIR] [--keyed-base-url URL --api-key KEY]
//
// Each flag falls back to an environment variable: PAGODA_OPENAI_BASE_URL,
// PAGODA_OPENAI_MODEL, PAGODA_OPENAI_NODE_MODULES, PAGODA_OPENAI_KEYED_BASE_URL,
// PAGODA_OPENAI_API_KEY. --node-modules is where `npm install` put the SDK
// (the test installs it in the build tree, not next to this script); without
// it the script imports 'openai' the usual way. The keyed URL is a second
// server started with --api-key; without it the authentication check is
// skipped (and says so).
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

function option(name, env) {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  return process.env[env] || '';
}

const baseURL = option('base-url', 'PAGODA_OPENAI_BASE_URL');
const model = option('model', 'PAGODA_OPENAI_MODEL');
const nodeModules = option('node-modules', 'PAGODA_OPENAI_NODE_MODULES');
const keyedBaseURL = option('keyed-base-url', 'PAGODA_OPENAI_KEYED_BASE_URL');
const apiKey = option('api-key', 'PAGODA_OPENAI_API_KEY');
if (!baseURL || !model) {
  console.error('usage: node conformance.mjs --base-url URL --model ID [--node-modules DIR] ' +
                '[--keyed-base-url URL --api-key KEY]');
  process.exit(2);
}

// ESM ignores NODE_PATH, so a node_modules folder elsewhere is imported by path.
const sdk = nodeModules
  ? await import(pathToFileURL(path.join(nodeModules, 'openai', 'index.mjs')).href)
  : await import('openai');
const OpenAI = sdk.default;
const sdkVersion = (await import(nodeModules
  ? pathToFileURL(path.join(nodeModules, 'openai', 'version.mjs')).href
  : 'openai/version')).VERSION;

// No retries: a 5xx or a dropped connection must fail the check, not be hidden
// by the SDK trying again. The key is unused by a server without --api-key,
// but the SDK refuses to start without one.
const client = new OpenAI({ baseURL, apiKey: 'unused', maxRetries: 0, timeout: 30_000 });

let passed = 0;
async function check(name, fn) {
  const t0 = performance.now();
  try {
    await fn();
  } catch (e) {
    console.error(`FAIL ${name}`);
    console.error(e && e.stack ? e.stack : e);
    if (e instanceof sdk.APIError) console.error('server error body:', JSON.stringify(e.error));
    process.exit(1);
  }
  passed += 1;
  console.log(`ok   ${name} (${(performance.now() - t0).toFixed(0)} ms)`);
}

// Expects `promise` to reject with the SDK's error class `cls` and `status`.
async function expectApiError(promise, cls, status) {
  let error = null;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  assert.ok(error, `expected ${cls.name} (${status}), but the request succeeded`);
  assert.ok(error instanceof cls,
            `expected ${cls.name}, got ${error.constructor.name}: ${error.message}`);
  assert.equal(error.status, status);
  // The OpenAI error body: {"error": {"message", "type", "param", "code"}}.
  assert.equal(typeof error.error?.message, 'string', 'error.message is a string');
  assert.ok(error.error.message.length > 0);
  assert.equal(typeof error.type, 'string', 'error.type is a string');
  assert.ok('param' in error.error && 'code' in error.error, 'error body has param and code');
  return error;
}

function checkUsage(usage, what) {
  assert.ok(usage, `${what}: usage is present`);
  for (const k of ['prompt_tokens', 'completion_tokens', 'total_tokens']) {
    assert.ok(Number.isInteger(usage[k]) && usage[k] >= 0, `${what}: usage.${k} is a count, got ${usage[k]}`);
  }
  assert.ok(usage.prompt_tokens > 0, `${what}: usage.prompt_tokens > 0`);
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens, `${what}: total = prompt + completion`);
}

const FINISH = ['stop', 'length'];
const messages = [
  { role: 'system', content: 'Tell short stories.' },
  { role: 'user', content: 'A cat found a ball.' },
];

await check('models.list()', async () => {
  const ids = [];
  for await (const m of client.models.list()) {
    assert.equal(m.object, 'model');
    assert.equal(typeof m.owned_by, 'string');
    assert.ok(Number.isInteger(m.created));
    ids.push(m.id);
  }
  assert.deepEqual(ids, [model]);
  const one = await client.models.list();
  assert.equal(one.data.length, 1);
});

await check('completions: text, usage, finish_reason', async () => {
  const r = await client.completions.create({ model, prompt: 'Once upon a time', max_tokens: 12, temperature: 0 });
  assert.equal(r.object, 'text_completion');
  assert.match(r.id, /^cmpl-/);
  assert.equal(r.model, model);
  assert.ok(Number.isInteger(r.created) && r.created > 1.6e9, `created is a unix time, got ${r.created}`);
  assert.equal(r.choices.length, 1);
  const c = r.choices[0];
  assert.equal(c.index, 0);
  assert.equal(typeof c.text, 'string');
  assert.ok(c.text.length > 0, 'text is not empty');
  assert.equal(c.logprobs, null);
  assert.ok(FINISH.includes(c.finish_reason), `finish_reason ${c.finish_reason}`);
  checkUsage(r.usage, 'completion');
  if (c.finish_reason === 'length') assert.equal(r.usage.completion_tokens, 12);
  assert.ok(r.usage.completion_tokens <= 12);
});

await check('completions: streamed text joins to the non-streamed text', async () => {
  const body = { model, prompt: 'The little dog', max_tokens: 10, temperature: 0 };
  const whole = await client.completions.create(body);
  const stream = await client.completions.create({ ...body, stream: true, stream_options: { include_usage: true } });
  let text = '';
  let finish = null;
  let usage = null;
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'text_completion');
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      text += c.text;
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  assert.equal(text, whole.choices[0].text);
  assert.equal(finish, whole.choices[0].finish_reason);
  checkUsage(usage, 'streamed completion');
  assert.equal(usage.completion_tokens, whole.usage.completion_tokens);
});

let chatContent = '';
await check('chat.completions: message, usage, finish_reason', async () => {
  const r = await client.chat.completions.create({ model, messages, max_tokens: 8, temperature: 0 });
  assert.equal(r.object, 'chat.completion');
  assert.match(r.id, /^chatcmpl-/);
  assert.equal(r.model, model);
  assert.equal(r.choices.length, 1);
  const c = r.choices[0];
  assert.equal(c.index, 0);
  assert.equal(c.message.role, 'assistant');
  assert.equal(typeof c.message.content, 'string');
  assert.ok(c.message.content.length > 0, 'content is not empty');
  assert.ok(FINISH.includes(c.finish_reason), `finish_reason ${c.finish_reason}`);
  checkUsage(r.usage, 'chat');
  assert.ok(r.usage.completion_tokens <= 8);
  chatContent = c.message.content;
});

await check('chat.completions stream with include_usage', async () => {
  const stream = await client.chat.completions.create({
    model, messages, max_tokens: 8, temperature: 0, stream: true, stream_options: { include_usage: true },
  });
  let content = '';
  let role = null;
  let finish = null;
  let usage = null;
  let chunks = 0;
  let afterUsage = 0;
  const ids = new Set();
  for await (const chunk of stream) {
    chunks += 1;
    if (usage) afterUsage += 1;
    assert.equal(chunk.object, 'chat.completion.chunk');
    assert.equal(chunk.model, model);
    ids.add(chunk.id);
    if (chunk.usage) {
      // The usage chunk comes last and carries no choices.
      assert.deepEqual(chunk.choices, []);
      usage = chunk.usage;
      continue;
    }
    // Every other chunk says usage: null when include_usage is set.
    assert.equal(chunk.usage, null, 'non-final chunks carry usage: null');
    for (const c of chunk.choices) {
      assert.equal(c.index, 0);
      if (c.delta.role) role = c.delta.role;
      if (c.delta.content) content += c.delta.content;
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  assert.ok(chunks >= 3, `expected several chunks, got ${chunks}`);
  assert.equal(ids.size, 1, 'all chunks share one id');
  assert.equal(role, 'assistant');
  assert.equal(content, chatContent, 'streamed content equals the non-streamed content (greedy)');
  assert.ok(FINISH.includes(finish), `finish_reason ${finish}`);
  checkUsage(usage, 'stream usage chunk');
  assert.equal(afterUsage, 0, 'the usage chunk is the last chunk');
});

await check('beta.chat.completions.stream() accumulates a ChatCompletion', async () => {
  // The SDK's stream helper rebuilds a full completion from the chunks and
  // throws on chunks it cannot place (a missing index, a role change).
  const runner = client.beta.chat.completions.stream({ model, messages, max_tokens: 8, temperature: 0 });
  const final = await runner.finalChatCompletion();
  assert.equal(final.choices[0].message.content, chatContent);
  assert.equal(final.choices[0].message.role, 'assistant');
});

await check('a stream abandoned after its first chunk leaves the server usable', async () => {
  const stream = await client.chat.completions.create({
    model, messages, max_tokens: 200, temperature: 1, stream: true,
  });
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'chat.completion.chunk');
    break;  // leaving the loop aborts the request
  }
  const r = await client.completions.create({ model, prompt: 'Once', max_tokens: 2 });
  assert.equal(r.choices.length, 1);
});

await check('n: 2 gives two choices (chat and completions)', async () => {
  const chat = await client.chat.completions.create({ model, messages, max_tokens: 6, n: 2, temperature: 1, seed: 3 });
  assert.equal(chat.choices.length, 2);
  assert.deepEqual(chat.choices.map((c) => c.index).sort(), [0, 1]);
  for (const c of chat.choices) {
    assert.equal(c.message.role, 'assistant');
    assert.equal(typeof c.message.content, 'string');
  }
  checkUsage(chat.usage, 'chat n=2');
  const tokens = chat.usage.completion_tokens;
  assert.ok(tokens >= 2 && tokens <= 12, `completion_tokens counts both choices, got ${tokens}`);

  const cmpl = await client.completions.create({ model, prompt: 'The sun', max_tokens: 4, n: 2, temperature: 0 });
  assert.equal(cmpl.choices.length, 2);
  assert.deepEqual(cmpl.choices.map((c) => c.index).sort(), [0, 1]);
  assert.equal(cmpl.choices[0].text, cmpl.choices[1].text, 'greedy choices agree');
});

await check('chat logprobs: true, top_logprobs: 2', async () => {
  const r = await client.chat.completions.create({
    model, messages, max_tokens: 5, temperature: 0, logprobs: true, top_logprobs: 2,
  });
  const c = r.choices[0];
  assert.ok(c.logprobs && Array.isArray(c.logprobs.content), 'choices[0].logprobs.content is a list');
  assert.equal(c.logprobs.content.length, r.usage.completion_tokens, 'one entry per generated token');
  let joined = '';
  for (const t of c.logprobs.content) {
    assert.equal(typeof t.token, 'string');
    assert.ok(typeof t.logprob === 'number' && t.logprob <= 0, `logprob ${t.logprob} <= 0`);
    assert.ok(Array.isArray(t.bytes), 'bytes is a list');
    assert.deepEqual(Buffer.from(t.bytes).toString('utf8'), t.token, 'bytes spell the token');
    assert.equal(t.top_logprobs.length, 2);
    for (const alt of t.top_logprobs) {
      assert.equal(typeof alt.token, 'string');
      assert.ok(alt.logprob <= 0);
    }
    assert.ok(t.top_logprobs[0].logprob >= t.top_logprobs[1].logprob, 'top_logprobs are sorted');
    // Greedy: the chosen token is the most likely one.
    assert.ok(Math.abs(t.logprob - t.top_logprobs[0].logprob) < 1e-4, 'greedy picks the top token');
    joined += t.token;
  }
  assert.equal(joined, c.message.content, 'the tokens spell the content');

  const plain = await client.chat.completions.create({ model, messages, max_tokens: 2, temperature: 0 });
  assert.equal(plain.choices[0].logprobs, null, 'logprobs is null unless asked for');
});

await check('completions logprobs: 2', async () => {
  const r = await client.completions.create({ model, prompt: 'Once upon a time', max_tokens: 5, temperature: 0, logprobs: 2 });
  const lp = r.choices[0].logprobs;
  assert.ok(lp, 'choices[0].logprobs is present');
  const n = r.usage.completion_tokens;
  assert.equal(lp.tokens.length, n);
  assert.equal(lp.token_logprobs.length, n);
  assert.equal(lp.top_logprobs.length, n);
  assert.equal(lp.text_offset.length, n);
  for (let i = 0; i < n; ++i) {
    assert.ok(lp.token_logprobs[i] <= 0);
    const top = Object.entries(lp.top_logprobs[i]);
    assert.ok(top.length >= 1 && top.length <= 2, `top_logprobs[${i}] has 1..2 entries, got ${top.length}`);
    for (const [, v] of top) assert.ok(v <= 0);
    if (i > 0) assert.ok(lp.text_offset[i] >= lp.text_offset[i - 1], 'text_offset grows');
  }
  assert.equal(lp.tokens.join(''), r.choices[0].text, 'the tokens spell the text');
});

await check('stop ends the text before the stop string', async () => {
  const body = { model, prompt: 'Once upon a time', max_tokens: 30, temperature: 0 };
  const full = (await client.completions.create(body)).choices[0].text;
  assert.ok(full.length >= 16, `need a longer text to pick a stop string from: ${JSON.stringify(full)}`);
  const stop = full.slice(10, 14);
  const expected = full.slice(0, full.indexOf(stop));
  const r = await client.completions.create({ ...body, stop: [stop, 'zzzz-never'] });
  assert.equal(r.choices[0].text, expected);
  assert.equal(r.choices[0].finish_reason, 'stop');

  const chatFull = (await client.chat.completions.create({ model, messages, max_tokens: 30, temperature: 0 }))
    .choices[0].message.content;
  assert.ok(chatFull.length >= 8, `chat text too short: ${JSON.stringify(chatFull)}`);
  const chatStop = chatFull.slice(4, 7);
  const chat = await client.chat.completions.create({ model, messages, max_tokens: 30, temperature: 0, stop: chatStop });
  assert.equal(chat.choices[0].message.content, chatFull.slice(0, chatFull.indexOf(chatStop)));
  assert.equal(chat.choices[0].finish_reason, 'stop');
});

await check('seed makes temperature-1 sampling repeat', async () => {
  const body = { model, messages, max_tokens: 16, temperature: 1 };
  const a = await client.chat.completions.create({ ...body, seed: 1234 });
  const b = await client.chat.completions.create({ ...body, seed: 1234 });
  assert.equal(a.choices[0].message.content, b.choices[0].message.content, 'same seed, same text');
  const c = await client.chat.completions.create({ ...body, seed: 98765 });
  // Two seeds can sample the same text on a tiny model, so this is only reported.
  if (c.choices[0].message.content === a.choices[0].message.content) {
    console.log('     note: seeds 1234 and 98765 sampled the same text');
  }
  const x = await client.completions.create({ model, prompt: 'Once', max_tokens: 16, temperature: 1, seed: 42 });
  const y = await client.completions.create({ model, prompt: 'Once', max_tokens: 16, temperature: 1, seed: 42 });
  assert.equal(x.choices[0].text, y.choices[0].text);
});

await check('BadRequestError (400) for temperature 5', async () => {
  const e = await expectApiError(
    client.chat.completions.create({ model, messages, max_tokens: 2, temperature: 5 }), sdk.BadRequestError, 400);
  assert.equal(e.type, 'invalid_request_error');
  assert.equal(e.param, 'temperature');
  await expectApiError(client.completions.create({ model, prompt: 'a', temperature: 5 }), sdk.BadRequestError, 400);
  // A stream that is refused before it starts is a plain error response too.
  await expectApiError(client.chat.completions.create({ model, messages, temperature: 5, stream: true }),
                       sdk.BadRequestError, 400);
  await expectApiError(client.chat.completions.create({ model, messages: [] }), sdk.BadRequestError, 400);
  await expectApiError(client.completions.create({ model, prompt: 'a', max_tokens: 100000 }), sdk.BadRequestError, 400);
});

await check('NotFoundError (404) for an unknown model', async () => {
  const e = await expectApiError(
    client.chat.completions.create({ model: 'no-such-model', messages, max_tokens: 2 }), sdk.NotFoundError, 404);
  assert.equal(e.code, 'model_not_found');
  assert.equal(e.param, 'model');
  await expectApiError(client.completions.create({ model: 'no-such-model', prompt: 'a' }), sdk.NotFoundError, 404);
});

if (keyedBaseURL) {
  await check('AuthenticationError (401) for a wrong API key', async () => {
    const wrong = new OpenAI({ baseURL: keyedBaseURL, apiKey: 'wrong-key', maxRetries: 0, timeout: 30_000 });
    const e = await expectApiError(
      wrong.chat.completions.create({ model, messages, max_tokens: 2 }), sdk.AuthenticationError, 401);
    assert.equal(e.type, 'authentication_error');
    await expectApiError(wrong.models.list(), sdk.AuthenticationError, 401);
    const right = new OpenAI({ baseURL: keyedBaseURL, apiKey, maxRetries: 0, timeout: 30_000 });
    const r = await right.chat.completions.create({ model, messages, max_tokens: 2 });
    assert.equal(r.choices.length, 1);
  });
} else {
  console.log('skip AuthenticationError: no --keyed-base-url given');
}

console.log(`conformance: ${passed} checks passed against ${baseURL} (openai ${sdkVersion})`);
