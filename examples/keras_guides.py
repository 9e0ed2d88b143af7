"""Keras's guides, as their dense parts are written, running on fastmlp with only the import changed:

    import keras                # Keras
    import fastmlp as keras     # fastmlp

"The Functional API", "The Sequential model", "Training & evaluation with built-in methods" and
"Writing your own callbacks", on scikit-learn's 8x8 digits (a small stand-in for MNIST that needs no
download). Each part prints what the guide prints; the results end up in RESULTS (and results.json),
which tests/test_keras_guides.py compares with what Keras itself gets from this same script.
"""

import json

import numpy as np
from sklearn.datasets import load_digits

import fastmlp as keras
from fastmlp import layers, ops

keras.utils.set_random_seed(1337)
RESULTS = {}

digits = load_digits()
x = (digits.data / 16.0).astype("float32")
y = digits.target.astype("int64")
x_train, y_train, x_test, y_test = x[:1400], y[:1400], x[1400:], y[1400:]

# ---- The Functional API ------------------------------------------------------------------------------
inputs = keras.Input(shape=(64,))
dense = layers.Dense(64, activation="relu")
x_ = dense(inputs)
x_ = layers.Dense(64, activation="relu")(x_)
outputs = layers.Dense(10)(x_)
model = keras.Model(inputs=inputs, outputs=outputs, name="digits_model")
model.summary()
model.compile(
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    optimizer=keras.optimizers.RMSprop(),
    metrics=["accuracy"],
)
history = model.fit(x_train, y_train, batch_size=64, epochs=20, validation_split=0.2, verbose=0)
test_scores = model.evaluate(x_test, y_test, verbose=2)
print("Test loss:", test_scores[0])
print("Test accuracy:", test_scores[1])
RESULTS["functional_test_accuracy"] = float(test_scores[1])

model.save("digits_model.keras")
del model
model = keras.models.load_model("digits_model.keras")
RESULTS["reloaded_test_accuracy"] = float(model.evaluate(x_test, y_test, verbose=0)[1])

# All models are callable, just like layers: an autoencoder of dense encoder and decoder models.
encoder_input = keras.Input(shape=(64,), name="original")
encoder_output = layers.Dense(16, activation="relu")(encoder_input)
encoder = keras.Model(encoder_input, encoder_output, name="encoder")
decoder_input = keras.Input(shape=(16,), name="encoded")
decoder_output = layers.Dense(64, activation="sigmoid")(decoder_input)
decoder = keras.Model(decoder_input, decoder_output, name="decoder")
autoencoder_input = keras.Input(shape=(64,), name="digit")
autoencoder = keras.Model(autoencoder_input, decoder(encoder(autoencoder_input)), name="autoencoder")
autoencoder.summary()
autoencoder.compile(optimizer="adam", loss="mse")
autoencoder.fit(x_train, x_train, epochs=20, batch_size=32, verbose=0)
RESULTS["autoencoder_mse"] = float(autoencoder.evaluate(x_test, x_test, verbose=0))


# Ensembling: models averaged by a merge layer.
def get_model():
    inputs = keras.Input(shape=(64,))
    outputs = layers.Dense(1)(inputs)
    return keras.Model(inputs, outputs)


model1, model2, model3 = get_model(), get_model(), get_model()
inputs = keras.Input(shape=(64,))
outputs = layers.average([model1(inputs), model2(inputs), model3(inputs)])
ensemble_model = keras.Model(inputs=inputs, outputs=outputs)
RESULTS["ensemble_params"] = ensemble_model.count_params()

# Several inputs and outputs (the guide's ticket classifier, with dense features for its text).
num_tags, num_departments = 12, 4
title_input = keras.Input(shape=(32,), name="title")
body_input = keras.Input(shape=(32,), name="body")
tags_input = keras.Input(shape=(num_tags,), name="tags")
title_features = layers.Dense(16, activation="relu")(title_input)
body_features = layers.Dense(16, activation="relu")(body_input)
features = layers.concatenate([title_features, body_features, tags_input])
priority_pred = layers.Dense(1, name="priority")(features)
department_pred = layers.Dense(num_departments, name="department")(features)
tickets = keras.Model(inputs=[title_input, body_input, tags_input],
                      outputs={"priority": priority_pred, "department": department_pred})
