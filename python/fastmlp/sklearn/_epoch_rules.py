"""What scikit-learn's MLP does between epochs, as a fastmlp callback: record the loss, move the learning
rate ('invscaling', 'adaptive'), count epochs without improvement (training loss, or validation score
with early stopping) and stop training when scikit-learn would."""

from fastmlp.callbacks import Callback

# scikit-learn's SGD gives up dividing an 'adaptive' learning rate once it is this small.
_SMALLEST_ADAPTIVE_RATE = 1e-6


class EpochRules(Callback):
    """Keeps the estimator's sklearn bookkeeping (loss_curve_, n_iter_, t_, best_loss_, ...) up to date.

    Args:
        estimator: the MLP estimator being fitted; its attributes are read and updated here.
        n_samples: training rows per epoch (scikit-learn's ``t_`` counts samples seen).
        validation: ``(x_val, y_val, sample_weight_val or None)`` for early stopping, else None.
    """

    def __init__(self, estimator, n_samples, validation=None):
        super().__init__()
        self.estimator = estimator
        self.n_samples = n_samples
        self.validation = validation
        self.converged = False

    def on_epoch_end(self, epoch, logs=None):
        est = self.estimator
        est.loss_ = est._sklearn_loss(float(logs["loss"]))  # the core reports Keras's loss
        est.loss_curve_.append(est.loss_)
        est.n_iter_ += 1
        est.t_ += self.n_samples
        if est.verbose:
            print(f"Iteration {est.n_iter_}, loss = {est.loss_:.8f}")
        self._count_epochs_without_improvement(est)
        if est.solver == "sgd" and est.learning_rate == "invscaling":
            est._set_learning_rate(est.learning_rate_init / (est.t_ + 1) ** est.power_t)
        if est._no_improvement_count > est.n_iter_no_change:
            if self._give_up(est):
                self.converged = True
                self.model.stop_training = True
            else:
                est._no_improvement_count = 0

    def _count_epochs_without_improvement(self, est):
        if self.validation is not None:
            score = est._validation_score(*self.validation)
            est.validation_scores_.append(score)
            if est.verbose:
                print(f"Validation score: {score:.6f}")
            est._no_improvement_count = (est._no_improvement_count + 1
                                         if score < est.best_validation_score_ + est.tol else 0)
            if score > est.best_validation_score_:
                est.best_validation_score_ = score
                est._best_weights = self.model.get_weights()
        else:
            est._no_improvement_count = (est._no_improvement_count + 1
                                         if est.loss_ > est.best_loss_ - est.tol else 0)
            est.best_loss_ = min(est.best_loss_, est.loss_)

    def _give_up(self, est):
        """True to stop; an 'adaptive' SGD first divides its rate by 5, as scikit-learn's does."""
        what = "Validation score" if self.validation is not None else "Training loss"
        adaptive = est.solver == "sgd" and est.learning_rate == "adaptive"
        if adaptive and est._current_learning_rate > _SMALLEST_ADAPTIVE_RATE:
            est._set_learning_rate(est._current_learning_rate / 5.0)
            if est.verbose:
                print(f"Setting learning rate to {est._current_learning_rate:f}")
            return False
        if est.verbose:
            print(f"{what} did not improve more than tol={est.tol:f} for {est.n_iter_no_change} "
                  "consecutive epochs. Stopping.")
        return True
