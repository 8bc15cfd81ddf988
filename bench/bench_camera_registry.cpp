// Microbenchmarks of the camera_registry target's safe variant: registry reads, writes, I/O steps, consensus.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/clock.hpp"
#include "targets/camera_registry/camera_registry.hpp"
#include "targets/camera_registry/fire_consensus.hpp"

namespace threadmill {
namespace {

using camera_registry::Camera;
using camera_registry::CameraRegistry;
using camera_registry::ConsensusOptions;
using camera_registry::FireConsensus;
using camera_registry::Network;
using camera_registry::RegistryOptions;

constexpr int k_cameras = 16;

Camera bench_camera(int n) {
    Camera c;
    c.id = "cam-" + std::to_string(1000 + n);
    c.ip = "10.0.0." + std::to_string(n);
    c.mac = "02:00:5e:00:00:" + std::to_string(10 + n);
    c.name = "camera " + std::to_string(n) + " (ONVIF, rtsp://10.0.0." + std::to_string(n) + ":554/stream1)";
    return c;
}

/// A network with no latency: what is left is the registry's own cost around the I/O.
class InstantNetwork final : public Network {
public:
    bool ping(const std::string&) override { return true; }
    std::vector<bool> probe(const std::vector<Camera>& candidates) override {
        return std::vector<bool>(candidates.size(), true);
    }
};

InstantNetwork g_network;

/// One registry of 16 cameras shared by the threads of a benchmark.
CameraRegistry& registry() {
    static CameraRegistry r{[] {
        RegistryOptions o;
        o.network = &g_network;
        return o;
    }()};
    static const bool filled = [] {
        for (int i = 0; i < k_cameras; ++i) r.add_camera(bench_camera(i));
        return true;
    }();
    (void)filled;
    return r;
}

/// Baseline: an uncontended (per thread) std::mutex lock/unlock pair.
void BM_CameraBaselineMutex(benchmark::State& state) {
    std::mutex m;
    for (auto _ : state) {
        m.lock();
        benchmark::ClobberMemory();
        m.unlock();
    }
}
BENCHMARK(BM_CameraBaselineMutex)->Threads(1)->Threads(2);

/// Baseline: a find by id in a plain std::unordered_map of 16 cameras (no lock, no copy).
void BM_CameraBaselineMapFind(benchmark::State& state) {
    std::unordered_map<std::string, Camera> cameras;
    for (int i = 0; i < k_cameras; ++i) cameras.emplace(bench_camera(i).id, bench_camera(i));
    const std::string id = bench_camera(7).id;
    for (auto _ : state) benchmark::DoNotOptimize(cameras.find(id));
}
BENCHMARK(BM_CameraBaselineMapFind);

/// get(id): the lock, a find and a copy of the camera (four strings).
void BM_CameraGet(benchmark::State& state) {
    CameraRegistry& r = registry();
    const std::string id = bench_camera(7).id;
    for (auto _ : state) benchmark::DoNotOptimize(r.get(id));
}
BENCHMARK(BM_CameraGet)->Threads(1)->Threads(2);

/// get_by_ip: the lock, the known-IP check, a scan of the 16 cameras and a copy.
void BM_CameraGetByIp(benchmark::State& state) {
    CameraRegistry& r = registry();
    const std::string ip = bench_camera(7).ip;
    for (auto _ : state) benchmark::DoNotOptimize(r.get_by_ip(ip));
}
BENCHMARK(BM_CameraGetByIp)->Threads(1)->Threads(2);

/// update_status with an instant network: two critical sections around the (empty) ping.
void BM_CameraUpdateStatus(benchmark::State& state) {
    CameraRegistry& r = registry();
    const std::string id = bench_camera(3).id;
    for (auto _ : state) benchmark::DoNotOptimize(r.update_status(id));
}
BENCHMARK(BM_CameraUpdateStatus)->Threads(1)->Threads(2);

/// add_camera then remove_camera of one more camera (two critical sections, the maps updated).
void BM_CameraAddRemove(benchmark::State& state) {
    RegistryOptions o;
    o.network = &g_network;
    CameraRegistry r(o);
    for (int i = 0; i < k_cameras; ++i) r.add_camera(bench_camera(i));
    const Camera extra = bench_camera(100);
    for (auto _ : state) {
        r.add_camera(extra);
        benchmark::DoNotOptimize(r.remove_camera(extra.id));
    }
}
BENCHMARK(BM_CameraAddRemove);

/// Re-adding the 16 known cameras (what every discovery cycle does): one add_batch ...
void BM_CameraReaddBatch(benchmark::State& state) {
    CameraRegistry& r = registry();
    std::vector<Camera> all;
    for (int i = 0; i < k_cameras; ++i) all.push_back(bench_camera(i));
    for (auto _ : state) benchmark::DoNotOptimize(r.add_batch(all));
}
BENCHMARK(BM_CameraReaddBatch);

/// ... against 16 add_camera calls.
void BM_CameraReaddOneByOne(benchmark::State& state) {
    CameraRegistry& r = registry();
    std::vector<Camera> all;
    for (int i = 0; i < k_cameras; ++i) all.push_back(bench_camera(i));
    for (auto _ : state) {
        for (const Camera& c : all) benchmark::DoNotOptimize(r.add_camera(c));
    }
}
BENCHMARK(BM_CameraReaddOneByOne);

/// snapshot(): copies of the 16 cameras, the known IPs and the MAC tracker.
void BM_CameraSnapshot(benchmark::State& state) {
    CameraRegistry& r = registry();
    for (auto _ : state) benchmark::DoNotOptimize(r.snapshot());
}
BENCHMARK(BM_CameraSnapshot);

/// The nested operation: the outer lock and three re-entrant calls (add, set_online, get).
void BM_CameraNested(benchmark::State& state) {
    CameraRegistry& r = registry();
    const Camera c = bench_camera(5);
    for (auto _ : state) {
        r.locked([&](CameraRegistry& reg) {
            reg.add_camera(c);
            reg.set_online(c.id, true);
            benchmark::DoNotOptimize(reg.get(c.id));
        });
    }
}
BENCHMARK(BM_CameraNested);

/// The consensus service over 8 cameras with full histories, asking the shared registry.
FireConsensus& consensus() {
    static FireConsensus c{[] {
        ConsensusOptions o;
        o.clock = &steady_clock();
        o.online_cameras = [] { return registry().online_ids(); };
        return o;
    }()};
    return c;
}

void BM_ConsensusRecordDetection(benchmark::State& state) {
    FireConsensus& c = consensus();
    const std::string id = bench_camera(2).id;
    for (auto _ : state) c.record_detection(id, 0.9);
}
BENCHMARK(BM_ConsensusRecordDetection);

/// evaluate(): the registry's online list, then the window scan of 8 histories of 16 detections.
void BM_ConsensusEvaluate(benchmark::State& state) {
    FireConsensus& c = consensus();
    for (int cam = 0; cam < 8; ++cam) {
        for (int i = 0; i < 16; ++i) c.record_detection(bench_camera(cam).id, 0.9);
    }
    for (auto _ : state) benchmark::DoNotOptimize(c.evaluate());
}
BENCHMARK(BM_ConsensusEvaluate);

}  // namespace
}  // namespace threadmill
