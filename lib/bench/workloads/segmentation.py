"""The PyTorch side of the segmentation rows of `npm run bench` (lib/bench/workloads/segmentation.ts):

- two-stage step: torchvision's own MaskRCNN (RPN, RoIAlign box and mask heads) with the kit's sizes
  (lib/segmentation/maskRcnn.ts: the FPN of lib/nn/segmentation.ts, anchors 10/16/24 on P2, 32 RPN
  samples per image, 64 pre- and 12 post-NMS proposals, 16 RoIs per image, 2 mask convolutions of 32
  channels) plus the same UPSNet-style semantic head and loss, Adam;
- YOLACT step: the same network and loss as lib/segmentation/yolact.ts (matching, hard negatives 3:1,
  smooth L1, the assembled masks' BCE inside the box over its area);
- torchvision.ops.roi_align forward + backward on the same boxes as the wasm row.
Scenes: random boxes with elliptic masks and random semantic labels (the work per step does not depend
on the pixels).

Usage: segmentation.py CONFIG_JSON THREADS -> prints {"two_stage_ms", "yolact_ms", "roi_align_ms", "version"}.
"""
import json
import math
import sys
import warnings
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision.models.detection import MaskRCNN
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.faster_rcnn import TwoMLPHead, FastRCNNPredictor
from torchvision.models.detection.mask_rcnn import MaskRCNNHeads, MaskRCNNPredictor
from torchvision.ops import MultiScaleRoIAlign, box_iou, roi_align

from harness import timed

cfg = json.loads(sys.argv[1])
warnings.filterwarnings("ignore")
torch.set_num_threads(int(sys.argv[2]))
torch.manual_seed(1)
N, S, F_CH, C, SEM = cfg["batch"], cfg["size"], 32, 5, 8


def cbr(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout, momentum=0.1), nn.ReLU())


class Pyramid(nn.Module):
    """lib/nn/segmentation.ts: bottom-up C2..C4, FPN top-down P2..P4 (32 channels)."""

    def __init__(self, widths=(16, 32, 48, 64), f=F_CH):
        super().__init__()
        w = widths
        self.bottom = nn.Sequential(cbr(3, w[0], 2), cbr(w[0], w[0]), cbr(w[0], w[1], 2), cbr(w[1], w[1]))
        self.c3 = nn.Sequential(cbr(w[1], w[2], 2), cbr(w[2], w[2]))
        self.c4 = nn.Sequential(cbr(w[2], w[3], 2), cbr(w[3], w[3]))
        self.lat = nn.ModuleList([nn.Conv2d(c, f, 1) for c in w[1:]])
        self.smooth = nn.ModuleList([nn.Conv2d(f, f, 3, padding=1) for _ in range(3)])

    def forward(self, x):
        c2 = self.bottom(x)
        c3 = self.c3(c2)
        c4 = self.c4(c3)
        p4 = self.lat[2](c4)
        p3 = self.lat[1](c3) + F.interpolate(p4, scale_factor=2)
        p2 = self.lat[0](c2) + F.interpolate(p3, scale_factor=2)
        return [s(p) for s, p in zip(self.smooth, (p2, p3, p4))]


class Backbone(nn.Module):
    """The FPN as torchvision's MaskRCNN takes it (P2 as feature '0'); keeps the levels for the semantic head."""

    def __init__(self):
        super().__init__()
        self.pyramid = Pyramid()
        self.out_channels = F_CH
        self.levels = None

    def forward(self, x):
        self.levels = self.pyramid(x)
        return OrderedDict([("0", self.levels[0])])


class SemanticHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(F_CH, F_CH, 3, padding=1) for _ in range(3)])
        self.out = nn.Conv2d(F_CH, SEM, 1)

    def forward(self, levels):
        size = levels[0].shape[-2:]
        total = sum(F.interpolate(F.relu(c(p)), size=size, mode="bilinear", align_corners=False) if i else F.relu(c(p))
                    for i, (c, p) in enumerate(zip(self.convs, levels)))
        return self.out(total)


