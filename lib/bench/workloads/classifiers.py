"""The PyTorch side of the classifier rows of `npm run bench` (lib/bench/workloads/classifiers.ts): the
kit's VGG-GAP classifier (lib/nn/vgg.ts), same shapes, same optimiser; Grad-CAM as pytorch-grad-cam.

Usage: classifiers.py CONFIG_JSON THREADS -> prints {"train_ms", "infer_ms", "gradcam1_ms", "gradcam32_ms", "version"} (medians).
"""
import json
import sys

import torch
import torch.nn as nn

from harness import timed

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




def grad_cam(n):
    """Grad-CAM as pytorch-grad-cam computes it: hooks on the last ReLU before pooling."""
    layer = [m for m in model if isinstance(m, nn.ReLU)][-1]
    store = {}
    h1 = layer.register_forward_hook(lambda m, i, o: store.__setitem__("a", o))
    h2 = layer.register_full_backward_hook(lambda m, gi, go: store.__setitem__("g", go[0]))
    xs = x[:n]

    def run():
        model.eval()
        model.zero_grad()
        out = model(xs)
        out.gather(1, out.argmax(1, keepdim=True)).sum().backward()
        a, g = store["a"], store["g"]
        cam = torch.relu((g.mean((2, 3), keepdim=True) * a).sum(1, keepdim=True))
        cam = cam - cam.amin((2, 3), keepdim=True)
        cam = cam / (cam.amax((2, 3), keepdim=True) + 1e-7)
        out = torch.nn.functional.interpolate(cam, size=(32, 32), mode="bilinear", align_corners=False)
        model.train()
        return out.sum().item()

    t = timed(run, config.get("explain_warmup", 2), config["steps"] * 2)
    h1.remove()
    h2.remove()
    return t


steps = config["steps"]
print(json.dumps({"train_ms": timed(step, config.get("warmup", 2), steps), "infer_ms": timed(infer, config.get("warmup", 2), steps * 2),
                  "gradcam1_ms": grad_cam(1), "gradcam32_ms": grad_cam(32), "version": torch.__version__}))
