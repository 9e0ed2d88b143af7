// fastmlp: dense neural networks on the CPU. Include this one header to use the whole library.
#pragma once

#include "fastmlp/activation_layer.hpp"
#include "fastmlp/activations.hpp"
#include "fastmlp/batch_normalization.hpp"
#include "fastmlp/dense.hpp"
#include "fastmlp/dropout.hpp"
#include "fastmlp/initializers.hpp"
#include "fastmlp/layer.hpp"
#include "fastmlp/losses.hpp"
#include "fastmlp/metrics.hpp"
#include "fastmlp/optimizers.hpp"
#include "fastmlp/parallel.hpp"
#include "fastmlp/prelu.hpp"
#include "fastmlp/regularizers.hpp"
#include "fastmlp/schedules.hpp"
#include "fastmlp/sequential.hpp"
#include "fastmlp/types.hpp"
