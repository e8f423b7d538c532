"""The kernel's side of a hidden check: call one exercise function as the grader asks.

The grader runs this file's source in the submission's kernel, after ``wire.py``'s, once the
notebook's cells have run. Then, for each call, it runs ``_grader_reply = serve_request(globals(),
"<request>")`` and reads ``_grader_reply`` back as a user expression of that execution: both the
request (the function's name, its arguments, and ``{global name: (helper name, helper source)}``
for helpers the function is to see in place of the notebook's globals) and the reply (the
returned value and the arguments after the call, or the exception raised) are ``wire.dumps``
bytes in base64, carried by the kernel's own messages: no file is involved. The grader compares
the reply with its own reference; nothing here decides a grade, and a tampered copy of it only
spoils its own submission's replies.
"""

import base64
import types


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
            returned = target(*request["args"], **request["kwargs"])
            reply = {"returned": returned, "args": request["args"], "kwargs": request["kwargs"]}
        except Exception as error:  # the learner's code may raise anything: report it
            reply = {"raised": [type(error).__name__, str(error)[:500]]}
    return base64.b64encode(dumps(reply)).decode("ascii")  # noqa: F821
