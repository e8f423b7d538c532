"""The reference answers of TensorFlow Introduction (``notebooks/TensorFlow_Introduction.ipynb``).

``answer(name, case)`` rebuilds a check's inputs from ``case`` with the input builders of
``notebooks/testCases.py`` (they draw parameters, inputs, logits and labels, and compute nothing
the exercises ask for) and returns the expected values of entry ``name``, in float64 where the
learner's float32 result is compared with a tolerance, with the results of the typical wrong
versions that the check names:

- ``linear_function`` on ``()``: ``Y = W X + b`` of the draws X, W, b after seed 1, and
  ``order``, of the draws W, X, b; on ``(offset,)`` (the grader's), the same after the seed that
  ``np.random.seed(1)`` becomes when the grader shifts it by ``offset`` (``harness.reseeded``);
- ``sigmoid`` on ``(z,)``: ``a``, the logistic function of z;
- ``one_hot_matrix`` on ``(label, depth)``: ``vector``, the one-hot vector of the label (the
  check gives the label as a number and as a one-element tensor: the same vector);
- ``initialize_parameters`` on ``()``: ``W1`` to ``b3`` as ``GlorotNormal(seed=1)`` draws them
  (float32), and ``uniform``, as ``GlorotUniform(seed=1)`` does; on ``(offset,)``, the same
  with the seed 1 shifted by ``offset``, as the grader has the learner's kernel shift it;
- ``forward_propagation`` on ``(seed, m)``: the logits ``Z3``, and their ReLU (``relu``) and
  softmax (``softmax``);
- ``compute_total_loss`` on ``(seed, m)``: the ``total`` loss, the ``mean`` loss, the total of
  the untransposed arrays (``untransposed``), of the softmax of the logits (``softmaxed``) and of
  the logits read as probabilities (``probabilities``, as Keras clips them);
- ``model`` on ``(seed, m_train, m_test)``: the ``costs``, ``train_acc`` and ``test_acc`` of each
  epoch of a reference run (Adam, learning rate 0.01, 10 epochs, mini-batches of 16), and the
  ``parameters`` it trained.

``prepare()`` imports TensorFlow: the grader calls it before any check's deadline starts.
"""

import importlib.util
import os

import numpy as np

from tests.grading.assignments import ASSIGNMENTS
from tests.grading.harness import shifted_seed

_FOLDER = ASSIGNMENTS["tensorflow"].path.parent
LAYERS = (64, 25, 12, 6)


def _load_checks():
    # Under a name of its own: every part folder has a module called testCases.
    spec = importlib.util.spec_from_file_location(
        "_reference_tensorflow_testCases", _FOLDER / "testCases.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_checks = _load_checks()


def _tf():
    """TensorFlow, imported only when an entry needs it, quiet and without oneDNN."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import tensorflow

    return tensorflow


def prepare():
    """Load TensorFlow and run one op (its runtime starts then): seconds a check must not pay."""
    _tf().keras.initializers.GlorotNormal(seed=1)(shape=(1, 1))


def _seed(case):
    """The seed 1 of the notebook, or what the grader's ``(offset,)`` makes of it."""
    return shifted_seed(1, case[0]) if case else 1


def _shapes():
    for l in range(1, 4):
        yield f"W{l}", (LAYERS[l], LAYERS[l - 1])
        yield f"b{l}", (LAYERS[l], 1)


def _column_softmax(Z):
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


def _cross_entropies(logits, labels):
    """The cross-entropy of each column of ``logits`` against one-hot ``labels``, in float64."""
    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - logits.max(axis=0, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))
    return -np.sum(labels * log_softmax, axis=0)


def _logits(X, parameters):
    """Z3 of LINEAR -> RELU -> LINEAR -> RELU -> LINEAR, in float64."""
    A = X.astype(np.float64)
    for l in range(1, 4):
        Z = parameters[f"W{l}"].astype(np.float64) @ A + parameters[f"b{l}"]
        A = np.maximum(Z, 0)
    return Z


def _linear_function(case):
    draws = np.random.RandomState(_seed(case))  # the stream of np.random.seed(1)
    X, W, b = draws.randn(3, 1), draws.randn(4, 3), draws.randn(4, 1)
    draws = np.random.RandomState(_seed(case))
    W2, X2, b2 = draws.randn(4, 3), draws.randn(3, 1), draws.randn(4, 1)
    return {"Y": W @ X + b, "order": W2 @ X2 + b2}


