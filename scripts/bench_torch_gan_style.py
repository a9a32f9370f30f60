"""The PyTorch side of the pix2pix and Gram rows of `npm run bench`: the same networks as
lib/nn/pix2pix.ts (U-Net generator, PatchGAN, one discriminator + one generator step, BCE + 100 L1,
Adam 2e-4 beta1 0.5) and lib/nn/style.ts (3-conv VGG-style feature net, Gram matrices normalised by
C*H*W, style loss forward + backward to the image).

Usage: bench_torch_gan_style.py CONFIG_JSON THREADS -> prints {"pix2pix_ms", "gram_ms", "version"} (medians).
"""
import json
import warnings
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_timing import timed

cfg = json.loads(sys.argv[1])
warnings.filterwarnings("ignore")
torch.set_num_threads(int(sys.argv[2]))
torch.manual_seed(1)




class UNet(nn.Module):
    def __init__(self, size, base, cin=3, cout=3):
        super().__init__()
        depth = size.bit_length() - 1
        widths = [base * min(2 ** i, 8) for i in range(depth)]
        self.down = nn.ModuleList()
        self.dbn = nn.ModuleList()
        c = cin
        for i, f in enumerate(widths):
            self.down.append(nn.Conv2d(c, f, 4, 2, 1, bias=(i == 0 or i == depth - 1)))
            self.dbn.append(nn.BatchNorm2d(f) if 0 < i < depth - 1 else nn.Identity())
            c = f
        self.up = nn.ModuleList()
        self.ubn = nn.ModuleList()
        self.drop = []
        for i in range(depth - 2, -1, -1):
            level = depth - 1 - i
            cin_up = widths[i + 1] if i == depth - 2 else widths[i + 1] * 2
            self.up.append(nn.ConvTranspose2d(cin_up, widths[i], 4, 2, 1, bias=False))
            self.ubn.append(nn.BatchNorm2d(widths[i]))
            self.drop.append(level <= 3)
        self.out = nn.ConvTranspose2d(widths[0] * 2, cout, 4, 2, 1)

    def forward(self, x):
        skips = []
        for i, (conv, bn) in enumerate(zip(self.down, self.dbn)):
            if i > 0:
                x = F.leaky_relu(x, 0.2)
            x = bn(conv(x))
            skips.append(x)
        for k, (deconv, bn) in enumerate(zip(self.up, self.ubn)):
            x = bn(deconv(F.relu(x)))
            if self.drop[k]:
                x = F.dropout(x, 0.5, self.training)
            x = torch.cat([x, skips[len(skips) - 2 - k]], 1)
        return torch.tanh(self.out(F.relu(x)))


def patch_gan(cin, base, layers=3):
    mods = []
    c = cin
    for i in range(layers + 1):
        f = base * min(2 ** i, 8)
        mods.append(nn.Conv2d(c, f, 4, 2 if i < layers else 1, "same" if i == layers else 1, bias=(i == 0)))
        if i > 0:
            mods.append(nn.BatchNorm2d(f))
        mods.append(nn.LeakyReLU(0.2))
        c = f
    mods.append(nn.Conv2d(c, 1, 4, 1, "same"))
    return nn.Sequential(*mods)


p = cfg["pix2pix"]
G, D = UNet(p["size"], p["filters"]), patch_gan(6, p["filters"])
gopt = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
dopt = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
src = torch.rand(p["batch"], 3, p["size"], p["size"]) * 2 - 1
tgt = torch.rand(p["batch"], 3, p["size"], p["size"]) * 2 - 1
bce = nn.BCEWithLogitsLoss()


def pix2pix_step():
    fake = G(src)
    dopt.zero_grad()
    real_l = D(torch.cat([src, tgt], 1))
    fake_l = D(torch.cat([src, fake.detach()], 1))
    d_loss = 0.5 * (bce(real_l, torch.ones_like(real_l)) + bce(fake_l, torch.zeros_like(fake_l)))
    d_loss.backward()
    dopt.step()
    gopt.zero_grad()
    fake = G(src)
    logits = D(torch.cat([src, fake], 1))
    g_loss = bce(logits, torch.ones_like(logits)) + 100 * (fake - tgt).abs().mean()
    g_loss.backward()
    gopt.step()
    return d_loss.item() + g_loss.item()


s = cfg["gram"]
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


steps = cfg["steps"]
print(json.dumps({"pix2pix_ms": timed(pix2pix_step, cfg.get("warmup", 2), steps), "gram_ms": timed(gram_step, cfg.get("warmup", 2), steps * 2), "version": torch.__version__}))
