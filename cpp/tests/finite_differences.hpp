// Gradients against central finite differences of the loss, for the C++ tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "check.hpp"
#include "fastmlp/layer.hpp"

// Checks every entry of each parameter's gradient (filled by a training step at learning rate 0)
// against (loss(w + h) - loss(w - h)) / (2h), `loss_at` evaluating the model at its current weights;
// returns the largest |analytic - numeric|. The step balances rounding noise (epsilon / step) against
// the O(step²) truncation error of the central difference: 3e-3 in float32, 1e-5 in float64, where
// the gradients must then agree to about 1e-7 relative.
template <class Scalar, class LossAt>
double check_gradients(const std::vector<fastmlp::ParameterOf<Scalar>>& params, const LossAt& loss_at) {
  constexpr bool is_double = std::is_same_v<Scalar, double>;
  const Scalar step = is_double ? Scalar(1e-5) : Scalar(3e-3);
  const double absolute = is_double ? 1e-9 : 2e-4, relative = is_double ? 1e-7 : 1e-2;
  double worst = 0;
  for (const fastmlp::ParameterOf<Scalar>& p : params) {
    const fastmlp::RowMatrixOf<Scalar> analytic = *p.gradient;
    for (fastmlp::Index k = 0; k < p.value->size(); ++k) {
      Scalar& w = p.value->data()[k];
      const Scalar original = w;
      w = original + step;
      const Scalar up = w;  // the step as the scalar type rounds it
      const double loss_up = loss_at();
      w = original - step;
      const Scalar down = w;
      const double loss_down = loss_at();
      w = original;
      const double numeric = (loss_up - loss_down) / static_cast<double>(up - down);
      worst = std::max(worst, std::abs(analytic.data()[k] - numeric));
      CHECK_CLOSE(analytic.data()[k], numeric, absolute + relative * std::abs(numeric));
    }
  }
  return worst;
}
