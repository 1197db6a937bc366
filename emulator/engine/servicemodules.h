#pragma once

#include "services/servicemodule.h"

#include <memory>
#include <vector>

namespace tarmac {

// Every module this build has, in start order: one line per service in servicemodules.cpp.
std::vector<std::unique_ptr<ServiceModule>> createServiceModules();

} // namespace tarmac
