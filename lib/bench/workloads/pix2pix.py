"""The PyTorch side of the pix2pix row of `npm run bench` (lib/bench/workloads/pix2pix.ts): the same
networks as lib/nn/unet.ts and lib/nn/patchGan.ts, one discriminator + one generator step as
lib/gan/pix2pix.ts (BCE + 100 L1, Adam 2e-4 beta1 0.5).

Usage: pix2pix.py CONFIG_JSON THREADS -> prints {"train_ms", "version"} (median).
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


p = cfg
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


print(json.dumps({"train_ms": timed(pix2pix_step, cfg.get("warmup", 2), cfg["steps"]), "version": torch.__version__}))
