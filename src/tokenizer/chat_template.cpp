#include "tokenizer/chat_template.h"

#include "core/error.h"
#include "tokenizer/jinja_interpreter.h"

namespace pagoda::tokenizer {

ChatTemplate::ChatTemplate(std::string source)
    : source_(std::move(source)), template_(std::make_shared<const jinja::Template>(source_)) {}

std::string ChatTemplate::render(const ChatTemplateInputs& inputs) const {
  // The variables apply_chat_template passes: tools and documents are None
  // (defined, but falsy) when absent, and extra keyword arguments come last.
  nlohmann::ordered_json vars = nlohmann::ordered_json::object();
  vars["messages"] = inputs.messages;
  vars["tools"] = inputs.tools;
  vars["documents"] = nullptr;
  vars["add_generation_prompt"] = inputs.add_generation_prompt;
  vars["bos_token"] = inputs.bos_token;
  vars["eos_token"] = inputs.eos_token;
  if (inputs.extra.is_object()) {
    for (const auto& [key, value] : inputs.extra.items()) vars[key] = value;
  } else if (!inputs.extra.is_null()) {
    fail("chat template extra variables must be a JSON object");
  }
  return template_->render(vars);
}

}  // namespace pagoda::tokenizer
