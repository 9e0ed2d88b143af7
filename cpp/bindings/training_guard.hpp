// Refuses to change a model, or to train it a second time, while it is being trained.
//
// fit() and train_on_batch() run with the GIL released and call back into Python between batches.
// From such a callback (or from another thread) a user can reach the same model, its optimizer or a
// layer it shares with another model. A second fit, train_on_batch, compile, add or build there would
// resize batch buffers, rebuild optimizer slots or replace the optimizer under the running loop: a
// use-after-free or a buffer overflow, not an exception. So training marks the model, its optimizer
// and its layers busy for its duration, and those calls check the marks first and raise ValueError.
// predict() and evaluate() only read weights and use their own buffers, so they stay allowed.
#pragma once

#include <pybind11/pybind11.h>

#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "fastmlp/layers/model_layer.hpp"
#include "fastmlp/model.hpp"

namespace fastmlp::bindings {

class TrainingGuard {
 public:
  // Marks `model`, its optimizer and its layers busy (and, for a model used as a layer, that model
  // and its layers), or throws if any of them already is.
  template <class Scalar>
  TrainingGuard(const ModelOf<Scalar>& model, const char* caller) {
    objects_.push_back(&model);
    if (model.optimizer()) objects_.push_back(model.optimizer().get());
    add_layers(model);
    std::lock_guard<std::mutex> lock(mutex());
    for (const void* object : objects_)
      if (busy().count(object)) throw pybind11::value_error(message(object == &model, caller));
    busy().insert(objects_.begin(), objects_.end());
  }
  ~TrainingGuard() {
    std::lock_guard<std::mutex> lock(mutex());
    for (const void* object : objects_) busy().erase(object);
  }
  TrainingGuard(const TrainingGuard&) = delete;
  TrainingGuard& operator=(const TrainingGuard&) = delete;

  // For calls that change the model's structure or compile state without training it.
  template <class Scalar>
  static void require_idle(const ModelOf<Scalar>& model, const char* caller) {
    std::lock_guard<std::mutex> lock(mutex());
    if (busy().count(&model)) throw pybind11::value_error(message(true, caller));
  }

 private:
  template <class Scalar>
  void add_layers(const ModelOf<Scalar>& model) {
    for (const auto& layer : model.layers()) {
      objects_.push_back(layer.get());
      if (const auto* nested = dynamic_cast<const ModelLayerOf<Scalar>*>(layer.get())) {
        objects_.push_back(nested->model().get());
        add_layers(*nested->model());
      }
    }
  }

  static std::string message(bool same_model, const char* caller) {
    return std::string(caller) + "() cannot run while " +
           (same_model ? "this model" : "a model sharing this model's optimizer or layers") +
           " is being trained (this call came from a callback of that fit or train_on_batch, or from "
           "another thread); call it after that training returns";
  }
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static std::unordered_set<const void*>& busy() {
    static std::unordered_set<const void*> objects;
    return objects;
  }

  std::vector<const void*> objects_;
};

}  // namespace fastmlp::bindings
