#include "core/servicemodule.h"
#include "services/lambda/lambdamodule.h"
#include "services/s3/s3module.h"

// One include and one line per service module.

namespace tarmac {

ServiceModule::~ServiceModule() = default;

std::vector<std::unique_ptr<ServiceModule>> createServiceModules()
{
    std::vector<std::unique_ptr<ServiceModule>> modules;
    modules.push_back(std::make_unique<LambdaModule>()); // first: the others submit events to it
    modules.push_back(std::make_unique<S3Module>());
    return modules;
}

} // namespace tarmac
