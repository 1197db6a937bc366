#pragma once

#include "base/json.h"

namespace tarmac {

// Whether two documents are equal with the same types throughout: nlohmann's == takes 1
// (unsigned), 1 (signed) and 1.0 as equal, and 0.0 as -0.0. For the tests of parseJson's
// reader against nlohmann's parser (tst_jsonreader, fuzz_json); defined in json.cpp.
bool identicalJson(const Json &a, const Json &b);

} // namespace tarmac
