"""A compact PyTorch PAD written from the model's decisions (../../docs/decisions.md; benchmark tooling,
not product), and the numeric cross-check against the Rust implementation.

`pad reference --out DIR` records, for both optimizer step semantics (decision `zero-filled-steps`),
a few iterations of the Rust trainer: initial weights, each iteration's batch and random draws
(occlusion mask, REM noise, wake noise), and the losses and weights after each iteration. This
script loads the same weights into the PyTorch model, runs the same iterations on the same inputs,
and compares.

    python pad_torch.py DIR            # compares every *.safetensors in DIR; exit 1 on mismatch
    python pad_torch.py --bench BATCH CHANNELS ITERS [cpu|cuda]   # ms per phase (benches/gpu.sh)

Each file is checked against PyTorch with the matching `zero_grad(set_to_none=...)` and, as a
control, with the other one: the wrong pairing must fail, or the check cannot tell them apart.
"""
import json
import sys
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file
from safetensors import safe_open

torch.use_deterministic_algorithms(True)
torch.set_num_threads(2)


class GradReverse(torch.autograd.Function):
    """Identity forward, gradient × −1 backward (the official `reverse=True`)."""

    @staticmethod
    def forward(ctx, x):
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        return -g


class Encoder(nn.Module):
    """E (`encoder`): conv1–3 trunk; E_z = conv4 (linear), E_d = dis + sigmoid, both on conv3."""

    def __init__(self, c, nz=256):
        super().__init__()
        self.conv1 = nn.Conv2d(c, 64, 4, 2, 1)
        self.conv2 = nn.Conv2d(64, 128, 4, 2, 1)
        self.conv3 = nn.Conv2d(128, 256, 4, 2, 1)
        self.conv4 = nn.Conv2d(256, nz, 4, 2, 0)
        self.dis = nn.Conv2d(256, 1, 4, 2, 0)

    def forward(self, x):
        h = F.leaky_relu(self.conv1(x), 0.2)
        h = F.leaky_relu(self.conv2(h), 0.2)
        h = F.leaky_relu(self.conv3(h), 0.2)
        return self.conv4(h).flatten(1), torch.sigmoid(self.dis(h)).flatten()


class Generator(nn.Module):
    """G (`generator`): transposed convs 256→256→128→64→C, tanh; gradient reversal when asked."""

    def __init__(self, c, nz=256):
        super().__init__()
        self.tconv1 = nn.ConvTranspose2d(nz, 256, 4, 1, 0)
        self.tconv2 = nn.ConvTranspose2d(256, 128, 4, 2, 1)
        self.tconv3 = nn.ConvTranspose2d(128, 64, 4, 2, 1)
        self.tconv4 = nn.ConvTranspose2d(64, c, 4, 2, 1)

    def forward(self, z, reverse=True):
        h = F.leaky_relu(self.tconv1(z[:, :, None, None]), 0.2)
        h = F.leaky_relu(self.tconv2(h), 0.2)
        h = F.leaky_relu(self.tconv3(h), 0.2)
        x = torch.tanh(self.tconv4(h))
        return GradReverse.apply(x) if reverse else x


def kl(z):
    """Batch KL (the paper's eq. 4; `losses`): mean_j[(s² + m²)/2 − log s − 1/2], s the unbiased std."""
    m, s = z.mean(0), z.std(0)
    return ((s ** 2 + m ** 2) / 2 - torch.log(s) - 0.5).mean()


bce = nn.BCELoss()  # log terms clamped at −100 (`bce-clamp`)
mse = nn.MSELoss()  # mean over elements (`mse-mean`)


