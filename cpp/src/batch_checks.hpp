// [issue 13] The check of each training batch where it is gathered. Internal; the training loop
// calls Model::recheck_batches (defined with it in batch_checks.cpp) once per batch, which runs it
// for each output that has a loss.
#pragma once

#include "fastmlp/model.hpp"

namespace fastmlp {

// fit() checks y and the sample weights when it starts, but reads them in place, and a callback or
// another thread may rewrite them while it runs: a sparse label rewritten to 1e6 made the loss
// write far past its row (SIGSEGV); one rewritten to the class count trained on garbage. So each
// batch's targets and weights are checked again where the batch is taken, before anything reads
// them (one pass over the batch's targets; nothing allocated unless it fails). Row i of `batch_y`
// (and batch_weights[i], when given) is sample `rows[i]` of `y`, or sample first + i when `rows` is
// null. `y` is the targets of output `output` of `model`. Throws std::invalid_argument naming the
// output (with several) and the first invalid sample of y.
template <class Scalar>
void recheck_batch(const ModelOf<Scalar>& model, size_t output, ConstMatrixMapOf<Scalar> batch_y, const Scalar* batch_weights,
                   ConstMatrixMapOf<Scalar> y, const Index* rows, Index first = 0);

}  // namespace fastmlp
