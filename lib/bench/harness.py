"""The Python side of lib/bench/harness.ts: timing shared by the PyTorch scripts of `npm run bench`
(lib/bench/workloads/*.py, each beside the workload it mirrors; run with this folder on PYTHONPATH)."""
import time


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def timed(fn, warmup, runs):
    """Median wall time of `fn` in milliseconds over `runs` calls after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return median(times)
