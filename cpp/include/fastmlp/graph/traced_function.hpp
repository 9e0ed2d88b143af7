// A traced graph without weights of its own, run on demand in float or double: what a traced loss
// or metric holds. Losses and metrics are one const object for both scalar types and may serve
// several evaluations at once, so the two executors are made on first use and each pass holds a
// lock; their buffers grow to the largest batch seen and are reused after that.
#pragma once

#include <memory>
#include <mutex>
#include <type_traits>

#include "fastmlp/graph/graph.hpp"

namespace fastmlp::graph {

class TracedFunction {
 public:
  explicit TracedFunction(GraphSpec spec) : spec_(std::move(spec)) {}

  const GraphSpec& spec() const { return spec_; }

  // Runs `f(graph)` on the executor of Scalar while holding its lock.
  template <class Scalar, class F>
  decltype(auto) with_graph(F&& f) const {
    std::lock_guard<std::mutex> lock(lock_);
    auto& graph = executor<Scalar>();
    if (!graph) graph = std::make_unique<GraphOf<Scalar>>(spec_);
    return f(*graph);
  }

 private:
  template <class Scalar>
  std::unique_ptr<GraphOf<Scalar>>& executor() const {
    if constexpr (std::is_same_v<Scalar, float>) {
      return float_;
    } else {
      return double_;
    }
  }

  GraphSpec spec_;
  mutable std::mutex lock_;
  mutable std::unique_ptr<GraphOf<float>> float_;
  mutable std::unique_ptr<GraphOf<double>> double_;
};

}  // namespace fastmlp::graph