def run(tensors, meta, set_to_none):
    """The iterations of a reference file in PyTorch; returns [(losses, {name: weight})]."""
    c, nz, lr = meta["channels"], meta["latent"], meta["learning_rate"]
    w = meta["weights"]
    E, G = Encoder(c, nz), Generator(c, nz)
    with torch.no_grad():
        for net, prefix in ((E, "init.encoder."), (G, "init.generator.")):
            for name, p in net.named_parameters():
                p.copy_(tensors[prefix + name])
    betas, eps = tuple(meta["betas"]), meta["epsilon"]
    opt_e = torch.optim.Adam(E.parameters(), lr=lr, betas=betas, eps=eps)
    opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=betas, eps=eps)
    z_old, out = None, []
    for k in range(meta["iterations"]):
        x = tensors[f"it{k}.x"]
        mask = tensors[f"it{k}.keep_mask"][None, None]
        eps_rem = tensors[f"it{k}.rem_noise"]
        # ---------- Wake ----------
        opt_e.zero_grad(set_to_none=set_to_none)
        opt_g.zero_grad(set_to_none=set_to_none)
        z, d = E(x)
        l_real = bce(d, torch.ones_like(d))
        if w["rem"] > 0:
            l_real.backward(retain_graph=True)
        l_kl = kl(z)
        l_kl.backward(retain_graph=True)
        g_in = z + tensors[f"it{k}.wake_noise"] if w["wake_noise_std"] > 0 else z
        l_img = mse(G(g_in, reverse=False), x)
        if w["wake"] > 0:
            (w["wake"] * l_img).backward()
        opt_e.step()
        opt_g.step()
        # ---------- NREM ----------
        opt_e.zero_grad(set_to_none=set_to_none)
        z_mem = z.detach()
        with torch.no_grad():
            x_occ = G(z_mem) * mask
        if w["nrem"] > 0:
            z_hat, _ = E(x_occ)
            l_nrem = mse(z_hat, z_mem)
            (w["nrem"] * l_nrem).backward()
        else:
            with torch.no_grad():
                l_nrem = mse(E(x_occ)[0], z_mem)
        opt_e.step()  # runs even when N == 0 (`nrem-step-always`)
        # ---------- REM ----------
        opt_e.zero_grad(set_to_none=set_to_none)
        opt_g.zero_grad(set_to_none=set_to_none)
        if w["rem_input"] == "SingleMemory":
            z_mix = z_mem
        elif k == 0 or z_old is None:  # first iteration of the epoch (`rem-first-iteration`)
            z_mix = 0.5 * z_mem + 0.5 * eps_rem
        else:
            z_mix = 0.25 * z_mem + 0.25 * z_old + 0.5 * eps_rem
        if w["rem"] > 0:
            _, d_f = E(G(z_mix))  # reverse=True: G ascends L_fake
            l_fake = bce(d_f, torch.zeros_like(d_f))
            l_fake.backward()
            opt_e.step()
            opt_g.step()
        else:
            with torch.no_grad():
                _, d_f = E(G(z_mix))
                l_fake = bce(d_f, torch.zeros_like(d_f))
        z_old = z_mem
        weights = {f"encoder.{n}": p.detach().clone() for n, p in E.named_parameters()}
        weights.update({f"generator.{n}": p.detach().clone() for n, p in G.named_parameters()})
        losses = torch.stack([l.detach() for l in (l_img, l_kl, l_real, l_nrem, l_fake)])
        out.append((losses, weights))
    return out


def compare(tensors, meta, results, lr):
    """Worst relative loss difference, and per iteration the worst weight-update mismatch: for each
    tensor, the fraction of elements whose update differs by more than lr/10."""
    report, ok = [], True
    for k, (losses, weights) in enumerate(results):
        rust = tensors[f"it{k}.losses"]
        rel = ((losses - rust).abs() / rust.abs().clamp_min(1e-6)).max().item()
        worst_frac, worst_name, worst_abs = 0.0, "", 0.0
        for name, wt in weights.items():
            before = tensors[f"it{k-1}.{name}"] if k > 0 else tensors[f"init.{name}"]
            wr = tensors[f"it{k}.{name}"]
            diff = ((wt - before) - (wr - before)).abs()
            frac = (diff > lr / 10).float().mean().item()
            worst_abs = max(worst_abs, diff.max().item())
            if frac >= worst_frac:
                worst_frac, worst_name = frac, name
        passed = rel < 1e-3 and worst_frac < 0.01
        ok &= passed
        report.append(f"  it{k}: losses max rel diff {rel:.2e}; updates: max |Δ| {worst_abs:.2e}, "
                      f"worst tensor {worst_name} with {100*worst_frac:.2f} % of elements off by > lr/10"
                      f" {'ok' if passed else 'MISMATCH'}")
    return ok, report


