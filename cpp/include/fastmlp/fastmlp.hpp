// fastmlp: dense neural networks on the CPU. Include this one header to use the whole library.
//
// Activations, losses, optimizers, schedules, initializers, regularizers and metrics are created by
// name with their parameters as a Config (make_activation("relu", {{"max_value", 6.0}}),
// make_optimizer("adam", {{"learning_rate", 0.01}}), ...), as Keras creates them from strings and
// configs; layers also have typed constructors.
#pragma once

#include "fastmlp/activation.hpp"
#include "fastmlp/communicator.hpp"
#include "fastmlp/config.hpp"
#include "fastmlp/constraint.hpp"
#include "fastmlp/data_parallel.hpp"
#include "fastmlp/generator_state.hpp"
#include "fastmlp/graph/graph.hpp"
#include "fastmlp/initializer.hpp"
#include "fastmlp/layer.hpp"
#include "fastmlp/layers/activation_layer.hpp"
#include "fastmlp/layers/batch_normalization.hpp"
#include "fastmlp/layers/dense.hpp"
#include "fastmlp/layers/dropout.hpp"
#include "fastmlp/layers/flatten.hpp"
#include "fastmlp/layers/gaussian_noise.hpp"
#include "fastmlp/layers/layer_normalization.hpp"
#include "fastmlp/layers/merge.hpp"
#include "fastmlp/layers/model_layer.hpp"
#include "fastmlp/layers/prelu.hpp"
#include "fastmlp/layers/traced_layer.hpp"
#include "fastmlp/lbfgs.hpp"
#include "fastmlp/logs.hpp"
#include "fastmlp/loss.hpp"
#include "fastmlp/memory.hpp"
#include "fastmlp/metric.hpp"
#include "fastmlp/model.hpp"
#include "fastmlp/model_lock.hpp"
#include "fastmlp/optimizer.hpp"
#include "fastmlp/parallel.hpp"
#include "fastmlp/registry.hpp"
#include "fastmlp/regularizer.hpp"
#include "fastmlp/schedule.hpp"
#include "fastmlp/sequential.hpp"
#include "fastmlp/types.hpp"
