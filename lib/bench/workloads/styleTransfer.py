"""The PyTorch side of the style-transfer rows of `npm run bench` (lib/bench/workloads/styleTransfer.ts):
the loss network of lib/nn/lossNetwork.ts (3x3 convs 16-16 | 32-32 | 64-64 | 128, 2x2 average pooling,
frozen), the transformation network of lib/nn/transformNet.ts (9x9 / 3x3 s2 / 3x3 s2 convs with
InstanceNorm2d(affine), 4 residual blocks, nearest x2 + 3x3 conv up-sampling, 3x3 output; reflection
padding, as nn.ReflectionPad2d before each convolution) and lib/perceptual's loss: relative content MSE at relu2_2 + balanced Gram style loss
(G = F F^T / CHW, per-layer weight 1 / mean(G_target^2)) + L2 total variation, Adam.

Usage: styleTransfer.py CONFIG_JSON THREADS -> prints {"train_ms", "gatys_ms", "stylise_ms", "version"} (medians).
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

BLOCKS = [[16, 16], [32, 32], [64, 64], [128]]


class LossNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList()
        self.names = []
        self.pool_before = []
        c = 3
        for b, convs in enumerate(BLOCKS):
            for k, f in enumerate(convs):
                self.convs.append(nn.Conv2d(c, f, 3, padding=1))
                self.names.append(f"relu{b + 1}_{k + 1}")
                self.pool_before.append(b > 0 and k == 0)
                c = f

    def forward(self, x, layers):
        out = {}
        for conv, name, pool in zip(self.convs, self.names, self.pool_before):
            if pool:
                x = F.avg_pool2d(x, 2)
            x = F.relu(conv(x))
            if name in layers:
                out[name] = x
            if len(out) == len(layers):
                break
        return out


def conv_in(cin, cout, k, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, bias=False, padding_mode="reflect"), nn.InstanceNorm2d(cout, affine=True))


class Residual(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.a, self.b = conv_in(c, c, 3), conv_in(c, c, 3)

    def forward(self, x):
        return x + self.b(F.relu(self.a(x)))


class TransformNet(nn.Module):
    def __init__(self, f=(16, 32, 48), blocks=4):
        super().__init__()
        self.d1, self.d2, self.d3 = conv_in(3, f[0], 9), conv_in(f[0], f[1], 3, 2), conv_in(f[1], f[2], 3, 2)
        self.res = nn.Sequential(*[Residual(f[2]) for _ in range(blocks)])
        self.u1, self.u2 = conv_in(f[2], f[1], 3), conv_in(f[1], f[0], 3)
        self.out = nn.Conv2d(f[0], 3, 3, padding=1, padding_mode="reflect")

    def forward(self, x):
        x = F.relu(self.d3(F.relu(self.d2(F.relu(self.d1(x))))))
        x = self.res(x)
        x = F.relu(self.u1(F.interpolate(x, scale_factor=2, mode="nearest")))
        x = F.relu(self.u2(F.interpolate(x, scale_factor=2, mode="nearest")))
        return torch.sigmoid(self.out(x))


def gram(f):
    n, c, h, w = f.shape
    f = f.reshape(n, c, h * w)
    return f.bmm(f.transpose(1, 2)) / (c * h * w)


def tv(x):
    return ((x[:, :, 1:] - x[:, :, :-1]) ** 2).mean() + ((x[:, :, :, 1:] - x[:, :, :, :-1]) ** 2).mean()


s = cfg
W = s["weights"]
layers = set([s["contentLayer"]] + s["styleLayers"])
loss_net = LossNet()
for p in loss_net.parameters():
    p.requires_grad_(False)
style = torch.rand(1, 3, s["imageSize"], s["imageSize"])
with torch.no_grad():
    targets = loss_net(style, layers)
    grams = {l: gram(targets[l]) for l in s["styleLayers"]}
    balance = {l: 1.0 / grams[l].pow(2).mean().item() for l in s["styleLayers"]}


def perceptual(out, content_features):
    f = loss_net(out, layers)
    c = content_features
    content = F.mse_loss(f[s["contentLayer"]], c) / c.pow(2).mean()
    style_l = sum(balance[l] * F.mse_loss(gram(f[l]), grams[l].expand(out.shape[0], -1, -1)) for l in s["styleLayers"])
    return W["content"] * content + W["style"] * style_l + W["tv"] * tv(out)


T = TransformNet()
opt = torch.optim.Adam(T.parameters(), 1e-3)
batch = torch.rand(s["batch"], 3, s["trainSize"], s["trainSize"])


def train_step():
    opt.zero_grad()
    with torch.no_grad():
        c = loss_net(batch, {s["contentLayer"]})[s["contentLayer"]]
    loss = perceptual(T(batch), c)
    loss.backward()
    opt.step()
    return loss.item()


content = torch.rand(1, 3, s["imageSize"], s["imageSize"])
with torch.no_grad():
    content_features = loss_net(content, {s["contentLayer"]})[s["contentLayer"]]
image = content.clone().requires_grad_(True)
image_opt = torch.optim.Adam([image], 0.02)


def gatys_iteration():
    image_opt.zero_grad()
    loss = perceptual(image, content_features)
    loss.backward()
    image_opt.step()
    with torch.no_grad():
        image.clamp_(0, 1)
    return loss.item()


def stylise():
    with torch.no_grad():
        return T(content).sum().item()


T.train()
train_ms = timed(train_step, cfg.get("warmup", 2), cfg["steps"])
gatys_ms = timed(gatys_iteration, cfg.get("warmup", 2), cfg["steps"] * 2)
T.eval()
stylise_ms = timed(stylise, cfg.get("warmup", 2), cfg["steps"] * 4)
print(json.dumps({"train_ms": train_ms, "gatys_ms": gatys_ms, "stylise_ms": stylise_ms, "version": torch.__version__}))
