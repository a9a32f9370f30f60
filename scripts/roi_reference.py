"""Reference values of torchvision.ops.roi_align / roi_pool for tests/roi.test.ts.

Run with Debian's PyTorch and torchvision (apt-get install python3-torch python3-torchvision):
    /usr/bin/python3 scripts/roi_reference.py > tests/fixtures/roi-torchvision.json
Features are NHWC in the file (the kit's layout); torchvision is given NCHW. For every case the file holds
the output and the gradient of sum(output * upstream) with respect to the features.
"""
import json


def r7(values):
    return [float("%.7g" % v) for v in values]

import torch
from torchvision.ops import roi_align, roi_pool

torch.manual_seed(7)
N, H, W, C = 2, 7, 9, 3
feat = torch.randn(N, C, H, W, dtype=torch.float64)
boxes = torch.tensor([
    [0, 1.0, 1.0, 3.0, 3.0],      # inside
    [0, 0.3, 0.7, 8.6, 6.2],      # the whole map, fractional
    [1, -2.5, -1.5, 2.5, 3.5],    # partly outside, top-left
    [1, 6.2, 4.1, 11.7, 9.9],     # partly outside, bottom-right
    [1, 4.4, 2.2, 4.9, 2.6],      # smaller than a pixel
    [0, 20.0, 20.0, 24.0, 24.0],  # entirely outside
], dtype=torch.float64)
cases = []
for kind in ["align", "pool"]:
    settings = [(s, r, a) for s in (1.0, 0.5) for r in (1, 2, -1) for a in (False, True)] if kind == "align" else [(s, None, None) for s in (1.0, 0.5)]
    for scale, ratio, aligned in settings:
        out_size = (3, 2)
        x = feat.clone().requires_grad_(True)
        if kind == "align":
            out = roi_align(x, boxes, out_size, spatial_scale=scale, sampling_ratio=ratio, aligned=aligned)
        else:
            out = roi_pool(x, boxes, out_size, spatial_scale=scale)
        up = torch.arange(out.numel(), dtype=torch.float64).reshape(out.shape) / out.numel() - 0.3
        (out * up).sum().backward()
        cases.append({
            "kind": kind, "spatialScale": scale, "samplingRatio": ratio, "aligned": aligned, "outputSize": list(out_size),
            "output": r7(out.detach().permute(0, 2, 3, 1).reshape(-1).tolist()),
            "upstream": r7(up.permute(0, 2, 3, 1).reshape(-1).tolist()),
            "gradient": r7(x.grad.permute(0, 2, 3, 1).reshape(-1).tolist()),
        })
print(json.dumps({
    "source": "torchvision %s, torch %s" % (__import__("torchvision").__version__, torch.__version__),
    "features": r7(feat.permute(0, 2, 3, 1).reshape(-1).tolist()), "shape": [N, H, W, C],
    "boxes": boxes[:, 1:].tolist(), "boxIndex": boxes[:, 0].long().tolist(), "cases": cases,
}))
