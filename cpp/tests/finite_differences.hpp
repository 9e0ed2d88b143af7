// Gradients against central finite differences of the loss, for the C++ tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "check.hpp"
#include "fastmlp/layer.hpp"

// Checks every entry of each parameter's gradient (filled by a training step at learning rate 0)
// against (loss(w + h) - loss(w - h)) / (2h), `loss_at` evaluating the model at its current weights;
// returns the largest |analytic - numeric|. Float32 forward passes: a step of 3e-3 balances rounding
// noise (~1e-7 / step) against the O(step²) truncation error of the central difference.
template <class LossAt>
double check_gradients(const std::vector<fastmlp::Parameter>& params, const LossAt& loss_at) {
  using fastmlp::Scalar;
  const Scalar step = 3e-3f;
  double worst = 0;
  for (const fastmlp::Parameter& p : params) {
    const fastmlp::RowMatrix analytic = *p.gradient;
    for (fastmlp::Index k = 0; k < p.value->size(); ++k) {
      Scalar& w = p.value->data()[k];
      const Scalar original = w;
      w = original + step;
      const Scalar up = w;  // the step as float32 rounds it
      const double loss_up = loss_at();
      w = original - step;
      const Scalar down = w;
      const double loss_down = loss_at();
      w = original;
      const double numeric = (loss_up - loss_down) / static_cast<double>(up - down);
      worst = std::max(worst, std::abs(analytic.data()[k] - numeric));
      CHECK_CLOSE(analytic.data()[k], numeric, 2e-4 + 1e-2 * std::abs(numeric));
    }
  }
  return worst;
}