def bench(batch=64, channels=3, iters=3, device="cpu"):
    """Milliseconds per phase and per PAD iteration on random CIFAR-shaped data (the same work as
    `pad bench`: one warm-up iteration, then the median of `iters`), on `device` ("cpu" or "cuda":
    each phase's time ends when the GPU has finished it, as `pad bench` waits for its losses)."""
    import statistics
    import time

    torch.use_deterministic_algorithms(False)
    if device == "cuda":
        torch.backends.cudnn.benchmark = True
    torch.set_default_device(device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    E, G = Encoder(channels), Generator(channels)
    opt_e = torch.optim.Adam(E.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
    x = torch.rand(batch, channels, 32, 32) * 2 - 1
    z_old, times = None, []
    for it in range(iters + 1):
        sync()
        t0 = time.perf_counter()
        opt_e.zero_grad(set_to_none=False)
        opt_g.zero_grad(set_to_none=False)
        z, d = E(x)
        (bce(d, torch.ones_like(d)) + kl(z) + mse(G(z, reverse=False), x)).backward()
        opt_e.step()
        opt_g.step()
        sync()
        t1 = time.perf_counter()
        opt_e.zero_grad(set_to_none=False)
        z_mem = z.detach()
        with torch.no_grad():
            mask = (torch.rand(1, 1, 32, 32) > 0.3).float()
            x_occ = G(z_mem) * mask
        mse(E(x_occ)[0], z_mem).backward()
        opt_e.step()
        sync()
        t2 = time.perf_counter()
        opt_e.zero_grad(set_to_none=False)
        opt_g.zero_grad(set_to_none=False)
        eps = torch.randn_like(z_mem)
        z_mix = 0.5 * z_mem + 0.5 * eps if z_old is None else 0.25 * z_mem + 0.25 * z_old + 0.5 * eps
        _, d_f = E(G(z_mix))
        bce(d_f, torch.zeros_like(d_f)).backward()
        opt_e.step()
        opt_g.step()
        z_old = z_mem
        sync()
        t3 = time.perf_counter()
        if it > 0:
            times.append([(t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3, (t3 - t0) * 1e3])
    med = [statistics.median(t[k] for t in times) for k in range(4)]
    print(json.dumps({"impl": "pytorch", "device": device, "threads": torch.get_num_threads(), "batch": batch,
                      "wake_ms": med[0], "nrem_ms": med[1], "rem_ms": med[2], "total_ms": med[3]}))


def main(folder):
    files = sorted(Path(folder).glob("*.safetensors"))
    if not files:
        sys.exit(f"no .safetensors files in {folder} (run: pad reference --out {folder})")
    all_ok = True
    for f in files:
        tensors = load_file(str(f))
        with safe_open(str(f), framework="pt") as h:
            meta = json.loads(h.metadata()["pad"])
        zero_filled = meta["step_semantics"] == "zero-filled"
        print(f"{f.name}: variant {meta['variant']}, batch {meta['batch']}, {meta['iterations']} iterations, "
              f"Rust step semantics {meta['step_semantics']}")
        for set_to_none in (not zero_filled, zero_filled):
            matching = set_to_none == (not zero_filled)
            ok, report = compare(tensors, meta, run(tensors, meta, set_to_none), meta["learning_rate"])
            label = f"PyTorch zero_grad(set_to_none={set_to_none})" + (" [matching]" if matching else " [control: must differ]")
            print(f" {label}: {'agrees' if ok else 'differs'}")
            print("\n".join(report))
            all_ok &= ok if matching else True
            if not matching and ok:
                print("  note: the control agrees too: in this variant every stepped parameter has a gradient"
                      " in every step, so the two semantics coincide")
    print("cross-check:", "PASS" if all_ok else "FAIL")
    sys.exit(0 if all_ok else 1)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--bench":
        bench(*(int(a) if a.isdigit() else a for a in sys.argv[2:]))
    else:
        main(sys.argv[1] if len(sys.argv) > 1 else "out/reference")