def random_scenes():
    g = torch.Generator().manual_seed(2)
    images = torch.rand(N, 3, S, S, generator=g)
    targets, semantic = [], torch.randint(0, SEM, (N, S, S), generator=g)
    yy, xx = torch.meshgrid(torch.arange(S) + 0.5, torch.arange(S) + 0.5, indexing="ij")
    for _ in range(N):
        k = int(torch.randint(1, 5, (1,), generator=g))
        wh = torch.rand(k, 2, generator=g) * 14 + 12
        xy = torch.rand(k, 2, generator=g) * (S - wh)
        boxes = torch.cat([xy, xy + wh], 1)
        cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
        masks = (((xx[None] - cx[:, None, None]) / (wh[:, 0, None, None] / 2)) ** 2 + ((yy[None] - cy[:, None, None]) / (wh[:, 1, None, None] / 2)) ** 2 <= 1).to(torch.uint8)
        targets.append({"boxes": boxes, "labels": torch.randint(1, C + 1, (k,), generator=g), "masks": masks})
    return images, targets, semantic


images, targets, semantic = random_scenes()

# --- two-stage: torchvision's MaskRCNN + the semantic head.
backbone = Backbone()
model = MaskRCNN(
    backbone, num_classes=None, min_size=S, max_size=S,
    rpn_anchor_generator=AnchorGenerator(sizes=((10, 16, 24),), aspect_ratios=((1.0,),)),
    rpn_pre_nms_top_n_train=64, rpn_post_nms_top_n_train=12, rpn_fg_iou_thresh=0.6, rpn_bg_iou_thresh=0.3, rpn_batch_size_per_image=32,
    box_roi_pool=MultiScaleRoIAlign(["0"], 7, 2), box_head=TwoMLPHead(F_CH * 49, 128), box_predictor=FastRCNNPredictor(128, C + 1),
    box_batch_size_per_image=16, box_positive_fraction=0.25,
    mask_roi_pool=MultiScaleRoIAlign(["0"], 14, 2), mask_head=MaskRCNNHeads(F_CH, (F_CH, F_CH), 1), mask_predictor=MaskRCNNPredictor(F_CH, F_CH, C + 1),
)
semantic_head = SemanticHead()
model.train()
two_stage_opt = torch.optim.Adam(list(model.parameters()) + list(semantic_head.parameters()), lr=1e-3)


def two_stage_step():
    two_stage_opt.zero_grad()
    losses = model(list(images), targets)
    logits = F.interpolate(semantic_head(backbone.levels), size=(S, S), mode="bilinear", align_corners=False)
    loss = sum(losses.values()) + F.cross_entropy(logits, semantic)
    loss.backward()
    two_stage_opt.step()


# --- YOLACT, as lib/segmentation/yolact.ts.
A, K = 3, 16


class Yolact(nn.Module):
    def __init__(self):
        super().__init__()
        self.pyramid = Pyramid()
        self.proto = nn.Sequential(nn.Conv2d(F_CH, F_CH, 3, padding=1), nn.ReLU(), nn.Conv2d(F_CH, F_CH, 3, padding=1), nn.ReLU(),
                                   nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False), nn.Conv2d(F_CH, F_CH, 3, padding=1), nn.ReLU(),
                                   nn.Conv2d(F_CH, K, 1), nn.ReLU())
        self.shared = nn.Sequential(nn.Conv2d(F_CH, F_CH, 3, padding=1), nn.ReLU())
        self.cls, self.box, self.coef = nn.Conv2d(F_CH, A * (C + 1), 1), nn.Conv2d(F_CH, 4 * A, 1), nn.Conv2d(F_CH, A * K, 1)

    def forward(self, x):
        p2 = self.pyramid(x)[0]
        h = self.shared(p2)
        n = x.shape[0]
        flat = lambda t, d: t.permute(0, 2, 3, 1).reshape(n, -1, d)
        return self.proto(p2).permute(0, 2, 3, 1), flat(self.cls(h), C + 1), flat(self.box(h), 4), flat(torch.tanh(self.coef(h)), K)


cells = S // 4
centres = (torch.arange(cells) * 4 + 1.5).float()
cy, cx = torch.meshgrid(centres, centres, indexing="ij")
anchors = torch.stack([torch.stack([cx - s / 2, cy - s / 2, cx + s / 2, cy + s / 2], -1) for s in (10, 16, 24)], 2).reshape(-1, 4)


