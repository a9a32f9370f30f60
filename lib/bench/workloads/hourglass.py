"""The PyTorch side of the hourglass row of `npm run bench` (lib/bench/workloads/hourglass.ts): the same stacked hourglass as
lib/nn/hourglass.ts (stem to stride 4, pre-activation bottleneck residuals, recursive hourglass with
added skips, intermediate supervision), the spatial cross-entropy summed over stacks, Adam.

Usage: hourglass.py CONFIG_JSON THREADS -> prints {"train_ms", "version"} (median).
"""
import json
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from harness import timed

cfg = json.loads(sys.argv[1])
torch.set_num_threads(int(sys.argv[2]))
torch.manual_seed(1)


class Residual(nn.Module):
    def __init__(self, cin, out):
        super().__init__()
        h = out // 2
        self.bn1, self.c1 = nn.BatchNorm2d(cin), nn.Conv2d(cin, h, 1)
        self.bn2, self.c2 = nn.BatchNorm2d(h), nn.Conv2d(h, h, 3, padding=1)
        self.bn3, self.c3 = nn.BatchNorm2d(h), nn.Conv2d(h, out, 1)
        self.skip = None if cin == out else nn.Conv2d(cin, out, 1)

    def forward(self, x):
        y = self.c1(F.relu(self.bn1(x)))
        y = self.c2(F.relu(self.bn2(y)))
        y = self.c3(F.relu(self.bn3(y)))
        return y + (x if self.skip is None else self.skip(x))


class Hourglass(nn.Module):
    def __init__(self, depth, f):
        super().__init__()
        self.up, self.low1, self.low3 = Residual(f, f), Residual(f, f), Residual(f, f)
        self.low2 = Hourglass(depth - 1, f) if depth > 1 else Residual(f, f)

    def forward(self, x):
        low = self.low3(self.low2(self.low1(F.max_pool2d(x, 2))))
        return self.up(x) + F.interpolate(low, scale_factor=2, mode="nearest")


class Stacked(nn.Module):
    def __init__(self, stacks, depth, f, k):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, f // 2, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(f // 2), nn.ReLU(),
                                  Residual(f // 2, f), nn.MaxPool2d(2), Residual(f, f))
        self.hgs = nn.ModuleList([Hourglass(depth, f) for _ in range(stacks)])
        self.res = nn.ModuleList([Residual(f, f) for _ in range(stacks)])
        self.lin = nn.ModuleList([nn.Sequential(nn.Conv2d(f, f, 1, bias=False), nn.BatchNorm2d(f), nn.ReLU()) for _ in range(stacks)])
        self.heat = nn.ModuleList([nn.Conv2d(f, k, 1) for _ in range(stacks)])
        self.merge_f = nn.ModuleList([nn.Conv2d(f, f, 1) for _ in range(stacks - 1)])
        self.merge_h = nn.ModuleList([nn.Conv2d(k, f, 1) for _ in range(stacks - 1)])

    def forward(self, x):
        x = self.stem(x)
        outs = []
        for s in range(len(self.hgs)):
            feat = self.lin[s](self.res[s](self.hgs[s](x)))
            h = self.heat[s](feat)
            outs.append(h)
            if s < len(self.hgs) - 1:
                x = x + self.merge_f[s](feat) + self.merge_h[s](h)
        return outs


model = Stacked(cfg["stacks"], cfg["depth"], cfg["features"], cfg["landmarks"])
n, k = cfg["batch"], cfg["landmarks"]
x = torch.rand(n, 3, 64, 64)
target = torch.rand(n, k, 16 * 16)
target = target / target.sum(2, keepdim=True)
opt = torch.optim.Adam(model.parameters(), lr=2e-3)


def step():
    opt.zero_grad()
    loss = sum(-(target * F.log_softmax(o.flatten(2), dim=2)).sum(2).mean() for o in model(x))
    loss.backward()
    opt.step()


print(json.dumps({"train_ms": timed(step, cfg.get("warmup", 2), cfg["steps"]), "version": torch.__version__}))