def _sigmoid(case):
    (z,) = case
    return {"a": float(1 / (1 + np.exp(-np.float64(z))))}


def _one_hot_matrix(case):
    label, depth = case
    return {"vector": np.eye(depth)[label]}


def _initialize_parameters(case):
    tf = _tf()
    normal, uniform = {}, {}
    for key, shape in _shapes():
        seed = _seed(case)
        normal[key] = tf.keras.initializers.GlorotNormal(seed=seed)(shape=shape).numpy()
        uniform[key] = tf.keras.initializers.GlorotUniform(seed=seed)(shape=shape).numpy()
    return normal | {"uniform": uniform}


def _forward_propagation(case):
    parameters, X, _ = _checks._tf_network(*case)
    Z3 = _logits(X, parameters)
    return {"Z3": Z3, "relu": np.maximum(Z3, 0), "softmax": _column_softmax(Z3)}


def _compute_total_loss(case):
    logits, Y = _checks._tf_logits_and_labels(*case)
    losses = _cross_entropies(logits, Y)
    logits = logits.astype(np.float64)
    return {
        "total": float(losses.sum()),
        "mean": float(losses.mean()),
        "untransposed": float(_cross_entropies(logits.T, Y.T).sum()),
        "softmaxed": float(_cross_entropies(_column_softmax(logits), Y).sum()),
        "probabilities": float(
            -np.sum(Y * np.log(np.clip(logits / logits.sum(0), 1e-7, 1 - 1e-7)))
        ),
    }


def _model(case, learning_rate=0.01, num_epochs=10, minibatch_size=16):
    """Train the [64, 25, 12, 6] network with Adam, as the notebook's ``model`` does."""
    tf = _tf()
    X_train, Y_train, X_test, Y_test = _checks._separable_data(*case)
    parameters = {
        key: tf.Variable(tf.keras.initializers.GlorotNormal(seed=1)(shape=shape))
        for key, shape in _shapes()
    }
    variables = list(parameters.values())
    optimizer = tf.keras.optimizers.Adam(learning_rate)

    def logits(X):  # X: one row per example
        A = tf.transpose(X)
        for l in (1, 2, 3):
            Z = tf.matmul(parameters[f"W{l}"], A) + parameters[f"b{l}"]
            A = tf.nn.relu(Z)
        return tf.transpose(Z)

    def accuracy(X, Y):
        right = np.argmax(logits(X).numpy(), axis=1) == np.argmax(Y, axis=1)
        return float(np.mean(right))

    costs, train_acc, test_acc = [], [], []
    m = X_train.shape[0]
    for _ in range(num_epochs):
        total, right = 0.0, 0
        for start in range(0, m, minibatch_size):
            X, Y = X_train[start : start + minibatch_size], Y_train[start : start + minibatch_size]
            with tf.GradientTape() as tape:
                Z = logits(X)
                loss = tf.reduce_sum(
                    tf.keras.losses.categorical_crossentropy(Y, Z, from_logits=True)
                )
            optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
            total += float(loss)
            right += int(np.sum(np.argmax(Z.numpy(), axis=1) == np.argmax(Y, axis=1)))
        costs.append(total / m)
        train_acc.append(right / m)  # during the epoch, as the notebook's metric counts
        test_acc.append(accuracy(X_test, Y_test))
    trained = {key: value.numpy() for key, value in parameters.items()}
    return {"costs": costs, "train_acc": train_acc, "test_acc": test_acc, "parameters": trained}


_ENTRIES = {
    "linear_function": _linear_function,
    "sigmoid": _sigmoid,
    "one_hot_matrix": _one_hot_matrix,
    "initialize_parameters": _initialize_parameters,
    "forward_propagation": _forward_propagation,
    "compute_total_loss": _compute_total_loss,
    "model": _model,
}


def answer(name, case):
    """The expected values of entry ``name`` on ``case`` (see the module's docstring)."""
    try:
        entry = _ENTRIES[name]
    except KeyError:
        raise LookupError(f"the TensorFlow Introduction reference has no entry {name!r}") from None
    return entry(tuple(case))
