// A primitive of the traced graph: one operation with its shape rule, its forward computation and
// its gradient rule side by side, written once as templates for float and double.
//
// The set is small and closed (tinygrad's lesson: fewer primitives, fewer gradient rules to get
// wrong); fastmlp.ops lowers the rest of keras.ops onto it (mean of a batch, logsumexp, softmax,
// stack, one_hot, ...). Each family lives in its own file under cpp/src/graph/ (elementwise, reduce,
// shape, linalg, nn) and registers its primitives by name with FASTMLP_PRIMITIVE.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fastmlp/config.hpp"
#include "fastmlp/graph/dims.hpp"

namespace fastmlp::graph {

template <class Scalar>
struct TensorOf {
  Scalar* data = nullptr;
  Dims dims;
};

template <class Scalar>
struct ConstTensorOf {
  const Scalar* data = nullptr;
  Dims dims;
};

template <class Scalar>
class PrimitiveOf {
 public:
  virtual ~PrimitiveOf() = default;

  // The output's shape for inputs of these (symbolic or concrete) shapes; throws
  // std::invalid_argument saying what does not fit. Called when a graph is traced or read from a
  // file, never while it runs.
  virtual Dims output_shape(const std::vector<Dims>& inputs) const = 0;
  // Whether a gradient flows to input `input` (comparisons, where's condition, floor: none).
  virtual bool differentiable(size_t /*input*/) const { return true; }
  // Elements of working memory the graph reserves for this node, for the largest output.
  virtual Index scratch_size(const std::vector<Dims>& /*inputs*/, const Dims& /*output*/) const { return 0; }

  // out = op(inputs), overwriting out.
  virtual void forward(const ConstTensorOf<Scalar>* inputs, TensorOf<Scalar> out, Scalar* scratch) const = 0;
  // Adds dL/d input_i to grads[i] for every i whose grads[i].data is not null (the graph zeroes
  // gradient buffers once per pass, so a node feeding several others accumulates).
  virtual void backward(const ConstTensorOf<Scalar>* inputs, ConstTensorOf<Scalar> out,
                        ConstTensorOf<Scalar> grad_out, TensorOf<Scalar>* grads, Scalar* scratch) const = 0;
};

template <class Scalar>
using PrimitivePtrOf = std::shared_ptr<const PrimitiveOf<Scalar>>;

// The primitive called `name` with attributes `attrs` ({"axes": [1], "keepdims": false}); throws
// ConfigError for an unknown name or attribute.
template <class Scalar>
PrimitivePtrOf<Scalar> make_primitive(const std::string& name, const Config& attrs);

// The names of every registered primitive.
std::vector<std::string> primitive_names();

template <class Scalar>
using PrimitiveFactoryOf = PrimitivePtrOf<Scalar> (*)(const Config& attrs);
template <class Scalar>
std::map<std::string, PrimitiveFactoryOf<Scalar>>& primitive_table();

// Registers the class template P (P<float>, P<double>, each constructible from its attributes).
template <template <class> class P>
struct PrimitiveRegistration {
  template <class Scalar>
  static PrimitivePtrOf<Scalar> make(const Config& attrs) {
    return std::make_shared<const P<Scalar>>(attrs);
  }
  explicit PrimitiveRegistration(const char* name) {
    primitive_table<float>()[name] = &make<float>;
    primitive_table<double>()[name] = &make<double>;
  }
};

#define FASTMLP_PRIMITIVE_NAME2(line) fastmlp_primitive_##line
#define FASTMLP_PRIMITIVE_NAME(line) FASTMLP_PRIMITIVE_NAME2(line)
#define FASTMLP_PRIMITIVE(Template, name) \
  static const ::fastmlp::graph::PrimitiveRegistration<Template> FASTMLP_PRIMITIVE_NAME(__COUNTER__){name}

// Reads attributes, refusing any it does not know: each primitive's constructor takes what it needs.
class Attributes {
 public:
  Attributes(const Config& attrs, std::string op);
  const Config* find(const char* key);
  const Config& at(const char* key);
  double number(const char* key);
  bool flag(const char* key, bool fallback);
  std::vector<Index> integers(const char* key);
  const std::string& op() const { return op_; }
  // Throws ConfigError naming a member nothing read.
  void done() const;

 private:
  const Config& attrs_;
  std::string op_;
  std::vector<std::string> read_;
};

}  // namespace fastmlp::graph
