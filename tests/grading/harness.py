"""The kernel's side of a hidden check: call one exercise function as the grader asks.

The grader runs this file's source in the submission's kernel, after ``wire.py``'s, once the
notebook's cells have run. Then, for each call, it runs ``_grader_reply = serve_request(globals(),
"<request>")`` and reads ``_grader_reply`` back as a user expression of that execution: both the
request (the function's name, its arguments, ``{global name: (helper name, helper source)}``
for helpers the function is to see in place of the notebook's globals, and ``{"numpy" or
"keras": offset}`` for the seeds to shift while it runs: ``reseeded``) and the reply (the
returned value and the arguments after the call, or the exception raised) are ``wire.dumps``
bytes in base64, carried by the kernel's own messages: no file is involved. The grader compares
the reply with its own reference; nothing here decides a grade, and a tampered copy of it only
spoils its own submission's replies.
"""

import base64
import contextlib
import numbers
import types

SEEDS = 2**31  # a shifted seed is taken modulo this: NumPy and Keras accept every such seed


def shifted_seed(seed, offset):
    """The seed that ``seed`` becomes under ``reseeded`` with ``offset``."""
    return (int(seed) + int(offset)) % SEEDS


@contextlib.contextmanager
def reseeded(offsets):
    """While the block runs, ``np.random.seed(s)`` seeds with ``shifted_seed(s, offsets["numpy"])``
    and a Keras initializer made with ``seed=s`` (GlorotNormal and every other seeded one) draws
    with ``shifted_seed(s, offsets["keras"])``, for integer seeds ``s``.

    The grader's hidden checks of the exercises that take no argument (they seed themselves, as
    the notebook says) run them so: the expected value is the reference's under the same shift,
    so a function that returns values it was not computing from its own draws fails.
    """
    undo = []

    def integer(seed):
        return isinstance(seed, numbers.Integral) and not isinstance(seed, bool)

    try:
        if "numpy" in offsets:
            random = __import__("numpy").random
            seed = random.seed

            def numpy_seed(s=None):
                seed(shifted_seed(s, offsets["numpy"]) if integer(s) else s)

            random.seed = numpy_seed
            undo.append(lambda: setattr(random, "seed", seed))
        if "keras" in offsets:
            classes = __import__("keras").initializers.GlorotNormal.__mro__
            base = next((c for c in classes if c.__name__ == "RandomInitializer"), classes[0])
            init = base.__dict__["__init__"]

            def keras_init(self, seed=None, *args, **kwargs):
                seed = shifted_seed(seed, offsets["keras"]) if integer(seed) else seed
                init(self, seed, *args, **kwargs)

            base.__init__ = keras_init
            undo.append(lambda: setattr(base, "__init__", init))
        yield
    finally:
        for step in reversed(undo):
            step()


def serve_request(namespace, request):
    request = loads(base64.b64decode(request))  # noqa: F821 (wire.py's, in the same namespace)
    target = namespace.get(request["function"])
    if not callable(target):
        reply = {"missing": f"the notebook defines no function {request['function']}"}
    else:
        try:
            if request["globals"]:
                helpers = {"np": __import__("numpy")}
                for _, source in request["globals"].values():
                    exec(source, helpers)
                replaced = {name: helpers[fn] for name, (fn, _) in request["globals"].items()}
                target = types.FunctionType(
                    target.__code__,
                    {**target.__globals__, **replaced},
                    target.__name__,
                    target.__defaults__,
                    target.__closure__,
                )
            with reseeded(request.get("seeds") or {}):
                returned = target(*request["args"], **request["kwargs"])
            reply = {"returned": returned, "args": request["args"], "kwargs": request["kwargs"]}
        except Exception as error:  # the learner's code may raise anything: report it
            reply = {"raised": [type(error).__name__, str(error)[:500]]}
    return base64.b64encode(dumps(reply)).decode("ascii")  # noqa: F821
