#include "core/servicemodule.h"

// One include and one line per service module.

namespace tarmac {

ServiceModule::~ServiceModule() = default;

std::vector<std::unique_ptr<ServiceModule>> createServiceModules()
{
    std::vector<std::unique_ptr<ServiceModule>> modules;
    return modules;
}

} // namespace tarmac
