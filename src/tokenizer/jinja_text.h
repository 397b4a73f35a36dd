#pragma once
// Python's text rules for the string filters and methods: which characters
// are whitespace (str.strip, str.split, |trim), case mapping (|upper,
// str.title, ...), HTML escaping and word counting. Case mapping covers
// ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic one-to-one mappings;
// other scripts are left as they are (and ß does not become "SS").
#include <cstdint>
#include <string>
#include <string_view>

namespace pagoda::tokenizer::jinja {

// Whether one UTF-8 character is whitespace by Python's str.isspace().
bool is_py_space(std::string_view ch);
uint32_t upper_cp(uint32_t cp);
uint32_t lower_cp(uint32_t cp);

std::string change_case(std::string_view s, bool upper);
std::string py_title(std::string_view s);       // str.title()
std::string jinja_title(std::string_view s);    // the |title filter (words start after -, space, brackets)
std::string py_capitalize(std::string_view s);  // str.capitalize() and |capitalize
bool py_is(std::string_view s,
           std::string_view which);           // isdigit, isalpha, isalnum, isspace, islower, isupper
std::string html_escape(std::string_view s);  // markupsafe.escape
size_t word_count(std::string_view s);        // |wordcount: runs of \w

}  // namespace pagoda::tokenizer::jinja
