#include "fastmlp/loss.hpp"

#include <stdexcept>

namespace fastmlp {

template <class Scalar>
void Loss::gradient_preactivation_of(ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar>, MatrixMapOf<Scalar>) const {
  throw std::logic_error(class_name() + " has no fused gradient");
}

template <class Scalar>
void Loss::check_targets_of(ConstMatrixMapOf<Scalar> y_true, Index output_units) const {
  const Index expected = target_columns(output_units);
  if (y_true.cols() != expected)
    throw std::invalid_argument(class_name() + " expects targets with " + std::to_string(expected) +
                                " column(s) for a model with " + std::to_string(output_units) +
                                " output unit(s), got " + std::to_string(y_true.cols()));
  if (!y_true.allFinite()) throw std::invalid_argument("targets contain NaN or infinity");
}

#define FASTMLP_INSTANTIATE(Scalar)                                                                        \
  template void Loss::gradient_preactivation_of(ConstMatrixMapOf<Scalar>, ConstMatrixMapOf<Scalar>,       \
                                                MatrixMapOf<Scalar>) const;                                 \
  template void Loss::check_targets_of(ConstMatrixMapOf<Scalar>, Index) const;
FASTMLP_INSTANTIATE(float)
FASTMLP_INSTANTIATE(double)
#undef FASTMLP_INSTANTIATE

LossPtr make_loss(const std::string& name, const Config& config) {
  return Registry<Loss>::instance().create(name, config);
}

}  // namespace fastmlp