def encode(gt, an, w=(10, 10, 5, 5)):
    aw, ah = an[:, 2] - an[:, 0], an[:, 3] - an[:, 1]
    gw, gh = gt[:, 2] - gt[:, 0], gt[:, 3] - gt[:, 1]
    return torch.stack([w[0] * ((gt[:, 0] + gw / 2) - (an[:, 0] + aw / 2)) / aw, w[1] * ((gt[:, 1] + gh / 2) - (an[:, 1] + ah / 2)) / ah,
                        w[2] * torch.log(gw / aw), w[3] * torch.log(gh / ah)], 1)


yolact = Yolact()
yolact_opt = torch.optim.Adam(yolact.parameters(), lr=1e-3)
proto_targets = [F.avg_pool2d(t["masks"][:, None].float(), 2)[:, 0].ge(0.5).float() for t in targets]
pcs = torch.arange(S // 2) * 2 + 0.5


def yolact_step():
    yolact_opt.zero_grad()
    protos, cls, box, coef = yolact(images)
    cls_loss = box_loss = mask_loss = 0.0
    positives = masks = 0
    for i, t in enumerate(targets):
        iou = box_iou(anchors, t["boxes"])
        best, matched = iou.max(1)
        pos = best >= 0.5
        pos[iou.argmax(0)] = True
        neg = best < 0.4
        neg &= ~pos
        labels = torch.where(pos, t["labels"][matched], torch.zeros_like(matched))
        ce = F.cross_entropy(cls[i], labels, reduction="none")
        with torch.no_grad():
            bg = torch.logsumexp(cls[i], 1) - cls[i][:, 0]
            bg[~neg] = -1e9
        hard = bg.topk(min(int(neg.sum()), 3 * max(1, int(pos.sum())))).indices
        cls_loss = cls_loss + ce[pos].sum() + ce[hard].sum()
        box_loss = box_loss + F.smooth_l1_loss(box[i][pos], encode(t["boxes"][matched[pos]], anchors[pos]), reduction="sum")
        chosen = pos.nonzero()[:, 0][:16]
        g = matched[chosen]
        logits = protos[i].reshape(-1, K) @ coef[i][chosen].t()
        b = t["boxes"][g]
        crop = ((pcs[None, :, None] >= b[:, 0, None, None]) & (pcs[None, :, None] <= b[:, 2, None, None]) &
                (pcs[None, None, :] >= b[:, 1, None, None]) & (pcs[None, None, :] <= b[:, 3, None, None])).float().transpose(1, 2).reshape(len(g), -1).t()
        bce = F.binary_cross_entropy_with_logits(logits, proto_targets[i][g].reshape(len(g), -1).t(), reduction="none")
        mask_loss = mask_loss + ((bce * crop).sum(0) / crop.sum(0).clamp(min=1)).sum()
        positives += int(pos.sum())
        masks += len(g)
    loss = cls_loss / positives + 1.5 * box_loss / positives + mask_loss / max(masks, 1)
    loss.backward()
    yolact_opt.step()


# --- RoIAlign forward + backward on the wasm row's boxes.
features = torch.randn(N, cfg["roiChannels"], cfg["roiMap"], cfg["roiMap"], requires_grad=True)
rois = torch.tensor([[i] + b for b, i in zip(cfg["boxes"]["boxes"], cfg["boxes"]["index"])], dtype=torch.float32)
upstream = torch.randn(len(rois), cfg["roiChannels"], cfg["roiOutput"], cfg["roiOutput"])


def roi_step():
    features.grad = None
    out = roi_align(features, rois, cfg["roiOutput"], spatial_scale=cfg["roiMap"] / S, sampling_ratio=2, aligned=True)
    (out * upstream).sum().backward()


warm, runs = cfg.get("warmup", 2), cfg["steps"]
print(json.dumps({"two_stage_ms": timed(two_stage_step, warm, runs), "yolact_ms": timed(yolact_step, warm, runs),
                  "roi_align_ms": timed(roi_step, warm, runs * 3), "version": torch.__version__}))
