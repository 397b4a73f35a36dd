#pragma once
// Chat templates: the Jinja template a model ships (GGUF
// `tokenizer.chat_template`, `chat_template` in Hugging Face's
// tokenizer_config.json) that turns a conversation into the exact prompt text
// the model was trained on. Rendered the way Hugging Face's
// apply_chat_template renders it, so the prompt matches byte for byte.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace pagoda::tokenizer {

namespace jinja {
class Template;
}

struct ChatTemplateInputs {
  // [{"role": ..., "content": string or [{"type": "text", "text": ...}],
  //   "tool_calls": ..., ...}]
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  nlohmann::ordered_json tools;  // null or a list of OpenAI function schemas
  bool add_generation_prompt = true;
  std::string bos_token, eos_token;
  nlohmann::ordered_json extra;  // more top-level variables (e.g. enable_thinking), may be null
};

class ChatTemplate {
 public:
  // pagoda::Error with line/column for a template it cannot parse.
  explicit ChatTemplate(std::string source);

  // pagoda::Error for raise_exception(...) (its message) and for runtime
  // errors (what and where). Safe to call from several threads at once.
  std::string render(const ChatTemplateInputs& inputs) const;

  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::shared_ptr<const jinja::Template> template_;
};

}  // namespace pagoda::tokenizer
