"""The PyTorch side of the pix2pix row of `npm run bench` (lib/bench/workloads/pix2pix.ts): the same
networks as lib/nn/unet.ts and lib/nn/patchGan.ts, one pix2pix iteration as lib/gan/ganModel.ts's `ganStep`: one
generator forward pass, the generator's step (BCE + 100 L1, the discriminator frozen), then the
discriminator's step on the same generated images (Adam 2e-4 beta1 0.5). conditionalGans.py imports
the networks from here.

Usage: pix2pix.py CONFIG_JSON THREADS -> prints {"train_ms", "version"} (median).
"""
import json
import warnings
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from harness import timed



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


def patch_gan(cin, base, layers=3, norm="batch"):
    """lib/nn/patchGan.ts: norm 'batch' (pix2pix), 'instance' (CycleGAN) or 'none'."""
    mods = []
    c = cin
    for i in range(layers + 1):
        f = base * min(2 ** i, 8)
        mods.append(nn.Conv2d(c, f, 4, 2 if i < layers else 1, "same" if i == layers else 1, bias=(i == 0 or norm == "none")))
        if i > 0 and norm == "batch":
            mods.append(nn.BatchNorm2d(f))
        if i > 0 and norm == "instance":
            mods.append(nn.InstanceNorm2d(f))
        mods.append(nn.LeakyReLU(0.2))
        c = f
    mods.append(nn.Conv2d(c, 1, 4, 1, "same"))
    return nn.Sequential(*mods)


def set_requires_grad(net, flag):
    for p in net.parameters():
        p.requires_grad = flag


def pix2pix_step_fn(G, D, src, tgt, lam=100.0):
    """One iteration as lib/gan/ganModel.ts's ganStep (see the top of this file)."""
    gopt = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
    dopt = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()

    def step():
        fake = G(src)
        set_requires_grad(D, False)
        gopt.zero_grad()
        logits = D(torch.cat([src, fake], 1))
        g_loss = bce(logits, torch.ones_like(logits)) + lam * (fake - tgt).abs().mean()
        g_loss.backward()
        gopt.step()
        set_requires_grad(D, True)
        dopt.zero_grad()
        real_l = D(torch.cat([src, tgt], 1))
        fake_l = D(torch.cat([src, fake.detach()], 1))
        d_loss = 0.5 * (bce(real_l, torch.ones_like(real_l)) + bce(fake_l, torch.zeros_like(fake_l)))
        d_loss.backward()
        dopt.step()
        return d_loss.item() + g_loss.item()

    return step


if __name__ == "__main__":
    cfg = json.loads(sys.argv[1])
    warnings.filterwarnings("ignore")
    torch.set_num_threads(int(sys.argv[2]))
    torch.manual_seed(1)
    p = cfg
    G, D = UNet(p["size"], p["filters"]), patch_gan(6, p["filters"])
    src = torch.rand(p["batch"], 3, p["size"], p["size"]) * 2 - 1
    tgt = torch.rand(p["batch"], 3, p["size"], p["size"]) * 2 - 1
    print(json.dumps({"train_ms": timed(pix2pix_step_fn(G, D, src, tgt), cfg.get("warmup", 2), cfg["steps"]), "version": torch.__version__}))
