// Rescaling(scale, offset=0.0): x * scale + offset, as Keras's preprocessing layer (pixels in
// [0, 255] to [0, 1] with scale=1/255), with its gradient dX = scale dY. Each of scale and offset is a
// number or, as Keras allows, a list of one per feature.
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "fastmlp/layers/elementwise_layer.hpp"

namespace fastmlp {
namespace {

// A number for every feature, or a list of one per feature; written back in the form it was given.
struct PerFeature {
  std::vector<double> values{0.0};
  bool per_feature = false;

  PerFeature() = default;
  explicit PerFeature(double value) : values{value} {}

  Config to_config() const {
    if (!per_feature) return Config(values.front());
    Config::Array items;
    for (double value : values) items.emplace_back(value);
    return items;
  }
  static PerFeature from_config(const Config& config, const std::string& what) {
    PerFeature result;
    if (!config.is_array()) {
      result.values = {config.as_number(what)};
      return result;
    }
    const Config::Array& items = config.as_array(what);
    if (items.empty()) throw ConfigError(what + " must be a number or a list of one number per feature");
    result.per_feature = true;
    result.values.clear();
    for (size_t i = 0; i < items.size(); ++i) result.values.push_back(items[i].as_number(what + "[" + std::to_string(i) + "]"));
    return result;
  }
};

struct RescalingOptions {
  PerFeature scale{1.0};
  PerFeature offset{0.0};

  template <class Self, class Visit>
  static void fields(Self& self, Visit& visit) {
    visit("scale", self.scale, options::required);
    visit("offset", self.offset);
  }
};

template <class Scalar>
class RescalingOf : public Described<RescalingOf<Scalar>, ElementwiseLayerOf<Scalar>, RescalingOptions> {
  using DescribedBase = Described<RescalingOf<Scalar>, ElementwiseLayerOf<Scalar>, RescalingOptions>;
  using DescribedBase::grad_input_;
  using DescribedBase::no_grad_input;
  using DescribedBase::options_;
  using DescribedBase::output_;
  using DescribedBase::width_;

 public:
  static constexpr const char* kClassName = "Rescaling";
  explicit RescalingOf(const RescalingOptions& options) : DescribedBase(options) {
    for (const PerFeature* values : {&options.scale, &options.offset})
      for (double value : values->values)
        if (!std::isfinite(value)) throw std::invalid_argument("Rescaling scale and offset must be finite numbers");
  }

  ConstMatrixMapOf<Scalar> forward(ConstMatrixMapOf<Scalar> input, bool /*training*/) override {
    MatrixMapOf<Scalar> output = top_rows(output_, input.rows());
    infer(input, output);
    return as_const_map(output);
  }
  ConstMatrixMapOf<Scalar> backward(ConstMatrixMapOf<Scalar> input, ConstMatrixMapOf<Scalar> grad, GradientAt,
                                    bool need_grad_input) override {
    if (!need_grad_input) return no_grad_input();
    MatrixMapOf<Scalar> grad_input = top_rows(grad_input_, input.rows());
    if (options_.scale.per_feature)
      grad_input.array() = grad.array().rowwise() * scale_.array();  // dX = scale dY
    else
      grad_input = static_cast<Scalar>(options_.scale.values.front()) * grad;
    return as_const_map(grad_input);
  }
  void infer(ConstMatrixMapOf<Scalar> input, MatrixMapOf<Scalar> output) const override {
    if (options_.scale.per_feature)
      output.array() = input.array().rowwise() * scale_.array();
    else
      output.array() = input.array() * static_cast<Scalar>(options_.scale.values.front());
    if (options_.offset.per_feature)
      output.array().rowwise() += offset_.array();
    else
      output.array() += static_cast<Scalar>(options_.offset.values.front());
  }

 protected:
  // A list must have one value per feature. Only lists are kept as rows (as long as the config's own
  // lists), so that building for any width allocates nothing out of proportion to the config.
  void on_build(Rng& /*rng*/) override {
    scale_ = per_feature(options_.scale, "scale");
    offset_ = per_feature(options_.offset, "offset");
  }

 private:
  RowVectorOf<Scalar> per_feature(const PerFeature& values, const char* name) const {
    if (!values.per_feature) return {};
    if (static_cast<Index>(values.values.size()) != width_)
      throw std::invalid_argument("Rescaling " + std::string(name) + " lists " + std::to_string(values.values.size()) +
                                  " values for inputs of " + std::to_string(width_) + " features");
    RowVectorOf<Scalar> row(width_);
    for (Index i = 0; i < width_; ++i) row(i) = static_cast<Scalar>(values.values[static_cast<size_t>(i)]);
    return row;
  }

  RowVectorOf<Scalar> scale_;   // (1, width) for a list of scales, else empty
  RowVectorOf<Scalar> offset_;  // (1, width) for a list of offsets, else empty
};

FASTMLP_REGISTER(RescalingOf<float>);
FASTMLP_REGISTER(RescalingOf<double>);

}  // namespace
}  // namespace fastmlp
