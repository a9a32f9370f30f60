#!/usr/bin/python3
"""The PyTorch side of lesson 02: each PyTorch idiom the lecture's Q&A asks about, run, with what it
prints, recorded in docs/pytorch-idioms.json. The notebook shows each snippet and its recorded output
beside the TF.js equivalent and that one's live output (students run TypeScript, not PyTorch).

Run: /usr/bin/python3 scripts/pytorch_idioms.py [OUT.json]   (Debian's python3-torch, 1.13)
tests/pytorchIdioms.test.ts re-runs it where torch is installed and checks the recorded file is current.

Every snippet uses fixed numbers (no random weights), so the TF.js cells can compute the same values.
"""
import contextlib
import io
import json
import os
import sys
import warnings

import torch

SETUP = """\
import torch
import torch.nn as nn

def linear_relu():
    # nn.Linear(3, 2) with fixed weights (PyTorch stores them [out, in]), then a ReLU
    net = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1., 0., -1.], [0.5, 0.5, 0.5]]))
        net[0].bias.copy_(torch.tensor([0., 1.]))
    return net
"""

# (key, the values the notebook compares with TF.js (an expression evaluated after the snippet), title, code)
SNIPPETS = [
    ("forwardHook", '{"output": y.tolist()}', "register_forward_hook: what the hook receives", """\
net = linear_relu()
def hook(module, inputs, output):
    print("module:", module)
    print("inputs: a", type(inputs).__name__, "of", len(inputs), "tensor; inputs[0] =", inputs[0].tolist())
    print("output:", output.tolist())
handle = net[0].register_forward_hook(hook)
y = net(torch.tensor([[1., 2., 3.]]))
print("net output:", y.tolist())
handle.remove()
net(torch.tensor([[1., 2., 3.]]))   # removed: the hook prints nothing more
"""),
    ("backwardHook", '{"xGrad": x.grad.tolist()}', "register_full_backward_hook: gradients at a module's input and output", """\
net = linear_relu()
def hook(module, grad_input, grad_output):
    print(type(module).__name__, "grad_output:", [g.tolist() for g in grad_output],
          "grad_input:", [None if g is None else g.tolist() for g in grad_input])
for m in net:
    m.register_full_backward_hook(hook)
x = torch.tensor([[1., 2., 3.]], requires_grad=True)
net(x).sum().backward()          # hooks fire from the output back: ReLU first, then Linear
print("x.grad:", x.grad.tolist())
"""),
    ("tensorHook", '{"hGrad": h.grad.tolist(), "xGrad": x.grad.tolist()}', "tensor hooks and retain_grad", """\
x = torch.tensor([1., 2.], requires_grad=True)
h = x * 3                        # an intermediate (non-leaf) tensor
h.register_hook(lambda g: print("hook on h receives dy/dh =", g.tolist()))
y = (h ** 2).sum()
y.backward()
print("x.grad =", x.grad.tolist(), "  h.grad =", h.grad)   # None: non-leaf grads are not kept
x.grad = None
h = x * 3
h.retain_grad()                  # keep this one
(h ** 2).sum().backward()
print("with retain_grad: h.grad =", h.grad.tolist())
"""),
    ("hookOrder", '{"gradients": len(grads)}', "the order of registration (seed 001's question)", """\
net = linear_relu()
x = torch.tensor([[1., 2., 3.]])
captured = []
out = net(x)                                                        # the forward pass first ...
net[0].register_forward_hook(lambda m, i, o: captured.append(o))    # ... then the hook: too late
print("forward hook registered after the forward pass:", len(captured), "captures")
out = net(x)
print("after the next forward pass:", len(captured), "capture")
grads = []
act = net[0](x); act.register_hook(grads.append); net[1](act).sum().backward()
print("tensor hook registered before backward():", len(grads), "gradient", grads[0].tolist())
act = net[0](x); net[1](act).sum().backward(); act.register_hook(grads.append)
print("tensor hook registered after backward():", len(grads), "gradient (nothing new)")
"""),
    ("backwardTwice", '{"first": first, "twice": twice}', "backward() twice", """\
w = torch.tensor([0.5, -1., 2.], requires_grad=True)
x = torch.tensor([[1., 2., 3.], [0., 1., 0.], [2., 2., 2.], [1., 0., -1.]])
y = torch.tensor([1., 0., 2., -1.])
loss = ((x @ w - y) ** 2).mean()
loss.backward()
first = w.grad.tolist()
print("first backward():", first)
try:
    loss.backward()                                  # the same graph again
except RuntimeError as e:
    print("second backward() on the same graph: RuntimeError:", str(e).split(".")[0])
w.grad = None
loss = ((x @ w - y) ** 2).mean()
loss.backward(retain_graph=True)
loss.backward()
twice = w.grad.tolist()
print("retain_graph=True, backward() twice:", twice, "(doubled: accumulated into w.grad)")
w.grad = None
for _ in range(2):
    ((x @ w - y) ** 2).mean().backward()             # a new forward pass each time
print("two forward passes, two backward():", w.grad.tolist(), "(accumulated as well)")
w.grad.zero_()                                       # what optimizer.zero_grad() does
print("after zero_():", w.grad.tolist())
"""),
    ("parameters", '{"count": sum(p.numel() for p in conv.parameters()), "weightShape": list(conv.weight.shape)}', "nn.Parameter, named_parameters and the weight layout", """\
conv = nn.Conv2d(3, 4, kernel_size=3)
for name, p in conv.named_parameters():
    print(name, list(p.shape), type(p).__name__, "requires_grad =", p.requires_grad)
print("parameters:", sum(p.numel() for p in conv.parameters()))
class Scale(nn.Module):
    def __init__(self):
        super().__init__()
        self.gain = nn.Parameter(torch.ones(1))   # an nn.Parameter attribute is registered
        self.offset = torch.zeros(1)              # a plain tensor attribute is not
print("Scale's parameters:", [n for n, _ in Scale().named_parameters()])
"""),
    ("setattr", '{"withRelu": with_relu, "withoutRelu": without_relu}', "setattr: replacing a layer by name", """\
net = linear_relu()
x = torch.tensor([[1., 2., 3.]])
with_relu = net(x).tolist()
print("with the ReLU:", with_relu)
setattr(net, "1", nn.Identity())     # Sequential names its children "0", "1", ...
print(net)
without_relu = net(x).tolist()
print("ReLU replaced by Identity:", without_relu)
"""),
]


def run_snippet(code: str, env: dict) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")      # h.grad on a non-leaf warns on stderr; the value is what matters
        exec(code, env)
    return out.getvalue()


def main() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(1)
    idioms = []
    for key, values, title, code in SNIPPETS:
        env: dict = {}
        exec(SETUP, env)
        output = run_snippet(code, env)
        idioms.append({"key": key, "title": title, "code": code, "output": output, "values": eval(values, env)})
    doc = {
        "about": "PyTorch idioms of lesson 02 and what they print; written by scripts/pytorch_idioms.py",
        "torch": torch.__version__.split("+")[0],
        "setup": SETUP,
        "idioms": idioms,
    }
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "docs", "pytorch-idioms.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {path}: {len(idioms)} idioms, torch {doc['torch']}")


if __name__ == "__main__":
    main()
