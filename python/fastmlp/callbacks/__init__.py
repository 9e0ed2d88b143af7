"""Keras 3's callbacks: hooks that fit, evaluate and predict call between epochs and batches.

    model.fit(x, y, validation_split=0.2, epochs=100,
              callbacks=[fastmlp.callbacks.EarlyStopping(patience=5, restore_best_weights=True)])

Names, arguments, defaults and behaviour follow Keras 3. The training loop runs in C++ and calls
back into Python only when something needs it: at every epoch, and at every batch only when a
callback overrides a batch hook (``on_train_batch_begin``/``on_train_batch_end`` or their aliases
``on_batch_begin``/``on_batch_end``). The progress bar alone is updated a few times per second.
"""

from fastmlp._progbar import Progbar
from fastmlp.callbacks.callback import Callback
from fastmlp.callbacks.callback_list import CallbackList
from fastmlp.callbacks.csv_logger import CSVLogger
from fastmlp.callbacks.early_stopping import EarlyStopping
from fastmlp.callbacks.history import History
from fastmlp.callbacks.lambda_callback import LambdaCallback
from fastmlp.callbacks.learning_rate_scheduler import LearningRateScheduler
from fastmlp.callbacks.model_checkpoint import ModelCheckpoint
from fastmlp.callbacks.progbar_logger import ProgbarLogger
from fastmlp.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from fastmlp.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = ["Callback", "CallbackList", "CSVLogger", "EarlyStopping", "History", "LambdaCallback",
           "LearningRateScheduler", "ModelCheckpoint", "ProgbarLogger", "ReduceLROnPlateau", "TerminateOnNaN",
           "Progbar"]
