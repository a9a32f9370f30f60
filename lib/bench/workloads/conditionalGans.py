"""The PyTorch side of the conditional-GAN rows of `npm run bench` (lib/bench/workloads/conditionalGans.ts):
the same networks as lib/nn/dcgan.ts, lib/nn/unet.ts + lib/nn/patchGan.ts and lib/nn/resnetGenerator.ts,
one iteration as lib/gan/ganModel.ts's `ganStep` (one generator forward; the generator's step with the
discriminators frozen; the discriminators' step on the same generated images), Adam 2e-4 beta1 0.5.

Usage: conditionalGans.py CONFIG_JSON THREADS, CONFIG {"model": "cgan" | "pix2pix" | "cyclegan", ...}
-> prints {"train_ms", "version"} (median).
"""
import json
import random
import sys
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

from harness import timed
from pix2pix import UNet, patch_gan, pix2pix_step_fn, set_requires_grad


class DcganGenerator(nn.Module):
    """lib/nn/dcgan.ts buildDcganGenerator: [z, one-hot] -> 7x7x2f -> 14x14xf -> 28x28x1."""

    def __init__(self, latent, classes, f):
        super().__init__()
        self.f = f
        self.project = nn.Linear(latent + classes, 7 * 7 * 2 * f, bias=False)
        self.bn7 = nn.BatchNorm2d(2 * f)
        self.up14 = nn.ConvTranspose2d(2 * f, f, 4, 2, 1, bias=False)
        self.bn14 = nn.BatchNorm2d(f)
        self.up28 = nn.ConvTranspose2d(f, 1, 4, 2, 1)

    def forward(self, z, label):
        x = self.project(torch.cat([z, label], 1)).view(-1, 2 * self.f, 7, 7)
        x = F.relu(self.bn7(x))
        x = F.relu(self.bn14(self.up14(x)))
        return torch.tanh(self.up28(x))


class DcganDiscriminator(nn.Module):
    """lib/nn/dcgan.ts buildDcganDiscriminator: two stride-2 convolutions, a logit plus the label's projection,
    and the auxiliary classifier (AC-GAN) that mnist-cgan trains with."""

    def __init__(self, classes, f):
        super().__init__()
        self.down14 = nn.Conv2d(1, f, 4, 2, 1)
        self.down7 = nn.Conv2d(f, 2 * f, 4, 2, 1)
        self.logit = nn.Linear(7 * 7 * 2 * f, 1)
        self.embed = nn.Linear(classes, 7 * 7 * 2 * f, bias=False)
        self.aux = nn.Linear(7 * 7 * 2 * f, classes)

    def forward(self, x, label):
        h = F.leaky_relu(self.down7(F.leaky_relu(self.down14(x), 0.2)), 0.2).flatten(1)
        return self.logit(h) + (h * self.embed(label)).sum(1, keepdim=True), self.aux(h)


class ResnetGenerator(nn.Module):
    """lib/nn/resnetGenerator.ts: c7s1-f, d2f, d4f, blocks x R4f, u2f, uf, c7s1-3, instance norm, zero padding."""

    def __init__(self, c, f, blocks):
        super().__init__()
        norm = lambda n: nn.InstanceNorm2d(n)
        layers = [nn.Conv2d(c, f, 7, 1, 3, bias=False), norm(f), nn.ReLU(True),
                  nn.Conv2d(f, 2 * f, 3, 2, 1, bias=False), norm(2 * f), nn.ReLU(True),
                  nn.Conv2d(2 * f, 4 * f, 3, 2, 1, bias=False), norm(4 * f), nn.ReLU(True)]
        self.head = nn.Sequential(*layers)
        self.blocks = nn.ModuleList([nn.Sequential(nn.Conv2d(4 * f, 4 * f, 3, 1, 1, bias=False), norm(4 * f), nn.ReLU(True),
                                                   nn.Conv2d(4 * f, 4 * f, 3, 1, 1, bias=False), norm(4 * f)) for _ in range(blocks)])
        self.tail = nn.Sequential(nn.ConvTranspose2d(4 * f, 2 * f, 3, 2, 1, output_padding=1, bias=False), norm(2 * f), nn.ReLU(True),
                                  nn.ConvTranspose2d(2 * f, f, 3, 2, 1, output_padding=1, bias=False), norm(f), nn.ReLU(True),
                                  nn.Conv2d(f, c, 7, 1, 3), nn.Tanh())

    def forward(self, x):
        x = self.head(x)
        for b in self.blocks:
            x = x + b(x)
        return self.tail(x)


