"""A Keras script that runs on fastmlp unchanged: only the import differs.

    from tensorflow import keras      # Keras
    import fastmlp as keras           # fastmlp

It classifies scikit-learn's 8x8 digits with a Sequential of Dense and Dropout layers, RMSprop,
categorical cross-entropy, class weights, a validation set and early stopping, then plots the
training history to history.png.
"""

import matplotlib

matplotlib.use("Agg")  # write files, open no windows

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import fastmlp as keras

keras.utils.set_random_seed(42)

digits = load_digits()
x = (digits.data / 16.0).astype("float32")
y = keras.utils.to_categorical(digits.target, num_classes=10)
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0,
                                                    stratify=digits.target)
x_train, x_val, y_train, y_val = train_test_split(x_train, y_train, test_size=0.2, random_state=0)

model = keras.Sequential([
    keras.Input(shape=(64,)),
    keras.layers.Dense(128, activation="relu"),
    keras.layers.Dropout(0.2),
    keras.layers.Dense(64, activation="relu"),
    keras.layers.Dropout(0.2),
    keras.layers.Dense(10, activation="softmax"),
])
model.summary()

model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
              loss="categorical_crossentropy",
              metrics=["accuracy"])

# Weigh each class inversely to its frequency in the training set.
counts = y_train.sum(axis=0)
class_weight = {i: len(y_train) / (10 * count) for i, count in enumerate(counts)}

early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)
history = model.fit(x_train, y_train,
                    batch_size=32,
                    epochs=100,
                    validation_data=(x_val, y_val),
                    class_weight=class_weight,
                    callbacks=[early_stopping],
                    verbose=2)

test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
predicted = np.argmax(model.predict(x_test, verbose=0), axis=1)
print(f"epochs trained: {len(history.history['loss'])}")
print(f"best val_accuracy: {max(history.history['val_accuracy']):.4f}")
print(f"test loss: {test_loss:.4f}, test accuracy: {test_accuracy:.4f}")

plt.figure(figsize=(10, 4))
plt.subplot(1, 2, 1)
plt.plot(history.history["loss"], label="train")
plt.plot(history.history["val_loss"], label="validation")
plt.title("loss")
plt.xlabel("epoch")
plt.legend()
plt.subplot(1, 2, 2)
plt.plot(history.history["accuracy"], label="train")
plt.plot(history.history["val_accuracy"], label="validation")
plt.title("accuracy")
plt.xlabel("epoch")
plt.legend()
plt.tight_layout()
plt.savefig("history.png")
plt.close()
