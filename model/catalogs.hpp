// The catalogs of the workers one run asks: the run's own workers and each scenario's (`worker = "..."`).
#pragma once

#include <map>
#include <string>

#include "api/target.hpp"
#include "model/scenario.hpp"

namespace threadmill {

/// Catalogs by worker folder: "" is the run's workers (--worker-dir), any other folder the workers a
/// scenario names (Scenario::worker_dir). Two folders may hold targets of the same name: a scenario's
/// target is looked up in its own folder's catalog only.
class Catalogs {
public:
    Catalogs() = default;
    /// The run's catalog alone (implicit: most runs have no scenario with workers of its own).
    Catalogs(Catalog run) { m_by_dir.emplace(std::string(), std::move(run)); }  // NOLINT(google-explicit-constructor)

    /// Adds (or replaces) the catalog of the workers in `worker_dir` ("" the run's).
    void add(const std::string& worker_dir, Catalog catalog) { m_by_dir.insert_or_assign(worker_dir, std::move(catalog)); }
    bool has(const std::string& worker_dir) const { return m_by_dir.count(worker_dir) != 0; }
    /// The catalog of `worker_dir`; throws std::logic_error when it was never added.
    const Catalog& of(const std::string& worker_dir) const;
    /// The target `sc` runs: sc.target in the catalog of sc.worker_dir, or nullptr (also when that
    /// catalog was never added).
    const TargetInfo* target_of(const Scenario& sc) const;

private:
    std::map<std::string, Catalog> m_by_dir;
};

}  // namespace threadmill
