// The catalogs of the workers one run asks.
#include "model/catalogs.hpp"

#include <stdexcept>

#include <fmt/format.h>

namespace threadmill {

const Catalog& Catalogs::of(const std::string& worker_dir) const {
    const auto it = m_by_dir.find(worker_dir);
    if (it == m_by_dir.end())
        throw std::logic_error(worker_dir.empty() ? std::string("the run's workers were never asked for their targets")
                                                  : fmt::format("the workers in {} were never asked for their targets",
                                                                worker_dir));
    return it->second;
}

const TargetInfo* Catalogs::target_of(const Scenario& sc) const {
    const auto it = m_by_dir.find(sc.worker_dir);
    return it == m_by_dir.end() ? nullptr : it->second.find(sc.target);
}

}  // namespace threadmill
