// Weight initializers with Keras's names, formulas, defaults and seeds.
//
// Each is a class under cpp/src/initializers/, registered under Keras's class name ("GlorotUniform")
// and its function name ("glorot_uniform"). An unseeded initializer draws from the model's generator,
// so one seed fixes every weight; a seeded one draws the same values at every call, as in Keras 3.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "fastmlp/registry.hpp"
#include "fastmlp/types.hpp"

namespace fastmlp {

class Initializer : public Configurable {
 public:
  using Base = Initializer;
  static constexpr const char* kKind = "initializer";

  // Fills `values` for a tensor whose fans are fan_in and fan_out, as Keras computes them from its
  // shape: (inputs, units) for a kernel, (length, length) for a vector. Draws from `rng` unless the
  // initializer has a seed of its own. The random initializers draw in double and round to the
  // tensor's type, so a float tensor gets the same values from the same generator as a double one,
  // rounded. Instantiated for float and double.
  template <class Scalar>
  void fill(RowMatrixOf<Scalar>& values, Index fan_in, Index fan_out, Rng& rng) const;

 protected:
  virtual std::optional<std::int64_t> seed() const { return std::nullopt; }
  // A virtual function cannot be a template, so draw is declared once per scalar type; an
  // initializer writes it once, as the template draw_of, and InitializerImpl forwards both to it.
  virtual void draw(RowMatrixOf<float>& values, Index fan_in, Index fan_out, Rng& rng) const = 0;
  virtual void draw(RowMatrixOf<double>& values, Index fan_in, Index fan_out, Rng& rng) const = 0;
};

// What an initializer derives from (through Described): it gives the per-scalar draws by calling
// Derived's template draw_of, which therefore is public.
template <class Derived>
class InitializerImpl : public Initializer {
 protected:
  void draw(RowMatrixOf<float>& values, Index fan_in, Index fan_out, Rng& rng) const override {
    self().draw_of(values, fan_in, fan_out, rng);
  }
  void draw(RowMatrixOf<double>& values, Index fan_in, Index fan_out, Rng& rng) const override {
    self().draw_of(values, fan_in, fan_out, rng);
  }

 private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
};

using InitializerPtr = std::shared_ptr<const Initializer>;

// An initializer by name ("glorot_uniform", "HeNormal", ...) with parameters from `config`; throws
// ConfigError listing the valid names or naming a bad parameter.
InitializerPtr make_initializer(const std::string& name, const Config& config = {});

// The options of the initializers that draw random numbers: a seed, or none to draw from the model.
struct SeedOption {
  std::optional<std::int64_t> seed;

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("seed", self.seed);
  }
};

}  // namespace fastmlp
