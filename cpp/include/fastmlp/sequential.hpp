// Sequential: a stack of layers, each reading the previous one's output. It is a Model (model.hpp)
// whose graph is that chain: the same training loop, evaluation, inference and files.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "fastmlp/model.hpp"

namespace fastmlp {

template <class Scalar>
class SequentialOf : public ModelOf<Scalar> {
 public:
  explicit SequentialOf(std::uint64_t seed = 0x5eed);
  // A model read from a file or a config that holds a Sequential; throws std::invalid_argument for
  // a functional model.
  SequentialOf(ModelOf<Scalar>&& model);  // implicit, so that `Sequential model = load_model(path);` reads

  // add, pop, build (when it builds) and set_input_shape (to another shape) change the structure:
  // refused with std::invalid_argument while the model is in use (Model::hold_structure).
  void add(std::shared_ptr<LayerOf<Scalar>> layer);
  // add() for every layer of `layers`, in one change of the chain: each add() remakes the whole chain,
  // so n of them cost n^2/2 (8000 layers read from a Keras file took 8.9 s, 2000 took 0.9 s).
  void add_all(std::vector<std::shared_ptr<LayerOf<Scalar>>> layers);
  // Removes the last layer, as Keras's Sequential.pop(). The optimizer's slots follow the new set of
  // parameters at the next training step. Throws std::invalid_argument when there is no layer.
  void pop();

  // Builds every layer for inputs of width `input_dim`, initialising weights from the model's RNG.
  void build(Index input_dim);
  // Builds for the declared input shape (set_input_shape).
  void build();
  // Throws std::invalid_argument unless every dimension is >= 1 and, once built, their product is input_dim().
  void set_input_shape(std::vector<Index> shape);

  // Compiles with one loss and a list of metrics, as Keras's Sequential.compile.
  using ModelOf<Scalar>::compile;

  // A new, untrained model from the config a Sequential writes (Model::config: {"name", "input_shape"
  // (when known), "layers": [{"class_name", "config"}, ...]}), built when it has an input shape, every
  // layer's config validated as its constructor does; `before_build` as in Model::from_config.
  static SequentialOf<Scalar> from_config(const Config& config, std::uint64_t seed = 0x5eed,
                                         const typename ModelOf<Scalar>::BuildCheck& before_build = {});

 private:
  // set_chain, or on failure (a layer too large to build) the chain as it was.
  void change_chain(std::vector<std::shared_ptr<LayerOf<Scalar>>> layers, std::vector<Index> shape);
};

using Sequential = SequentialOf<float>;

extern template class SequentialOf<float>;
extern template class SequentialOf<double>;

}  // namespace fastmlp
