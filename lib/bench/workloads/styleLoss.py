"""The PyTorch side of the Gram style-loss row of `npm run bench` (lib/bench/workloads/styleLoss.ts):
the 3-conv VGG-style feature net of lib/nn/styleFeatures.ts, Gram matrices normalised by C*H*W and
the style loss of lib/perceptual/styleLoss.ts, forward + backward to the image.

Usage: styleLoss.py CONFIG_JSON THREADS -> prints {"ms", "version"} (median).
"""
import json
import warnings
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from harness import timed

cfg = json.loads(sys.argv[1])
warnings.filterwarnings("ignore")
torch.set_num_threads(int(sys.argv[2]))
torch.manual_seed(1)


s = cfg
layers = []
c = 3
feats = []
for b, convs in enumerate(s["blocks"]):
    if b > 0:
        layers.append(nn.AvgPool2d(2))
    for f in convs:
        layers.append(nn.Conv2d(c, f, 3, padding=1))
        layers.append(nn.ReLU())
        feats.append(len(layers) - 1)
        c = f
net = nn.Sequential(*layers)
for prm in net.parameters():
    prm.requires_grad_(False)


def features(img):
    out = []
    x = img
    for i, m in enumerate(net):
        x = m(x)
        if i in feats:
            out.append(x)
    return out


def gram(f):
    n, c, h, w = f.shape
    f = f.reshape(n, c, h * w)
    return f.bmm(f.transpose(1, 2)) / (c * h * w)


with torch.no_grad():
    targets = [gram(f) for f in features(torch.rand(1, 3, s["size"], s["size"]))]
image = torch.rand(1, 3, s["size"], s["size"], requires_grad=True)


def gram_step():
    image.grad = None
    loss = sum(F.mse_loss(gram(f), t) for f, t in zip(features(image), targets))
    loss.backward()
    return loss.item() + image.grad.sum().item()


print(json.dumps({"ms": timed(gram_step, cfg.get("warmup", 2), cfg["steps"] * 2), "version": torch.__version__}))
