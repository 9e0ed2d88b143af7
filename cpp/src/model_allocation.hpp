// [issue 13] Where a model allocates (building layers, sizing buffers, the optimizer's state): a
// failed allocation becomes an OutOfMemory (MemoryError in Python) that names what needed memory
// and how much, instead of a bare std::bad_alloc. Internal; the model's code calls these.
#pragma once

#include <string>

#include "fastmlp/layer.hpp"
#include "fastmlp/memory.hpp"
#include "fastmlp/optimizer.hpp"

namespace fastmlp {

// Runs a layer's build or buffer sizing (`doing`: "build", "size the training buffers of"); a
// failed allocation becomes an OutOfMemory naming the layer, its input width and, as the layer
// said or at least, the bytes it needed: Dense(2**40) gave a bare std::bad_alloc.
template <class Scalar, class Allocate>
void allocate_for(const LayerOf<Scalar>& layer, Index width, const char* doing, Allocate&& allocate) {
  const auto label = [&] {
    return std::string("cannot ") + doing + " " + layer.class_name() + " layer" +
           (layer.name().empty() ? "" : " '" + layer.name() + "'") + " for " + std::to_string(width) + " inputs: ";
  };
  try {
    allocate();
  } catch (const OutOfMemory& error) {
    throw OutOfMemory(label() + error.what());
  } catch (const std::bad_alloc&) {
    throw OutOfMemory(label() + "not enough memory; it needs more than " +
                      byte_count(sizeof(Scalar) * static_cast<double>(width)) + ", " +
                      std::to_string(sizeof(Scalar)) + " per input");
  }
}

// The optimizer's state (its slots, such as Adam's moments) for `params`, unless it has it.
template <class Scalar>
void build_optimizer(Optimizer& optimizer, const std::vector<ParameterOf<Scalar>>& params);

// The message for predict's output of (rows, columns) that could not be allocated.
template <class Scalar>
std::string output_allocation_message(Index rows, Index columns);

// The message for `buffers` inference buffers of (chunk, widest) that could not be allocated.
template <class Scalar>
std::string inference_buffers_message(const char* caller, Index chunk, Index widest, int buffers);

}  // namespace fastmlp