class ImagePool:
    """lib/gan/imagePool.ts (the reference's util/image_pool.py)."""

    def __init__(self, size):
        self.size, self.images = size, []

    def query(self, images):
        out = []
        for image in images.detach():
            image = image.unsqueeze(0)
            if len(self.images) < self.size:
                self.images.append(image)
                out.append(image)
            elif random.random() > 0.5:
                k = random.randint(0, self.size - 1)
                out.append(self.images[k].clone())
                self.images[k] = image
            else:
                out.append(image)
        return torch.cat(out, 0)


def adam(params):
    return torch.optim.Adam(params, 2e-4, betas=(0.5, 0.999))


def cgan(p):
    G, D = DcganGenerator(p["latent"], 10, p["filters"]), DcganDiscriminator(10, p["filters"])
    gopt, dopt = adam(G.parameters()), adam(D.parameters())
    bce = nn.BCEWithLogitsLoss()
    real = torch.rand(p["batch"], 1, 28, 28) * 2 - 1
    classes = torch.randint(0, 10, (p["batch"],))
    label = F.one_hot(classes, 10).float()

    def step():
        fake = G(torch.randn(p["batch"], p["latent"]), label)
        set_requires_grad(D, False)
        gopt.zero_grad()
        logits, aux = D(fake, label)
        g_loss = bce(logits, torch.ones_like(logits)) + F.cross_entropy(aux, classes)
        g_loss.backward()
        gopt.step()
        set_requires_grad(D, True)
        dopt.zero_grad()
        (r, r_aux), (f, _) = D(real, label), D(fake.detach(), label)
        d_loss = 0.5 * (bce(r, torch.ones_like(r)) + bce(f, torch.zeros_like(f))) + F.cross_entropy(r_aux, classes)
        d_loss.backward()
        dopt.step()
        return g_loss.item() + d_loss.item()

    return step


def cyclegan(p):
    s, f, blocks, lam = p["size"], p["filters"], p["blocks"], 10.0
    G, Fn = ResnetGenerator(3, f, blocks), ResnetGenerator(3, f, blocks)
    DX, DY = patch_gan(3, p["dFilters"], p["dLayers"], "instance"), patch_gan(3, p["dFilters"], p["dLayers"], "instance")
    gopt, dopt = adam(list(G.parameters()) + list(Fn.parameters())), adam(list(DX.parameters()) + list(DY.parameters()))
    pool_x, pool_y = ImagePool(50), ImagePool(50)
    x = torch.rand(p["batch"], 3, s, s) * 2 - 1
    y = torch.rand(p["batch"], 3, s, s) * 2 - 1
    mse = nn.MSELoss()

    def lsgan(scores, label):
        return mse(scores, torch.full_like(scores, float(label)))

    def step():
        fake_y, fake_x = G(x), Fn(y)
        set_requires_grad(DX, False)
        set_requires_grad(DY, False)
        gopt.zero_grad()
        loss = lsgan(DY(fake_y), 1) + lsgan(DX(fake_x), 1)
        loss = loss + lam * ((Fn(fake_y) - x).abs().mean() + (G(fake_x) - y).abs().mean())
        loss = loss + lam * 0.5 * ((G(y) - y).abs().mean() + (Fn(x) - x).abs().mean())
        loss.backward()
        gopt.step()
        set_requires_grad(DX, True)
        set_requires_grad(DY, True)
        dopt.zero_grad()
        d = 0.5 * (lsgan(DY(y), 1) + lsgan(DY(pool_y.query(fake_y)), 0)) + 0.5 * (lsgan(DX(x), 1) + lsgan(DX(pool_x.query(fake_x)), 0))
        d.backward()
        dopt.step()
        return loss.item() + d.item()

    return step


def pix2pix(p):
    s = p["size"]
    G, D = UNet(s, p["filters"]), patch_gan(6, p["dFilters"], p["dLayers"])
    src = torch.rand(p["batch"], 3, s, s) * 2 - 1
    tgt = torch.rand(p["batch"], 3, s, s) * 2 - 1
    return pix2pix_step_fn(G, D, src, tgt)


if __name__ == "__main__":
    cfg = json.loads(sys.argv[1])
    warnings.filterwarnings("ignore")
    torch.set_num_threads(int(sys.argv[2]))
    torch.manual_seed(1)
    random.seed(1)
    step = {"cgan": cgan, "pix2pix": pix2pix, "cyclegan": cyclegan}[cfg["model"]](cfg)
    print(json.dumps({"train_ms": timed(step, cfg.get("warmup", 2), cfg["steps"]), "version": torch.__version__}))
