#include "batch_checks.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "fastmlp/model.hpp"

namespace fastmlp {

template <class Scalar>
void recheck_batch(const ModelOf<Scalar>& model, size_t output, ConstMatrixMapOf<Scalar> batch_y, const Scalar* batch_weights,
                   ConstMatrixMapOf<Scalar> y, const Index* rows, Index first) {
  // A literal, not a std::string: this runs for every batch, and the training loop allocates nothing.
  static constexpr const char* changed = "fit: the training data changed while fit was running (did a callback or "
                                         "another thread write to it?): ";
  const Loss& loss = *model.losses().at(output);
  const Index units = model.output_dim(output);
  auto sample = [&](Index i) { return rows ? rows[i] : first + i; };
  try {
    loss.check_targets(batch_y, units);
  } catch (const std::invalid_argument& batch_error) {
    // Name the first invalid sample of y, as the check at the start of fit would have: the first
    // invalid row of the batch says how far into y to look. (The error path only: it may allocate.)
    std::string what = batch_error.what();
    Index bad = -1;
    for (Index i = 0; i < batch_y.rows() && bad < 0; ++i) {
      try {
        loss.check_targets(row_block(batch_y, i, i + 1), units);
      } catch (const std::invalid_argument&) {
        bad = sample(i);
      }
    }
    for (Index s = 0; s < bad; ++s) {
      try {
        loss.check_targets(row_block(y, s, s + 1), units);
      } catch (const std::invalid_argument&) {
        bad = s;
      }
    }
    if (bad >= 0) {
      try {
        loss.check_targets(row_block(y, 0, bad + 1), units);  // its rows are those of y
      } catch (const std::invalid_argument& error) {
        what = error.what();
      }
    }
    // With several outputs, the one whose targets changed, by the name Keras gives it (that of its
    // layer, which keys a dict of targets) and its place in a list of them.
    const std::string targets = model.output_count() > 1 ? "the targets of output '" + model.output_name(output) +
                                                              "' (y[" + std::to_string(output) + "])"
                                                        : std::string("y");
    throw std::invalid_argument(std::string(changed) + targets +
                                (bad >= 0 ? ", sample " + std::to_string(bad) : std::string()) + ": " + what);
  }
  if (!batch_weights) return;
  for (Index i = 0; i < batch_y.rows(); ++i)
    if (!(std::isfinite(batch_weights[i]) && batch_weights[i] >= 0))
      throw std::invalid_argument(std::string(changed) + "sample_weight[" + std::to_string(sample(i)) + "] is " +
                                  std::to_string(batch_weights[i]) + "; sample weights must be finite and >= 0");
}

template <class Scalar>
void ModelOf<Scalar>::recheck_batches(const DatasetsOf<Scalar>& data, const std::vector<ConstMatrixMapOf<Scalar>>& batch_y, const Scalar* weights,
                            const Index* rows, Index first) const {
  // Every trained output's targets (batch_checks.hpp); the weights, shared by the outputs, once.
  for (size_t o = 0; o < outputs_.size(); ++o)
    if (losses_[o]) {
      recheck_batch(*this, o, batch_y[o], weights, data.y[o], rows, first);
      weights = nullptr;
    }
}

template void recheck_batch(const ModelOf<float>&, size_t, ConstMatrixMapOf<float>, const float*, ConstMatrixMapOf<float>,
                            const Index*, Index);
template void recheck_batch(const ModelOf<double>&, size_t, ConstMatrixMapOf<double>, const double*,
                            ConstMatrixMapOf<double>, const Index*, Index);

// ModelOf's member defined here, for both scalar types.
template void ModelOf<float>::recheck_batches(const DatasetsOf<float>&, const std::vector<ConstMatrixMapOf<float>>&,
                                              const float*, const Index*, Index) const;
template void ModelOf<double>::recheck_batches(const DatasetsOf<double>&, const std::vector<ConstMatrixMapOf<double>>&,
                                               const double*, const Index*, Index) const;

}  // namespace fastmlp
