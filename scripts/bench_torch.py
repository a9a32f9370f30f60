"""The PyTorch side of `npm run bench`: the kit's VGG-GAP classifier, same shapes, same optimiser.

Usage: bench_torch.py CONFIG_JSON THREADS  ->  prints {"train_ms", "infer_ms", "version"} (medians).
"""
import json
import sys
import time

import torch
import torch.nn as nn

config = json.loads(sys.argv[1])
torch.set_num_threads(int(sys.argv[2]))
torch.manual_seed(1)


def build(cfg):
    layers = []
    cin = 3
    filters = cfg["filters"]
    stem = cfg.get("stemStride", 1)
    for b, f in enumerate(filters):
        for c in range(cfg.get("convsPerBlock", 1)):
            stride = stem if (b == 0 and c == 0) else 1
            bn = cfg.get("batchNorm", True)
            layers.append(nn.Conv2d(cin, f, 3, stride=stride, padding=1, bias=not bn))
            if bn:
                layers.append(nn.BatchNorm2d(f, momentum=0.1))
            layers.append(nn.ReLU())
            cin = f
        if b < len(filters) - 1 and not (b == 0 and stem > 1):
            layers.append(nn.MaxPool2d(2))
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, cfg["classes"])]
    return nn.Sequential(*layers)


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


model = build(config)
x = torch.rand(config["batch"], 3, 32, 32)
y = torch.arange(config["batch"]) % config["classes"]
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()


def step():
    opt.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
    return loss.item()


def infer():
    with torch.no_grad():
        model.eval()
        out = model(x)
        model.train()
        return out.sum().item()


def timed(fn, warmup, runs):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return median(times)


steps = config["steps"]
print(json.dumps({"train_ms": timed(step, 2, steps), "infer_ms": timed(infer, 2, steps * 2), "version": torch.__version__}))