tickets.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss={"priority": keras.losses.BinaryCrossentropy(from_logits=True),
          "department": keras.losses.CategoricalCrossentropy(from_logits=True)},
    loss_weights={"priority": 1.0, "department": 0.2},
)
rng = np.random.default_rng(0)
title_data = rng.random((1280, 32)).astype("float32")
body_data = rng.random((1280, 32)).astype("float32")
tags_data = rng.integers(0, 2, size=(1280, num_tags)).astype("float32")
priority_targets = (title_data[:, :1] > 0.5).astype("float32")
department_targets = np.eye(num_departments, dtype="float32")[(body_data[:, 0] * num_departments).astype(int)]
ticket_history = tickets.fit({"title": title_data, "body": body_data, "tags": tags_data},
                             {"priority": priority_targets, "department": department_targets},
                             epochs=5, batch_size=32, verbose=0)
RESULTS["ticket_history_keys"] = sorted(ticket_history.history)
RESULTS["ticket_final_loss"] = float(ticket_history.history["loss"][-1])

# Shared layers: one Dense applied to two inputs.
shared_dense = layers.Dense(8)
text_input_a = keras.Input(shape=(16,))
text_input_b = keras.Input(shape=(16,))
shared = keras.Model([text_input_a, text_input_b],
                     layers.concatenate([shared_dense(text_input_a), shared_dense(text_input_b)]))
RESULTS["shared_params"] = shared.count_params()

# ---- The Sequential model ----------------------------------------------------------------------------
model = keras.Sequential([
    layers.Dense(2, activation="relu", name="layer1"),
    layers.Dense(3, activation="relu", name="layer2"),
    layers.Dense(4, name="layer3"),
])
x3 = ops.ones((3, 3))
y3 = model(x3)
RESULTS["sequential_call_shape"] = list(ops.convert_to_numpy(y3).shape)
model.pop()
RESULTS["layers_after_pop"] = len(model.layers)
layer = layers.Dense(3)
RESULTS["weights_before_call"] = len(layer.weights)
layer(ops.ones((1, 4)))
RESULTS["weights_after_call"] = [list(w.shape) for w in layer.weights]
model = keras.Sequential()
model.add(keras.Input(shape=(64,)))
model.add(layers.Dense(32, activation="relu"))
model.add(layers.Dense(32, activation="relu"))
model.add(layers.Dense(10))
feature_extractor = keras.Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers])
features = feature_extractor(ops.convert_to_tensor(x_test[:5]))
RESULTS["feature_shapes"] = [list(ops.convert_to_numpy(f).shape) for f in features]
for layer in model.layers[:-1]:  # transfer learning: freeze all but the last layer
    layer.trainable = False
RESULTS["trainable_after_freeze"] = len(model.trainable_weights)


# ---- Training & evaluation with built-in methods -------------------------------------------------------
def get_uncompiled_model():
    inputs = keras.Input(shape=(64,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def get_compiled_model():
    model = get_uncompiled_model()
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    return model


x_val, y_val = x_train[-200:], y_train[-200:]
x_fit, y_fit = x_train[:-200], y_train[:-200]
model = get_compiled_model()
history = model.fit(x_fit, y_fit, batch_size=64, epochs=15, validation_data=(x_val, y_val), verbose=0)
RESULTS["history_keys"] = sorted(history.history)
results = model.evaluate(x_test, y_test, batch_size=128, verbose=0)
print("test loss, test acc:", results)
predictions = model.predict(x_test[:3], verbose=0)
print("predictions shape:", predictions.shape)
RESULTS["builtin_test_accuracy"] = float(results[1])

class_weight = {i: 1.0 for i in range(10)}
class_weight[5] = 2.0
model = get_compiled_model()
model.fit(x_fit, y_fit, class_weight=class_weight, batch_size=64, epochs=5, verbose=0)
sample_weight = np.ones(shape=(len(y_fit),))
sample_weight[y_fit == 5] = 2.0
model = get_compiled_model()
model.fit(x_fit, y_fit, sample_weight=sample_weight, batch_size=64, epochs=5, verbose=0)

model = get_compiled_model()
callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=1e-2, patience=2, verbose=1)]
history = model.fit(x_fit, y_fit, epochs=40, batch_size=64, callbacks=callbacks, validation_split=0.2, verbose=0)
RESULTS["early_stopping_epochs"] = len(history.history["loss"])

