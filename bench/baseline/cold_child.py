"""One cold start, in a fresh process (bench.py runs it N times).

    /usr/bin/python3 cold_child.py MODEL_PATH CUSTOMER_JSON

Prints one JSON object: import_ms, unpickle_ms, first_prediction_ms, total_ms
(top of this script to first prediction done), peak_rss_mb, ru_maxrss_mb, and
done_monotonic_s (CLOCK_MONOTONIC, system-wide on Linux, so the parent can also
time from spawn).

peak_rss_mb is VmHWM, the peak RSS of this process's own address space.
ru_maxrss is reported too but is not this process's alone: Linux carries it
across fork and execve, so it is at least the spawning parent's peak RSS
(a 500 MB parent makes a bare `python3 -c pass` report ~510 MB).
"""

import time

started = time.perf_counter()  # first statement: "process start" as seen by Python code

# The modules the pickle needs, imported up front so unpickle_ms is
# deserialization only (as in the app, whose imports precede pickle.load).
import json  # noqa: E402
import pickle  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402

import sklearn.feature_extraction  # noqa: E402,F401
import sklearn.linear_model  # noqa: E402,F401

imported = time.perf_counter()

with open(sys.argv[1], "rb") as f_in:
    dv, model = pickle.load(f_in)
unpickled = time.perf_counter()

customer = json.loads(sys.argv[2])
X = dv.transform([customer])
probability = float(model.predict_proba(X)[0, 1])
predicted = time.perf_counter()
done_monotonic_s = time.clock_gettime(time.CLOCK_MONOTONIC)


def vm_hwm_kib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


print(json.dumps({
    "import_ms": (imported - started) * 1e3,
    "unpickle_ms": (unpickled - imported) * 1e3,
    "first_prediction_ms": (predicted - unpickled) * 1e3,
    "total_ms": (predicted - started) * 1e3,
    "peak_rss_mb": vm_hwm_kib() / 1024,
    "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # Linux: KiB
    "done_monotonic_s": done_monotonic_s,
    "churn_probability": probability,
}))
