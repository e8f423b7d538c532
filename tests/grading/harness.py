"""The kernel's side of a hidden check: call one exercise function as the grader asks.

The grader runs this file's source in the submission's kernel, after ``wire.py``'s, once the
notebook's cells have run. Then, for each call, it writes ``request.json``/``.npz`` (the
function's name, its arguments, and ``{global name: (helper name, helper source)}`` for helpers
the function is to see in place of the notebook's globals) and runs ``serve_request(...)``, which
writes ``reply.json``/``.npz``: the returned value and the arguments after the call, or the
exception raised. The grader compares the reply with its own reference; nothing here decides a
grade, and a tampered copy of it only spoils its own submission's replies.
"""

import types


def serve_request(namespace, folder):
    request = load(f"{folder}/request")  # noqa: F821 (wire.py's, in the same namespace)
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
            returned = target(*request["args"], **request["kwargs"])
            reply = {"returned": returned, "args": request["args"], "kwargs": request["kwargs"]}
        except Exception as error:  # the learner's code may raise anything: report it
            reply = {"raised": [type(error).__name__, str(error)[:500]]}
    dump(reply, f"{folder}/reply")  # noqa: F821
