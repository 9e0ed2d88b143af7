"""The same network written in plain NumPy: the fair baseline.

Fair means: float32 throughout, whole-batch matrix products (BLAS), every buffer allocated once for
the largest batch and reused through ``out=`` (views of its top rows for the shorter last batch),
softmax (or sigmoid) fused with cross-entropy so that the output gradient is simply (p - y)/n, the
batch loss computed as every other framework computes it during training, and Keras's Adam:
    alpha = lr * sqrt(1 - b2^t) / (1 - b1^t)
    m += (g - m)(1 - b1);  v += (g^2 - v)(1 - b2);  w -= alpha * m / (sqrt(v) + eps)
with one step count t per batch shared by all parameters.

Shapes, for a batch of n rows and layer i mapping d_i inputs to d_{i+1} units:
    W_i (d_i, d_{i+1}), b_i (d_{i+1},), A_i (n, d_{i+1}) activations (A_-1 = the input batch),
    dZ_i (n, d_{i+1}) gradient at the pre-activation, dA_i (n, d_i) gradient sent to the layer below.
"""

import math

import numpy as np

f32 = np.float32


class NumpyMLP:
    def __init__(self, sizes, hidden="relu", output="softmax", loss="categorical_crossentropy",
                 batch_size=32, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7, seed=0):
        if (output, loss) not in (("softmax", "categorical_crossentropy"), ("sigmoid", "binary_crossentropy")):
            raise ValueError(f"unsupported output/loss pair {output}/{loss}")
        if hidden not in ("relu", "sigmoid"):
            raise ValueError(f"unsupported hidden activation {hidden}")
        self.sizes, self.hidden, self.output, self.loss = tuple(sizes), hidden, output, loss
        self.batch_size = batch_size
        self.lr, self.b1, self.b2, self.eps = learning_rate, beta_1, beta_2, epsilon
        self.rng = np.random.default_rng(seed)
        self.t = 0
        pairs = list(zip(sizes[:-1], sizes[1:]))
        # Glorot uniform kernels and zero biases, as Keras (and fastmlp) initialise Dense layers.
        self.W = [self.rng.uniform(-math.sqrt(6 / (i + o)), math.sqrt(6 / (i + o)), (i, o)).astype(f32)
                  for i, o in pairs]
        self.b = [np.zeros(o, f32) for _, o in pairs]
        self.params = self.W + self.b
        self.grads = [np.empty_like(p) for p in self.params]           # dW_0.., db_0..
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.scratch = [np.empty_like(p) for p in self.params]          # Adam's temporaries
        n = batch_size
        self.xb = np.empty((n, sizes[0]), f32)                          # (n, d_0) gathered inputs
        self.yb = np.empty((n, sizes[-1]), f32)                         # (n, d_L) gathered targets
        self.A = [np.empty((n, o), f32) for _, o in pairs]              # (n, d_{i+1})
        self.dZ = [np.empty((n, o), f32) for _, o in pairs]             # (n, d_{i+1})
        self.dA = [np.empty((n, i), f32) for i, _ in pairs]             # (n, d_i); dA[0] unused
        self.tmp = [np.empty((n, o), f32) for _, o in pairs]            # (n, d_{i+1}) elementwise scratch
        self.mask = [np.empty((n, o), np.bool_) for _, o in pairs]      # (n, d_{i+1}) relu'(Z) > 0
        self.row_tmp = np.empty((n, 1), f32)                            # (n, 1) softmax row max / sum
        self.loss_tmp = np.empty((n, sizes[-1]), f32)                   # (n, d_L) for the loss value
        self.last_loss = float("nan")

    def set_weights(self, kernels, biases):
        """Copies given kernels (d_i, d_{i+1}) and biases into this network (to start from another
        framework's initial weights)."""
        for mine, theirs in zip(self.W + self.b, list(kernels) + list(biases)):
            if mine.shape != np.shape(theirs):
                raise ValueError(f"weight shape {np.shape(theirs)} does not match {mine.shape}")
            mine[...] = theirs

    # ---- forward ------------------------------------------------------------------------------
    @staticmethod
    def _sigmoid(z):
        np.negative(z, out=z)
        np.exp(z, out=z)
        z += 1
        np.reciprocal(z, out=z)

    def _softmax(self, z, row):
        np.max(z, axis=1, keepdims=True, out=row)
        z -= row
        np.exp(z, out=z)
        np.sum(z, axis=1, keepdims=True, out=row)
        z /= row

    def _forward(self, x, n):
        a = x
        last = len(self.W) - 1
        for i, (w, b) in enumerate(zip(self.W, self.b)):
            z = self.A[i][:n]
            np.matmul(a, w, out=z)                                      # Z = A_{i-1} W_i
            z += b                                                      # + b_i
            if i < last:
                if self.hidden == "relu":
                    np.maximum(z, 0, out=z)
                else:
                    self._sigmoid(z)
            elif self.output == "softmax":
                self._softmax(z, self.row_tmp[:n])
            else:
                self._sigmoid(z)
            a = z
        return a

    # ---- one training step --------------------------------------------------------------------
    def _batch_loss(self, p, y, n):
        """Mean cross-entropy of the batch. Not needed for the update, but fastmlp, PyTorch and
        scikit-learn all compute it every step, so skipping it here would flatter NumPy."""
        t = self.loss_tmp[:n]
        np.clip(p, f32(1e-7), f32(1 - 1e-7), out=t)
        if self.loss == "binary_crossentropy":                          # y log p + (1 - y) log(1 - p)
            return float(-np.mean(y * np.log(t) + (1 - y) * np.log1p(-t)))
        np.log(t, out=t)
        t *= y
        return float(-t.sum() / n)                                      # -sum y log p / n

    def train_step(self, x, y):
        """One Adam step on the batch ``x`` (n, d_0), ``y`` (n, d_L), float32."""
        n = len(x)
        p = self._forward(x, n)
        self.last_loss = self._batch_loss(p, y, n)
        last = len(self.W) - 1
        dz = self.dZ[last][:n]
        np.subtract(p, y, out=dz)
        dz *= f32(1 / (n * p.shape[1] if self.loss == "binary_crossentropy" else n))  # dZ = (p - y)/n
        for i in range(last, -1, -1):
            a_prev = x if i == 0 else self.A[i - 1][:n]
            np.matmul(a_prev.T, dz, out=self.grads[i])                  # dW = A_{i-1}^T dZ
            np.sum(dz, axis=0, out=self.grads[last + 1 + i])            # db = 1^T dZ
            if i == 0:
                break
            da = self.dA[i][:n]
            np.matmul(dz, self.W[i].T, out=da)                          # dA_{i-1} = dZ W_i^T
            a = self.A[i - 1][:n]
            dz = self.dZ[i - 1][:n]
            if self.hidden == "relu":
                mask = self.mask[i - 1][:n]
                np.greater(a, 0, out=mask)
                np.multiply(da, mask, out=dz)                           # dZ = dA * [A > 0]
            else:
                t = self.tmp[i - 1][:n]
                np.subtract(1, a, out=t)
                t *= a
                np.multiply(da, t, out=dz)                              # dZ = dA * A(1 - A)
        self._adam()

    def _adam(self):
        self.t += 1
        alpha = f32(self.lr * math.sqrt(1 - self.b2 ** self.t) / (1 - self.b1 ** self.t))
        c1, c2, eps = f32(1 - self.b1), f32(1 - self.b2), f32(self.eps)
        for w, g, m, v, s in zip(self.params, self.grads, self.m, self.v, self.scratch):
            np.subtract(g, m, out=s)
            s *= c1
            m += s                                                      # m += (g - m)(1 - b1)
            np.multiply(g, g, out=s)
            s -= v
            s *= c2
            v += s                                                      # v += (g^2 - v)(1 - b2)
            np.sqrt(v, out=s)
            s += eps
            np.divide(m, s, out=s)
            s *= alpha
            w -= s                                                      # w -= alpha m / (sqrt(v) + eps)

    def train_epoch(self, x, y):
        """One epoch of shuffled minibatches over float32 ``x`` (N, d_0) and ``y`` (N, d_L)."""
        order = self.rng.permutation(len(x))
        with np.errstate(over="ignore"):  # exp(-z) overflowing to inf is sigmoid's correct 0
            for first in range(0, len(x), self.batch_size):
                idx = order[first:first + self.batch_size]
                n = len(idx)
                xb, yb = self.xb[:n], self.yb[:n]
                np.take(x, idx, axis=0, out=xb)
                np.take(y, idx, axis=0, out=yb)
                self.train_step(xb, yb)

    # ---- inference ----------------------------------------------------------------------------
    def predict(self, x):
        """Outputs for ``x``, written the way one would in a notebook (allocating, no buffers)."""
        a = x
        last = len(self.W) - 1
        for i, (w, b) in enumerate(zip(self.W, self.b)):
            z = a @ w + b
            if i < last:
                a = np.maximum(z, 0) if self.hidden == "relu" else 1 / (1 + np.exp(-z))
            elif self.output == "softmax":
                e = np.exp(z - z.max(axis=1, keepdims=True))
                a = e / e.sum(axis=1, keepdims=True)
            else:
                a = 1 / (1 + np.exp(-z))
        return a