lr_schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=100000, decay_rate=0.96, staircase=True)
optimizer = keras.optimizers.SGD(learning_rate=lr_schedule)


# ---- Writing your own callbacks ------------------------------------------------------------------------
def get_model():
    model = keras.Sequential()
    model.add(layers.Dense(1))
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.1), loss="mean_squared_error",
                  metrics=["mean_absolute_error"])
    return model


regression_x, regression_y = x_train[:1000], y_train[:1000].astype("float32")
SEEN = []


class CustomCallback(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        SEEN.append(("on_train_begin", sorted(logs.keys())))

    def on_epoch_end(self, epoch, logs=None):
        SEEN.append(("on_epoch_end", sorted(logs.keys())))

    def on_test_begin(self, logs=None):
        SEEN.append(("on_test_begin", sorted(logs.keys())))

    def on_test_batch_end(self, batch, logs=None):
        SEEN.append(("on_test_batch_end", sorted(logs.keys())))

    def on_predict_batch_end(self, batch, logs=None):
        SEEN.append(("on_predict_batch_end", sorted(logs.keys())))


model = get_model()
model.fit(regression_x, regression_y, batch_size=128, epochs=1, verbose=0, validation_split=0.5,
          callbacks=[CustomCallback()])
model.evaluate(x_test, y_test.astype("float32"), batch_size=128, verbose=0, callbacks=[CustomCallback()])
model.predict(x_test, batch_size=128, callbacks=[CustomCallback()], verbose=0)
RESULTS["hooks_seen"] = sorted({f"{hook}:{','.join(keys)}" for hook, keys in SEEN})


class LossAndErrorPrintingCallback(keras.callbacks.Callback):
    def on_test_batch_end(self, batch, logs=None):
        print(f"Up to batch {batch}, the average loss is {logs['loss']:7.2f}.")

    def on_epoch_end(self, epoch, logs=None):
        print(f"The average loss for epoch {epoch} is {logs['loss']:7.2f} "
              f"and mean absolute error is {logs['mean_absolute_error']:7.2f}.")


model = get_model()
history = model.fit(regression_x, regression_y, batch_size=128, epochs=3, verbose=0,
                    callbacks=[LossAndErrorPrintingCallback()])
model.evaluate(x_test, y_test.astype("float32"), batch_size=128, verbose=0,
               callbacks=[LossAndErrorPrintingCallback()])


class EarlyStoppingAtMinLoss(keras.callbacks.Callback):
    def __init__(self, patience=0):
        super().__init__()
        self.patience = patience
        self.best_weights = None

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = np.inf

    def on_epoch_end(self, epoch, logs=None):
        current = logs.get("loss")
        if np.less(current, self.best):
            self.best = current
            self.wait = 0
            self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                self.model.stop_training = True
                self.model.set_weights(self.best_weights)


class CustomLearningRateScheduler(keras.callbacks.Callback):
    def __init__(self, schedule):
        super().__init__()
        self.schedule = schedule

    def on_epoch_begin(self, epoch, logs=None):
        lr = self.model.optimizer.learning_rate
        self.model.optimizer.learning_rate = self.schedule(epoch, float(ops.convert_to_numpy(lr)))


def lr_schedule(epoch, lr):
    return lr if epoch < 3 else lr * 0.5


model = get_model()
model.fit(regression_x, regression_y, batch_size=64, epochs=10, verbose=0,
          callbacks=[EarlyStoppingAtMinLoss(patience=2), CustomLearningRateScheduler(lr_schedule)])
RESULTS["regression_mae"] = float(model.evaluate(x_test, y_test.astype("float32"), verbose=0)[1])
RESULTS["final_learning_rate"] = float(ops.convert_to_numpy(model.optimizer.learning_rate))

with open("results.json", "w") as file:
    json.dump(RESULTS, file, indent=1)
print(json.dumps(RESULTS))
