#include "model_allocation.hpp"

namespace fastmlp {

template <class Scalar>
void build_optimizer(Optimizer& optimizer, const std::vector<ParameterOf<Scalar>>& params) {
  if (optimizer.built_for(params)) return;
  explain_allocation_failure([&] { optimizer.build(params); }, [&] {
    double values = 0;
    for (const auto& p : params) values += static_cast<double>(p.value->size());
    const double slots = static_cast<double>(optimizer.slot_names().size());
    return "cannot allocate the " + optimizer.class_name() + " optimizer's state (" +
           std::to_string(optimizer.slot_names().size()) + " slots per parameter) for " +
           std::to_string(static_cast<long long>(values)) + " parameters: it needs " +
           byte_count(sizeof(Scalar) * values * slots);
  });
}

template <class Scalar>
std::string output_allocation_message(Index rows, Index columns) {
  return "predict: cannot allocate the output of " + std::to_string(rows) + " rows by " + std::to_string(columns) +
         " columns: it needs " + byte_count(sizeof(Scalar) * static_cast<double>(rows) * static_cast<double>(columns));
}

template <class Scalar>
std::string inference_buffers_message(const char* caller, Index chunk, Index widest, int buffers) {
  return std::string(caller) + ": cannot allocate " + std::to_string(buffers) + " buffers of " + std::to_string(chunk) +
         " rows by the widest layer's " + std::to_string(widest) + " outputs: they need " +
         byte_count(buffers * sizeof(Scalar) * static_cast<double>(chunk) * static_cast<double>(widest)) +
         " (a smaller batch_size needs less)";
}

#define FASTMLP_INSTANTIATE(Scalar)                                                                \
  template void build_optimizer(Optimizer&, const std::vector<ParameterOf<Scalar>>&);            \
  template std::string output_allocation_message<Scalar>(Index, Index);                          \
  template std::string inference_buffers_message<Scalar>(const char*, Index, Index, int);
FASTMLP_INSTANTIATE(float)
FASTMLP_INSTANTIATE(double)
#undef FASTMLP_INSTANTIATE

}  // namespace fastmlp
